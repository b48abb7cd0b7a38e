package reframetest

import (
	"fmt"
	"image"
	"io"
	"math"

	"github.com/quinte-media/quinte/pipeline/geom"
	"github.com/quinte-media/quinte/pipeline/reframe"
)

// Score is how one aspect of one clip did against the truth.
type Score struct {
	Aspect       string
	Mode         geom.Mode
	Frames       int     // frames with a known face
	Inside       float64 // share of them with the face box wholly inside the picture shown
	CentreInside float64 // the same for a fixed centre crop
	Safe         float64 // 9:16: share with the face inside the safe band of the output (-1: other aspects)
	CentreSafe   float64
	MaxMove      float64 // largest move of the crop between two frames outside shot cuts, working pixels
	MaxMovePct   float64 // the same as a share of the crop's width
	Moving       float64 // share of frame steps in which the crop moves at all
}

// Window is the region a fill plan shows at time t, as ffmpeg's crop applies it: the expression's value
// truncated, then made even for 4:2:0 chroma.
func Window(p reframe.CropPlan, t float64) image.Rectangle {
	x, y := p.Path.At(t)
	rx := min(max(int(x)&^1, 0), p.Work.W-p.Crop.W)
	ry := min(max(int(y)&^1, 0), p.Work.H-p.Crop.H)
	return image.Rect(rx, ry, rx+p.Crop.W, ry+p.Crop.H)
}

// Evaluate scores every plan of a clip; cuts are the shot cuts the camera may jump at (the track's).
func Evaluate(c Clip, plans []reframe.CropPlan, cuts []float64) []Score {
	var out []Score
	for _, p := range plans {
		out = append(out, evaluate(c, p, cuts))
	}
	return out
}

// evaluate scores one plan in its working picture's pixels (the pipeline may work below the clip's
// size): the true face boxes are scaled there, rounded outwards.
func evaluate(c Clip, p reframe.CropPlan, cuts []float64) Score {
	s := Score{Aspect: p.Aspect.Name, Mode: p.Mode, Safe: -1, CentreSafe: -1}
	nine16 := p.Aspect.SafeBand()
	work := p.Work
	if work.W == 0 {
		work = c.Size
	}
	kx, ky := float64(work.W)/float64(c.Size.W), float64(work.H)/float64(c.Size.H)
	cw := geom.AspectRect(work, p.Aspect.W, p.Aspect.H)
	centre := image.Rect(cw.X, cw.Y, cw.X+cw.W, cw.Y+cw.H)
	var in, cin, safe, csafe, moving, steps int
	var prev image.Rectangle
	for n, f := range c.Truth {
		t := float64(n) / c.FPS
		if !f.Empty() {
			f = image.Rect(int(math.Floor(float64(f.Min.X)*kx)), int(math.Floor(float64(f.Min.Y)*ky)),
				int(math.Ceil(float64(f.Max.X)*kx)), int(math.Ceil(float64(f.Max.Y)*ky)))
		}
		win := image.Rect(0, 0, work.W, work.H)
		if p.Mode == geom.Fill {
			win = Window(p, t)
			if n > 0 && !cutBetween(cuts, float64(n-1)/c.FPS, t) {
				d := math.Hypot(float64(win.Min.X-prev.Min.X), float64(win.Min.Y-prev.Min.Y))
				s.MaxMove = math.Max(s.MaxMove, d)
				steps++
				if d > 0 {
					moving++
				}
			}
			prev = win
		}
		if f.Empty() {
			continue
		}
		s.Frames++
		if f.In(win) {
			in++
		}
		if f.In(centre) {
			cin++
		}
		if nine16 {
			if inSafeBand(p, win, f) {
				safe++
			}
			if f.In(centre) && bandOf(centre, f) {
				csafe++
			}
		}
	}
	if s.Frames > 0 {
		s.Inside = float64(in) / float64(s.Frames)
		s.CentreInside = float64(cin) / float64(s.Frames)
		if nine16 {
			s.Safe, s.CentreSafe = float64(safe)/float64(s.Frames), float64(csafe)/float64(s.Frames)
		}
	}
	if p.Mode == geom.Fill && p.Crop.W > 0 {
		s.MaxMovePct = s.MaxMove / float64(p.Crop.W)
	}
	if steps > 0 {
		s.Moving = float64(moving) / float64(steps)
	}
	return s
}

// inSafeBand reports whether the face sits between the top 14 % and the bottom 20 % of the 9:16
// output: in the crop window for a fill, in the picture laid over the middle for a fit.
func inSafeBand(p reframe.CropPlan, win, f image.Rectangle) bool {
	if p.Mode == geom.Fill {
		return f.In(win) && bandOf(win, f)
	}
	k := float64(p.Inner.H) / float64(p.Work.H)
	oy := float64(p.Out.H-p.Inner.H) / 2
	y0, y1 := oy+float64(f.Min.Y)*k, oy+float64(f.Max.Y)*k
	return y0 >= 0.14*float64(p.Out.H) && y1 <= 0.80*float64(p.Out.H)
}

func bandOf(win, f image.Rectangle) bool {
	h := float64(win.Dy())
	return float64(f.Min.Y-win.Min.Y) >= 0.14*h && float64(f.Max.Y-win.Min.Y) <= 0.80*h
}

func cutBetween(cuts []float64, a, b float64) bool {
	for _, c := range cuts {
		if c > a && c <= b {
			return true
		}
	}
	return false
}

// Report prints one clip's scores as a table; saliency (may be nil) adds what the saliency fallback
// alone achieves.
func Report(w io.Writer, c Clip, tr *reframe.Track, scores, saliency []Score) {
	fmt.Fprintf(w, "\n%s (%dx%d, %.1f s, %d frames with a face; truth: %s)\n", c.Name, c.Size.W, c.Size.H, c.Duration, c.Frames(), c.TruthHow)
	if tr != nil {
		fmt.Fprintf(w, "  track: %d samples at %.2g/s, face in %.0f%%, %d searched upsampled, cuts found %v (true %v)\n",
			len(tr.Samples), tr.Rate, 100*tr.FaceShare(), tr.Upsampled, round2(tr.Cuts), c.Cuts)
	}
	fmt.Fprintf(w, "  %-5s %-4s %8s %8s %8s %8s %10s %8s %20s\n", "crop", "mode", "inside", "centre", "safe", "c.safe", "max move", "moving", "saliency only")
	for i, s := range scores {
		safe, csafe := "-", "-"
		if s.Safe >= 0 {
			safe, csafe = pct(s.Safe), pct(s.CentreSafe)
		}
		move := "-"
		if s.Mode == geom.Fill {
			move = fmt.Sprintf("%.0fpx/%.1f%%", s.MaxMove, 100*s.MaxMovePct)
		}
		sal := "-"
		if i < len(saliency) {
			sal = fmt.Sprintf("%s %s", saliency[i].Mode, pct(saliency[i].Inside))
			if saliency[i].Mode == geom.Fill {
				sal += fmt.Sprintf(" %.0fpx", saliency[i].MaxMove)
			}
		}
		fmt.Fprintf(w, "  %-5s %-4s %8s %8s %8s %8s %10s %8s %20s\n", s.Aspect, s.Mode, pct(s.Inside), pct(s.CentreInside), safe, csafe, move, pct(s.Moving), sal)
	}
}

func pct(v float64) string { return fmt.Sprintf("%.1f%%", 100*v) }

func round2(v []float64) []float64 {
	out := make([]float64, len(v))
	for i, x := range v {
		out[i] = math.Round(x*100) / 100
	}
	return out
}
