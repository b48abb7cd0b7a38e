package anim

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	_ "image/png"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/quinte-media/quinte/internal/craft"
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

// The readers check what the file claims before allocating it, whatever a guard before them did: a
// screen, canvas or frame over their pixel limit, a frame outside its canvas, a second VP8X.
func TestReadersRefuseBeforeAllocating(t *testing.T) {
	small := craft.ANMF(0, 0, 16, 16, craft.VP8L(16, 16))
	for _, c := range []struct {
		name string
		open func(r io.Reader, max int64) (Reader, error)
		file []byte
		want error
		says string
	}{
		{"GIF screen", NewGIF, craft.GIF(65535, 65535, craft.GIFFrame{W: 16, H: 16}), ErrTooLarge, "screen of 65535x65535"},
		{"GIF frame", NewGIF, craft.GIF(16, 16, craft.GIFFrame{W: 65535, H: 65535}), ErrTooLarge, "frame 1 of 65535x65535"},
		{"WebP canvas", NewWebP, craft.WebP(craft.VP8X(1<<24, 1<<24, true), craft.ANIM(), small), ErrTooLarge, "canvas of 16777216x16777216"},
		{"WebP still", NewWebP, craft.WebP(craft.VP8L(16384, 16384)), ErrTooLarge, "picture of 16384x16384"},
		{"WebP two VP8X", NewWebP, craft.WebP(craft.VP8X(16, 16, true), craft.VP8X(1<<24, 1<<24, true), craft.ANIM(), small), ErrFormat, "two VP8X chunks that disagree"},
		{"WebP frame outside", NewWebP, craft.WebP(craft.VP8X(16, 16, true), craft.ANIM(), craft.ANMF(0, 0, 4096, 4096, craft.VP8L(4096, 4096))), ErrFormat, "lies outside the 16x16 canvas"},
		{"WebP lying length", NewWebP, craft.WebP(craft.VP8X(16, 16, true), craft.ChunkClaiming("ANMF", 1<<31, []byte("x"))), io.ErrUnexpectedEOF, "claims 2147483648 bytes"},
	} {
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		r, err := c.open(bytes.NewReader(c.file), 1<<20)
		if err == nil {
			_, _, err = r.Next()
		}
		runtime.ReadMemStats(&after)
		if !errors.Is(err, c.want) || !strings.Contains(fmt.Sprint(err), c.says) {
			t.Errorf("%s: %v, want %v saying %q", c.name, err, c.want, c.says)
		}
		if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 1<<20 {
			t.Errorf("%s: allocated %d bytes", c.name, alloc)
		}
	}
}
