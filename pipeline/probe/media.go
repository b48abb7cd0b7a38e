package probe

import (
	"slices"
	"strconv"
	"strings"

	"github.com/quinte-media/quinte/message"
)

// Media is the probe read for planning: which streams matter and what they look like on screen, plus
// what the analysis measured (real duration, interlacing, loudness). It is stored in the manifest.
type Media struct {
	Kind         message.Kind `json:"kind"`
	Container    string       `json:"container"`
	Duration     float64      `json:"duration"`
	DurationFrom string       `json:"duration_from"` // "container", or "packets" when the container does not know
	Streams      int          `json:"streams"`
	Video        *VideoInfo   `json:"video,omitempty"`
	Audio        *AudioInfo   `json:"audio,omitempty"`
	Cover        *CoverInfo   `json:"cover,omitempty"` // the cover art of an audio file
	// Subtitle streams whose payload no subtitle reader recognised: an AVI's GAB2 block carrying
	// anything else (a playlist) is the shape of a file-read attack; the gate refuses them.
	OpaqueSubtitles int `json:"opaque_subtitles,omitempty"`
	// Video streams that hold no frame (an extra, empty track some Android cameras write): never the
	// main video, named in the plan's reasons.
	EmptyVideos []EmptyVideo `json:"empty_videos,omitempty"`

	videos []ProbeStream // every stream that could be the main video, for the packet scan to settle
}

// VideoInfo describes the main video stream.
type VideoInfo struct {
	Stream        int        `json:"stream"`
	Codec         string     `json:"codec"`
	Width         int        `json:"width"`  // coded
	Height        int        `json:"height"` // coded
	DisplayWidth  int        `json:"display_width"`
	DisplayHeight int        `json:"display_height"`
	Rotation      int        `json:"rotation"` // clockwise degrees applied for display
	SAR           float64    `json:"sar"`
	FrameRate     float64    `json:"frame_rate"` // measured from packet times when they are known
	VFR           bool       `json:"vfr,omitempty"`
	Duration      float64    `json:"duration,omitempty"` // of the video stream alone (the sound may last longer)
	Frames        int        `json:"frames,omitempty"`
	PixFmt        string     `json:"pix_fmt"`
	Transfer      string     `json:"transfer,omitempty"`
	Primaries     string     `json:"primaries,omitempty"`
	Matrix        string     `json:"matrix,omitempty"`
	Range         string     `json:"range,omitempty"`
	HDR           string     `json:"hdr,omitempty"`          // "pq" or "hlg"
	DolbyVision   string     `json:"dolby_vision,omitempty"` // profile.compatibility, e.g. "8.4"
	FieldOrder    string     `json:"field_order,omitempty"`  // what the stream says
	Interlace     *Interlace `json:"interlace,omitempty"`    // what idet measured, when the stream says interlaced

	declaredRate float64 // the container's average frame rate, 0 when it has none
}

// EmptyVideo is a video stream the packet scan found no frame in.
type EmptyVideo struct {
	Stream int    `json:"stream"`
	Codec  string `json:"codec"`
	Width  int    `json:"width"`
	Height int    `json:"height"`
}

// Interlace is idet's count of frames by kind over the first seconds, and the verdict.
type Interlace struct {
	TFF         int    `json:"tff"`
	BFF         int    `json:"bff"`
	Progressive int    `json:"progressive"`
	Verdict     string `json:"verdict"` // "progressive", "tff" or "bff"
}

// AudioInfo describes the audio stream quinte uses.
type AudioInfo struct {
	Stream     int       `json:"stream"`
	Codec      string    `json:"codec"`
	Channels   int       `json:"channels"`
	SampleRate string    `json:"sample_rate"`
	Layout     string    `json:"layout,omitempty"`
	Duration   float64   `json:"duration,omitempty"` // of the audio stream alone, when the container says
	Loudness   *Loudness `json:"loudness,omitempty"`
}

// CoverInfo is an attached picture (an MP3's album art).
type CoverInfo struct {
	Stream int    `json:"stream"`
	Codec  string `json:"codec"`
	Width  int    `json:"width"`
	Height int    `json:"height"`
}

