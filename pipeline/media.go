package pipeline

import (
	"strings"

	"github.com/quinte-media/quinte/message"
)

// Media is the probe read for planning: which streams matter and what they look like on screen.
type Media struct {
	Kind      message.Kind `json:"kind"`
	Container string       `json:"container"`
	Duration  float64      `json:"duration"`
	Video     *VideoInfo   `json:"video,omitempty"`
	Audio     *AudioInfo   `json:"audio,omitempty"`
}

// VideoInfo describes the main video stream.
type VideoInfo struct {
	Stream        int     `json:"stream"`
	Codec         string  `json:"codec"`
	Width         int     `json:"width"`  // coded
	Height        int     `json:"height"` // coded
	DisplayWidth  int     `json:"display_width"`
	DisplayHeight int     `json:"display_height"`
	Rotation      int     `json:"rotation"` // clockwise degrees applied for display
	SAR           float64 `json:"sar"`
	FrameRate     float64 `json:"frame_rate"`
	Frames        int     `json:"frames,omitempty"`
	PixFmt        string  `json:"pix_fmt"`
	Transfer      string  `json:"transfer,omitempty"`
	Primaries     string  `json:"primaries,omitempty"`
	Matrix        string  `json:"matrix,omitempty"`
	Range         string  `json:"range,omitempty"`
	FieldOrder    string  `json:"field_order,omitempty"`
}

// AudioInfo describes the audio stream quinte uses.
type AudioInfo struct {
	Stream     int    `json:"stream"`
	Codec      string `json:"codec"`
	Channels   int    `json:"channels"`
	SampleRate string `json:"sample_rate"`
	Layout     string `json:"layout,omitempty"`
}

// Classify picks the main video and audio streams and derives what the planner needs.
func Classify(p *ProbeResult) Media {
	m := Media{Container: p.Format.FormatName, Duration: p.Format.DurationSeconds()}
	if v := mainVideo(p.Streams); v != nil {
		m.Video = videoInfo(*v)
	}
	for _, s := range p.Streams {
		if s.CodecType == "audio" && s.Channels > 0 {
			m.Audio = &AudioInfo{Stream: s.Index, Codec: s.CodecName, Channels: s.Channels, SampleRate: s.SampleRate, Layout: s.ChannelLayout}
			break
		}
	}
	if m.Duration == 0 {
		for _, s := range p.Streams {
			m.Duration = max(m.Duration, s.DurationSeconds())
		}
	}
	switch {
	case m.Video != nil:
		m.Kind = message.KindVideo
	case m.Audio != nil:
		m.Kind = message.KindAudio
	}
	return m
}

// mainVideo is the stream that really moves: not cover art, and of several video streams the one with
// the most frames (a phone's motion photo carries a second, two-frame "top shot" track).
func mainVideo(streams []ProbeStream) *ProbeStream {
	var best *ProbeStream
	for i := range streams {
		s := &streams[i]
		if s.CodecType != "video" || s.Disposition.AttachedPic == 1 || s.Width <= 0 || s.Height <= 0 {
			continue
		}
		if best == nil || moves(s) > moves(best) {
			best = s
		}
	}
	return best
}

// moves ranks video streams: declared frames first, then frame rate.
func moves(s *ProbeStream) float64 {
	if n := s.Frames(); n > 0 {
		return float64(n) * 1000
	}
	return s.FrameRate()
}

func videoInfo(s ProbeStream) *VideoInfo {
	v := &VideoInfo{
		Stream: s.Index, Codec: s.CodecName, Width: s.Width, Height: s.Height,
		Rotation: s.Rotation(), SAR: s.SampleAspect(), FrameRate: s.FrameRate(), Frames: s.Frames(),
		PixFmt: s.PixFmt, Transfer: known(s.ColorTransfer), Primaries: known(s.ColorPrimaries),
		Matrix: known(s.ColorSpace), Range: known(s.ColorRange), FieldOrder: known(s.FieldOrder),
	}
	w, h := float64(s.Width), float64(s.Height)
	if v.SAR > 1 {
		w *= v.SAR
	} else if v.SAR < 1 {
		h /= v.SAR
	}
	v.DisplayWidth, v.DisplayHeight = int(w+0.5), int(h+0.5)
	if v.Rotation == 90 || v.Rotation == 270 {
		v.DisplayWidth, v.DisplayHeight = v.DisplayHeight, v.DisplayWidth
	}
	return v
}

func known(s string) string {
	if s == "unknown" || s == "N/A" || strings.TrimSpace(s) == "" {
		return ""
	}
	return s
}
