package probe

import (
	"fmt"
	"github.com/quinte-media/quinte/pipeline/internal/reject"
	"regexp"
	"slices"
	"strings"
	"time"
)

// The input gate: what quinte lets ffprobe and ffmpeg open, and the limits checked on the probe before
// any frame is decoded. Everything here is cheap and runs before the expensive work (imgproxy's
// security checker is the model).

// allowedFormats are the demuxers an upload may use: the containers phones, browsers, cameras and voice
// recorders write. Playlists (hls), lists of other files (concat), image sequences (image2) and every
// other demuxer are refused, so a file cannot make ffmpeg open anything but itself.
var allowedFormats = []string{"mov", "mp4", "matroska", "webm", "mpegts", "mpeg", "mp3", "ogg", "wav", "flac", "aac", "avi", "gif"}

// allowedDecoders are the decoders ffmpeg may open for an upload (ffmpeg's -codec_whitelist names
// decoders, not codecs: AV1 is libdav1d, MP3 is mp3float). Rarely used decoders with a history of
// memory bugs (MagicYUV and the like) stay out.
var allowedDecoders = []string{
	"h264", "hevc", "vp8", "vp9", "libdav1d", "mpeg2video", "mpeg4", "prores", "dvvideo", "mjpeg", "png", "gif",
	"aac", "aac_fixed", "mp3float", "mp3", "mp2float", "mp2", "opus", "vorbis", "flac", "ac3", "ac3_fixed", "eac3", "alac",
	"pcm_s16le", "pcm_s16be", "pcm_s24le", "pcm_s24be", "pcm_s32le", "pcm_f32le", "pcm_u8", "pcm_mulaw", "pcm_alaw",
}

// Codecs (as ffprobe names them) of the streams quinte decodes, with what people call them.
var (
	allowedVideoCodecs = []string{"h264", "hevc", "vp8", "vp9", "av1", "mpeg2video", "mpeg4", "prores", "dvvideo", "mjpeg", "gif"}
	allowedAudioCodecs = []string{"aac", "mp3", "mp2", "opus", "vorbis", "flac", "ac3", "eac3", "alac",
		"pcm_s16le", "pcm_s16be", "pcm_s24le", "pcm_s24be", "pcm_s32le", "pcm_f32le", "pcm_u8", "pcm_mulaw", "pcm_alaw"}
	allowedCoverCodecs = []string{"mjpeg", "png"}
)

// SourceArgs are the input options of every untrusted file, on ffprobe and ffmpeg alike.
func SourceArgs() []string {
	return []string{
		"-protocol_whitelist", "file",
		"-format_whitelist", strings.Join(allowedFormats, ","),
		"-codec_whitelist", strings.Join(allowedDecoders, ","),
	}
}

// Limits are the gate's limits on the probe (see pipeline.Config, whose defaults fill them).
type Limits struct {
	MaxDuration  time.Duration
	MaxVideoSide int
	MaxFrameRate int
	MaxStreams   int
	MaxFrames    int
}

// MinVideoSide is the narrowest picture quinte takes, in pixels.
const MinVideoSide = 16

// Check refuses, from the probe alone, what quinte will not decode: unknown codecs, too many
// streams, too long, too large or too small pictures, absurd frame rates.
func (c Limits) Check(m *Media) error {
	if m.Streams > c.MaxStreams {
		return refuse("too_many_streams", "the file has %d streams; quinte accepts at most %d (a phone or camera recording has 2 to 6)", m.Streams, c.MaxStreams)
	}
	if m.OpaqueSubtitles > 0 {
		return refuse("hidden_payload", "the file carries a subtitle stream that holds something other than subtitles (an embedded playlist or file): export the video again without subtitles")
	}
	if m.Duration > c.MaxDuration.Seconds() {
		return refuse("too_long", "the recording lasts %s; the limit is %s: trim it and upload it again", Clock(m.Duration), Clock(c.MaxDuration.Seconds()))
	}
	if v := m.Video; v != nil {
		if !slices.Contains(allowedVideoCodecs, v.Codec) {
			return refuse("unsupported_codec", "the video is encoded as %q, which quinte does not accept (accepted: H.264, HEVC, VP8, VP9, AV1, MPEG-2, MPEG-4, ProRes, DV, Motion JPEG, GIF): export it as H.264 or HEVC", v.Codec)
		}
		if v.Width > c.MaxVideoSide || v.Height > c.MaxVideoSide {
			return refuse("video_too_large", "the video is %dx%d pixels; quinte accepts at most %d pixels on a side (4K): export it at 4K or less", v.Width, v.Height, c.MaxVideoSide)
		}
		if v.Width < MinVideoSide || v.Height < MinVideoSide {
			return refuse("video_too_small", "the video is %dx%d pixels; quinte needs at least %dx%d", v.Width, v.Height, MinVideoSide, MinVideoSide)
		}
		if v.PixFmt == "" {
			return refuse("undecodable_video", "the %s video stream could not be decoded (not one frame came out): the file is damaged; export or record it again", v.Codec)
		}
		if v.FrameRate > float64(c.MaxFrameRate) {
			return refuse("frame_rate_too_high", "the video runs at %.0f frames per second; quinte accepts at most %d", v.FrameRate, c.MaxFrameRate)
		}
		if v.Frames > c.MaxFrames {
			return refuse("too_many_frames", "the video has %d frames; quinte accepts at most %d", v.Frames, c.MaxFrames)
		}
	}
	if a := m.Audio; a != nil && !slices.Contains(allowedAudioCodecs, a.Codec) {
		return refuse("unsupported_codec", "the audio is encoded as %q, which quinte does not accept (accepted: AAC, MP3, Opus, Vorbis, FLAC, AC-3, ALAC, PCM)", a.Codec)
	}
	if m.Cover != nil && !slices.Contains(allowedCoverCodecs, m.Cover.Codec) {
		m.Cover = nil // an odd cover picture is not worth failing a voice note for: the branded still replaces it
	}
	return nil
}

