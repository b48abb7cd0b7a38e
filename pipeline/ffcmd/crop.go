package ffcmd

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	ffmpeg "github.com/u2takey/ffmpeg-go"

	"github.com/quinte-media/quinte/pipeline/geom"
	"github.com/quinte-media/quinte/pipeline/reframe"
)

// AppendCrop adds one aspect's filters to a branch of the working picture (a split output of the
// caller's single ffmpeg pass) and returns the branch at the plan's output size, ready to encode. It
// only builds the graph: WriteCamera must have written the plan's camera path into jobDir before
// ffmpeg runs.
//
// fill: `crop` cuts the plan's window; when the camera moves, a `sendcmd` file in jobDir
// (crop_<aspect>.cmd) sets its x and y at each key as a linear expression of t, so ffmpeg follows the
// path frame by frame. Then `scale` to the output size.
// fit: `split`; one copy is shrunk, blurred, darkened and stretched to fill the aspect, the other is
// scaled to fit inside it and laid over its middle.
func AppendCrop(s *ffmpeg.Stream, p reframe.CropPlan, jobDir string) (*ffmpeg.Stream, error) {
	if p.Out.W < 2 || p.Out.H < 2 {
		return nil, fmt.Errorf("crop %s: no output size", p.Name)
	}
	switch p.Mode {
	case geom.Fill:
		return appendFill(s, p, jobDir)
	case geom.Fit:
		return appendFit(s, p), nil
	}
	return nil, fmt.Errorf("crop %s: unknown mode %q", p.Name, p.Mode)
}

func appendFill(s *ffmpeg.Stream, p reframe.CropPlan, jobDir string) (*ffmpeg.Stream, error) {
	if len(p.Path) == 0 || p.Crop.W < 2 || p.Crop.H < 2 || p.Crop.W > p.Work.W || p.Crop.H > p.Work.H {
		return nil, fmt.Errorf("crop %s: incomplete fill plan", p.Name)
	}
	x0, y0 := p.Path[0].X, p.Path[0].Y
	name := "crop"
	if file := commandFile(p, jobDir); file != "" {
		name = cropInstance(p)
		s = s.Filter("sendcmd", nil, ffmpeg.KwArgs{"f": file})
	}
	s = s.Filter(name, ffmpeg.Args{itoa(p.Crop.W), itoa(p.Crop.H), num(x0), num(y0)})
	if p.Out != p.Crop {
		s = s.Filter("scale", ffmpeg.Args{itoa(p.Out.W), itoa(p.Out.H)}, ffmpeg.KwArgs{"flags": "lanczos"})
	}
	return s.Filter("setsar", ffmpeg.Args{"1"}), nil
}

// WriteCamera writes the sendcmd file of a fill whose camera moves into jobDir (nothing for a still
// camera or a fit). Run it before the pass whose graph AppendCrop built.
func WriteCamera(p reframe.CropPlan, jobDir string) error {
	file := commandFile(p, jobDir)
	if file == "" {
		return nil
	}
	if err := os.WriteFile(file, []byte(sendCommands(p.Path, cropInstance(p))), 0o644); err != nil {
		return fmt.Errorf("crop %s: write camera path: %w", p.Name, err)
	}
	return nil
}

// commandFile is where a moving fill's camera path is kept ("" when the camera does not move).
func commandFile(p reframe.CropPlan, jobDir string) string {
	if p.Mode != geom.Fill || p.Path.Still() {
		return ""
	}
	return filepath.Join(jobDir, "crop_"+p.Aspect.Name+".cmd")
}

// cropInstance names a moving fill's crop filter: sendcmd addresses filters by name, and a bare "crop"
// would move every aspect's crop at once.
func cropInstance(p reframe.CropPlan) string { return "crop@" + instance(p.Aspect.Name) }

// blurShrink is how much the background of a fit is shrunk before blurring: the blur then costs 1/64
// of a full-size one and the stretch back up smooths it further.
const blurShrink = 8

func appendFit(s *ffmpeg.Stream, p reframe.CropPlan) *ffmpeg.Stream {
	split := s.Split()
	// At least 4x4: boxblur's radius 1 needs 2 chroma pixels each way (a tiny picture's fit).
	bw, bh := max(4, evenDown(p.Out.W/blurShrink)), max(4, evenDown(p.Out.H/blurShrink))
	radius := max(1, min(bw, bh)/8)
	bg := split.Get("0").
		Filter("scale", ffmpeg.Args{itoa(bw), itoa(bh)}, ffmpeg.KwArgs{"force_original_aspect_ratio": "increase", "flags": "area"}).
		Filter("crop", ffmpeg.Args{itoa(bw), itoa(bh)}).
		Filter("boxblur", ffmpeg.Args{itoa(radius), "2"}).
		Filter("lutyuv", nil, ffmpeg.KwArgs{"y": "16+(val-16)*0.55"}).
		Filter("scale", ffmpeg.Args{itoa(p.Out.W), itoa(p.Out.H)}, ffmpeg.KwArgs{"flags": "bilinear"})
	fg := split.Get("1").
		Filter("scale", ffmpeg.Args{itoa(p.Inner.W), itoa(p.Inner.H)}, ffmpeg.KwArgs{"flags": "lanczos"})
	x, y := evenDown((p.Out.W-p.Inner.W)/2), evenDown((p.Out.H-p.Inner.H)/2)
	return ffmpeg.Filter([]*ffmpeg.Stream{bg, fg}, "overlay", ffmpeg.Args{itoa(x), itoa(y)}).
		Filter("setsar", ffmpeg.Args{"1"})
}

// sendCommands is the sendcmd script of a moving crop: at each key, x and y become the linear
// expressions of t that reach the next key.
func sendCommands(p reframe.Path, target string) string {
	var b strings.Builder
	b.WriteString("# camera path: the crop's top-left corner, linear in t between keys\n")
	for i, k := range p {
		if i+1 < len(p) && p[i+1].T == k.T {
			continue // a cut: the later key of the pair takes over
		}
		ex, ey := num(k.X), num(k.Y)
		if i+1 < len(p) {
			n := p[i+1]
			dt := n.T - k.T
			ex, ey = linear(k.X, n.X, k.T, dt), linear(k.Y, n.Y, k.T, dt)
		}
		fmt.Fprintf(&b, "%s %s x '%s', %s y '%s';\n", strconv.FormatFloat(k.T, 'f', 4, 64), target, ex, target, ey)
	}
	return b.String()
}

// linear is the expression going from a at time t0 to b at t0+dt.
func linear(a, b, t0, dt float64) string {
	if a == b {
		return num(a)
	}
	v := (b - a) / dt
	return fmt.Sprintf("%s+(t-%s)*%s", num(a), strconv.FormatFloat(t0, 'f', 4, 64), strconv.FormatFloat(v, 'f', 6, 64))
}

// instance makes a filter instance name from an aspect name ("9x16" → "c9x16").
func instance(aspect string) string {
	var b strings.Builder
	b.WriteByte('c')
	for _, r := range aspect {
		if r >= '0' && r <= '9' || r >= 'a' && r <= 'z' {
			b.WriteRune(r)
		}
	}
	return b.String()
}

func itoa(n int) string { return strconv.Itoa(n) }

func num(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }

func evenDown(n int) int { return n &^ 1 }