// Classify picks the main video and audio streams and derives what the planner needs.
func Classify(p *ProbeResult) Media {
	m := Media{Container: p.Format.FormatName, Duration: p.Format.DurationSeconds(), DurationFrom: "container", Streams: len(p.Streams)}
	if v := mainVideo(p.Streams); v != nil {
		m.Video = videoInfo(*v)
	}
	for _, s := range p.Streams {
		if isPicture(s) {
			m.videos = append(m.videos, s)
		}
	}
	// The first audio stream quinte can decode, or else the first one (which the gate then refuses).
	for _, s := range p.Streams {
		if s.CodecType == "audio" && s.Channels > 0 && (m.Audio == nil || !slices.Contains(allowedAudioCodecs, m.Audio.Codec)) {
			m.Audio = &AudioInfo{Stream: s.Index, Codec: s.CodecName, Channels: s.Channels, SampleRate: s.SampleRate, Layout: s.ChannelLayout,
				Duration: s.DurationSeconds()}
		}
	}
	for _, s := range p.Streams {
		if s.CodecType == "subtitle" && known(s.CodecName) == "" {
			m.OpaqueSubtitles++
		}
	}
	for _, s := range p.Streams {
		if s.CodecType == "video" && s.Disposition.AttachedPic == 1 && s.Width > 0 && s.Height > 0 {
			m.Cover = &CoverInfo{Stream: s.Index, Codec: s.CodecName, Width: s.Width, Height: s.Height}
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
		m.Cover = nil
	case m.Audio != nil:
		m.Kind = message.KindAudio
	}
	return m
}

// DurationIsEstimate reports whether the container's duration is a guess (MP3 and raw AAC without an
// index are timed from their bit rate) rather than a fact.
func DurationIsEstimate(container string) bool {
	names := strings.Split(container, ",")
	return slices.Contains(names, "mp3") || slices.Contains(names, "aac")
}

// isPicture reports whether s is a video stream that could be the main video (not cover art).
func isPicture(s ProbeStream) bool {
	return s.CodecType == "video" && s.Disposition.AttachedPic == 0 && s.Width > 0 && s.Height > 0
}

// mainVideo is the stream that really moves: not cover art, and of several video streams the one with
// the most frames (a phone's motion photo carries a second, two-frame "top shot" track). A stream ffprobe
// could read no frame of (no pixel format) comes after every stream it could: an Android camera's extra
// track with no samples looks like that, and its base rate, taken from the time scale (90000/1), would
// otherwise outrank a short clip's frame count. Containers that do not count frames are settled later by
// the packet scan (mainByPackets), which also lists the streams that hold no frame (noteEmptyVideos).
func mainVideo(streams []ProbeStream) *ProbeStream {
	var best *ProbeStream
	for i := range streams {
		s := &streams[i]
		if !isPicture(*s) {
			continue
		}
		if best == nil || readable(s) && !readable(best) || readable(s) == readable(best) && moves(s) > moves(best) {
			best = s
		}
	}
	return best
}

// readable reports whether ffprobe decoded enough of the stream to know its pixel format.
func readable(s *ProbeStream) bool { return known(s.PixFmt) != "" }

// noteEmptyVideos lists the video streams in which the packet scan found no frame at all. None of them
// can be the main video (the stream with the most packets is), and the plan names them.
func (m *Media) noteEmptyVideos(t map[int]*streamTimes) {
	m.EmptyVideos = nil
	for _, s := range m.videos {
		if st := t[s.Index]; st == nil || len(st.pts) == 0 {
			m.EmptyVideos = append(m.EmptyVideos, EmptyVideo{Stream: s.Index, Codec: s.CodecName, Width: s.Width, Height: s.Height})
		}
	}
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
		Rotation: s.Rotation(), SAR: s.SampleAspect(), FrameRate: s.FrameRate(), Frames: s.Frames(), declaredRate: ParseRatio(s.AvgFrameRate),
		PixFmt: known(s.PixFmt), Transfer: known(s.ColorTransfer), Primaries: known(s.ColorPrimaries),
		Matrix: known(s.ColorSpace), Range: known(s.ColorRange), FieldOrder: known(s.FieldOrder),
	}
	switch v.Transfer {
	case "smpte2084":
		v.HDR = "pq"
	case "arib-std-b67":
		v.HDR = "hlg"
	}
	for _, sd := range s.SideData {
		if sd.Type == "DOVI configuration record" && sd.DVProfile > 0 {
			v.DolbyVision = strconv.Itoa(sd.DVProfile) + "." + strconv.Itoa(sd.DVBLCompat)
			if v.HDR == "" {
				// The base layer's transfer, when the stream does not tag it: 1 is HDR10, 4 is HLG.
				switch sd.DVBLCompat {
				case 1:
					v.HDR = "pq"
				case 4:
					v.HDR = "hlg"
				}
			}
		}
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

// MayBeInterlaced reports whether the stream says it is interlaced, or could be without saying so
// (a codec that can carry fields, in a stream whose field order is left out); only then is idet run.
// A stream that says "progressive" is believed: H.264 and HEVC derive it from the bitstream itself
// (frame_mbs_only, field_seq), not from a container tag, and phones, browsers and screen recorders
// never send fields. HEVC leaves the order out of almost every phone file, and carries fields only
// in broadcast streams, which quinte is not sent.
func (v *VideoInfo) MayBeInterlaced() bool {
	switch v.FieldOrder {
	case "tt", "bb", "tb", "bt":
		return true
	case "progressive":
		return false
	}
	return slices.Contains(fieldCodecs, v.Codec)
}

// fieldCodecs are the allowed codecs that can code interlaced pictures.
var fieldCodecs = []string{"mpeg2video", "dvvideo", "h264", "mpeg4", "mjpeg", "prores"}

func known(s string) string {
	if s == "unknown" || s == "N/A" || strings.TrimSpace(s) == "" {
		return ""
	}
	return s
}
