package pipeline

import (
	"context"
	"fmt"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/quinte-media/quinte/pipeline/internal/safe"
	"golang.org/x/sync/errgroup"
)

// The analysis: what the probe cannot say, measured by cheap passes before the one decode of the main
// pass. The packet scan reads the container without decoding (real duration when the container lacks
// it, frame count, variable frame rate); the loudness pass decodes only the audio; idet decodes at most
// the first 10 seconds of video, and only when the stream claims to be interlaced. Loudness and idet
// run side by side, after the packet scan (the loudness of a short clip is measured looped, and only
// the scan knows how short it really is).

// analyze measures m's streams in place.
func (p *Pipeline) analyze(ctx context.Context, path string, m *Media) error {
	// The loudness of a short clip is measured looped, so it needs the real duration first, unless the
	// container's can be trusted; then the three run side by side.
	trusted := m.Duration > 0 && !durationIsEstimate(m.Container)
	if !trusted {
		if err := p.scanPackets(ctx, path, m); err != nil {
			return err
		}
	}
	duration, audio, video := m.Duration, m.Audio, m.Video // the packet scan may replace m.Video
	g, gctx := errgroup.WithContext(ctx)
	if trusted {
		g.Go(safe.Func(func() error { return p.scanPackets(gctx, path, m) }))
	}
	if a := audio; a != nil {
		g.Go(safe.Func(func() error {
			l, err := p.measureLoudness(gctx, path, a.Stream, duration)
			if err == nil {
				a.Loudness = l[0]
			}
			return err
		}))
	}
	var il *Interlace
	if v := video; v != nil && v.mayBeInterlaced() {
		stream := v.Stream
		g.Go(safe.Func(func() (err error) {
			il, err = p.detectInterlace(gctx, path, stream)
			return err
		}))
	}
	if err := g.Wait(); err != nil {
		return err
	}
	// The packet scan may have chosen another main video (the one that really moves) than the one
	// idet measured beside it: measure that one now.
	if v := m.Video; v != nil {
		switch {
		case video != nil && v.Stream == video.Stream:
			v.Interlace = il
		case v.mayBeInterlaced():
			var err error
			if v.Interlace, err = p.detectInterlace(ctx, path, v.Stream); err != nil {
				return err
			}
		}
	}
	if err := p.cfg.checkLimits(m); err != nil {
		return err
	}
	return p.correctLoudness(ctx, path, m)
}

// correctLoudness measures, for each target whose gain needs the limiter, what the limiter leaves, so
// that the plan can raise the gain by what limiting took away. Both targets are measured from one
// decode of the audio.
func (p *Pipeline) correctLoudness(ctx context.Context, path string, m *Media) error {
	if m.Audio == nil || m.Audio.Loudness.Silent() {
		return nil
	}
	l := m.Audio.Loudness
	var chains []AudioChain
	for _, target := range []float64{RenditionLUFS, SocialLUFS} {
		if gain, limit := l.plainGain(target); limit {
			chains = append(chains, AudioChain{Target: target, Gain: gain, Limit: true})
		}
	}
	if len(chains) == 0 {
		return nil
	}
	got, err := p.measureLoudness(ctx, path, m.Audio.Stream, m.Duration, chains...)
	if err != nil {
		return err
	}
	for i, c := range chains {
		l.Limited = append(l.Limited, LimitedLoudness{Gain: c.Gain, Integrated: got[i].Integrated})
	}
	return nil
}

