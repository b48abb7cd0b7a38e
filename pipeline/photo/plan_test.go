package photo

import (
	"testing"
	"time"

	"github.com/quinte-media/quinte/pipeline/geom"
	"github.com/quinte-media/quinte/pipeline/output"
	"github.com/quinte-media/quinte/pipeline/plan"
)

// Photos keep odd sizes (only video needs even ones), are never upscaled, and crops come from the
// web picture when it has enough pixels.
func TestPlanSizes(t *testing.T) {
	for _, c := range []struct {
		shown            Size
		web, thumb, crop Size
		cropFrom         string
	}{
		{sz(3681, 5594), sz(1348, 2048), sz(421, 640), sz(1080, 1080), "image/web"},
		{sz(500, 333), sz(500, 333), sz(500, 333), sz(333, 333), "image/web"}, // odd: the whole height
		{sz(4000, 3000), sz(2048, 1536), sz(640, 480), sz(1080, 1080), "image/web"},
		{sz(1800, 1200), sz(1800, 1200), sz(640, 427), sz(1080, 1080), "image/web"},
		{sz(16, 5000), sz(7, 2048), sz(2, 640), sz(16, 16), "source"},
	} {
		crops, _ := CentreFramer{}.Frame(t.Context(), blank(c.shown), DefaultAspects)
		p := plan.NewPhoto(plan.PhotoSource{Format: "jpeg", Stored: c.shown, Shown: c.shown, Frames: 1}, DefaultAspects, crops, time.Second)
		got := map[string]output.Planned{}
		for _, o := range p.Outputs {
			got[o.Name] = o
		}
		check := func(name string, want Size) {
			if o := got[name]; o.Width != want.W || o.Height != want.H {
				t.Errorf("%v: %s %dx%d, want %dx%d", c.shown, name, o.Width, o.Height, want.W, want.H)
			}
		}
		check("image/web", c.web)
		check("image/web/webp", c.web)
		check("image/thumb", c.thumb)
		check("image/thumb/webp", c.thumb)
		check("crop/1x1", c.crop)
		if f := got["crop/1x1"].From; f != c.cropFrom {
			t.Errorf("%v: crop/1x1 cut from %s, want %s", c.shown, f, c.cropFrom)
		}
		if _, ok := got["preview/mp4"]; ok {
			t.Errorf("%v: a still got a loop", c.shown)
		}
	}
}

// An animation gets an even-sized loop; a long one is cut at MaxLoop and says so.
func TestPlanLoop(t *testing.T) {
	s := sz(481, 271)
	crops, _ := CentreFramer{}.Frame(t.Context(), blank(s), DefaultAspects)
	p := plan.NewPhoto(plan.PhotoSource{Format: "gif", Stored: s, Shown: s, Frames: 300, Duration: 30 * time.Second}, DefaultAspects, crops, 15*time.Second)
	last := p.Outputs[len(p.Outputs)-1]
	if last.Name != "preview/mp4" || last.Width != 480 || last.Height != 270 || last.Format != "mp4" {
		t.Errorf("loop output %+v, want preview/mp4 480x270", last)
	}
	if why := p.Why[len(p.Why)-1]; why != "the loop stops after 15s" {
		t.Errorf("last reason %q", why)
	}
}

// Adding an aspect is one line of configuration.
func TestPlanAspects(t *testing.T) {
	aspects := []geom.Aspect{{Name: "1x1", W: 1, H: 1, Out: sz(1080, 1080)}, {Name: "9x16", W: 9, H: 16, Out: sz(1080, 1920)},
		{Name: "4x5", W: 4, H: 5, Out: sz(1080, 1350)}, {Name: "16x9", W: 16, H: 9, Out: sz(1920, 1080)}}
	s := sz(4000, 3000)
	crops, _ := CentreFramer{}.Frame(t.Context(), blank(s), aspects)
	p := plan.NewPhoto(plan.PhotoSource{Format: "jpeg", Stored: s, Shown: s, Frames: 1}, aspects, crops, time.Second)
	want := map[string]Size{"crop/1x1": sz(1080, 1080), "crop/9x16": sz(1080, 1920), "crop/4x5": sz(1080, 1350), "crop/16x9": sz(1920, 1080)}
	for _, o := range p.Outputs {
		if w, ok := want[o.Name]; ok {
			if o.Width != w.W || o.Height != w.H || o.Role != "crop" || o.Mode != "fill" {
				t.Errorf("%s: %dx%d %s %s, want %dx%d crop fill", o.Name, o.Width, o.Height, o.Role, o.Mode, w.W, w.H)
			}
			delete(want, o.Name)
		}
	}
	if len(want) > 0 {
		t.Errorf("missing crops: %v", want)
	}
}
