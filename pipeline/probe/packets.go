package probe

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
)

// ScanPackets reads every packet's stream, time and duration (no decoding). It stops reading after the
// duration limit, so a file that lies about its length cannot make it read for an hour.
func (f FFprobe) ScanPackets(ctx context.Context, path string, m *Media, maxDuration time.Duration) error {
	limit := maxDuration.Seconds() + 1
	args := append([]string{"-hide_banner", "-v", "error"}, SourceArgs()...)
	args = append(args, "-read_intervals", fmt.Sprintf("%%+%.0f", limit),
		"-show_entries", "packet=stream_index,pts_time,duration_time", "-of", "csv=p=0", InputURL(path))
	out, err := f.Run.Output(ctx, f.Bin, args)
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
		if real := end - start; m.Duration == 0 || DurationIsEstimate(m.Container) || real > m.Duration*2+1 {
			// The container does not know (a browser's WebM), guesses from the bit rate (MP3), or
			// claims far less than its packets hold.
			m.Duration, m.DurationFrom = math.Round(real*1000)/1000, "packets"
		}
	}
	if v := m.Video; v != nil {
		st := t[v.Stream]
		if st == nil || len(st.pts) == 0 {
			return refuse("undecodable_video", "the video stream holds no frames")
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
