// Package ffcmd builds every ffmpeg command line of a job, one way: ffmpeg-go graphs rendered to argv
// slices. From a plan (package plan) it builds the main pass (video.go, audio.go, with each social
// crop's filters: crop.go) and the finishing pass (finish.go), with the files those read (Prepare:
// camera paths, overlay scripts); from a probed upload, the analysis passes (loudness, idet, and the
// subject analysis's decode: subject.go); for a photo, the encodes Go has no encoder for (photo.go).
// It runs nothing (package run, subject and photo do) and decides nothing (package plan did): the
// same plan gives the same argv, byte for byte (the golden tests).
package ffcmd

import (
	"fmt"
	"path/filepath"
	"strconv"
	"strings"

	"slices"

	"github.com/quinte-media/quinte/pipeline/geom"
	"github.com/quinte-media/quinte/pipeline/plan"
	"github.com/quinte-media/quinte/pipeline/probe"
	ffmpeg "github.com/u2takey/ffmpeg-go"
)

// globalArgs come before everything else on every ffmpeg command line: no prompts, no banner, only
// errors on stderr (their tail goes into error messages, their count tells a broken input), progress as
// key=value lines on stdout, a non-zero exit when more than a tenth of the frames fail to decode, and
// the filters' slice threads fixed (filterThreads).
var globalArgs = []string{"-hide_banner", "-nostdin", "-nostats", "-v", "error", "-progress", "pipe:1", "-y", "-max_error_rate", "0.1",
	"-filter_threads", strconv.Itoa(filterThreads), "-filter_complex_threads", strconv.Itoa(filterThreads)}

// filterThreads is the number of slice threads of every filter graph, never ffmpeg's automatic one
// CPU each: swscale cuts a picture into one slice per thread, and a colour conversion (the working
// picture's BT.709 matrix) rounds differently at each cut, so every picture, and every output made
// from it, would depend on the CPUs of the worker (measured: the working picture of a 1080p clip
// on one CPU and on two, different frames; with the count fixed, the same). Two is what a job's
// share of the cores (one job per two, DefaultConcurrency) gives. The subject analysis's decode
// takes it too (SubjectCommand).
const filterThreads = 2

// analysisArgs come first on the command line of an analysis pass: its filters report on stderr at
// the info level, and it writes nothing but progress.
var analysisArgs = []string{"-hide_banner", "-nostdin", "-nostats", "-v", "info", "-progress", "pipe:1"}

// MeasureCommand is the loudness measuring pass: ebur128 over the audio stream after each of chains
// (its gain and limiter), all from one decode of the audio (asplit gives each chain its branch), the
// input looped loops times. Each ebur128 is named (probe.R128Label) so that its summary can be told
// from the others'.
func MeasureCommand(path string, stream, loops int, chains []plan.AudioChain) []string {
	var kw ffmpeg.KwArgs
	if loops > 1 {
		kw = ffmpeg.KwArgs{"stream_loop": strconv.Itoa(loops - 1)}
	}
	src := sourceInput(path, kw)
	audio := splitN(apply(src.Get(strconv.Itoa(stream)), audioPrep()...), len(chains), true)
	var outs []*ffmpeg.Stream
	for i, c := range chains {
		m := apply(audio[i], append(audioFilters(c), filt{probe.R128Label(i), "peak=true:framelog=verbose"})...)
		outs = append(outs, m.Output("-", ffmpeg.KwArgs{"f": "null"}))
	}
	return append(slices.Clone(analysisArgs), ffmpeg.MergeOutputs(outs...).GetArgs()...)
}

// IdetCommand is the interlace detection pass: idet over the first 10 seconds of the video stream.
func IdetCommand(path string, stream int) []string {
	src := sourceInput(path, ffmpeg.KwArgs{"t": "10"})
	out := apply(src.Get(strconv.Itoa(stream)), filt{"idet", ""}).Output("-", ffmpeg.KwArgs{"f": "null"})
	return append(slices.Clone(analysisArgs), out.GetArgs()...)
}

// sourceInput is an untrusted upload opened with the input gate's allowlists.
func sourceInput(path string, extra ffmpeg.KwArgs) *ffmpeg.Stream {
	kw := ffmpeg.KwArgs{}
	g := probe.SourceArgs()
	for i := 0; i+1 < len(g); i += 2 {
		kw[strings.TrimPrefix(g[i], "-")] = g[i+1]
	}
	for k, v := range extra {
		kw[k] = v
	}
	return ffmpeg.Input(probe.InputURL(path), kw)
}

// ownInput is a file quinte wrote itself in this job (still only the file protocol, and only its format).
func ownInput(path, format string, extra ffmpeg.KwArgs) *ffmpeg.Stream {
	kw := ffmpeg.KwArgs{"protocol_whitelist": "file", "format_whitelist": format}
	for k, v := range extra {
		kw[k] = v
	}
	return ffmpeg.Input(probe.InputURL(path), kw)
}

// filt is one filter of a chain: a name and its option string.
type filt struct{ name, args string }

func (f filt) String() string {
	if f.args == "" {
		return f.name
	}
	return f.name + "=" + f.args
}

// chain renders filters as an -af/-vf graph.
func chain(fs []filt) string {
	parts := make([]string, len(fs))
	for i, f := range fs {
		parts[i] = f.String()
	}
	return strings.Join(parts, ",")
}

// apply appends filters to a stream of the graph.
func apply(s *ffmpeg.Stream, fs ...filt) *ffmpeg.Stream {
	for _, f := range fs {
		var args ffmpeg.Args
		if f.args != "" {
			args = ffmpeg.Args{f.args}
		}
		s = s.Filter(f.name, args)
	}
	return s
}

