package reframetest

import (
	"context"
	"image"
	"testing"

	"github.com/quinte-media/quinte/pipeline/face"
	"github.com/quinte-media/quinte/pipeline/geom"
	"github.com/quinte-media/quinte/pipeline/reframe"
	"github.com/quinte-media/quinte/pipeline/reframe/subject"
)

// Suite is every clip of the evaluation: three generated with a known trajectory and the two corpus
// clips with a person (the Pixel selfie is rotated +90: it is read display-oriented, 1080x1440).
func Suite(tb testing.TB, dir string, det *face.Detector) []Clip {
	return []Clip{
		GeneratePan(tb, dir, det),
		GenerateCut(tb, dir, det),
		GeneratePiP(tb, dir, det),
		CorpusClip(tb, "video/person_asl_gesture_640x480.mkv", 0, geom.Size{W: 640, H: 480}, 30, det),
		CorpusClip(tb, "video/pixel_motion_two_hevc_streams_rot90.mp4", 0, geom.Size{W: 1080, H: 1440}, 30, det),
	}
}

// Setup gives a test a detector for the truth and an analyzer (with its own two-detector pool) for
// the plans, closed when the test ends.
func Setup(tb testing.TB) (*face.Detector, *subject.Analyzer, reframe.Config) {
	tb.Helper()
	det, err := face.NewDetector()
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(det.Close)
	pool := face.NewPool(2)
	tb.Cleanup(pool.Close)
	cfg := reframe.DefaultConfig()
	return det, subject.NewAnalyzer(cfg, pool), cfg
}

// Result is one clip's evaluation.
type Result struct {
	Clip     Clip
	Track    *reframe.Track
	Plans    []reframe.CropPlan
	Scores   []Score
	Saliency []Score // the same clip planned with the face detector switched off: the fallback alone
}

// Input is what the service would give the analyzer for c: its stream, at display size.
func (c Clip) Input(workDir string) subject.Input {
	return subject.Input{FFmpeg: "ffmpeg", Path: c.Path, VideoStream: c.VideoStream, Display: c.Size, Duration: c.Duration, WorkDir: workDir}
}

// SaliencyTrack analyses c with a face finder that never finds a face: the saliency fallback on its own.
func SaliencyTrack(tb testing.TB, cfg reframe.Config, c Clip, workDir string) *reframe.Track {
	tb.Helper()
	tr, err := subject.NewAnalyzer(cfg, blind{}).Analyze(context.Background(), c.Input(workDir))
	if err != nil {
		tb.Fatalf("%s (saliency only): %v", c.Name, err)
	}
	return tr
}

// blind is a face finder that never finds a face, to measure the saliency fallback on its own.
type blind struct{}

func (blind) Detect(context.Context, *image.Gray, face.Zoom) ([]face.Box, error) { return nil, nil }
func (blind) Size() int                                                          { return 2 }

// Run analyses a clip as the service would (working picture = display size), plans every social
// aspect and scores the plans against the clip's truth.
func Run(tb testing.TB, an *subject.Analyzer, c Clip, cfg reframe.Config, workDir string) Result {
	tb.Helper()
	tr, err := an.Analyze(context.Background(), c.Input(workDir))
	if err != nil {
		tb.Fatalf("%s: %v", c.Name, err)
	}
	f := reframe.Frame{Work: c.Size, Source: c.Size}
	plans := reframe.PlanCrops(tr, f, reframe.SocialAspects(), cfg)
	r := Result{Clip: c, Track: tr, Plans: plans, Scores: Evaluate(c, plans, tr.Cuts)}
	str := SaliencyTrack(tb, cfg, c, workDir)
	r.Saliency = Evaluate(c, reframe.PlanCrops(str, f, reframe.SocialAspects(), cfg), str.Cuts)
	return r
}
