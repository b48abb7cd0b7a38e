// Package probe reads what an upload is before anything decodes it: ffprobe's description (ProbeResult),
// the streams that matter (Media, Classify), the input gate (the allowlists every untrusted file is
// opened with, the limits checked on the probe alone, the reasons a refused file is given), and what
// the cheap analyses measured: the packet scan (packets.go), loudness and interlacing (measure.go). It
// runs only ffprobe; the ffmpeg analysis passes are built by package ffcmd and run by package pipeline,
// which hands their logs back here to read.
package probe

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// ProbeResult is ffprobe's description of a file, as far as quinte reads it.
type ProbeResult struct {
	Format  ProbeFormat   `json:"format"`
	Streams []ProbeStream `json:"streams"`
}

// ProbeFormat is ffprobe's "format" section.
type ProbeFormat struct {
	FormatName string `json:"format_name"`
	Duration   string `json:"duration"`
	Size       string `json:"size"`
	BitRate    string `json:"bit_rate"`
	NbStreams  int    `json:"nb_streams"`
}

// ProbeStream is one entry of ffprobe's "streams" section.
type ProbeStream struct {
	Index          int    `json:"index"`
	CodecType      string `json:"codec_type"`
	CodecName      string `json:"codec_name"`
	Profile        string `json:"profile"`
	Width          int    `json:"width"`
	Height         int    `json:"height"`
	SAR            string `json:"sample_aspect_ratio"`
	PixFmt         string `json:"pix_fmt"`
	ColorRange     string `json:"color_range"`
	ColorSpace     string `json:"color_space"`
	ColorTransfer  string `json:"color_transfer"`
	ColorPrimaries string `json:"color_primaries"`
	FieldOrder     string `json:"field_order"`
	RFrameRate     string `json:"r_frame_rate"`
	AvgFrameRate   string `json:"avg_frame_rate"`
	Duration       string `json:"duration"`
	NbFrames       string `json:"nb_frames"`
	SampleRate     string `json:"sample_rate"`
	Channels       int    `json:"channels"`
	ChannelLayout  string `json:"channel_layout"`
	Disposition    struct {
		Default     int `json:"default"`
		AttachedPic int `json:"attached_pic"`
		StillImage  int `json:"still_image"`
	} `json:"disposition"`
	Tags     map[string]string `json:"tags"`
	SideData []struct {
		Type       string  `json:"side_data_type"`
		Rotation   float64 `json:"rotation"`
		DVProfile  int     `json:"dv_profile"`
		DVBLCompat int     `json:"dv_bl_signal_compatibility_id"`
	} `json:"side_data_list"`
}

// FFprobe runs ffprobe: on an upload with the input gate's allowlists, on quinte's own files, and over
// an upload's packets (packets.go).
type FFprobe struct {
	Run Runner
	Bin string
}

// Runner runs a tool that prints a bounded answer (a run.Runner). It is an interface so that the
// package stays free of os/exec: package plan, which reads Media, must not reach a process.
type Runner interface {
	Output(ctx context.Context, bin string, args []string) ([]byte, error)
}

// Upload runs ffprobe on an upload at path, with the input gate's allowlists: only the file itself, only
// the containers and decoders quinte accepts.
func (f FFprobe) Upload(ctx context.Context, path string) (*ProbeResult, error) {
	return f.probe(ctx, path, SourceArgs())
}

// Own runs ffprobe on a file quinte wrote itself (image and playlist formats are not on the upload
// allowlist, but files are still the only protocol).
func (f FFprobe) Own(ctx context.Context, path string) (*ProbeResult, error) {
	return f.probe(ctx, path, []string{"-protocol_whitelist", "file"})
}

func (f FFprobe) probe(ctx context.Context, path string, gate []string) (*ProbeResult, error) {
	args := append([]string{"-hide_banner", "-v", "error"}, gate...)
	args = append(args, "-show_format", "-show_streams", "-of", "json", InputURL(path))
	out, err := f.Run.Output(ctx, f.Bin, args)
	if err != nil {
		return nil, err
	}
	return ParseProbe(out)
}

// ParseProbe reads ffprobe's JSON output.
func ParseProbe(b []byte) (*ProbeResult, error) {
	var r ProbeResult
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, fmt.Errorf("ffprobe output: %w", err)
	}
	return &r, nil
}

// InputURL names a local file for ffmpeg so that nothing in its name is read as a protocol or an option.
func InputURL(path string) string { return "file:" + path }

// Rotation is the clockwise rotation, in degrees (0, 90, 180 or 270), to apply for display.
func (s ProbeStream) Rotation() int {
	for _, sd := range s.SideData {
		if sd.Type == "Display Matrix" || sd.Rotation != 0 {
			// ffprobe reports the counter-clockwise angle: -90 means "turn 90° clockwise".
			r := int(math.Round(-sd.Rotation/90)) * 90
			return ((r % 360) + 360) % 360
		}
	}
	if v, ok := s.Tags["rotate"]; ok {
		if n, err := strconv.Atoi(v); err == nil {
			return ((n % 360) + 360) % 360
		}
	}
	return 0
}

// SampleAspect is the pixel aspect ratio (1 when unknown or square).
func (s ProbeStream) SampleAspect() float64 {
	if r := ParseRatio(s.SAR); r > 0 {
		return r
	}
	return 1
}

// FrameRate is the stream's average frame rate, falling back to its base rate. A base rate of 1000 or
// more with no average is not a rate but a millisecond time base: Chromium's MediaRecorder WebM says
// 1000/1 and 0/0 when its frames came unevenly (a busy phone or machine), and taking that for 1000 fps
// refused a plain recording as frame_rate_too_high. Such a rate is unknown (0) until the packet scan
// counts the frames, and the limits are checked again then.
func (s ProbeStream) FrameRate() float64 {
	avg := ParseRatio(s.AvgFrameRate)
	if avg > 0 && avg < 1000 {
		return avg
	}
	if r := ParseRatio(s.RFrameRate); r < 1000 || avg > 0 {
		return r
	}
	return 0
}

// Frames is the declared frame count, or 0 when the container does not say.
func (s ProbeStream) Frames() int {
	n, _ := strconv.Atoi(s.NbFrames)
	return n
}

// DurationSeconds is the stream's declared duration, or 0.
func (s ProbeStream) DurationSeconds() float64 { return parseFloat(s.Duration) }

// DurationSeconds is the container's declared duration, or 0.
func (f ProbeFormat) DurationSeconds() float64 { return parseFloat(f.Duration) }

func parseFloat(s string) float64 {
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) || v < 0 {
		return 0
	}
	return v
}

// ParseRatio reads "30000/1001" or "3:2"; it returns 0 for "0/0", "N/A" and garbage.
func ParseRatio(s string) float64 {
	a, b, ok := strings.Cut(s, "/")
	if !ok {
		a, b, ok = strings.Cut(s, ":")
	}
	if !ok {
		return parseFloat(s)
	}
	n, d := parseFloat(a), parseFloat(b)
	if n == 0 || d == 0 {
		return 0
	}
	return n / d
}