// scanPackets reads every packet's stream, time and duration (no decoding). It stops reading after the
// duration limit, so a file that lies about its length cannot make it read for an hour.
func (p *Pipeline) scanPackets(ctx context.Context, path string, m *Media) error {
	limit := p.cfg.MaxDuration.Seconds() + 1
	args := append([]string{"-hide_banner", "-v", "error"}, sourceArgs()...)
	args = append(args, "-read_intervals", fmt.Sprintf("%%+%.0f", limit),
		"-show_entries", "packet=stream_index,pts_time,duration_time", "-of", "csv=p=0", inputURL(path))
	out, err := p.run.Output(ctx, p.cfg.FFprobe, args)
	if err != nil {
		return err
	}
	t := parsePackets(string(out))
	mainByPackets(m, t)
	var used []int
	if m.Video != nil {
		used = append(used, m.Video.Stream)
	}
	if m.Audio != nil {
		used = append(used, m.Audio.Stream)
	}
	start, end := math.Inf(1), math.Inf(-1)
	for _, s := range used {
		if st, ok := t[s]; ok {
			start, end = math.Min(start, math.Max(0, st.start)), math.Max(end, st.end)
		}
	}
	if end > start {
		if real := end - start; m.Duration == 0 || durationIsEstimate(m.Container) || real > m.Duration*2+1 {
			// The container does not know (a browser's WebM), guesses from the bit rate (MP3), or
			// claims far less than its packets hold.
			m.Duration, m.DurationFrom = math.Round(real*1000)/1000, "packets"
		}
	}
	if v := m.Video; v != nil {
		st := t[v.Stream]
		if st == nil || len(st.pts) == 0 {
			return Reject("undecodable_video", "the video stream holds no frames")
		}
		v.Frames = len(st.pts)
		v.Duration = math.Round((st.end-math.Max(0, st.start))*1000) / 1000
		if rate, vfr, ok := frameTiming(st.pts); ok {
			v.VFR = vfr
			// The container's average rate when it has one (field-coded H.264 has a packet per field,
			// twice the frame rate), else the packets' (a browser's WebM says 0/0).
			if v.FrameRate <= 0 || v.FrameRate > 1000 || v.declaredRate == 0 {
				v.FrameRate = math.Round(rate*1000) / 1000
			}
		}
	}
	return nil
}

// mainByPackets makes the video stream with the most packets the main one, when there are several: the
// probe's frame counts are missing in Matroska, and frame rates say nothing about how long a stream runs.
func mainByPackets(m *Media, t map[int]*streamTimes) {
	m.noteEmptyVideos(t)
	if len(m.videos) < 2 || m.Video == nil {
		return
	}
	best, most := m.Video.Stream, -1
	if st := t[best]; st != nil {
		most = len(st.pts)
	}
	var chosen *ProbeStream
	for i, s := range m.videos {
		if st := t[s.Index]; st != nil && len(st.pts) > most {
			best, most, chosen = s.Index, len(st.pts), &m.videos[i]
		}
	}
	if chosen != nil {
		m.Video = videoInfo(*chosen)
	}
}

// streamTimes is one stream's packet timeline.
type streamTimes struct {
	start, end float64
	pts        []float64
}

// parsePackets reads ffprobe's "stream_index,pts_time,duration_time" lines.
func parsePackets(out string) map[int]*streamTimes {
	t := map[int]*streamTimes{}
	for _, line := range strings.Split(out, "\n") {
		f := strings.Split(strings.TrimSpace(line), ",")
		if len(f) < 3 {
			continue
		}
		idx, err1 := strconv.Atoi(f[0])
		pts, err2 := strconv.ParseFloat(f[1], 64)
		if err1 != nil || err2 != nil {
			continue
		}
		dur, _ := strconv.ParseFloat(f[2], 64)
		st := t[idx]
		if st == nil {
			st = &streamTimes{start: pts, end: pts}
			t[idx] = st
		}
		st.start, st.end = math.Min(st.start, pts), math.Max(st.end, pts+dur)
		st.pts = append(st.pts, pts)
	}
	return t
}

// frameTiming is the average frame rate of presentation times, and whether it varies: more than a tenth
// of the frame intervals differ from the usual one by over a quarter.
func frameTiming(pts []float64) (rate float64, vfr, ok bool) {
	if len(pts) < 3 {
		return 0, false, false
	}
	s := slices.Clone(pts)
	slices.Sort(s)
	span := s[len(s)-1] - s[0]
	if span <= 0 {
		return 0, false, false
	}
	d := make([]float64, len(s)-1)
	for i := range d {
		d[i] = s[i+1] - s[i]
	}
	sorted := slices.Clone(d)
	slices.Sort(sorted)
	median := sorted[len(sorted)/2]
	odd := 0
	for _, x := range d {
		if math.Abs(x-median) > median/4 {
			odd++
		}
	}
	return float64(len(s)-1) / span, odd*10 > len(d), true
}

