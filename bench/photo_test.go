package bench

import (
	"bytes"
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
	"testing"
	"time"

	"github.com/quinte-media/quinte/internal/testenv"
	"github.com/quinte-media/quinte/pipeline/photo"
	"github.com/quinte-media/quinte/pipeline/reframe"
)

// BenchmarkPhotoCropSet is figure (d): a 12 MP JPEG's full output set (image/web and image/thumb as
// JPEG and WebP, the four social crops, centred as vipsthumbnail centres them) made by quinte (one
// decode, imaging) against the same eight files made by
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
	}
	for _, a := range reframe.SocialAspects() {
		vips = append(vips, []string{"-s", fmt.Sprintf("%dx%d", a.Out.W, a.Out.H), "-m", "centre", "-o", "crop" + a.Name + ".jpg[Q=85,strip]"})
	}
	// The child's resting memory: the same process making no photo (it waits a moment, so the
	// sampling below sees it), what the photo job's peak is measured above.
	_, rest, err := timed(exec.Command(os.Args[0], "-test.run=^TestPhotoBenchChild$", "-test.count=1"), "QUINTE_BENCH_REST=1")
	if err != nil {
		b.Fatalf("quinte at rest: %v", err)
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
	b.ReportMetric(quinteRSS-rest, "quinte-above-rest-MB")
	fmt.Printf("(d) photo crop set, 12 MP JPEG -> web+thumb (JPEG+WebP) + crop/9x16, 1x1, 4x5, 16x9 (centred): quinte %.2f s, peak %.0f MB (%.0f MB above its %.0f MB at rest); "+
		"vipsthumbnail x%d %.2f s, peak %.0f MB; ratio %.2f\n",
		quinteWall.Seconds()/float64(b.N), quinteRSS, quinteRSS-rest, rest, len(vips), vipsWall.Seconds()/float64(b.N), vipsRSS, ratio)
}

// timed runs cmd with extra environment and returns its wall time and peak RSS in MB. The peak is
// the child's own high-water mark (VmHWM), read every few milliseconds while it runs: the rusage of
// wait4 would not do, as Linux carries into it the RSS of this process, whose memory the child shares
// between clone and exec.
func timed(cmd *exec.Cmd, env ...string) (time.Duration, float64, error) {
	cmd.Env = append(os.Environ(), env...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return 0, 0, err
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	var peak int64
	tick := time.NewTicker(2 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case err := <-done:
			d := time.Since(start)
			if err != nil {
				return 0, 0, fmt.Errorf("%w: %s", err, out.Bytes())
			}
			return d, float64(peak) / (1 << 20), nil
		case <-tick.C:
			peak = max(peak, testenv.ReadMemory(cmd.Process.Pid).Peak)
		}
	}
}

// TestPhotoBenchChild is quinte's side of the benchmark, run as a process of its own.
func TestPhotoBenchChild(t *testing.T) {
	if os.Getenv("QUINTE_BENCH_REST") != "" {
		time.Sleep(100 * time.Millisecond)
		return
	}
	in := os.Getenv("QUINTE_BENCH_PHOTO")
	if in == "" {
		t.Skip("runs only as the child of BenchmarkPhotoCropSet")
	}
	if _, _, err := photo.Process(context.Background(), photo.Config{Aspects: reframe.SocialAspects()}, in, os.Getenv("QUINTE_BENCH_OUT")); err != nil {
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
