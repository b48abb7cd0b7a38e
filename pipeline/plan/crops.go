package plan

import (
	"fmt"
	"math"
	"strings"

	"github.com/quinte-media/quinte/message"
	"github.com/quinte-media/quinte/pipeline/geom"
	"github.com/quinte-media/quinte/pipeline/output"
	"github.com/quinte-media/quinte/pipeline/reframe"
)

// Subject is what the subject analysis found, as the plan shows it.
type Subject struct {
	Source    reframe.Source `json:"source,omitempty"` // what mostly drove the framing: face, saliency or centre
	Samples   int            `json:"samples,omitempty"`
	Rate      float64        `json:"rate,omitempty"` // frames analysed per second
	FaceShare float64        `json:"face_share"`     // share of them with a face (found, or held across a blink)
	Cuts      []float64      `json:"cuts,omitempty"` // shot cuts, seconds: the camera may jump there only
	Missing   string         `json:"missing,omitempty"`
}

// planSubject summarises the track for the plan.
func planSubject(pl planner, x Extras) *Subject {
	tr := x.Track
	if tr == nil {
		why := x.Untracked
		if why == "" {
			why = "no subject analysis"
		}
		pl.why("%s: the social crops are centred", why)
		return &Subject{Source: reframe.SourceCentre, Missing: why}
	}
	s := &Subject{Source: tr.Dominant(), Samples: len(tr.Samples), Rate: tr.Rate, FaceShare: math.Round(tr.FaceShare()*1000) / 1000, Cuts: tr.Cuts}
	cuts := "no shot cut"
	if n := len(tr.Cuts); n > 0 {
		cuts = fmt.Sprintf("%d shot cuts", n)
	}
	pl.why("subject analysis: %d frames at %.3g/s, a face in %.0f%% of them, %s; the crops follow the %s", s.Samples, s.Rate, 100*s.FaceShare, cuts, s.Source)
	return s
}

// workSize is the display picture brought down to what the largest output needs: the top rung (or
// nothing, below the ladder) and each social crop at its published size when the source has the pixels.
// The crops are planned once at the display size to see which are fills and how much they keep; the
// size is then grown by a pixel or two where even rounding would leave a crop short of its size.
func workSize(disp Size, topRung int, tr *reframe.Track) Size {
	f := 1.0
	if topRung > 0 {
		f = float64(topRung) / float64(min(disp.W, disp.H))
	}
	want := map[string]Size{}
	for _, c := range planCropsAt(tr, disp, disp) {
		switch c.Mode {
		case geom.Fill:
			f = math.Max(f, float64(c.Out.W)/float64(c.Crop.W))
			want[c.Name] = c.Out
		case geom.Fit:
			f = math.Max(f, float64(c.Inner.W)/float64(disp.W))
		}
	}
	for try := 0; ; try++ {
		if try == 8 {
			f = 1 // rounding costs a pixel or two: this many tries mean something else is off
		}
		f = math.Min(1, f)
		work := Size{W: geom.Even(float64(disp.W) * f), H: geom.Even(float64(disp.H) * f)}
		if f == 1 {
			return work
		}
		enough := true // every fill still gets its published size at this working size
		for _, c := range planCropsAt(tr, work, disp) {
			if w, ok := want[c.Name]; ok && c.Mode == geom.Fill && (c.Out.W < w.W || c.Out.H < w.H) {
				enough = false
			}
		}
		if enough && (topRung == 0 || min(work.W, work.H) >= topRung) {
			return work
		}
		f += 2 / float64(min(disp.W, disp.H))
	}
}

// planCropsAt plans every social aspect on a working picture of size work.
func planCropsAt(tr *reframe.Track, work, disp Size) []reframe.CropPlan {
	return reframe.PlanCrops(tr, reframe.Frame{Work: work, Source: disp}, reframe.SocialAspects(), reframe.DefaultConfig())
}

// planCrops plans every social aspect on the working picture, from the one subject track, and gives each
// its encode. A crop that is a still, full-frame fill at a rendition's size is that rendition's picture
// (a portrait phone video's 9:16 at 1080x1920): encoded once and written twice, unless the campaign
// draws on the crops.
func planCrops(pl planner, vp *VideoPlan, disp Size, x Extras) {
	vp.Crops = planCropsAt(x.Track, vp.Work, disp)
	draws := x.Brand.Overlays()
	for _, c := range vp.Crops {
		camera := ""
		if c.Mode == geom.Fill {
			camera = "; the camera holds still"
			if !c.Path.Still() {
				camera = fmt.Sprintf("; the camera moves (%d keys)", len(c.Path))
			}
		}
		pl.why("%s %s %dx%d: %s%s", c.Name, c.Mode, c.Out.W, c.Out.H, c.Why, camera)
		if c.Small != "" {
			pl.warn("%s", c.Small)
		}
		f := EncodeFile{Name: c.Name, Role: message.RoleCrop, Mode: string(c.Mode), Social: true}
		if e := sharedRendition(vp, c); e != nil && !draws {
			e.Files = append(e.Files, f)
			pl.why("%s is the %s picture: encoded once, written twice (the crop with social loudness)", c.Name, e.Files[0].Name)
			continue
		}
		vp.Encodes = append(vp.Encodes, Encode{Reframe: c.Name, Brand: draws, Width: c.Out.W, Height: c.Out.H, Files: []EncodeFile{f}})
	}
	vp.Brand = x.Brand
	if b := x.Brand; b.LowerThird() {
		pl.why("campaign %q: a lower-third (%s) on every social crop, inside the safe zone; not on the renditions", b.Campaign, quoteLines(b.Name, b.Line))
	} else if b != nil && b.Campaign != "" {
		pl.why("campaign %q draws no lower-third", b.Campaign)
	}
}

// sharedRendition is the rendition encode whose picture is exactly crop c, if there is one.
func sharedRendition(vp *VideoPlan, c reframe.CropPlan) *Encode {
	if c.Mode != geom.Fill || c.Crop != vp.Work || !c.Path.Still() {
		return nil
	}
	for i := range vp.Encodes {
		if e := &vp.Encodes[i]; e.Reframe == "" && e.Files[0].Role == message.RoleRendition && e.Width == c.Out.W && e.Height == c.Out.H {
			return e
		}
	}
	return nil
}

// Crop is the crop plan called name.
func (vp *VideoPlan) Crop(name string) (reframe.CropPlan, bool) {
	for _, c := range vp.Crops {
		if c.Name == name {
			return c, true
		}
	}
	return reframe.CropPlan{}, false
}

// planCaptions adds caption/vtt to a video or audio plan whose message supplied captions.
func planCaptions(pl planner, b *Branding) {
	if b == nil || len(b.Cues) == 0 {
		return
	}
	out := output.Planned{Name: CaptionName, Role: message.RoleCaption, Format: "vtt"}
	switch p := pl.p; {
	case p.Video != nil:
		p.Video.Outputs = append(p.Video.Outputs, out)
		pl.why("%d captions supplied: burned into every social crop (above the bottom 20%% on 9:16) and published as %s", b.Captions, CaptionName)
	case p.Audio != nil:
		p.Audio.Outputs = append(p.Audio.Outputs, out)
		pl.why("%d captions supplied: burned into every audiogram (above the bottom 20%% on 9:16) and published as %s", b.Captions, CaptionName)
	}
}

func quoteLines(lines ...string) string {
	var q []string
	for _, l := range lines {
		if l != "" {
			q = append(q, fmt.Sprintf("%q", l))
		}
	}
	return strings.Join(q, " / ")
}
