package bench

import (
	"context"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/quinte-media/quinte/pipeline/photo"
)

// BenchmarkPhotoCropSet is figure (d): a 12 MP JPEG's full output set (image/web and image/thumb as
// JPEG and WebP, crop/1x1) made by quinte (one decode, imaging) against the same five files made by
// libvips' vipsthumbnail, one call each (its shrink-on-load decodes each at reduced size). Both run as
// processes of their own so their peak RSS can be read; the ratio is of wall times in the same run.
func BenchmarkPhotoCropSet(b *testing.B) {
	if _, err := exec.LookPath("vipsthumbnail"); err != nil {
		b.Fatalf("vipsthumbnail is needed (scripts/deps.sh bench installs libvips-tools): %v", err)
	}
	dir := b.TempDir()
	in := filepath.Join(dir, "photo12mp.jpg")
	if err := writeTestPhoto(in, 4000, 3000); err != nil {
		b.Fatal(err)
	}
	vips := [][]string{
		{"-s", "2048x2048", "-o", "web.jpg[Q=85,strip]"},
		{"-s", "2048x2048", "-o", "web.webp[Q=80,strip]"},
		{"-s", "640x640", "-o", "thumb.jpg[Q=85,strip]"},
		{"-s", "640x640", "-o", "thumb.webp[Q=80,strip]"},
		{"-s", "1080x1080", "-m", "centre", "-o", "crop1x1.jpg[Q=85,strip]"},
	}
	var quinteWall, vipsWall time.Duration
	var quinteRSS, vipsRSS float64
	for b.Loop() {
		out := filepath.Join(dir, "quinte")
		if err := os.MkdirAll(out, 0o755); err != nil {
			b.Fatal(err)
		}
		d, rss, err := timed(exec.Command(os.Args[0], "-test.run=^TestPhotoBenchChild$", "-test.count=1"),
			"QUINTE_BENCH_PHOTO="+in, "QUINTE_BENCH_OUT="+out)
		if err != nil {
			b.Fatalf("quinte: %v", err)
		}
		quinteWall += d
		quinteRSS = max(quinteRSS, rss)
		vdir := filepath.Join(dir, "vips")
		if err := os.MkdirAll(vdir, 0o755); err != nil {
			b.Fatal(err)
		}
		for _, args := range vips {
			cmd := exec.Command("vipsthumbnail", append([]string{in}, args...)...)
			cmd.Dir = vdir
			d, rss, err := timed(cmd)
			if err != nil {
				b.Fatalf("vipsthumbnail %v: %v", args, err)
			}
			vipsWall += d
			vipsRSS = max(vipsRSS, rss)
		}
	}
	ratio := quinteWall.Seconds() / vipsWall.Seconds()
	b.ReportMetric(ratio, "quinte/vips")
	b.ReportMetric(quinteRSS, "quinte-MB")
	b.ReportMetric(vipsRSS, "vips-MB")
	fmt.Printf("(d) photo crop set, 12 MP JPEG -> web+thumb (JPEG+WebP) + crop/1x1: quinte %.2f s, peak %.0f MB; "+
		"vipsthumbnail x%d %.2f s, peak %.0f MB; ratio %.2f\n",
		quinteWall.Seconds()/float64(b.N), quinteRSS, len(vips), vipsWall.Seconds()/float64(b.N), vipsRSS, ratio)
}

// timed runs cmd with extra environment and returns its wall time and peak RSS in MB.
func timed(cmd *exec.Cmd, env ...string) (time.Duration, float64, error) {
	cmd.Env = append(os.Environ(), env...)
	start := time.Now()
	out, err := cmd.CombinedOutput()
	d := time.Since(start)
	if err != nil {
		return 0, 0, fmt.Errorf("%w: %s", err, out)
	}
	ru := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	return d, float64(ru.Maxrss) / 1024, nil
}

// TestPhotoBenchChild is quinte's side of the benchmark, run as a process of its own.
func TestPhotoBenchChild(t *testing.T) {
	in := os.Getenv("QUINTE_BENCH_PHOTO")
	if in == "" {
		t.Skip("runs only as the child of BenchmarkPhotoCropSet")
	}
	if _, _, err := photo.Process(context.Background(), photo.Config{}, in, os.Getenv("QUINTE_BENCH_OUT")); err != nil {
		t.Fatal(err)
	}
}

// writeTestPhoto writes a deterministic photo-like JPEG: smooth colour gradients, soft shapes and
// fixed-seed grain, so the encoders have texture to work on and every run gets the same bytes.
func writeTestPhoto(path string, w, h int) error {
	img := image.NewYCbCr(image.Rect(0, 0, w, h), image.YCbCrSubsampleRatio420)
	rng := rand.New(rand.NewPCG(1, 2))
	for y := range h {
		for x := range w {
			fx, fy := float64(x)/float64(w), float64(y)/float64(h)
			v := 0.5 + 0.25*math.Sin(9*fx+4*fy) + 0.15*math.Cos(23*fx*fy) + 0.1*(rng.Float64()-0.5)
			r, g, b := v*(0.6+0.4*fx), v*(0.5+0.5*fy), v*(1-0.5*fx)
			yy, cb, cr := color.RGBToYCbCr(clamp8(r), clamp8(g), clamp8(b))
			img.Y[img.YOffset(x, y)] = yy
			if x%2 == 0 && y%2 == 0 {
				ci := img.COffset(x, y)
				img.Cb[ci], img.Cr[ci] = cb, cr
			}
		}
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := jpeg.Encode(f, img, &jpeg.Options{Quality: 90}); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func clamp8(v float64) uint8 { return uint8(max(0, min(255, v*255+0.5))) }
