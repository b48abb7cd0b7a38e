package subject

import (
	"context"
	"testing"

	"github.com/quinte-media/quinte/internal/testenv"
	"github.com/quinte-media/quinte/pipeline/face"
	"github.com/quinte-media/quinte/pipeline/geom"
	"github.com/quinte-media/quinte/pipeline/reframe"
)

func newAnalyzer(t testing.TB) *Analyzer {
	t.Helper()
	pool := face.NewPool(2)
	t.Cleanup(pool.Close)
	return NewAnalyzer(reframe.DefaultConfig(), pool)
}

func TestAnalyzeCorpusPeople(t *testing.T) {
	a := newAnalyzer(t)
	cases := []struct {
		file     string
		stream   int
		display  geom.Size
		duration float64
	}{
		{"video/person_asl_gesture_640x480.mkv", 0, geom.Size{W: 640, H: 480}, 1.633},
		{"video/pixel_motion_two_hevc_streams_rot90.mp4", 0, geom.Size{W: 1080, H: 1440}, 1.77},
	}
	for _, c := range cases {
		tr, err := a.Analyze(context.Background(), Input{FFmpeg: "ffmpeg", Path: testenv.Corpus(t, c.file), VideoStream: c.stream,
			Display: c.display, Duration: c.duration, WorkDir: t.TempDir()})
		if err != nil {
			t.Fatalf("%s: %v", c.file, err)
		}
		t.Logf("%s: size %v rate %g samples %d cuts %v faces %.0f%% upsampled %d", c.file, tr.Size, tr.Rate, len(tr.Samples), tr.Cuts, 100*tr.FaceShare(), tr.Upsampled)
		for _, s := range tr.Samples {
			t.Logf("  t=%.2f %s %v faces=%d", s.T, s.Source, s.Subject, len(s.Faces))
		}
	}
}

// Broken input ends with an error that carries ffmpeg's own words, not a hang or a crash.
func TestAnalyzeBrokenInput(t *testing.T) {
	a := newAnalyzer(t)
	for _, f := range []string{"malformed/truncated_mov_first_1024_bytes.mov", "malformed/corrupt_ebml_header.mkv"} {
		_, err := a.Analyze(context.Background(), Input{FFmpeg: "ffmpeg", Path: testenv.Corpus(t, f), Display: geom.Size{W: 640, H: 480}, Duration: 2, WorkDir: t.TempDir()})
		if err == nil {
			t.Errorf("%s: analysed without error", f)
			continue
		}
		t.Logf("%s: %v", f, err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := a.Analyze(ctx, Input{FFmpeg: "ffmpeg", Path: testenv.Corpus(t, "video/person_asl_gesture_640x480.mkv"), Display: geom.Size{W: 640, H: 480}, Duration: 1.6, WorkDir: t.TempDir()}); err == nil {
		t.Error("a cancelled analysis succeeded")
	}
}
