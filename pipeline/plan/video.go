package plan

import (
	"fmt"
	"math"
	"strings"

	"github.com/quinte-media/quinte/message"
	"github.com/quinte-media/quinte/pipeline/geom"
	"github.com/quinte-media/quinte/pipeline/internal/reject"
	"github.com/quinte-media/quinte/pipeline/output"
	"github.com/quinte-media/quinte/pipeline/probe"
	"github.com/quinte-media/quinte/pipeline/reframe"
)

// VideoPlan is one ffmpeg pass: the main video stream is decoded once, brought to Work (deinterlaced when
// really interlaced, constant frame rate, display orientation, square pixels, SDR BT.709 yuv420p), split,
// and each branch is cropped and scaled to one encode or still. What needs the whole clip first (the
// preview's window, HLS) is finished from the pass's own files afterwards; the poster is cut from the
// source before the pass, at the frame the subject analysis chose.
type VideoPlan struct {
	VideoStream int     `json:"video_stream"`
	AudioStream int     `json:"audio_stream"` // -1: a silent track is generated
	Duration    float64 `json:"duration"`
	FrameRate   string  `json:"frame_rate"`
	Frames      int     `json:"frames"` // after the rate conversion, as far as known in advance
	// One length for picture and sound: when the sound runs on after the picture, the last picture is
	// held (repeated HoldFrames times); when the picture runs on, the sound is padded with silence to
	// PadSound seconds.
	HoldFrames  int     `json:"hold_frames,omitempty"`
	PadSound    float64 `json:"pad_sound,omitempty"`
	Deinterlace string  `json:"deinterlace,omitempty"`
	ToneMap     *HDRIn  `json:"tone_map,omitempty"`
	InMatrix    string  `json:"in_matrix,omitempty"` // swscale's name for an SDR source matrix that is not BT.709
	Work        Size    `json:"work"`

	Rendition AudioChain `json:"rendition_audio"`
	Social    AudioChain `json:"social_audio"`

	Subject *Subject           `json:"subject"` // what the subject analysis found
	Crops   []reframe.CropPlan `json:"crops"`   // every social aspect: fill or fit, why, the camera path
	Brand   *Branding          `json:"brand,omitempty"`

	Encodes    []Encode         `json:"encodes"`
	Thumbnails []Still          `json:"thumbnails"`
	Poster     PosterPlan       `json:"poster"`
	Storyboard StoryboardPlan   `json:"storyboard"`
	Grey       GreyPlan         `json:"grey"`
	Preview    PreviewPlan      `json:"preview"`
	HLS        HLSPlan          `json:"hls"`
	Outputs    []output.Planned `json:"outputs"`
}

// HDRIn is the colour of an HDR source, given to zscale explicitly (what the decoder tags on frames is
// not always right: read from the frames, the iPhone's Dolby Vision HLG turns cyan).
type HDRIn struct {
	Transfer  string `json:"transfer"`  // zscale's name: smpte2084 or arib-std-b67
	Primaries string `json:"primaries"` // 2020
	Matrix    string `json:"matrix"`    // 2020_ncl
	Range     string `json:"range"`     // limited or full
}

// Encode is one x264 encode of the working picture. Every file it lists carries these same video bits
// (the tee muxer writes them all), each with its own audio loudness.
type Encode struct {
	Reframe string       `json:"reframe,omitempty"` // the crop plan (of Crops) that cuts this picture
	Brand   bool         `json:"brand,omitempty"`   // the campaign's lower-third and the captions are drawn on it
	Width   int          `json:"width"`
	Height  int          `json:"height"`
	MaxRate int          `json:"max_rate,omitempty"` // kb/s, caps CRF on busy scenes so renditions stream (0: no cap)
	Files   []EncodeFile `json:"files"`
}

// EncodeFile is one MP4 written from an Encode.
type EncodeFile struct {
	Name   string `json:"name"`
	Role   string `json:"role"`
	Mode   string `json:"mode,omitempty"`
	Social bool   `json:"social,omitempty"` // social loudness (-14 LUFS) instead of the renditions' (-16)
}

// Still is one picture cut at a frame.
type Still struct {
	Name   string `json:"name"`
	Frame  int    `json:"frame"`
	Width  int    `json:"width"`
	Height int    `json:"height"`
}

// PosterPlan: the poster's sizes. Its frame is chosen from the subject analysis (or, without one, from
// the main pass's grey frames) and cut from the source on its own, before the main pass.
type PosterPlan struct {
	Full  Size `json:"full"`
	Small Size `json:"small"`
}

