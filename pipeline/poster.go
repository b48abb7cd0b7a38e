package pipeline

import (
	"context"
	"fmt"
	"image"
	"math"
	"os"
	"sync"

	"github.com/quinte-media/quinte/message"
	"github.com/quinte-media/quinte/pipeline/ffcmd"
	"github.com/quinte-media/quinte/pipeline/plan"
	"github.com/quinte-media/quinte/pipeline/probe"
	"github.com/quinte-media/quinte/pipeline/reframe"
)

// The poster is the first thing the artist sees of a video, so it is made first: the subject analysis
// already decodes a few frames a second and searches each for faces, so those frames are scored as they
// pass (score.go), the best is cut from the source by one short ffmpeg (a seek and one frame, through
// the main pass's own colour and orientation filters), and the files go to Input.Early before the main
// pass starts. Without a subject analysis the finishing step chooses from the main pass's grey frames.

// diffSide is the side of the small copy of each analysis frame that the change between frames is
// measured on (the main pass's grey frames have the same).
const diffSide = 96

// analysisFrames measures the subject analysis's frames as they pass (subject.Input.Frame), from the
// goroutines that search them for faces.
type analysisFrames struct {
	mu    sync.Mutex
	stats map[int]frameStats
	small map[int][]byte // a diffSide² copy of each, for the change from the frame before
}

func newAnalysisFrames() *analysisFrames {
	return &analysisFrames{stats: map[int]frameStats{}, small: map[int][]byte{}}
}

// see measures the i-th analysis frame.
func (a *analysisFrames) see(i int, g *image.Gray) {
	st := measureFrame(g.Pix[:g.Stride*g.Rect.Dy()], g.Stride, g.Rect.Dy())
	st.Frame = i
	small := shrinkGrey(g, diffSide, diffSide)
	a.mu.Lock()
	a.stats[i], a.small[i] = st, small
	a.mu.Unlock()
}

// frames are the measured frames in order, each with its change from the one before; nil when the
// analysis did not see them all.
func (a *analysisFrames) frames() []frameStats {
	a.mu.Lock()
	defer a.mu.Unlock()
	out := make([]frameStats, 0, len(a.stats))
	for i := range len(a.stats) {
		st, ok := a.stats[i]
		if !ok {
			return nil
		}
		if i > 0 {
			st.Diff = meanAbsDiff(a.small[i], a.small[i-1])
		}
		out = append(out, st)
	}
	return out
}

// shrinkGrey is g averaged down to w×h (each output pixel the mean of its box).
func shrinkGrey(g *image.Gray, w, h int) []byte {
	gw, gh := g.Rect.Dx(), g.Rect.Dy()
	out := make([]byte, w*h)
	for y := range h {
		y0, y1 := y*gh/h, max(y*gh/h+1, (y+1)*gh/h)
		for x := range w {
			x0, x1 := x*gw/w, max(x*gw/w+1, (x+1)*gw/w)
			sum, n := 0, 0
			for yy := y0; yy < y1; yy++ {
				row := g.Pix[yy*g.Stride:]
				for xx := x0; xx < x1; xx++ {
					sum += int(row[xx])
					n++
				}
			}
			out[y*w+x] = byte(sum / n)
		}
	}
	return out
}

// posterStep chooses the poster from the subject analysis's frames, cuts it from the source and hands
// its files to in.Early. It gives nil, and makes nothing, when there is no track to choose from: the
// finishing step then chooses from the main pass's grey frames.
func (p *Pipeline) posterStep(ctx context.Context, in Input, pl *plan.Plan, tr *reframe.Track, seen *analysisFrames) (*posterChoice, error) {
	if pl.Video == nil || tr == nil || tr.Rate <= 0 {
		return nil, nil
	}
	stats := seen.frames()
	if len(stats) == 0 {
		return nil, nil
	}
	faces := make([]bool, len(stats))
	for _, s := range tr.Samples {
		if i := int(math.Round(s.T * tr.Rate)); i >= 0 && i < len(faces) {
			faces[i] = s.Source == reframe.SourceFace
		}
	}
	c := pickPoster(stats, faces)
	at := float64(stats[c.Index].Frame) / tr.Rate
	vp := pl.Video
	c.Frame = int(math.Round(at * probe.ParseRatio(vp.FrameRate)))
	files, err := p.cutPoster(ctx, in, vp, at)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		// The poster early is a courtesy: the finishing step makes one from the grey frames instead.
		p.logger(ctx, in.ID).WarnContext(ctx, "the poster could not be cut early; it is made after the main pass", "err", err)
		return nil, nil
	}
	if in.Early != nil {
		in.Early(ctx, files)
	}
	return &c, nil
}

// cutPoster writes the poster outputs of vp from the source's frame at seconds, and lists them.
func (p *Pipeline) cutPoster(ctx context.Context, in Input, vp *plan.VideoPlan, seconds float64) ([]File, error) {
	if _, err := p.run.FFmpeg(ctx, p.cfg.FFmpeg, ffcmd.PosterCommand(vp, in.Path, in.WorkDir, seconds)); err != nil {
		return nil, fmt.Errorf("poster at %.3f s: %w", seconds, classifyFFmpeg(ctx, err))
	}
	var files []File
	for _, f := range plannedFiles(vp.Outputs, in.WorkDir) {
		if f.Role != message.RolePoster {
			continue
		}
		// A seek past the last frame (a stream shorter than its container says) exits cleanly and
		// writes nothing.
		if st, err := os.Stat(f.Path); err != nil || st.Size() == 0 {
			return nil, fmt.Errorf("poster at %.3f s: ffmpeg wrote no %s", seconds, f.Name)
		}
		files = append(files, f)
	}
	return files, nil
}
