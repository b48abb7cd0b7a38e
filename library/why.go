package library

import (
	"encoding/json"
	"fmt"
	"math"
	"strings"

	"github.com/quinte-media/quinte/message"
)

// Why each output is what it is, in plain words, for the team's page of a message: read from the
// plan and the probe the manifest keeps (the pipeline's own record of what it decided). Each reason
// is a code with its params (the page words it in its language) and an English sentence. Only the
// plan's JSON is read here, through the few fields below: the API does not import the pipeline.

// whyPlan is the part of a manifest's plan (pipeline.Plan) that explains outputs.
type whyPlan struct {
	Video *struct {
		HoldFrames  int     `json:"hold_frames"`
		PadSound    float64 `json:"pad_sound"`
		FrameRate   string  `json:"frame_rate"`
		Deinterlace string  `json:"deinterlace"`
		ToneMap     *struct {
			Transfer string `json:"transfer"`
		} `json:"tone_map"`
		InMatrix string    `json:"in_matrix"`
		Social   whyAudio  `json:"social_audio"`
		Rend     whyAudio  `json:"rendition_audio"`
		Crops    []whyCrop `json:"crops"`
		Encodes  []whyEnc  `json:"encodes"`
		Brand    *whyBrand `json:"brand"`
	} `json:"video"`
	Photo *struct {
		Orientation int    `json:"orientation"`
		Colour      string `json:"colour"`
		Frames      int    `json:"frames"`
		Outputs     []struct {
			Name string `json:"name"`
			Mode string `json:"mode"`
			Why  string `json:"why"`
		} `json:"outputs"`
	} `json:"photo"`
}

type (
	whyAudio struct {
		Target float64 `json:"target"`
		Gain   float64 `json:"gain"`
		Silent bool    `json:"silent"`
	}
	whyCrop struct {
		Name    string `json:"name"`
		Mode    string `json:"mode"`
		Why     string `json:"why"`
		Subject string `json:"subject"`
		Small   string `json:"small"`
		Aspect  whyAsp `json:"aspect"`
	}
	whyAsp struct {
		W int `json:"w"`
		H int `json:"h"`
	}
	whyEnc struct {
		Brand bool `json:"brand"`
		Files []struct {
			Name string `json:"name"`
		} `json:"files"`
	}
	whyBrand struct {
		Campaign string `json:"campaign"`
		Captions int    `json:"captions"`
	}
)

// whyProbe is the part of a manifest's probe (pipeline.Media) that explains outputs.
type whyProbe struct {
	Video *struct {
		Rotation    int     `json:"rotation"`
		SAR         float64 `json:"sar"`
		FrameRate   float64 `json:"frame_rate"`
		VFR         bool    `json:"vfr"`
		HDR         string  `json:"hdr"`
		DolbyVision string  `json:"dolby_vision"`
	} `json:"video"`
}

// reason is one why: a code, its params and the English sentence.
func reason(code string, params map[string]any, format string, a ...any) message.Why {
	return message.Why{Code: code, Params: params, Text: fmt.Sprintf(format, a...)}
}

// explain returns the reasons of each output of man, by output name.
func explain(man message.Manifest) map[string][]message.Why {
	var plan whyPlan
	var probe whyProbe
	if !recode(man.Plan, &plan) {
		return nil
	}
	recode(man.Probe, &probe)
	out := map[string][]message.Why{}
	switch {
	case plan.Video != nil:
		explainVideo(man, plan, probe, out)
	case plan.Photo != nil:
		explainPhoto(man, plan, out)
	}
	for _, o := range man.Outputs {
		if o.Role == message.RoleAudiogram {
			out[o.Name] = append(out[o.Name], reason("audiogram", nil, "a voice note has no picture: this video shows its waveform"))
		}
	}
	return out
}

// recode reads a manifest's plan or probe (decoded as any) into v.
func recode(from any, v any) bool {
	if from == nil {
		return false
	}
	b, err := json.Marshal(from)
	return err == nil && json.Unmarshal(b, v) == nil
}

