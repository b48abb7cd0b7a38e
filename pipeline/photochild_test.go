package pipeline

import (
	"bytes"
	"context"
	"errors"
	"image"
	"image/color"
	"image/jpeg"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/quinte-media/quinte/internal/testenv"
	"github.com/quinte-media/quinte/message"
)

// markedJPEG writes a valid 256x192 JPEG whose comment segment carries the test hook's marker for
// mode (TestCrashEnv): without the variable it is an ordinary photo.
func markedJPEG(t testing.TB, dir, mode string) string {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 256, 192))
	for y := range 192 {
		for x := range 256 {
			img.Set(x, y, color.RGBA{uint8(x), uint8(y), 128, 255})
		}
	}
	var b bytes.Buffer
	testenv.Must(t, jpeg.Encode(&b, img, nil))
	com := []byte(testCrashMarker + mode)
	seg := append([]byte{0xFF, 0xFE, byte((len(com) + 2) >> 8), byte(len(com) + 2)}, com...)
	out := append(append(append([]byte{}, b.Bytes()[:2]...), seg...), b.Bytes()[2:]...)
	path := filepath.Join(dir, mode+".jpg")
	testenv.Must(t, os.WriteFile(path, out, 0o644))
	return path
}

// A photo child that panics on a goroutine of its own, allocates without bound or hangs ignoring
// SIGINT ends its job alone: failed with a reason, the allocation stopped by the memory limit, the
// hang by the stall watchdog; the pipeline (this process) goes on and the next photo is made.
func TestPhotoChildCrashFailsItsJobAlone(t *testing.T) {
	t.Setenv(TestCrashEnv, "1")
	limit := int64(minPhotoMemoryLimit + 256<<20)
	p := New(Config{FFmpeg: "ffmpeg", FFprobe: "ffprobe", MaxPhotoPixels: 50_000_000, StallTimeout: 15 * time.Second,
		PhotoMemoryLimit: limit}, testParts(), nil)
	good := testenv.Corpus(t, "image/progressive_faces_840x700.jpg")
	for _, tc := range []struct {
		mode, code, reason string
	}{
		{"panic", CodePhotoCrashed, "its decoder crashed"},
		{"oom", CodePhotoCrashed, "its decoder ran out of memory"},
		{"hang", CodePhotoStalled, "stopped making progress"},
	} {
		t.Run(tc.mode, func(t *testing.T) {
			dir := t.TempDir()
			_, err := p.Process(context.Background(), Input{ID: tc.mode, Path: markedJPEG(t, dir, tc.mode), Kind: message.KindImage, WorkDir: dir})
			var ie *InputError
			if !errors.As(err, &ie) || ie.Code != tc.code || !strings.Contains(ie.Message, tc.reason) {
				t.Fatalf("got %v, want an InputError %s saying %q", err, tc.code, tc.reason)
			}
			var crash *PhotoCrash
			if !errors.As(err, &crash) {
				t.Fatalf("%v does not say how the child ended", err)
			}
			t.Logf("%s: %s (%v; peak RSS %d MiB)", ie.Code, ie.Message, crash, crash.PeakRSS>>20)
			if tc.mode == "oom" && (crash.PeakRSS <= 0 || crash.PeakRSS > limit) {
				t.Errorf("the allocation bomb reached %d MiB resident, over the %d MiB limit", crash.PeakRSS>>20, limit>>20)
			}
			res, err := p.Process(context.Background(), Input{ID: "next", Path: good, Kind: message.KindImage, WorkDir: t.TempDir()})
			if err != nil {
				t.Fatalf("the next photo: %v", err)
			}
			if len(res.Files) != 8 {
				t.Fatalf("the next photo made %d files, want 8", len(res.Files))
			}
		})
	}
}

// A job cancelled while its child runs (worker shutdown, message deleted) ends with the cancellation,
// not as the photo's fault: the message is not failed for it.
func TestPhotoChildCancelledIsNotTheInputsFault(t *testing.T) {
	t.Setenv(TestCrashEnv, "1")
	p := New(Config{FFmpeg: "ffmpeg", FFprobe: "ffprobe", MaxPhotoPixels: 50_000_000, StallTimeout: time.Minute}, testParts(), nil)
	dir := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	_, err := p.Process(ctx, Input{ID: "c", Path: markedJPEG(t, dir, "hang"), Kind: message.KindImage, WorkDir: dir})
	var ie *InputError
	if !errors.Is(err, context.DeadlineExceeded) || errors.As(err, &ie) {
		t.Fatalf("got %v, want the job's deadline and no InputError", err)
	}
}