// refuse returns the refusal of an input that will never work.
func refuse(code, format string, a ...any) error {
	return &reject.Error{Code: code, Message: fmt.Sprintf(format, a...)}
}

func containsFold(s, sub string) bool {
	return strings.Contains(strings.ToLower(s), strings.ToLower(sub))
}

// Clock formats seconds as 1h02m03s, 4m05s or 6.5s.
func Clock(s float64) string {
	switch {
	case s >= 3600:
		return fmt.Sprintf("%dh%02dm%02ds", int(s)/3600, int(s)%3600/60, int(s)%60)
	case s >= 60:
		return fmt.Sprintf("%dm%02ds", int(s)/60, int(s)%60)
	}
	return fmt.Sprintf("%.1fs", s)
}

var (
	detectedAs  = regexp.MustCompile(`\[(\w+) @ 0x[0-9a-f]+\] Format not on whitelist`)
	codecNamed  = regexp.MustCompile(`Codec \((\w+)\) not on whitelist`)
	logPrefix   = regexp.MustCompile(`\[[\w,]+ @ 0x[0-9a-f]+\] `)
	fileURLPath = regexp.MustCompile(`file:/\S*?: `)
)

// CleanTail is ffmpeg's complaint without what means nothing to a person (log prefixes, the job's
// paths).
func CleanTail(tail string) string {
	return strings.TrimSpace(fileURLPath.ReplaceAllString(logPrefix.ReplaceAllString(tail, ""), ""))
}

// Refusal turns ffprobe's complaint about an upload into a reason a person can act on.
func Refusal(tail string) *reject.Error {
	has := func(s string) bool { return containsFold(tail, s) }
	switch {
	case has("Format not on whitelist"):
		name := "an unknown format"
		if m := detectedAs.FindStringSubmatch(tail); m != nil {
			name = m[1]
		}
		if slices.Contains([]string{"hls", "concat", "image2", "dash", "ffmetadata", "tee"}, name) {
			return &reject.Error{Code: "unsupported_format", Message: fmt.Sprintf("the file is a %s list of other files, not media: upload the video or audio file itself", name)}
		}
		return &reject.Error{Code: "unsupported_format", Message: fmt.Sprintf("the file reads as %s, which quinte does not accept (accepted: MP4/MOV, WebM/MKV, MPEG-TS, AVI, MP3, Ogg/Opus, WAV, FLAC, AAC); if it is an MP3 or a video, its beginning is damaged: export it again", name)}
	case has("not on whitelist"):
		name := "a codec"
		if m := codecNamed.FindStringSubmatch(tail); m != nil {
			name = m[1]
		}
		return &reject.Error{Code: "unsupported_codec", Message: fmt.Sprintf("the file holds a %s stream, which quinte does not decode: export it as H.264 or HEVC video with AAC audio", name)}
	case has("moov atom not found"):
		return &reject.Error{Code: "mp4_index_missing", Message: "the MP4/MOV file has no index (moov atom): the recording was interrupted or the file was not copied in full; export it again from the phone or camera"}
	case has("EBML header parsing failed"):
		return &reject.Error{Code: "corrupt_container", Message: "the Matroska/WebM header is damaged (EBML header parsing failed): record or export the file again"}
	case has("error reading header"), has("truncated"), has("End of file"):
		return &reject.Error{Code: "truncated_file", Message: "the file is cut short or damaged (" + CleanTail(tail) + "): upload the complete file"}
	}
	return &reject.Error{Code: "unreadable_media", Message: "the file could not be read as video or audio (" + CleanTail(tail) + ")"}
}