func explainVideo(man message.Manifest, plan whyPlan, probe whyProbe, out map[string][]message.Why) {
	vp := plan.Video
	// What the whole picture went through, before it was split to every output.
	var picture []message.Why
	if vp.ToneMap != nil {
		what := "HDR"
		if probe.Video != nil && probe.Video.HDR != "" {
			what = "HDR (" + strings.ToUpper(probe.Video.HDR) + ")"
		}
		picture = append(picture, reason("hdr_tonemapped", map[string]any{"transfer": vp.ToneMap.Transfer}, "%s tone-mapped to SDR, so that it looks right on every screen", what))
	}
	if pv := probe.Video; pv != nil {
		if r := ((pv.Rotation % 360) + 360) % 360; r != 0 {
			picture = append(picture, reason("rotated", map[string]any{"degrees": r}, "turned upright (the phone recorded it rotated %d°)", r))
		}
		if pv.SAR > 0 && math.Abs(pv.SAR-1) > 0.001 {
			picture = append(picture, reason("square_pixels", map[string]any{"sar": pv.SAR}, "stretched to square pixels (the camera recorded pixels %.3g times as wide as tall)", pv.SAR))
		}
		if to := parseRate(vp.FrameRate); to > 0 && pv.FrameRate > to*1.05 {
			picture = append(picture, reason("frame_rate", map[string]any{"from": round2(pv.FrameRate), "to": vp.FrameRate}, "frame rate %s → %s", fmtRate(pv.FrameRate), vp.FrameRate))
		} else if pv.VFR {
			picture = append(picture, reason("frame_rate_constant", map[string]any{"to": vp.FrameRate}, "uneven frame timing made steady at %s fps", vp.FrameRate))
		}
	}
	if vp.Deinterlace != "" {
		picture = append(picture, reason("deinterlaced", nil, "deinterlaced (the camera recorded it in interlaced fields)"))
	}
	if vp.InMatrix != "" {
		picture = append(picture, reason("colour_converted", map[string]any{"from": vp.InMatrix}, "colours converted to the web's standard (BT.709)"))
	}
	if vp.HoldFrames > 0 {
		picture = append(picture, reason("picture_held", map[string]any{"frames": vp.HoldFrames}, "the last picture is held while the sound finishes, so that nothing said is cut"))
	}
	if vp.PadSound > 0 {
		picture = append(picture, reason("sound_padded", nil, "silence added after the sound, which ends before the picture"))
	}

	branded := map[string]bool{}
	for _, e := range vp.Encodes {
		for _, f := range e.Files {
			branded[f.Name] = e.Brand
		}
	}
	crops := map[string]whyCrop{}
	for _, c := range vp.Crops {
		crops[c.Name] = c
	}
	for _, o := range man.Outputs {
		switch o.Role {
		case message.RoleCaption, message.RoleStoryboard, message.RoleAudiogram:
			continue
		}
		ws := append([]message.Why(nil), picture...)
		if c, ok := crops[o.Name]; ok {
			ws = append(ws, cropWhy(c))
			if c.Small != "" {
				ws = append(ws, reason("crop_small", nil, "made smaller than usual: the picture is too small for this shape at full size"))
			}
		}
		if branded[o.Name] && vp.Brand != nil {
			ws = append(ws, reason("branded", map[string]any{"campaign": vp.Brand.Campaign, "captions": vp.Brand.Captions > 0}, "the campaign's name%s drawn on it", map[bool]string{true: " and the captions are", false: " is"}[vp.Brand.Captions > 0]))
		}
		switch o.Role {
		case message.RoleCrop:
			if !vp.Social.Silent && vp.Social.Target != 0 {
				ws = append(ws, reason("loudness", map[string]any{"lufs": vp.Social.Target, "gain_db": round2(vp.Social.Gain)}, "sound levelled to %.0f LUFS, as social apps play it", vp.Social.Target))
			}
		case message.RoleRendition, message.RoleHLS:
			if !vp.Rend.Silent && vp.Rend.Target != 0 {
				ws = append(ws, reason("loudness", map[string]any{"lufs": vp.Rend.Target, "gain_db": round2(vp.Rend.Gain)}, "sound levelled to %.0f LUFS", vp.Rend.Target))
			}
		case message.RolePoster:
			ws = append(ws, reason("poster_best_frame", nil, "a sharp, well exposed frame with the face, not in a fade, chosen among the frames the subject analysis looked at"))
		}
		if len(ws) > 0 {
			out[o.Name] = ws
		}
	}
}

