package reframe

import (
	"fmt"
	"math"

	"github.com/quinte-media/quinte/pipeline/geom"
)

// Frame is the picture the crops are cut from.
type Frame struct {
	Work   geom.Size `json:"work"`            // the working picture each branch receives (display orientation, square pixels)
	Source geom.Size `json:"source"`          // the source's displayed size: the pixels that really exist
	Photo  bool      `json:"photo,omitempty"` // a photo's sizes need not be even (a video's must be)
}

// unit is the pixel step of the crops' sizes: 2 for H.264 4:2:0, 1 for a photo.
func (f Frame) unit() int {
	if f.Photo {
		return 1
	}
	return 2
}

// CropPlan is how one aspect is made, and why. It is plain data: printed in the job's plan, golden-tested,
// and rendered by AppendFilters.
type CropPlan struct {
	Name    string      `json:"name"` // output name, "crop/9x16"
	Aspect  geom.Aspect `json:"aspect"`
	Mode    geom.Mode   `json:"mode"`
	Why     string      `json:"why"`
	Subject Source      `json:"subject"`        // what mostly drove the framing
	Work    geom.Size   `json:"work"`           // the picture the branch receives
	Crop    geom.Size   `json:"crop,omitzero"`  // fill: the window cut from the working picture
	Inner   geom.Size   `json:"inner,omitzero"` // fit: the whole picture's size inside the output
	Out     geom.Size   `json:"out"`
	Path    Path        `json:"path,omitempty"` // fill: where the window sits over time
	// Small says that the picture is too small for this aspect at the size it could otherwise have:
	// the crop is made smaller rather than of another shape (a 16x16 video's 16:9 crop is 14x8, not
	// 16x8). It goes to the message's warnings.
	Small string `json:"small,omitempty"`
}

// Fill rules: the head must fit, leave room around it, and on 9:16 stay in the safe band, in all but
// this share of the frames that show a face.
const (
	tolerateMisses = 0.05
	maxFaceShare   = 0.7 // a face taller than this share of the crop leaves a crop that is all face
)

// PlanCrops plans every aspect from the one track. track may be nil (no analysis): every aspect is
// then a centre fill or a fit, by the share of the picture a crop keeps.
func PlanCrops(track *Track, f Frame, aspects []geom.Aspect, cfg Config) []CropPlan {
	if track == nil {
		track = &Track{Size: f.Work, Duration: 1, Samples: []Sample{{Subject: Box{0.25, 0.25, 0.75, 0.75}, Source: SourceCentre}}}
	}
	out := make([]CropPlan, 0, len(aspects))
	for _, a := range aspects {
		out = append(out, planAspect(track, f, a, cfg))
	}
	return out
}

