package photo

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/quinte-media/quinte/internal/testenv"
)

// The image bombs and broken images of the corpus, and the code each must be refused with.
var malformedPhotos = []struct {
	rel, code, says string
}{
	{"malformed/lottapixel_64250x64250.jpg", CodeTooLarge, "64250x64250"},
	{"malformed/png_65536x65536_pixel_flood.png", CodeTooLarge, "65536x65536"},
	{"malformed/giant_20000x14000_gray.jpg", CodeTooLarge, "20000x14000"},
	{"malformed/truncated_first_10000_bytes.jpg", CodeTruncated, "cut short"},
	{"malformed/uber_40000_frames_1x1.gif", CodeTooManyFrames, "40000 frames"},
}

// Each is refused with its own code and a message naming the problem, having allocated next to
// nothing: the limits are checked on what the headers claim.
func TestMalformedPhotosRefused(t *testing.T) {
	for _, c := range malformedPhotos {
		t.Run(filepath.Base(c.rel), func(t *testing.T) {
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			_, _, err := Process(context.Background(), Config{}, testenv.Corpus(t, c.rel), t.TempDir())
			runtime.ReadMemStats(&after)
			var pe *Error
			if !errors.As(err, &pe) || pe.Code != c.code || !strings.Contains(pe.Message, c.says) {
				t.Fatalf("got %v (%T), want code %s saying %q", err, err, c.code, c.says)
			}
			alloc := after.TotalAlloc - before.TotalAlloc
			t.Logf("%s: %s; allocated %.1f MB", pe.Code, pe.Message, float64(alloc)/(1<<20))
			if alloc > 32<<20 {
				t.Errorf("allocated %.0f MB to refuse it", float64(alloc)/(1<<20))
			}
		})
	}
}

// The same, measured as the peak RSS of a process of its own, which counts everything (the Go heap,
// stacks, and memory a decoder would have touched). A control run with the pixel limit raised
// decodes the valid 280 MP JPEG (and stops there), to show the measurement sees a real decode.
func TestMalformedPhotosPeakRSS(t *testing.T) {
	var limits []string
	for _, c := range malformedPhotos {
		rss, code := childProcess(t, c.rel, 0)
		limits = append(limits, fmt.Sprintf("%s %s %.0f MB", filepath.Base(c.rel), code, rss))
		if code != c.code {
			t.Errorf("%s: child says %q, want %s", c.rel, code, c.code)
		}
		if rss > 64 {
			t.Errorf("%s: peak RSS %.0f MB", c.rel, rss)
		}
	}
	control, _ := childProcess(t, "malformed/giant_20000x14000_gray.jpg", 300_000_000)
	t.Logf("peak RSS: %s; unguarded decode of the 280 MP JPEG: %.0f MB", strings.Join(limits, ", "), control)
	if control < 250 {
		t.Errorf("the unguarded decode peaked at %.0f MB: the measurement does not see decodes", control)
	}
}

func childProcess(t *testing.T, rel string, maxPixels int64) (rssMB float64, code string) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestGuardChild$", "-test.count=1")
	cmd.Env = append(os.Environ(), "QUINTE_GUARD_CHILD="+testenv.Corpus(t, rel), fmt.Sprintf("QUINTE_GUARD_MAXPIXELS=%d", maxPixels), "QUINTE_GUARD_DIR="+t.TempDir())
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("child on %s: %v\n%s", rel, err, out)
	}
	for _, line := range strings.Split(string(out), "\n") {
		if s, ok := strings.CutPrefix(line, "child: "); ok {
			var r struct {
				Code   string
				PeakMB float64
			}
			testenv.Must(t, json.Unmarshal([]byte(s), &r))
			code, rssMB = r.Code, r.PeakMB
		}
	}
	if rssMB == 0 {
		t.Fatalf("child on %s said no peak memory:\n%s", rel, out)
	}
	return rssMB, code
}

// TestGuardChild is the child of TestMalformedPhotosPeakRSS: it processes one file and says how it
// ended.
func TestGuardChild(t *testing.T) {
	path := os.Getenv("QUINTE_GUARD_CHILD")
	if path == "" {
		t.Skip("runs only as the child of TestMalformedPhotosPeakRSS")
	}
	var maxPixels int64
	fmt.Sscan(os.Getenv("QUINTE_GUARD_MAXPIXELS"), &maxPixels)
	ctx := context.Background()
	if maxPixels > 0 {
		// The control: decode, then stop (Process checks the context once the picture is decoded).
		c, cancel := context.WithCancel(ctx)
		cancel()
		ctx = c
	}
	_, _, err := Process(ctx, Config{MaxPixels: maxPixels}, path, os.Getenv("QUINTE_GUARD_DIR"))
	var pe *Error
	code := "ok"
	if errors.As(err, &pe) {
		code = pe.Code
	} else if err != nil {
		code = err.Error()
	}
	// The child's own high-water mark: wait4's ru_maxrss would also carry the RSS of the test process
	// that forked it, which Linux counts in at exec.
	b, _ := json.Marshal(map[string]any{"Code": code, "PeakMB": float64(testenv.ReadMemory(os.Getpid()).Peak) / (1 << 20)})
	fmt.Printf("child: %s\n", b)
}
