package reframe_test

import (
	"image"
	"path/filepath"
	"strings"
	"testing"

	"github.com/disintegration/imaging"

	"github.com/quinte-media/quinte/internal/testenv"
	"github.com/quinte-media/quinte/pipeline/face"
	"github.com/quinte-media/quinte/pipeline/geom"
	"github.com/quinte-media/quinte/pipeline/reframe"
	"github.com/quinte-media/quinte/pipeline/reframe/reframetest"
	"github.com/quinte-media/quinte/pipeline/reframe/subject"
)

// Photos use the same detector and rules: on the corpus photo with two people, every fill keeps the
// frontal face. The man's profile is not detected, but a photo's crop stays as near the centre as the
// rules allow, so it keeps him wherever a centre crop would.
func TestPhotoCropsKeepTheFace(t *testing.T) {
	pool := face.NewPool(1)
	defer pool.Close()
	cfg := reframe.DefaultConfig()
	an := subject.NewAnalyzer(cfg, pool)
	r := reframetest.RunPhoto(t, an, reframetest.FacesPhoto(), cfg)
	var rep strings.Builder
	reframetest.ReportPhoto(&rep, r)
	t.Log(rep.String())
	t.Logf("contact sheet: %s", reframetest.PhotoSheet(t, r, filepath.Join(reframetest.ArtifactDir(t, "crops"), "photo_progressive_faces.png")))
	for _, p := range r.Plans {
		if p.Mode != geom.Fill {
			continue
		}
		if !r.Inside["woman (frontal)"][p.Aspect.Name][0] {
			t.Errorf("%s cuts the frontal face: %v", p.Aspect.Name, p.Rect)
		}
		if in := r.Inside["man (profile)"][p.Aspect.Name]; in[1] && !in[0] {
			t.Errorf("%s cuts the undetected profile that a centre crop keeps: %v", p.Aspect.Name, p.Rect)
		}
	}
}

// Every corpus photo gets four valid plans: fill rectangles inside the photo with the aspect's shape,
// outputs never larger than the pixels they come from.
func TestPhotoCropsOnCorpus(t *testing.T) {
	pool := face.NewPool(1)
	defer pool.Close()
	cfg := reframe.DefaultConfig()
	an := subject.NewAnalyzer(cfg, pool)
	for _, f := range []string{
		"image/progressive_faces_840x700.jpg",
		"image/exif-orientation/Landscape_6.jpg",
		"image/cmyk_adobe_swop_profile.jpg",
		"image/pixel8_ultrahdr_gainmap_gps.jpg",
		"image/rgba_transparent_black_strokes.png",
	} {
		img, err := imaging.Open(testenv.Corpus(t, f), imaging.AutoOrientation(true))
		if err != nil {
			t.Fatal(err)
		}
		tr, err := an.PhotoTrack(t.Context(), img)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		b := img.Bounds()
		plans := reframe.PhotoCrops(tr, sizeOf(b), reframe.SocialAspects(), cfg)
		if len(plans) != 4 {
			t.Fatalf("%s: %d plans", f, len(plans))
		}
		for _, p := range plans {
			t.Logf("%s %s: %s %v → %v (%s; subject %s)", filepath.Base(f), p.Aspect.Name, p.Mode, p.Rect, p.Out, p.Why, tr.Samples[0].Source)
			switch p.Mode {
			case geom.Fill:
				if !p.Rect.Image().In(image.Rect(0, 0, b.Dx(), b.Dy())) || p.Rect.Image().Empty() {
					t.Errorf("%s %s: rectangle %v outside the %dx%d photo", f, p.Aspect.Name, p.Rect, b.Dx(), b.Dy())
				}
				if r, want := float64(p.Rect.W)/float64(p.Rect.H), p.Aspect.Ratio(); r < want*0.98 || r > want*1.02 {
					t.Errorf("%s %s: rectangle %v is not %d:%d", f, p.Aspect.Name, p.Rect, p.Aspect.W, p.Aspect.H)
				}
				if p.Out.W > p.Rect.W || p.Out.W > p.Aspect.Out.W {
					t.Errorf("%s %s: output %v upscales the %v rectangle", f, p.Aspect.Name, p.Out, p.Rect)
				}
			case geom.Fit:
				if p.Inner.W > b.Dx() || p.Inner.H > b.Dy() || p.Inner.W > p.Out.W || p.Inner.H > p.Out.H {
					t.Errorf("%s %s: fit %v in %v from a %dx%d photo", f, p.Aspect.Name, p.Inner, p.Out, b.Dx(), b.Dy())
				}
			default:
				t.Errorf("%s %s: mode %q", f, p.Aspect.Name, p.Mode)
			}
		}
	}
}

func sizeOf(b image.Rectangle) geom.Size { return geom.Size{W: b.Dx(), H: b.Dy()} }
