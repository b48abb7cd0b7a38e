package reframe_test

import (
	"math"
	"strings"
	"testing"

	"github.com/quinte-media/quinte/pipeline/geom"
	"github.com/quinte-media/quinte/pipeline/reframe/reframetest"
)

// The evaluation with ground truth (see reframetest): every fill keeps the face wholly inside in at
// least 95 % of the frames, the camera moves smoothly, cuts are found where they are. Contact sheets go
// to testdata-out/crops (or $QUINTE_ARTIFACTS/crops).
func TestCropsKeepTheFace(t *testing.T) {
	det, an, cfg := reframetest.Setup(t)
	dir := t.TempDir()
	art := reframetest.ArtifactDir(t, "crops")
	var report strings.Builder
	for _, c := range reframetest.Suite(t, dir, det) {
		r := reframetest.Run(t, an, c, cfg, dir)
		reframetest.Report(&report, c, r.Track, r.Scores, r.Saliency)
		for _, p := range r.Plans {
			report.WriteString("    " + p.Name + " " + string(p.Mode) + ": " + p.Why + "\n")
		}
		sheet := reframetest.ContactSheet(t, c, r.Plans, reframetest.SheetPath(art, c.Name))
		t.Logf("contact sheet: %s", sheet)

		if c.Frames() < len(c.Truth)*8/10 {
			t.Errorf("%s: the truth knows the face in only %d of %d frames", c.Name, c.Frames(), len(c.Truth))
		}
		for _, s := range r.Scores {
			if s.Mode == geom.Fill && s.Inside < 0.95 {
				t.Errorf("%s %s: face wholly inside the crop in %.1f%% of frames, want ≥ 95%%", c.Name, s.Aspect, 100*s.Inside)
			}
			// The camera's speed limit, with a little room for the rounding to even pixels.
			if s.Mode == geom.Fill && s.MaxMovePct > cfg.MaxSpeed/c.FPS+0.01 {
				t.Errorf("%s %s: the crop jumped %.1f%% of its width in one frame", c.Name, s.Aspect, 100*s.MaxMovePct)
			}
		}
		for _, want := range c.Cuts {
			if !near(r.Track.Cuts, want, 0.1) {
				t.Errorf("%s: the cut at %.2f s was not found (found %v)", c.Name, want, r.Track.Cuts)
			}
		}
		if len(c.Cuts) == 0 && len(r.Track.Cuts) > 0 {
			t.Errorf("%s: cuts found in one continuous shot: %v", c.Name, r.Track.Cuts)
		}
	}
	t.Log(report.String())
}

func near(v []float64, x, tol float64) bool {
	for _, y := range v {
		if math.Abs(x-y) <= tol {
			return true
		}
	}
	return false
}