// StoryboardPlan: one frame every Every frames, Count tiles of Tile in a Cols×Rows sprite.
type StoryboardPlan struct {
	Every    int     `json:"every"`
	Interval float64 `json:"interval"` // seconds
	Count    int     `json:"count"`
	Cols     int     `json:"cols"`
	Rows     int     `json:"rows"`
	Tile     Size    `json:"tile"`
}

// GreyPlan: every Every-th frame, shrunk to Size grey pixels, written raw for scoring in Go.
type GreyPlan struct {
	Every int  `json:"every"`
	Size  Size `json:"size"`
}

// PreviewPlan: Seconds from the liveliest part, cut from the From rendition after the pass.
type PreviewPlan struct {
	From    string  `json:"from"`
	Seconds float64 `json:"seconds"`
	MP4     Size    `json:"mp4"`
	WebP    Size    `json:"webp"`
	WebPFPS int     `json:"webp_fps"`
}

// HLSPlan: the rendition MP4s remuxed (no encode) into fMP4 HLS segments.
type HLSPlan struct {
	Variants       []string `json:"variants"`
	SegmentSeconds int      `json:"segment_seconds"`
}

func planVideo(m probe.Media, x Extras) (*Plan, error) {
	v := m.Video
	disp := Size{W: v.DisplayWidth, H: v.DisplayHeight}
	if disp.W < probe.MinVideoSide || disp.H < probe.MinVideoSide {
		return nil, reject.New("video_too_small", "the video is %dx%d pixels; quinte needs at least %dx%d", disp.W, disp.H, probe.MinVideoSide, probe.MinVideoSide)
	}
	p := &Plan{Kind: message.KindVideo}
	pl := planner{p}
	vp := &VideoPlan{VideoStream: v.Stream, AudioStream: -1, Duration: m.Duration}
	p.Video = vp

	pl.why("video stream %d (%s %dx%d) of %s, %s long (%s)", v.Stream, v.Codec, v.Width, v.Height, m.Container, probe.Clock(m.Duration), m.DurationFrom)
	for _, e := range m.EmptyVideos {
		pl.why("video stream %d (%s %dx%d) holds no frame (an empty track): not used", e.Stream, e.Codec, e.Width, e.Height)
	}
	if v.Rotation != 0 {
		pl.why("rotated %d° clockwise for display: %dx%d", v.Rotation, disp.W, disp.H)
	}
	if v.SAR != 1 {
		pl.why("non-square pixels (SAR %.3g) stretched to square: %dx%d", v.SAR, disp.W, disp.H)
	}
	planInterlace(pl, vp, v)
	var every int
	vp.FrameRate, every = outputRate(v.FrameRate)
	switch {
	case every > 1:
		pl.why("frame rate %.4g: every %s frame kept, %s fps", v.FrameRate, ordinal(every), vp.FrameRate)
	case v.FrameRate > MaxOutputFPS+0.01:
		pl.why("frame rate %.2f capped to %s", v.FrameRate, vp.FrameRate)
	case v.VFR:
		pl.why("variable frame rate (about %.2f fps) made constant at %s", v.FrameRate, vp.FrameRate)
	}
	rate := probe.ParseRatio(vp.FrameRate)
	// Frames are counted on the video's own length: the sound may run on after the picture stops.
	videoSeconds := m.Duration
	if v.Duration > 0 {
		videoSeconds = math.Min(m.Duration, v.Duration)
	}
	vp.Frames = max(1, int(math.Round(videoSeconds*rate)))
	planLength(pl, vp, m, videoSeconds, rate)
	planColour(pl, vp, v)

	if m.Audio != nil {
		vp.AudioStream = m.Audio.Stream
		pl.why("audio stream %d (%s, %d channels) to AAC-LC 48 kHz stereo", m.Audio.Stream, m.Audio.Codec, m.Audio.Channels)
	}
	vp.Rendition, vp.Social = pl.loudness(m)

	vp.Subject = planSubject(pl, x)
	planPictures(pl, vp, disp, x)
	planStills(vp, rate)
	return p, nil
}

// planLength gives picture and sound one length, the longer one's, so that nothing the artist says is
// cut and no player shows a black screen under the sound: a picture that stops early holds its last
// frame until the sound ends (tpad clones it), a sound that stops early is padded with silence. A
// difference of up to one frame (an AAC encoder's priming) is left as it is.
func planLength(pl planner, vp *VideoPlan, m probe.Media, videoSeconds, rate float64) {
	if m.Audio == nil {
		return // the silent track is made as long as the video
	}
	sound := m.Duration
	if d := m.Audio.Duration; d > 0 {
		sound = math.Min(d, m.Duration)
	}
	switch hold := int(math.Round((sound - videoSeconds) * rate)); {
	case hold > 1:
		vp.HoldFrames = hold
		vp.Frames += hold
		pl.why("the sound lasts %.2f s, the picture %.2f s: the last picture is held %.2f s (%d frames) so that nothing said is cut",
			sound, videoSeconds, float64(hold)/rate, hold)
	case (videoSeconds-sound)*rate > 1:
		vp.PadSound = math.Round(videoSeconds*1000) / 1000
		pl.why("the picture lasts %.2f s, the sound %.2f s: the sound is padded with silence to the picture's end", videoSeconds, sound)
	}
}

