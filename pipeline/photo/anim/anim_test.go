package anim

import (
	"image"
	_ "image/png"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/quinte-media/quinte/internal/testenv"
)

// Scans read frame counts and durations from the blocks alone, the frame flood included.
func TestScan(t *testing.T) {
	for _, c := range []struct {
		rel     string
		w, h    int
		frames  int
		dur     time.Duration
		largest Size
		decoded int64
	}{
		{"image/animated_people_480x270.gif", 480, 270, 23, 1910 * time.Millisecond, Size{480, 270}, 2976960},
		{"image/animated_rotating_squares.webp", 80, 80, 9, 900 * time.Millisecond, Size{55, 55}, 24812},
		{"malformed/uber_40000_frames_1x1.gif", 1, 1, 40000, 4000 * time.Second, Size{1, 1}, 40000},
	} {
		f, err := os.Open(testenv.Corpus(t, c.rel))
		testenv.Must(t, err)
		var info Info
		if filepath.Ext(c.rel) == ".gif" {
			info, err = ScanGIF(f)
		} else {
			var wi WebPInfo
			wi, err = ScanWebP(f)
			info = wi.Info
		}
		f.Close()
		if err != nil || info != (Info{Width: c.w, Height: c.h, Frames: c.frames, Duration: c.dur, Largest: c.largest, Decoded: c.decoded}) {
			t.Errorf("%s: %+v, %v", c.rel, info, err)
		}
	}
}

// Composed frames match libwebp's (through libvips) and ffmpeg's GIF decoder, frame by frame.
func TestFramesMatchReferenceDecoders(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct {
		rel string
		ref func(n int, out string) *exec.Cmd
	}{
		{"image/animated_rotating_squares.webp", func(n int, out string) *exec.Cmd {
			return exec.Command("vips", "webpload", testenv.Corpus(t, "image/animated_rotating_squares.webp"), out, "--page", itoa(n))
		}},
		{"image/animated_people_480x270.gif", func(n int, out string) *exec.Cmd {
			return exec.Command("ffmpeg", "-v", "error", "-i", testenv.Corpus(t, "image/animated_people_480x270.gif"), "-vf", "select=eq(n\\,"+itoa(n)+")", "-frames:v", "1", "-pix_fmt", "rgba", out)
		}},
	} {
		f, err := os.Open(testenv.Corpus(t, c.rel))
		testenv.Must(t, err)
		var r Reader
		if filepath.Ext(c.rel) == ".gif" {
			r, err = NewGIF(f, 1<<30)
		} else {
			r, err = NewWebP(f, 1<<30)
		}
		testenv.Must(t, err)
		for n := 0; ; n++ {
			m, _, err := r.Next()
			if err == io.EOF {
				break
			}
			testenv.Must(t, err)
			if n%4 != 0 {
				continue
			}
			out := filepath.Join(dir, filepath.Base(c.rel)+itoa(n)+".png")
			if b, err := c.ref(n, out).CombinedOutput(); err != nil {
				t.Fatalf("reference decoder: %v %s", err, b)
			}
			g, err := os.Open(out)
			testenv.Must(t, err)
			ref, _, err := image.Decode(g)
			g.Close()
			testenv.Must(t, err)
			if d := diff(m, ref); d > 2 {
				t.Errorf("%s frame %d differs from the reference by %.2f levels", c.rel, n, d)
			}
		}
		f.Close()
	}
}

func itoa(n int) string {
	if n < 10 {
		return string(rune('0' + n))
	}
	return itoa(n/10) + string(rune('0'+n%10))
}

// diff is the mean absolute difference of premultiplied RGBA values, in 8-bit levels.
func diff(a, b image.Image) float64 {
	r := a.Bounds()
	var sum float64
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			c1 := [4]uint32{}
			c2 := [4]uint32{}
			c1[0], c1[1], c1[2], c1[3] = a.At(x, y).RGBA()
			c2[0], c2[1], c2[2], c2[3] = b.At(x, y).RGBA()
			for i := range 4 {
				sum += math.Abs(float64(c1[i])-float64(c2[i])) / 257
			}
		}
	}
	return sum / float64(4*r.Dx()*r.Dy())
}