func planAspect(tr *Track, f Frame, a geom.Aspect, cfg Config) CropPlan {
	win := geom.AspectRectUnit(f.Work, a.W, a.H, f.unit())
	crop := geom.Size{W: win.W, H: win.H}
	p := CropPlan{Name: "crop/" + a.Name, Aspect: a, Work: f.Work, Subject: dominant(tr)}
	crop = p.shaped(crop, f)
	fr := newFraming(f.Work, crop, a, cfg)
	fit := func(why string) CropPlan {
		p.Mode, p.Why, p.Small = geom.Fit, why, ""
		p.Out, p.Inner = fitSize(a, f)
		p.Out = p.shaped(p.Out, f)
		p.Inner = geom.Size{W: min(p.Inner.W, p.Out.W), H: min(p.Inner.H, p.Out.H)}
		return p
	}
	fill := func(why string) CropPlan {
		p.Mode, p.Why, p.Crop = geom.Fill, why, crop
		p.Out = p.shaped(fillSize(a, crop, f), f)
		p.Path = planPath(tr, fr, cfg)
		// Judge the path that will be rendered, not only the positions it could take: smoothing and
		// the speed limit may leave a face behind.
		if cut, unsafe, faces := pathMisses(tr, p.Path, fr); faces > 0 {
			switch {
			case float64(cut) > tolerateMisses*float64(faces):
				return fit(fmt.Sprintf("the camera could not keep the face wholly inside a %d:%d crop in %.0f%% of the frames with a face", a.W, a.H, 100*float64(cut)/float64(faces)))
			case float64(unsafe) > tolerateMisses*float64(faces):
				return fit(fmt.Sprintf("the camera would leave the face under the apps' buttons (top %.0f%%, bottom %.0f%%, with a margin of a tenth of the face) in %.0f%% of the frames with a face", 100*safeTop, 100*safeBottom, 100*float64(unsafe)/float64(faces)))
			}
		}
		return p
	}
	keep := float64(crop.W*crop.H) / float64(f.Work.W*f.Work.H)
	if keep > 0.98 {
		return fill(fmt.Sprintf("the picture is already %d:%d", a.W, a.H))
	}
	if tr.FaceShare() < 0.5 {
		if keep < cfg.MinKeepNoFace {
			return fit(fmt.Sprintf("no face in most frames, and a %d:%d crop would keep only %.0f%% of the picture", a.W, a.H, 100*keep))
		}
		if p.Subject == SourceCentre {
			return fill(fmt.Sprintf("no face and nothing salient: a centre crop, keeping %.0f%% of the picture", 100*keep))
		}
		return fill(fmt.Sprintf("no face in most frames: the crop follows the most salient region (skin, detail, colour) and keeps %.0f%% of the picture", 100*keep))
	}
	big, unsafe, faces := 0, 0, 0
	for _, s := range tr.Samples {
		if s.Source != SourceFace && s.Source != SourceHeld {
			continue
		}
		faces++
		// The face itself must fit with a little room; hair and ears may be cut on a close-up.
		h := s.Subject.Scale(f.Work)
		if h.X1-h.X0 > 0.9*float64(crop.W) || h.Y1-h.Y0 > maxFaceShare*float64(crop.H) {
			big++
			continue
		}
		if fr.safe && !safeReachable(s.Subject.Scale(f.Work).padY(faceMargin), crop, f.Work) {
			unsafe++
		}
	}
	switch {
	case float64(big) > tolerateMisses*float64(faces):
		return fit(fmt.Sprintf("the face is too large for a %d:%d crop in %.0f%% of the frames with a face: a fill would cut it or show only a face", a.W, a.H, 100*float64(big)/float64(faces)))
	case float64(unsafe) > tolerateMisses*float64(faces):
		return fit(fmt.Sprintf("a %d:%d crop would put the face under the apps' buttons (top %.0f%%, bottom %.0f%%) in %.0f%% of the frames with a face", a.W, a.H, 100*safeTop, 100*safeBottom, 100*float64(unsafe)/float64(faces)))
	}
	return fill(fmt.Sprintf("the face fits a %d:%d crop (%.0f%% of the picture) in %.0f%% of the frames with a face; the crop follows it", a.W, a.H, 100*keep, 100*(1-float64(big+unsafe)/float64(faces))))
}

// pathMisses counts, over the samples with a face, those whose main face the path's window does not
// hold wholly (cut) and, on 9:16, those whose face (with its margin) it leaves outside the safe band.
func pathMisses(tr *Track, path Path, fr framing) (cut, unsafe, faces int) {
	cw, ch := float64(fr.crop.W), float64(fr.crop.H)
	for _, s := range tr.Samples {
		if s.Source != SourceFace && s.Source != SourceHeld {
			continue
		}
		faces++
		x, y := path.At(s.T)
		// As ffmpeg's crop places it: truncated, then even.
		x, y = float64(int(x)&^1), float64(int(y)&^1)
		f := s.Subject.Scale(fr.work)
		const slack = 2 // px: the even step of 4:2:0 chroma
		if f.X0 < x-slack || f.X1 > x+cw+slack || f.Y0 < y-slack || f.Y1 > y+ch+slack {
			cut++
			continue
		}
		if m := f.padY(faceMargin); fr.safe && (m.Y0 < y+safeTop*ch-slack || m.Y1 > y+(1-safeBottom)*ch+slack) {
			unsafe++
		}
	}
	return cut, unsafe, faces
}