// splitN splits s into n branches (none needed for one).
func splitN(s *ffmpeg.Stream, n int, audio bool) []*ffmpeg.Stream {
	if n == 1 {
		return []*ffmpeg.Stream{s}
	}
	node := s.Split()
	if audio {
		node = s.ASplit()
	}
	out := make([]*ffmpeg.Stream, n)
	for i := range out {
		out[i] = node.Get(strconv.Itoa(i))
	}
	return out
}

// Settings are the x264 settings of every MP4 output.
type Settings struct {
	Preset string
	CRF    int
}

// x264Threads is the number of frame threads of every x264 encode (see videoArgs). Three is what
// x264 picks by itself for the two cores a job has (one job runs per two cores, DefaultConcurrency),
// and a pass runs five to seven encodes at once, which keep more cores busy.
const x264Threads = 3

// videoArgs are the video encoder options of every MP4: H.264 High, yuv420p, BT.709 SDR tags, a
// keyframe every 2 s (HLS variants cut at the same instants), CRF capped at maxRate kb/s (0: no cap).
//
// The cap (x264's VBV) costs determinism where it binds: with frame threads, x264's rate control then
// plans from the sizes of frames still being encoded on other threads, so two runs may differ by a
// few bytes (measured here: a 1280x720 test pattern capped at 1553 kb/s gave a different file every
// run, at 2764 kb/s, where the cap did not bind, the same one). Only the renditions, which stream,
// are capped.
//
// x264 runs x264Threads frame threads, never its automatic count: that is 1.5 per CPU the ffmpeg
// process may use, and another count gives another file (the same quality, a few hundred bytes
// apart, frames differing at 42–87 dB from some frame to the end of its GOP: issue 19's symptom).
// Left automatic, a job's outputs would depend on the worker it lands on (its cores, a container's
// CPU limit, an affinity mask); fixed, a retry elsewhere writes the same bytes.
func videoArgs(e Settings, maxRate int) ffmpeg.KwArgs {
	kw := merge(x264Args(e), ffmpeg.KwArgs{"force_key_frames": fmt.Sprintf("expr:gte(t,n_forced*%d)", plan.KeyframeEvery)})
	if maxRate > 0 {
		kw["maxrate"], kw["bufsize"] = strconv.Itoa(maxRate)+"k", strconv.Itoa(2*maxRate)+"k"
	}
	return kw
}

// x264Args are the x264 options every H.264 output shares, the video's and the photo loop's: the
// configured preset and CRF, High profile, x264Threads frame threads, yuv420p with BT.709 SDR tags.
func x264Args(e Settings) ffmpeg.KwArgs {
	return ffmpeg.KwArgs{
		"c:v": "libx264", "preset": e.Preset, "crf": strconv.Itoa(e.CRF), "profile:v": "high", "threads:v": strconv.Itoa(x264Threads),
		"pix_fmt": "yuv420p", "colorspace": "bt709", "color_primaries": "bt709", "color_trc": "bt709", "color_range": "tv",
	}
}

// audioArgs are the audio encoder options: AAC-LC 48 kHz stereo.
func audioArgs() ffmpeg.KwArgs {
	return ffmpeg.KwArgs{"c:a": "aac", "b:a": "128k", "ar": "48000", "ac": "2"}
}

// cleanArgs strip everything of the source's (location, device, creation time, chapters) and keep the
// files reproducible.
func cleanArgs() ffmpeg.KwArgs {
	return ffmpeg.KwArgs{"map_metadata": "-1", "map_chapters": "-1", "fflags": "+bitexact"}
}

func merge(kws ...ffmpeg.KwArgs) ffmpeg.KwArgs {
	out := ffmpeg.KwArgs{}
	for _, kw := range kws {
		for k, v := range kw {
			out[k] = v
		}
	}
	return out
}

// jpegArgs write one JPEG still.
func jpegArgs(q int) ffmpeg.KwArgs {
	// One thread: the MJPEG encoder's slice threads would make the bytes follow the CPU count.
	return merge(ffmpeg.KwArgs{"frames:v": "1", "update": "1", "q:v": strconv.Itoa(q), "fps_mode": "passthrough", "flags:v": "+bitexact", "threads:v": "1"}, cleanArgs())
}

// toJPEG converts yuv420p (TV range) to what the MJPEG encoder takes, at size.
func toJPEG(s *ffmpeg.Stream, size geom.Size) *ffmpeg.Stream {
	return apply(s, filt{"scale", fmt.Sprintf("%d:%d:flags=lanczos:out_range=pc", size.W, size.H)}, filt{"format", "yuvj420p"}, filt{"setsar", "1"})
}

// fileName turns an output name ("rendition/720p") into a flat file name in the job's directory.
func fileName(name, ext string) string {
	return strings.ReplaceAll(name, "/", "_") + ext
}

// JobFile is a working file of the job.
func JobFile(dir, name string) string { return filepath.Join(dir, name) }

// OutputFile is where the job writes the output called name.
func OutputFile(dir, name, ext string) string { return filepath.Join(dir, fileName(name, ext)) }

// selectFrames is a select expression keeping the listed frame numbers.
func selectFrames(frames []int) string {
	terms := make([]string, len(frames))
	for i, f := range frames {
		terms[i] = fmt.Sprintf("eq(n,%d)", f)
	}
	return strings.Join(terms, "+")
}

func size(w, h int) string { return fmt.Sprintf("%d:%d", w, h) }
