package pipeline

import (
	"fmt"
	"math"
	"strconv"

	"github.com/quinte-media/quinte/message"
	"github.com/quinte-media/quinte/pipeline/geom"
	"github.com/quinte-media/quinte/pipeline/photo"
)

// Plan is what a job will produce from its input, and why. It is built from the probe alone (a pure
// function, golden-tested) and stored in the manifest, so anyone can see what was decided.
type Plan struct {
	Kind  message.Kind `json:"kind"`
	Video *VideoPlan   `json:"video,omitempty"`
	Audio *AudioPlan   `json:"audio,omitempty"`
	Photo *photo.Plan  `json:"photo,omitempty"`
	Why   []string     `json:"why"`
}

// VideoPlan is one ffmpeg pass: the main video stream is decoded once, brought to Work (display
// orientation, square pixels, constant frame rate, BT.709 yuv420p), split, and each branch is cropped
// and scaled to one output.
type VideoPlan struct {
	VideoStream int           `json:"video_stream"`
	AudioStream int           `json:"audio_stream"` // -1: none
	FrameRate   string        `json:"frame_rate"`
	Work        Size          `json:"work"`
	Outputs     []VideoOutput `json:"outputs"`
}

// AudioPlan is an audio-only message's output.
type AudioPlan struct {
	AudioStream int    `json:"audio_stream"`
	Name        string `json:"name"`
}

// VideoOutput is one file cut from the working picture.
type VideoOutput struct {
	Name   string `json:"name"`
	Role   string `json:"role"`
	Format string `json:"format"` // "mp4" or "jpg"
	Crop   *Rect  `json:"crop,omitempty"`
	Width  int    `json:"width"`
	Height int    `json:"height"`
	Mode   string `json:"mode,omitempty"`
}

// Size and Rect are the shared picture geometry.
type (
	Size = geom.Size
	Rect = geom.Rect
)

// Rendition and crop sizes.
const (
	renditionShortSide = 720
	cropLongSide       = 1920
	maxOutputFPS       = 30.0
)

// PlanMedia builds the plan for a probed video or audio file.
func PlanMedia(m Media) (*Plan, error) {
	switch m.Kind {
	case message.KindVideo:
		return planVideo(m)
	case message.KindAudio:
		return &Plan{
			Kind:  message.KindAudio,
			Audio: &AudioPlan{AudioStream: m.Audio.Stream, Name: "rendition/audio"},
			Why:   []string{fmt.Sprintf("audio only (%s, %d channels): one AAC rendition", m.Audio.Codec, m.Audio.Channels)},
		}, nil
	}
	return nil, Reject("no_media_streams", "the file has no video or audio stream that quinte can use")
}

func planVideo(m Media) (*Plan, error) {
	v := m.Video
	disp := Size{W: v.DisplayWidth, H: v.DisplayHeight}
	if disp.W < 16 || disp.H < 16 {
		return nil, Reject("video_too_small", "the video is %dx%d pixels; quinte needs at least 16x16", disp.W, disp.H)
	}
	p := &Plan{Kind: message.KindVideo}
	why := func(format string, a ...any) { p.Why = append(p.Why, fmt.Sprintf(format, a...)) }

	why("video stream %d (%s %dx%d) of %s", v.Stream, v.Codec, v.Width, v.Height, m.Container)
	if v.Rotation != 0 {
		why("rotated %d° clockwise for display: %dx%d", v.Rotation, disp.W, disp.H)
	}
	if v.SAR != 1 {
		why("non-square pixels (SAR %.3g) stretched to square: %dx%d", v.SAR, disp.W, disp.H)
	}
	rate := outputRate(v.FrameRate)
	if v.FrameRate > maxOutputFPS+0.5 {
		why("frame rate %.2f capped to %s", v.FrameRate, rate)
	}

	audio := -1
	if m.Audio != nil {
		audio = m.Audio.Stream
		why("audio stream %d (%s, %d channels) to AAC 48 kHz stereo", audio, m.Audio.Codec, m.Audio.Channels)
	} else {
		why("no audio stream")
	}

	// What each output needs from the display-sized picture, as a scale factor (never above 1).
	rend := geom.ShortSide(disp, renditionShortSide)
	if min(disp.W, disp.H) <= renditionShortSide {
		why("source short side %d is not above %d: rendition keeps %dx%d (never upscaled)", min(disp.W, disp.H), renditionShortSide, rend.W, rend.H)
	}
	crop916 := geom.AspectRect(disp, 9, 16)
	cropOut := geom.FitLong(Size{W: crop916.W, H: crop916.H}, cropLongSide)
	factor := math.Max(float64(rend.W)/float64(disp.W), float64(cropOut.W)/float64(crop916.W))
	work := Size{W: geom.Even(float64(disp.W) * factor), H: geom.Even(float64(disp.H) * factor)}
	why("decoded once, brought to %dx%d and split to every output", work.W, work.H)

	// Cut everything from the working picture.
	rend = geom.ShortSide(work, min(renditionShortSide, min(work.W, work.H)))
	c := geom.AspectRect(work, 9, 16)
	cs := geom.FitLong(Size{W: c.W, H: c.H}, cropLongSide)
	p.Video = &VideoPlan{
		VideoStream: v.Stream, AudioStream: audio, FrameRate: rate, Work: work,
		Outputs: []VideoOutput{
			{Name: "rendition/720p", Role: message.RoleRendition, Format: "mp4", Width: rend.W, Height: rend.H},
			{Name: "poster", Role: message.RolePoster, Format: "jpg", Width: rend.W, Height: rend.H},
			{Name: "crop/9x16", Role: message.RoleCrop, Format: "mp4", Crop: &c, Width: cs.W, Height: cs.H, Mode: "fill"},
		},
	}
	return p, nil
}

// outputRate is the constant output frame rate: the source's, capped at 30, snapped to the standard rate
// it is meant to be when it is within 1% of one.
func outputRate(fps float64) string {
	if fps <= 0 || fps > maxOutputFPS+0.5 {
		return "30"
	}
	for _, r := range []struct {
		s string
		v float64
	}{{"24000/1001", 24000.0 / 1001}, {"24", 24}, {"25", 25}, {"30000/1001", 30000.0 / 1001}, {"30", 30}, {"50", 50}, {"60", 60}} {
		if math.Abs(fps-r.v)/r.v < 0.01 {
			return r.s
		}
	}
	return strconv.FormatFloat(math.Min(fps, maxOutputFPS), 'f', 3, 64)
}
