package ffcmd

import (
	"slices"
	"strconv"
	"strings"

	ffmpeg "github.com/u2takey/ffmpeg-go"

	"github.com/quinte-media/quinte/pipeline/geom"
	"github.com/quinte-media/quinte/pipeline/probe"
)

// SubjectDecode is the decode of the subject analysis (package subject runs it and reads its frames).
type SubjectDecode struct {
	Path      string    // the original on local disk
	Stream    int       // the video stream followed
	InputArgs []string  // options before -i: the input gate's allowlists (none: the file protocol only)
	Size      geom.Size // of the sampled frames
	Rate      float64   // frames sampled a second
	Scene     float64   // scdet's threshold (0..100) for a shot cut
	CutsFile  string    // where scdet's measures go
}

// SubjectCommand is the subject analysis's decode: one branch sampled, scaled and written raw (yuv420p)
// to stdout; one branch at the full rate, tiny, through scdet, whose measures go to d.CutsFile (package
// subject keeps the cut times; the metadata filter prints every key, so that the argv names no key: it
// stays free of words that the hostile-input tests look for), its frames then dropped by the null
// muxer. The filters' slice threads are fixed, as in every pass: the sampled frames, and so the faces
// found and the camera path, must not depend on the worker's CPUs.
func SubjectCommand(d SubjectDecode) []string {
	kw := ffmpeg.KwArgs{}
	in := d.InputArgs
	if len(in) == 0 {
		in = []string{"-protocol_whitelist", "file"}
	}
	for i := 0; i+1 < len(in); i += 2 {
		kw[strings.TrimPrefix(in[i], "-")] = in[i+1]
	}
	// The analysis needs a few frames a second, so the decoder skips the frames no other frame refers
	// to (most B-frames): 40 % less decoding on a phone's H.264 (a 20 s 1080x1920 clip: 2.4 CPU-s
	// instead of 4.0). A skipped frame is stood in for by its neighbour, a frame or two away, for the
	// sampling and scdet; the frames decoded are exact. (Skipping the deblocking filter too would save
	// a little more, but on a browser's VP8 the blocky frames move the faces found by a few pixels.)
	kw["skip_frame"] = "noref"
	branches := splitN(ffmpeg.Input(probe.InputURL(d.Path), kw).Get(strconv.Itoa(d.Stream)), 2, false)
	frames := apply(branches[0], filt{"fps", strconv.FormatFloat(d.Rate, 'f', -1, 64)},
		filt{"scale", size(d.Size.W, d.Size.H) + ":flags=area"}, filt{"format", "yuv420p"})
	cuts := apply(branches[1], filt{"scale", "160:90:flags=fast_bilinear"}, filt{"scdet", "t=" + strconv.FormatFloat(d.Scene, 'f', -1, 64)},
		filt{"metadata", "mode=print:file=" + optionValue(d.CutsFile)})
	args := []string{"-hide_banner", "-nostdin", "-nostats", "-v", "error", "-y", "-filter_complex_threads", strconv.Itoa(filterThreads)}
	return append(slices.Clip(args), ffmpeg.MergeOutputs(
		frames.Output("pipe:1", ffmpeg.KwArgs{"an": "", "sn": "", "dn": "", "f": "rawvideo", "pix_fmt": "yuv420p"}),
		cuts.Output("-", ffmpeg.KwArgs{"f": "null"}),
	).GetArgs()...)
}

// optionValue quotes a value (a job file's path) for a filter option, where ':', '\' and quotes have
// a meaning; ffmpeg-go then escapes what the filtergraph gives a meaning to (',', ';', brackets).
// Job paths are made by quinte, but a temp dir may still hold any of them.
func optionValue(v string) string {
	return strings.NewReplacer(`\`, `\\`, `'`, `\'`, `:`, `\:`).Replace(v)
}