// planInterlace deinterlaces only what idet found interlaced: a field-order flag alone is not enough
// (Panasonic's AVCHD says "top field first" over progressive frames).
func planInterlace(pl planner, vp *VideoPlan, v *probe.VideoInfo) {
	il := v.Interlace
	switch {
	case il == nil:
		return
	case il.Verdict == "progressive":
		pl.why("flagged %s but idet counted %d progressive and %d interlaced frames: not deinterlaced", v.FieldOrder, il.Progressive, il.TFF+il.BFF)
	default:
		vp.Deinterlace = il.Verdict
		pl.why("interlaced (%s; idet: %d top-first, %d bottom-first, %d progressive): bwdif deinterlaces it", il.Verdict, il.TFF, il.BFF, il.Progressive)
	}
}

// planColour decides how the source's colours reach SDR BT.709.
func planColour(pl planner, vp *VideoPlan, v *probe.VideoInfo) {
	if v.HDR != "" {
		tin := map[string]string{"pq": "smpte2084", "hlg": "arib-std-b67"}[v.HDR]
		rng := "limited"
		if v.Range == "pc" {
			rng = "full"
		}
		vp.ToneMap = &HDRIn{Transfer: tin, Primaries: "2020", Matrix: "2020_ncl", Range: rng}
		what := strings.ToUpper(v.HDR)
		if v.DolbyVision != "" {
			what = "Dolby Vision " + v.DolbyVision + " (" + what + " base layer)"
		}
		pl.why("HDR %s tone-mapped to SDR BT.709 (zscale to linear light, hable, no desaturation)", what)
		if v.DolbyVision != "" && !strings.HasSuffix(v.DolbyVision, ".1") && !strings.HasSuffix(v.DolbyVision, ".4") {
			pl.warn("Dolby Vision profile %s has no standard base layer: colours may be off", v.DolbyVision)
		}
		return
	}
	switch v.Matrix {
	case "bt2020nc", "bt2020c":
		vp.InMatrix = "bt2020"
	case "smpte170m", "bt470bg":
		vp.InMatrix = "smpte170m"
	}
	if vp.InMatrix != "" {
		pl.why("SDR %s colours converted to BT.709", v.Matrix)
	}
}

// planPictures sizes the working picture, the encodes (ladder and social crops) and the outputs that
// come from them.
func planPictures(pl planner, vp *VideoPlan, disp Size, x Extras) {
	short := min(disp.W, disp.H)
	var rungs []int
	for _, r := range ladder {
		if short >= r {
			rungs = append(rungs, r)
		}
	}
	top := 0
	if len(rungs) > 0 {
		top = rungs[0]
	}
	work := workSize(disp, top, x.Track)
	vp.Work = work
	pl.why("decoded once, brought to %dx%d and split to every output", work.W, work.H)

	if len(rungs) == 0 {
		s := Size{W: geom.EvenInt(work.W), H: geom.EvenInt(work.H)}
		vp.Encodes = append(vp.Encodes, Encode{Width: s.W, Height: s.H, Files: []EncodeFile{{Name: "rendition/source", Role: message.RoleRendition}}})
		vp.HLS.Variants = append(vp.HLS.Variants, "rendition/source")
		pl.why("short side %d is below %d: one rendition at the source's size, never upscaled", short, ladder[len(ladder)-1])
	} else {
		var names []string
		for _, r := range rungs {
			s := geom.ShortSide(work, r)
			name := fmt.Sprintf("rendition/%dp", r)
			vp.Encodes = append(vp.Encodes, Encode{Width: s.W, Height: s.H, Files: []EncodeFile{{Name: name, Role: message.RoleRendition}}})
			vp.HLS.Variants = append(vp.HLS.Variants, name)
			names = append(names, fmt.Sprintf("%dp", r))
		}
		pl.why("ladder %s by the short side (only sizes the source fills)", strings.Join(names, ", "))
	}

	planCrops(pl, vp, disp, x)
	rate := probe.ParseRatio(vp.FrameRate)
	for i := range vp.Encodes {
		e := &vp.Encodes[i]
		// Renditions stream: about 0.1 bit per pixel at the output rate, and never below 500 kb/s. Social
		// crops are downloaded and posted (the networks encode them again): uncapped, which also keeps
		// them deterministic (see videoArgs).
		if e.Files[0].Role == message.RoleRendition {
			e.MaxRate = max(500, int(float64(e.Width*e.Height)*math.Min(rate, MaxOutputFPS)*0.1/1000))
		}
		for _, f := range e.Files {
			vp.Outputs = append(vp.Outputs, output.Planned{Name: f.Name, Role: f.Role, Format: "mp4", Width: e.Width, Height: e.Height, Mode: f.Mode})
		}
	}

	full := Size{W: vp.Encodes[0].Width, H: vp.Encodes[0].Height}
	vp.Poster.Full, vp.Poster.Small = full, geom.FitLong(full, posterSmallLong)
	smallest := vp.Encodes[len(vp.HLS.Variants)-1]
	vp.Preview = PreviewPlan{From: vp.HLS.Variants[len(vp.HLS.Variants)-1], Seconds: previewSeconds,
		MP4: Size{W: smallest.Width, H: smallest.Height}, WebP: geom.FitLong(Size{W: smallest.Width, H: smallest.Height}, previewWebPLong), WebPFPS: previewWebPFPS}
	vp.HLS.SegmentSeconds = hlsSegment
	pl.why("HLS (%d s fMP4 segments) remuxed from the rendition files, not encoded again", hlsSegment)
}