// measureLoudness runs ebur128 over the audio stream after each of chains (its gain and limiter), all
// from one decode of the audio (asplit gives each chain its branch); without chains it measures the
// audio as it is. A clip shorter than measureSeconds is measured looped, so that R128's 400 ms blocks
// and its gating have something to work on; the loudness of a loop is the loudness of the clip.
func (p *Pipeline) measureLoudness(ctx context.Context, path string, stream int, duration float64, chains ...AudioChain) ([]*Loudness, error) {
	if len(chains) == 0 {
		chains = []AudioChain{{}} // no gain, no limiter
	}
	loops := 1
	if duration > 0 && duration < measureSeconds {
		loops = int(math.Ceil(measureSeconds / duration))
	}
	// Each ebur128 is named (ebur128@m0, ...) so that its summary can be told from the others'.
	var g strings.Builder
	fmt.Fprintf(&g, "[0:%d]%s", stream, chain(audioPrep()))
	if len(chains) > 1 {
		fmt.Fprintf(&g, ",asplit=%d", len(chains))
		for i := range chains {
			fmt.Fprintf(&g, "[b%d]", i)
		}
	}
	for i, c := range chains {
		if len(chains) > 1 {
			fmt.Fprintf(&g, ";[b%d]", i)
		} else {
			g.WriteString(",")
		}
		fs := append(c.filters(), filt{r128Label(i), "peak=true:framelog=verbose"})
		fmt.Fprintf(&g, "%s[o%d]", chain(fs), i)
	}
	args := []string{"-hide_banner", "-nostdin", "-nostats", "-v", "info", "-progress", "pipe:1"}
	args = append(args, sourceArgs()...)
	if loops > 1 {
		args = append(args, "-stream_loop", strconv.Itoa(loops-1))
	}
	args = append(args, "-i", inputURL(path), "-filter_complex", g.String())
	for i := range chains {
		args = append(args, "-map", fmt.Sprintf("[o%d]", i), "-f", "null", "-")
	}
	log, err := p.run.Log(ctx, p.cfg.FFmpeg, args, 16<<10)
	if err != nil {
		return nil, err
	}
	out := make([]*Loudness, len(chains))
	for i := range chains {
		in, tp, err := parseR128(summaryOf(log, r128Label(i)))
		if err != nil {
			return nil, err
		}
		out[i] = &Loudness{Integrated: in, TruePeak: tp}
		if loops > 1 {
			out[i].Loops = loops
		}
	}
	return out, nil
}

var idetLine = regexp.MustCompile(`Multi frame detection: TFF:\s*(\d+)\s+BFF:\s*(\d+)\s+Progressive:\s*(\d+)`)

// detectInterlace runs idet over the first 10 seconds of the video stream.
func (p *Pipeline) detectInterlace(ctx context.Context, path string, stream int) (*Interlace, error) {
	args := []string{"-hide_banner", "-nostdin", "-nostats", "-v", "info", "-progress", "pipe:1"}
	args = append(args, sourceArgs()...)
	args = append(args, "-t", "10", "-i", inputURL(path), "-map", "0:"+strconv.Itoa(stream), "-vf", "idet", "-f", "null", "-")
	log, err := p.run.Log(ctx, p.cfg.FFmpeg, args, 16<<10)
	if err != nil {
		return nil, err
	}
	return parseIdet(log)
}

// parseIdet reads idet's multi-frame counts; the content is interlaced when interlaced frames outnumber
// progressive ones two to one.
func parseIdet(log string) (*Interlace, error) {
	all := idetLine.FindAllStringSubmatch(log, -1)
	if all == nil {
		return nil, fmt.Errorf("no idet summary in ffmpeg's output")
	}
	m := all[len(all)-1]
	il := &Interlace{Verdict: "progressive"}
	il.TFF, _ = strconv.Atoi(m[1])
	il.BFF, _ = strconv.Atoi(m[2])
	il.Progressive, _ = strconv.Atoi(m[3])
	if n := il.TFF + il.BFF; n >= 3 && n > 2*il.Progressive {
		il.Verdict = "tff"
		if il.BFF > il.TFF {
			il.Verdict = "bff"
		}
	}
	return il, nil
}
