package ffcmd

import (
	"fmt"
	"strconv"

	ffmpeg "github.com/u2takey/ffmpeg-go"

	"github.com/quinte-media/quinte/pipeline/geom"
	"github.com/quinte-media/quinte/pipeline/probe"
)

// A photo's pictures are decoded and drawn in Go (package photo); ffmpeg only encodes what Go has no
// encoder for, from raw RGBA pixels photo wrote: the WebP copies and an animation's MP4 loop. Neither
// reads an upload, so neither takes the input gate's allowlists, and both report errors only (photo
// watches their file and pipe traffic for progress, not -progress).

// photoArgs come first on a photo encode's command line. The loop reads its frames on stdin, so only
// the WebP encode says -nostdin.
var photoArgs = []string{"-hide_banner", "-nostats", "-v", "error"}

// RawPicture is a picture photo wrote raw, RGBA row after row, for ffmpeg to encode.
type RawPicture struct {
	Path string
	Size geom.Size
}

// rawInput reads raw RGBA pictures of size s from url (a file, or pipe:0); extra adds input options.
func rawInput(url string, s geom.Size, extra ffmpeg.KwArgs) *ffmpeg.Stream {
	return ffmpeg.Input(url, merge(ffmpeg.KwArgs{"f": "rawvideo", "pix_fmt": "rgba", "s": fmt.Sprintf("%dx%d", s.W, s.H)}, extra))
}

// PhotoWebPCommand encodes each picture of ins into the WebP file of the same index of outs, in one
// run through libwebp at quality q: one frame each, yuv420p, no metadata (the webp muxer then writes
// only the VP8 bitstream: no EXIF, XMP or ICC chunk).
func PhotoWebPCommand(ins []RawPicture, outs []string, q int) []string {
	streams := make([]*ffmpeg.Stream, len(ins))
	for i, in := range ins {
		pic := rawInput(probe.InputURL(in.Path), in.Size, nil).Get("v")
		streams[i] = pic.Output("file:"+outs[i], ffmpeg.KwArgs{"frames:v": "1", "c:v": "libwebp", "quality": strconv.Itoa(q),
			"pix_fmt": "yuv420p", "map_metadata": "-1", "f": "webp", "y": ""})
	}
	args := append(append([]string{}, photoArgs...), "-nostdin")
	return append(args, ffmpeg.MergeOutputs(streams...).GetArgs()...)
}

// PhotoLoopCommand encodes the raw frames of size shown that photo pipes to stdin, fps a second, into
// a muted H.264 loop of size out at dst, with the x264 settings of every encode (e) and no metadata.
func PhotoLoopCommand(shown geom.Size, fps int, out geom.Size, e Settings, dst string) []string {
	in := rawInput("pipe:0", shown, ffmpeg.KwArgs{"framerate": strconv.Itoa(fps)})
	// One chain (-vf): the pixels go to BT.709 TV range in the scale, as the video passes' working picture.
	vf := chain([]filt{{"scale", fmt.Sprintf("%d:%d:flags=lanczos:out_color_matrix=bt709:out_range=tv", out.W, out.H)}, {"format", "yuv420p"}})
	kw := merge(x264Args(e), ffmpeg.KwArgs{"vf": vf, "an": "", "map_metadata": "-1", "fflags": "+bitexact", "flags:v": "+bitexact",
		"movflags": "+faststart", "f": "mp4", "y": ""})
	return append(append([]string{}, photoArgs...), in.Output("file:"+dst, kw).GetArgs()...)
}
