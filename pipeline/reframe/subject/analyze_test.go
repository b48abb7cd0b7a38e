package subject

import (
	"context"
	"image"
	"reflect"
	"sync"
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

// searchLog wraps the real face pool and notes each search's zoom and the share of the frame it
// covered.
type searchLog struct {
	FaceFinder
	frame image.Rectangle
	mu    sync.Mutex
	whole map[face.Zoom]int
	part  map[face.Zoom]int
	area  float64 // the parts' area, in frames
}

func (l *searchLog) Detect(ctx context.Context, g *image.Gray, z face.Zoom) ([]face.Box, error) {
	l.mu.Lock()
	if g.Rect == l.frame {
		l.whole[z]++
	} else {
		l.part[z]++
		l.area += float64(g.Rect.Dx()*g.Rect.Dy()) / float64(l.frame.Dx()*l.frame.Dy())
	}
	l.mu.Unlock()
	return l.FaceFinder.Detect(ctx, g, z)
}

// Only the first frame of each second is searched whole: the others around the face they follow, a
// small part of the picture. The track is the same with one search at a time as with two, so it does
// not depend on how the searches were scheduled.
func TestAnalysisFollowsTheFace(t *testing.T) {
	in := Input{FFmpeg: "ffmpeg", Path: testenv.Corpus(t, "video/person_asl_gesture_640x480.mkv"), Display: geom.Size{W: 640, H: 480}, Duration: 1.633}
	var tracks []*reframe.Track
	for _, n := range []int{1, 2} {
		pool := face.NewPool(n)
		t.Cleanup(pool.Close)
		l := &searchLog{FaceFinder: pool, frame: image.Rect(0, 0, 640, 480), whole: map[face.Zoom]int{}, part: map[face.Zoom]int{}}
		in.WorkDir = t.TempDir()
		tr, err := NewAnalyzer(reframe.DefaultConfig(), l).Analyze(context.Background(), in)
		if err != nil {
			t.Fatal(err)
		}
		tracks = append(tracks, tr)
		parts := l.part[face.Plain] + l.part[face.Double] + l.part[face.Half]
		t.Logf("%d searchers: %d samples, faces in %.0f%%; whole searches %v, around the face %v covering %.0f%% of a frame each",
			n, len(tr.Samples), 100*tr.FaceShare(), l.whole, l.part, 100*l.area/float64(max(1, parts)))
		if tr.FaceShare() < 0.9 {
			t.Errorf("faces in %.0f%% of the samples, want ≥ 90%%", 100*tr.FaceShare())
		}
		if runs := (len(tr.Samples) + runLength(tr.Rate) - 1) / runLength(tr.Rate); l.whole[face.Plain] > runs+2 {
			t.Errorf("%d whole searches for %d runs of a second", l.whole[face.Plain], runs)
		}
		if parts < len(tr.Samples)/2 || l.area/float64(parts) > 0.5 {
			t.Errorf("%d searches around the face, covering %.0f%% of a frame each", parts, 100*l.area/float64(max(1, parts)))
		}
	}
	a, b := tracks[0], tracks[1]
	if len(a.Samples) != len(b.Samples) {
		t.Fatalf("%d samples with one searcher, %d with two", len(a.Samples), len(b.Samples))
	}
	for i := range a.Samples {
		if !reflect.DeepEqual(a.Samples[i], b.Samples[i]) {
			t.Errorf("sample %d: %+v with one searcher, %+v with two", i, a.Samples[i], b.Samples[i])
		}
	}
}