// safeReachable reports whether some vertical position of the crop puts the face inside 9:16's safe band.
func safeReachable(face Rectf, crop, work geom.Size) bool {
	ch, h := float64(crop.H), float64(work.H)
	lo := face.Y1 - (1-safeBottom)*ch // the crop's top may not be above this...
	hi := face.Y0 - safeTop*ch        // ...nor below this
	return face.Y1-face.Y0 <= (1-safeTop-safeBottom)*ch && math.Max(lo, 0) <= math.Min(hi, h-ch)
}

// dominant is the source that drove most samples.
func dominant(tr *Track) Source {
	n := map[Source]int{}
	for _, s := range tr.Samples {
		src := s.Source
		if src == SourceHeld {
			src = SourceFace
		}
		n[src]++
	}
	best := SourceCentre
	for _, s := range []Source{SourceFace, SourceSaliency, SourceCentre} {
		if n[s] > n[best] {
			best = s
		}
	}
	return best
}

// shaped is s, or when rounding to whole (or even) pixels leaves s of another shape than the aspect
// (a tiny picture), the largest size within s that has the shape; when that loses more than a tenth of
// a side, p.Small says so.
func (p *CropPlan) shaped(s geom.Size, f Frame) geom.Size {
	a, unit := p.Aspect, f.unit()
	if geom.HasShape(s, a.W, a.H, unit) {
		return s
	}
	got, ok := geom.Shaped(s, a.W, a.H, unit)
	if !ok {
		got = s // cannot happen above 2 px a side: keep what there is
	}
	exactW := math.Min(float64(s.W), float64(s.H)*float64(a.W)/float64(a.H))
	if float64(got.W) < 0.9*exactW {
		p.Small = fmt.Sprintf("the picture is %dx%d: too small for a %d:%d crop of that size; %s is %dx%d, smaller, to keep its shape",
			f.Source.W, f.Source.H, a.W, a.H, p.Name, got.W, got.H)
	}
	return got
}

// fillSize is the published size of a fill: the aspect's size, or, when the crop has fewer pixels in
// the source (or in the working picture), the crop's own size in those pixels: never upscaled.
func fillSize(a geom.Aspect, crop geom.Size, f Frame) geom.Size {
	k := math.Min(1, float64(f.Source.W)/float64(f.Work.W))
	if float64(crop.W)*k >= float64(a.Out.W) {
		return a.Out
	}
	return geom.Size{W: f.round(float64(crop.W) * k), H: f.round(float64(crop.H) * k)}
}

// round is x in whole pixels, even ones for video.
func (f Frame) round(x float64) int {
	if f.Photo {
		return max(1, int(math.Round(x)))
	}
	return geom.Even(x)
}

// fitSize is the published size of a fit and the size of the whole picture inside it: the aspect's
// size, or smaller so that the picture inside is not upscaled past the source's pixels.
func fitSize(a geom.Aspect, f Frame) (out, inner geom.Size) {
	src := geom.Size{W: min(f.Source.W, f.Work.W), H: min(f.Source.H, f.Work.H)}
	scale := math.Min(float64(a.Out.W)/float64(src.W), float64(a.Out.H)/float64(src.H))
	s := 1.0
	if scale > 1 {
		s = 1 / scale
	}
	round := f.round
	out = geom.Size{W: round(float64(a.Out.W) * s), H: round(float64(a.Out.H) * s)}
	k := math.Min(float64(out.W)/float64(f.Work.W), float64(out.H)/float64(f.Work.H))
	inner = geom.Size{W: min(out.W, round(float64(f.Work.W)*k)), H: min(out.H, round(float64(f.Work.H)*k))}
	return out, inner
}
