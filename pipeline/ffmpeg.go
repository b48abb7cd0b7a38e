package pipeline

import (
	"path/filepath"
	"strconv"
	"strings"

	ffmpeg "github.com/u2takey/ffmpeg-go"
)

// globalArgs come before everything else on every ffmpeg command line: no prompts, no banner, only
// errors on stderr (their tail goes into error messages), progress as key=value lines on stdout.
var globalArgs = []string{"-hide_banner", "-nostdin", "-nostats", "-v", "error", "-progress", "pipe:1", "-y"}

// inputArgs are the options of every untrusted input: only plain files may be opened, whatever the file
// says (an HLS playlist or a concat list cannot make ffmpeg read another file or the network).
func inputArgs() ffmpeg.KwArgs {
	return ffmpeg.KwArgs{"protocol_whitelist": "file"}
}

// encodeSettings are the x264 settings of every MP4 output.
type encodeSettings struct {
	Preset string
	CRF    int
}

// mp4Args are the output options of every MP4: H.264 High, BT.709 SDR, AAC-LC 48 kHz stereo, moov before
// mdat, and none of the source's metadata (location, device, creation time).
func mp4Args(e encodeSettings, audio bool) ffmpeg.KwArgs {
	a := ffmpeg.KwArgs{
		"c:v": "libx264", "preset": e.Preset, "crf": strconv.Itoa(e.CRF), "profile:v": "high",
		"pix_fmt": "yuv420p", "colorspace": "bt709", "color_primaries": "bt709", "color_trc": "bt709",
		"color_range": "tv", "movflags": "+faststart", "map_metadata": "-1", "map_chapters": "-1",
		"fflags": "+bitexact", "flags:v": "+bitexact",
	}
	if audio {
		a["c:a"] = "aac"
		a["b:a"] = "128k"
		a["ar"] = "48000"
		a["ac"] = "2"
		a["flags:a"] = "+bitexact"
	}
	return a
}

// videoCommand is the single ffmpeg pass of a video plan: decode once, normalise, split to every output.
// It returns the argv (without the binary) and the file each output is written to.
func videoCommand(vp *VideoPlan, in, outDir string, e encodeSettings) ([]string, map[string]string) {
	src := ffmpeg.Input(inputURL(in), inputArgs())
	work := src.Get(strconv.Itoa(vp.VideoStream)).
		Filter("fps", ffmpeg.Args{vp.FrameRate}).
		Filter("scale", ffmpeg.Args{strconv.Itoa(vp.Work.W), strconv.Itoa(vp.Work.H)}, ffmpeg.KwArgs{
			"flags": "lanczos", "out_color_matrix": "bt709", "out_range": "tv",
		}).
		Filter("setsar", ffmpeg.Args{"1"}).
		Filter("format", ffmpeg.Args{"yuv420p"})
	split := work.Split()

	files := map[string]string{}
	var outs []*ffmpeg.Stream
	for i, o := range vp.Outputs {
		s := split.Get(strconv.Itoa(i))
		if o.Crop != nil {
			c := o.Crop
			s = s.Filter("crop", ffmpeg.Args{strconv.Itoa(c.W), strconv.Itoa(c.H), strconv.Itoa(c.X), strconv.Itoa(c.Y)})
		}
		file := filepath.Join(outDir, fileName(o.Name, "."+o.Format))
		files[o.Name] = file
		switch o.Format {
		case "jpg":
			s = s.Filter("thumbnail", ffmpeg.Args{"30"}).
				Filter("scale", ffmpeg.Args{strconv.Itoa(o.Width), strconv.Itoa(o.Height)}, ffmpeg.KwArgs{"flags": "lanczos", "out_range": "pc"}).
				Filter("format", ffmpeg.Args{"yuvj420p"})
			outs = append(outs, s.Output(file, ffmpeg.KwArgs{"frames:v": "1", "q:v": "3", "update": "1", "fflags": "+bitexact", "flags:v": "+bitexact", "map_metadata": "-1"}))
		default:
			if o.Width != vp.Work.W || o.Height != vp.Work.H || o.Crop != nil {
				s = s.Filter("scale", ffmpeg.Args{strconv.Itoa(o.Width), strconv.Itoa(o.Height)}, ffmpeg.KwArgs{"flags": "lanczos"})
			}
			streams := []*ffmpeg.Stream{s}
			if vp.AudioStream >= 0 {
				streams = append(streams, src.Get(strconv.Itoa(vp.AudioStream)))
			}
			outs = append(outs, ffmpeg.Output(streams, file, mp4Args(e, vp.AudioStream >= 0)))
		}
	}
	args := append(append([]string{}, globalArgs...), ffmpeg.MergeOutputs(outs...).GetArgs()...)
	return args, files
}

// audioCommand transcodes an audio-only message to AAC in MP4 (m4a).
func audioCommand(ap *AudioPlan, in, outDir string, e encodeSettings) ([]string, string) {
	src := ffmpeg.Input(inputURL(in), inputArgs())
	file := filepath.Join(outDir, fileName(ap.Name, ".m4a"))
	a := mp4Args(e, true)
	for _, k := range []string{"c:v", "preset", "crf", "profile:v", "pix_fmt", "colorspace", "color_primaries", "color_trc", "color_range", "flags:v"} {
		delete(a, k)
	}
	a["vn"] = ""
	out := ffmpeg.Output([]*ffmpeg.Stream{src.Get(strconv.Itoa(ap.AudioStream))}, file, a)
	return append(append([]string{}, globalArgs...), out.GetArgs()...), file
}

// fileName turns an output name ("rendition/720p") into a flat file name in the job's directory.
func fileName(name, ext string) string {
	return strings.ReplaceAll(name, "/", "_") + ext
}