// cropWhy says how a social crop was made, from its plan: filled (cut to the shape, following what
// matters) or fitted (shown whole over a blurred copy), and why.
func cropWhy(c whyCrop) message.Why {
	aspect := fmt.Sprintf("%d:%d", c.Aspect.W, c.Aspect.H)
	params := map[string]any{"aspect": aspect, "mode": c.Mode, "detail": c.Why}
	why := strings.ToLower(c.Why)
	if c.Mode == "fit" {
		switch {
		case strings.Contains(why, "buttons"):
			return reason("fit_buttons", params, "%s shown whole over a blurred copy: a fill would put the face under the buttons", aspect)
		case strings.Contains(why, "too large"):
			return reason("fit_face_large", params, "%s shown whole over a blurred copy: the face is too close for a crop", aspect)
		case strings.Contains(why, "could not keep the face"):
			return reason("fit_face_moves", params, "%s shown whole over a blurred copy: the face moves too much for a crop to follow", aspect)
		default:
			return reason("fit_keep_picture", params, "%s shown whole over a blurred copy: a crop would cut away most of the picture", aspect)
		}
	}
	switch {
	case strings.Contains(why, "already"):
		return reason("fill_same_shape", params, "already %s: nothing cut", aspect)
	case c.Subject == "face" || strings.Contains(why, "follows it"):
		return reason("fill_face", params, "cropped to %s, following the face", aspect)
	case c.Subject == "saliency" || strings.Contains(why, "salient region"):
		return reason("fill_salient", params, "cropped to %s, following the most striking part of the picture", aspect)
	default:
		return reason("fill_centre", params, "cropped to %s at the centre (no face, nothing stands out)", aspect)
	}
}

func explainPhoto(man message.Manifest, plan whyPlan, out map[string][]message.Why) {
	pp := plan.Photo
	var picture []message.Why
	if pp.Orientation > 1 {
		picture = append(picture, reason("rotated_exif", map[string]any{"orientation": pp.Orientation}, "turned upright (the camera stored it sideways and said so)"))
	}
	if c := strings.ToLower(pp.Colour); strings.Contains(c, "converted") {
		picture = append(picture, reason("colour_converted", map[string]any{"detail": pp.Colour}, "colours converted to sRGB, as browsers and apps show them"))
	}
	defs := map[string]string{}
	modes := map[string]string{}
	for _, o := range pp.Outputs {
		defs[o.Name], modes[o.Name] = o.Why, o.Mode
	}
	for _, o := range man.Outputs {
		ws := append([]message.Why(nil), picture...)
		if o.Role == message.RoleCrop {
			aspect := strings.Replace(strings.TrimSuffix(strings.TrimPrefix(o.Name, "crop/"), "/webp"), "x", ":", 1)
			ws = append(ws, cropWhy(whyCrop{Mode: modes[o.Name], Why: defs[o.Name], Aspect: parseAspect(aspect)}))
		}
		if len(ws) > 0 {
			out[o.Name] = ws
		}
	}
}

func parseAspect(s string) whyAsp {
	var a whyAsp
	fmt.Sscanf(s, "%d:%d", &a.W, &a.H)
	return a
}

// parseRate reads a frame rate such as "30" or "30000/1001".
func parseRate(s string) float64 {
	var n, d float64
	if k, _ := fmt.Sscanf(s, "%g/%g", &n, &d); k == 2 && d > 0 {
		return n / d
	}
	if _, err := fmt.Sscanf(s, "%g", &n); err == nil {
		return n
	}
	return 0
}

func fmtRate(f float64) string {
	if math.Abs(f-math.Round(f)) < 0.1 {
		return fmt.Sprintf("%.0f", f)
	}
	return fmt.Sprintf("%.2f", f)
}

func round2(f float64) float64 { return math.Round(f*100) / 100 }