// planStills places the thumbnails, the storyboard and the grey analysis frames on the output frame
// numbers (after the rate conversion).
func planStills(vp *VideoPlan, rate float64) {
	last := max(0, vp.Frames-2) // the last frame number is an estimate: stay clear of it
	thumb := geom.FitLong(vp.Work, thumbnailLong)
	for i := 1; i <= thumbnailCount; i++ {
		f := int(math.Round((float64(i) - 0.5) / thumbnailCount * float64(last)))
		vp.Thumbnails = append(vp.Thumbnails, Still{Name: fmt.Sprintf("thumbnail/%d", i), Frame: f, Width: thumb.W, Height: thumb.H})
	}

	vp.Grey = GreyPlan{Every: max(1, int(math.Round(rate/greyPerSecond))), Size: Size{W: greySide, H: greySide}}

	interval := math.Max(1, math.Ceil(vp.Duration/storyboardMax))
	every := max(1, int(math.Round(interval*rate)))
	count := max(1, (vp.Frames+every-1)/every)
	cols := min(count, storyboardCols)
	vp.Storyboard = StoryboardPlan{Every: every, Interval: float64(every) / rate, Count: count, Cols: cols, Rows: (count + cols - 1) / cols,
		Tile: geom.FitLong(vp.Work, storyboardLong)}

	add := func(o output.Planned) { vp.Outputs = append(vp.Outputs, o) }
	for _, p := range []struct {
		name string
		size Size
	}{{PosterName, vp.Poster.Full}, {PosterSmallName, vp.Poster.Small}} {
		add(output.Planned{Name: p.name, Role: message.RolePoster, Format: "jpg", Width: p.size.W, Height: p.size.H})
		add(output.Planned{Name: p.name + WebPAlso, Role: message.RolePoster, Format: "webp", Width: p.size.W, Height: p.size.H})
	}
	for _, t := range vp.Thumbnails {
		add(output.Planned{Name: t.Name, Role: message.RoleThumbnail, Format: "jpg", Width: t.Width, Height: t.Height})
	}
	sb := vp.Storyboard
	add(output.Planned{Name: "storyboard/sprite", Role: message.RoleStoryboard, Format: "jpg", Width: sb.Cols * sb.Tile.W, Height: sb.Rows * sb.Tile.H})
	add(output.Planned{Name: "storyboard/vtt", Role: message.RoleStoryboard, Format: "vtt"})
	add(output.Planned{Name: "preview/mp4", Role: message.RolePreview, Format: "mp4", Width: vp.Preview.MP4.W, Height: vp.Preview.MP4.H})
	add(output.Planned{Name: "preview/webp", Role: message.RolePreview, Format: "webp", Width: vp.Preview.WebP.W, Height: vp.Preview.WebP.H})
	top := vp.Encodes[0]
	add(output.Planned{Name: "hls/master", Role: message.RoleHLS, Format: "m3u8", Width: top.Width, Height: top.Height})
}

// ordinal is "2nd", "3rd", "4th"… for the frame rate's reasons.
func ordinal(n int) string {
	switch {
	case n%100 >= 11 && n%100 <= 13:
		return fmt.Sprintf("%dth", n)
	case n%10 == 2:
		return fmt.Sprintf("%dnd", n)
	case n%10 == 3:
		return fmt.Sprintf("%drd", n)
	}
	return fmt.Sprintf("%dth", n)
}
