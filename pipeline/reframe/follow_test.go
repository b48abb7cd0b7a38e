package reframe_test

import (
	"image"
	"math"
	"os/exec"
	"path/filepath"
	"testing"

	ffmpeg "github.com/u2takey/ffmpeg-go"

	"github.com/quinte-media/quinte/pipeline/ffcmd"
	"github.com/quinte-media/quinte/pipeline/geom"
	"github.com/quinte-media/quinte/pipeline/reframe/reframetest"
)

// What ffmpeg renders follows the planned path: each rendered 9:16 frame matches the working frame
// cut at the path's window for that instant (within one 2 px chroma step), and not a window 24 px to
// the side.
func TestRenderedCropFollowsThePath(t *testing.T) {
	det, an, cfg := reframetest.Setup(t)
	dir := t.TempDir()
	c := reframetest.GeneratePan(t, dir, det)
	r := reframetest.Run(t, an, c, cfg, dir)
	p := r.Plans[0]
	if p.Aspect.Name != "9x16" || p.Mode != geom.Fill || p.Path.Still() || p.Out != p.Crop {
		t.Fatalf("want a moving 9:16 fill at crop size, got %+v", p)
	}
	if err := ffcmd.WriteCamera(p, dir); err != nil {
		t.Fatal(err)
	}
	s, err := ffcmd.AppendCrop(ffmpeg.Input(c.Path).Get("0"), p, dir)
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "rendered.mkv")
	args := append([]string{"-hide_banner", "-nostdin", "-v", "error", "-y"},
		s.Output(out, ffmpeg.KwArgs{"c:v": "ffv1", "pix_fmt": "yuv420p"}).GetArgs()...)
	if b, err := exec.Command("ffmpeg", args...).CombinedOutput(); err != nil {
		t.Fatalf("ffmpeg %v: %v\n%s", args, err, b)
	}
	src := map[int]*image.Gray{}
	reframetest.EachFrame(t, c.Path, 0, c.Size, c.FPS, func(n int, g *image.Gray) {
		if n%20 == 5 {
			src[n] = g
		}
	})
	checked := 0
	reframetest.EachFrame(t, out, 0, p.Out, c.FPS, func(n int, g *image.Gray) {
		full, ok := src[n]
		if !ok {
			return
		}
		win := reframetest.Window(p, float64(n)/c.FPS)
		at := mae(g, full, win.Min)
		shift := image.Pt(24, 0)
		if win.Min.X+24+win.Dx() > c.Size.W {
			shift = image.Pt(-24, 0)
		}
		off := mae(g, full, win.Min.Add(shift))
		// crop truncates x and makes it even, so a value a hair under an even number lands 2 px
		// left: allow one such step.
		best := at
		for _, dx := range []int{-2, 2} {
			if q := win.Min.X + dx; q >= 0 && q+win.Dx() <= c.Size.W {
				best = math.Min(best, mae(g, full, image.Pt(q, win.Min.Y)))
			}
		}
		if best > 2 || off < 4*best+4 {
			t.Errorf("frame %d: differs by %.1f from the planned window %v (±2 px) and by %.1f from one 24 px aside", n, best, win, off)
		}
		checked++
	})
	if checked < 8 {
		t.Fatalf("compared only %d frames", checked)
	}
}

// mae is the mean absolute difference between a and the region of b starting at at.
func mae(a, b *image.Gray, at image.Point) float64 {
	sum, n := 0, 0
	for y := 0; y < a.Rect.Dy(); y += 2 {
		for x := 0; x < a.Rect.Dx(); x += 2 {
			d := int(a.GrayAt(x, y).Y) - int(b.GrayAt(at.X+x, at.Y+y).Y)
			if d < 0 {
				d = -d
			}
			sum += d
			n++
		}
	}
	return float64(sum) / float64(n)
}
