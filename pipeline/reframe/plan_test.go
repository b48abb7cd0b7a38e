package reframe

import (
	"encoding/json"
	"flag"
	"path/filepath"
	"testing"

	"github.com/quinte-media/quinte/internal/testenv"
	"github.com/quinte-media/quinte/pipeline/geom"
)

var update = flag.Bool("update", false, "rewrite the golden files")

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	testenv.Golden(t, filepath.Join("testdata", "golden"), name, got, *update)
}

// movingFace is a synthetic track: a face (10 % of the width) crossing a 16:9 picture left to right
// in 4 s at mid-height, with a cut at 2 s after which it starts again from the left.
func movingFace() *Track {
	tr := &Track{Size: geom.Size{W: 640, H: 360}, Rate: 4, Duration: 4, Cuts: []float64{2}}
	var obs []Observation
	for i := 0; i < 16; i++ {
		t := float64(i) / 4
		x := 0.1 + 0.35*t
		if t >= 2 {
			x = 0.1 + 0.35*(t-2)
		}
		obs = append(obs, Observation{T: t, Faces: []Box{{x, 0.35, x + 0.1, 0.35 + 0.178}}})
	}
	return NewTrack(tr.Size, tr.Rate, tr.Duration, tr.Cuts, obs, DefaultConfig())
}

// The plan of every aspect is pinned (package ffcmd pins the filters built from it, with the sendcmd
// camera paths).
func TestGoldenCropPlans(t *testing.T) {
	plans := PlanCrops(movingFace(), Frame{Work: geom.Size{W: 1280, H: 720}, Source: geom.Size{W: 1920, H: 1080}}, SocialAspects(), DefaultConfig())
	b, err := json.MarshalIndent(plans, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "moving_face.plans.json", append(b, '\n'))
}

func TestPlanRules(t *testing.T) {
	cfg := DefaultConfig()
	face := func(b Box) *Track {
		return NewTrack(geom.Size{W: 100, H: 100}, 4, 1, nil, []Observation{{T: 0, Faces: []Box{b}}, {T: 0.5, Faces: []Box{b}}}, cfg)
	}
	none := NewTrack(geom.Size{W: 100, H: 100}, 4, 1, nil, []Observation{{T: 0}, {T: 0.5}}, cfg)
	byName := func(ps []CropPlan) map[string]CropPlan {
		m := map[string]CropPlan{}
		for _, p := range ps {
			m[p.Aspect.Name] = p
		}
		return m
	}
	selfie := geom.Size{W: 1080, H: 1920}
	land := geom.Size{W: 1920, H: 1080}
	cases := []struct {
		name   string
		track  *Track
		frame  Frame
		aspect string
		mode   geom.Mode
		out    geom.Size
	}{
		// A portrait selfie's big face cannot be a 16:9 fill: fit, at full size.
		{"selfie 16:9", face(Box{0.2, 0.3, 0.8, 0.6}), Frame{Work: selfie, Source: selfie}, "16x9", geom.Fit, geom.Size{W: 1920, H: 1080}},
		{"selfie 9:16 is the picture", face(Box{0.2, 0.3, 0.8, 0.6}), Frame{Work: selfie, Source: selfie}, "9x16", geom.Fill, geom.Size{W: 1080, H: 1920}},
		{"landscape 9:16 follows a face", face(Box{0.6, 0.3, 0.66, 0.42}), Frame{Work: land, Source: land}, "9x16", geom.Fill, geom.Size{W: 608, H: 1080}},
		// A face in the top 14 % of a landscape picture cannot be kept out of 9:16's button zone.
		{"face under the buttons", face(Box{0.6, 0.02, 0.66, 0.12}), Frame{Work: land, Source: land}, "9x16", geom.Fit, geom.Size{W: 1080, H: 1920}},
		{"no face, crop keeps 32 %", none, Frame{Work: land, Source: land}, "9x16", geom.Fit, geom.Size{W: 1080, H: 1920}},
		{"no face, crop keeps 56 %", none, Frame{Work: land, Source: land}, "1x1", geom.Fill, geom.Size{W: 1080, H: 1080}},
		// Never upscaled past the source: a 640x360 source (worked at 1280x720) gives a 202x360 9:16
		// fill, and a 9:16 fit keeps the source's 640 px across.
		{"small source fill", face(Box{0.6, 0.3, 0.66, 0.42}), Frame{Work: geom.Size{W: 1280, H: 720}, Source: geom.Size{W: 640, H: 360}}, "9x16", geom.Fill, geom.Size{W: 202, H: 360}},
		{"small source fit", none, Frame{Work: geom.Size{W: 640, H: 360}, Source: geom.Size{W: 640, H: 360}}, "9x16", geom.Fit, geom.Size{W: 640, H: 1138}},
	}
	for _, c := range cases {
		p := byName(PlanCrops(c.track, c.frame, SocialAspects(), cfg))[c.aspect]
		if p.Mode != c.mode || p.Out != c.out {
			t.Errorf("%s: %s %v (%s), want %s %v", c.name, p.Mode, p.Out, p.Why, c.mode, c.out)
		}
		if p.Why == "" {
			t.Errorf("%s: no reason given", c.name)
		}
		if p.Mode == geom.Fit && (p.Inner.W > p.Out.W || p.Inner.H > p.Out.H || p.Inner.W > c.frame.Source.W) {
			t.Errorf("%s: fit picture %v in %v from %v", c.name, p.Inner, p.Out, c.frame.Source)
		}
	}
}

