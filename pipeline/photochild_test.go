package pipeline

import (
	"context"
	"errors"
	"image"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/quinte-media/quinte/internal/testenv"
	"github.com/quinte-media/quinte/message"
	"github.com/quinte-media/quinte/pipeline/geom"
	"github.com/quinte-media/quinte/pipeline/photo"
	"github.com/quinte-media/quinte/pipeline/reframe"
)

// writePhoto writes data as name in dir.
func writePhoto(t testing.TB, dir, name string, data []byte) string {
	t.Helper()
	path := filepath.Join(dir, name)
	testenv.Must(t, os.WriteFile(path, data, 0o644))
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
			_, err := p.Process(context.Background(), Input{ID: tc.mode, Path: writePhoto(t, dir, "crash.jpg", testenv.CrashPhoto(t, tc.mode)), Kind: message.KindImage, WorkDir: dir})
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
	_, err := p.Process(ctx, Input{ID: "c", Path: writePhoto(t, dir, "hang.jpg", testenv.CrashPhoto(t, "hang")), Kind: message.KindImage, WorkDir: dir})
	var ie *InputError
	if !errors.Is(err, context.DeadlineExceeded) || errors.As(err, &ie) {
		t.Fatalf("got %v, want the job's deadline and no InputError", err)
	}
}

// inProcessFramer frames as the photo step did before photos ran in a child: from the full picture,
// in this process.
type inProcessFramer struct{ subjectFramer }

func (f inProcessFramer) Frame(ctx context.Context, img image.Image, aspects []geom.Aspect) ([]geom.Framing, error) {
	b := img.Bounds()
	return f.frame(ctx, img, geom.Size{W: b.Dx(), H: b.Dy()}, aspects)
}

// BenchmarkPhotoChild is the cost of the child process per photo: the corpus 12 MP JPEG's whole output
// set made by the photo step (a child: start, request, analysis picture, result) against the same
// work done in this process (package photo called directly, framed by the same detector), alternated
// in the same run, in turns; the ratio is of the summed wall times.
func BenchmarkPhotoChild(b *testing.B) {
	p := photoPipeline()
	src := testenv.Corpus(b, "image/pixel8_ultrahdr_gainmap_gps.jpg")
	framer := inProcessFramer{subjectFramer{subjects: testParts().Subjects, log: p.log}}
	cfg := photo.Config{MaxPixels: p.cfg.MaxPhotoPixels, FFmpeg: p.cfg.FFmpeg, Aspects: reframe.SocialAspects(), Framer: framer}
	ctx := context.Background()
	var child, inProc time.Duration
	runInProcess := func() {
		start := time.Now()
		if _, _, err := photo.Process(ctx, cfg, src, b.TempDir()); err != nil {
			b.Fatal(err)
		}
		inProc += time.Since(start)
	}
	runChild := func() {
		start := time.Now()
		if _, err := p.Process(ctx, Input{ID: "bench", Path: src, Kind: message.KindImage, WorkDir: b.TempDir()}); err != nil {
			b.Fatal(err)
		}
		child += time.Since(start)
	}
	for i := 0; b.Loop(); i++ {
		// Alternate which goes first, so neither always finds the file and the detector warm.
		if i%2 == 0 {
			runInProcess()
			runChild()
		} else {
			runChild()
			runInProcess()
		}
	}
	n := float64(b.N)
	b.ReportMetric(child.Seconds()/n, "child-s/photo")
	b.ReportMetric(inProc.Seconds()/n, "inprocess-s/photo")
	b.ReportMetric(child.Seconds()/inProc.Seconds(), "child/inprocess")
}

// A photo whose colour profile made the colour code panic, with no test hook: its job ends with a
// reason (photo_crashed while the hand-written code is there; whatever lcms2 makes of the profile
// after it, a refusal or a photo), never with the worker, and the next photo is made.
func TestPhotoMalformedProfileEndsItsJobAlone(t *testing.T) {
	p := photoPipeline()
	dir := t.TempDir()
	res, err := p.Process(context.Background(), Input{ID: "icc", Path: writePhoto(t, dir, "bad_profile.jpg", testenv.BadProfileJPEG(t)), Kind: message.KindImage, WorkDir: dir})
	var ie *InputError
	switch {
	case err == nil:
		t.Logf("ready with %d files: the colour code no longer panics on this profile", len(res.Files))
	case errors.As(err, &ie) && ie.Message != "":
		t.Logf("%s: %s", ie.Code, ie.Message)
	default:
		t.Fatalf("got %v, want the photo made or an InputError with a reason", err)
	}
	if _, err := p.Process(context.Background(), Input{ID: "next", Path: testenv.Corpus(t, "image/progressive_faces_840x700.jpg"), Kind: message.KindImage, WorkDir: t.TempDir()}); err != nil {
		t.Fatalf("the next photo: %v", err)
	}
}

// panickySubjects panics where the worker's own code runs (the subject analysis of a photo): a fake
// for the one function that the recover of Pipeline.Process guards.
type panickySubjects struct{ Subjects }

func (panickySubjects) PhotoTrack(context.Context, image.Image) (*reframe.Track, error) {
	var boxes []int
	_ = boxes[3] // as an out-of-range index in the analysis would
	return nil, nil
}

// A panic in a step, in the worker's own process, ends that job with internal_error and a reason,
// not the process; the stack goes to the log.
func TestStepPanicIsTheJobsError(t *testing.T) {
	p := New(Config{FFmpeg: "ffmpeg", FFprobe: "ffprobe", MaxPhotoPixels: 50_000_000}, Parts{Subjects: panickySubjects{}}, nil)
	_, err := p.Process(context.Background(), Input{ID: "p", Path: testenv.Corpus(t, "image/progressive_faces_840x700.jpg"), Kind: message.KindImage, WorkDir: t.TempDir()})
	var ie *InputError
	if !errors.As(err, &ie) || ie.Code != CodeInternal || !strings.Contains(err.Error(), "index out of range") {
		t.Fatalf("got %v, want an InputError %s carrying the panic", err, CodeInternal)
	}
}
