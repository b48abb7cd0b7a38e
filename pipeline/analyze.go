package pipeline

import (
	"context"
	"math"

	"github.com/quinte-media/quinte/pipeline/ffcmd"
	"github.com/quinte-media/quinte/pipeline/internal/safe"
	"github.com/quinte-media/quinte/pipeline/plan"
	"github.com/quinte-media/quinte/pipeline/probe"
	"golang.org/x/sync/errgroup"
)

// The analysis: what the probe cannot say, measured by cheap passes before the one decode of the main
// pass. The packet scan reads the container without decoding (real duration when the container lacks
// it, frame count, variable frame rate); the loudness pass decodes only the audio; idet decodes at most
// the first 10 seconds of video, and only when the stream claims to be interlaced. Loudness and idet
// run side by side, after the packet scan (the loudness of a short clip is measured looped, and only
// the scan knows how short it really is).

// analyze measures m's streams in place.
func (p *Pipeline) analyze(ctx context.Context, path string, m *probe.Media) error {
	// The loudness of a short clip is measured looped, so it needs the real duration first, unless the
	// container's can be trusted; then the three run side by side.
	trusted := m.Duration > 0 && !probe.DurationIsEstimate(m.Container)
	if !trusted {
		if err := p.ffprobe().ScanPackets(ctx, path, m, p.cfg.MaxDuration); err != nil {
			return err
		}
	}
	duration, audio, video := m.Duration, m.Audio, m.Video // the packet scan may replace m.Video
	g, gctx := errgroup.WithContext(ctx)
	if trusted {
		g.Go(safe.Func(func() error { return p.ffprobe().ScanPackets(gctx, path, m, p.cfg.MaxDuration) }))
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
	var il *probe.Interlace
	if v := video; v != nil && v.MayBeInterlaced() {
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
		case v.MayBeInterlaced():
			var err error
			if v.Interlace, err = p.detectInterlace(ctx, path, v.Stream); err != nil {
				return err
			}
		}
	}
	if err := p.cfg.limits().Check(m); err != nil {
		return err
	}
	return p.correctLoudness(ctx, path, m)
}

// correctLoudness measures, for each target whose gain needs the limiter, what the limiter leaves, so
// that the plan can raise the gain by what limiting took away. Both targets are measured from one
// decode of the audio.
func (p *Pipeline) correctLoudness(ctx context.Context, path string, m *probe.Media) error {
	if m.Audio == nil || m.Audio.Loudness.Silent() {
		return nil
	}
	l := m.Audio.Loudness
	var chains []plan.AudioChain
	for _, target := range []float64{plan.RenditionLUFS, plan.SocialLUFS} {
		if gain, limit := plan.PlainGain(l, target); limit {
			chains = append(chains, plan.AudioChain{Target: target, Gain: gain, Limit: true})
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
		l.Limited = append(l.Limited, probe.LimitedLoudness{Gain: c.Gain, Integrated: got[i].Integrated})
	}
	return nil
}

// measureLoudness runs ebur128 over the audio stream after each of chains (its gain and limiter), all
// from one decode of the audio (asplit gives each chain its branch); without chains it measures the
// audio as it is. A clip shorter than measureSeconds is measured looped, so that R128's 400 ms blocks
// and its gating have something to work on; the loudness of a loop is the loudness of the clip.
func (p *Pipeline) measureLoudness(ctx context.Context, path string, stream int, duration float64, chains ...plan.AudioChain) ([]*probe.Loudness, error) {
	if len(chains) == 0 {
		chains = []plan.AudioChain{{}} // no gain, no limiter
	}
	loops := 1
	if duration > 0 && duration < probe.MeasureSeconds {
		loops = int(math.Ceil(probe.MeasureSeconds / duration))
	}
	args := ffcmd.MeasureCommand(path, stream, loops, chains)
	log, err := p.run.Log(ctx, p.cfg.FFmpeg, args, 16<<10)
	if err != nil {
		return nil, err
	}
	return probe.ReadLoudness(log, len(chains), loops)
}

// detectInterlace runs idet over the first 10 seconds of the video stream.
func (p *Pipeline) detectInterlace(ctx context.Context, path string, stream int) (*probe.Interlace, error) {
	args := ffcmd.IdetCommand(path, stream)
	log, err := p.run.Log(ctx, p.cfg.FFmpeg, args, 16<<10)
	if err != nil {
		return nil, err
	}
	return probe.ParseIdet(log)
}