// The camera keeps a moving face inside, holds still inside the dead zone, and jumps only at the cut.
func TestPathFollowsAndCutsOnlyAtShots(t *testing.T) {
	tr := movingFace()
	work := geom.Size{W: 1280, H: 720}
	p := byAspect(PlanCrops(tr, Frame{Work: work, Source: work}, SocialAspects(), DefaultConfig()), "9x16")
	if p.Mode != geom.Fill {
		t.Fatalf("9:16 of a small moving face: %s (%s)", p.Mode, p.Why)
	}
	prevX := -1.0
	for i := 0; i <= 400; i++ {
		ts := float64(i) / 100
		x, _ := p.Path.At(ts)
		if prevX >= 0 && !(ts >= 2 && ts-0.01 < 2) {
			if d := x - prevX; d > DefaultConfig().MaxSpeed*float64(p.Crop.W)/100+0.5 || d < -0.5 {
				t.Fatalf("at %.2fs the crop moved %.1f px in 10 ms", ts, d)
			}
		}
		prevX = x
		s, _ := tr.SubjectAt(ts)
		f := s.Scale(work)
		if ts > 0.3 && ts < 1.7 && (f.X0 < x || f.X1 > x+float64(p.Crop.W)) {
			t.Errorf("at %.2fs the face %.0f..%.0f is outside the crop %.0f..%.0f", ts, f.X0, f.X1, x, x+float64(p.Crop.W))
		}
	}
	before, _ := p.Path.At(1.99)
	after, _ := p.Path.At(2.0)
	if after >= before {
		t.Errorf("the crop did not jump back left at the cut: %.0f → %.0f", before, after)
	}
}

func byAspect(ps []CropPlan, name string) CropPlan {
	for _, p := range ps {
		if p.Aspect.Name == name {
			return p
		}
	}
	return CropPlan{}
}

// A still taken from the video is framed with the video's subject at that instant.
func TestStillFromTheTrack(t *testing.T) {
	tr := movingFace()
	st := tr.Still(1.0)
	if len(st.Samples) != 1 || st.Samples[0].Source != SourceFace {
		t.Fatalf("still: %+v", st)
	}
	want, _ := tr.SubjectAt(1.0)
	if st.Samples[0].Subject != want {
		t.Errorf("still subject %v, track subject %v", st.Samples[0].Subject, want)
	}
	size := geom.Size{W: 1920, H: 1080}
	p := PhotoCrops(st, size, SocialAspects(), DefaultConfig())[0]
	f := want.Scale(size)
	if p.Mode != geom.Fill || float64(p.Rect.X) > f.X0 || float64(p.Rect.X+p.Rect.W) < f.X1 {
		t.Errorf("poster 9:16 %v (%s) does not hold the face %.0f..%.0f", p.Rect, p.Mode, f.X0, f.X1)
	}
	if (&Track{}).Still(3).Samples != nil {
		t.Error("an empty track has a still")
	}
}
