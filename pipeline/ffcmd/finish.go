package ffcmd

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	ffmpeg "github.com/u2takey/ffmpeg-go"

	"github.com/quinte-media/quinte/pipeline/plan"
	"github.com/quinte-media/quinte/pipeline/probe"
)

// HLSDir is the job's subdirectory holding the HLS files, published under messages/{id}/hls/.
const HLSDir = "hls"

// Prepare makes what the video plan's passes read or write in dir besides the source: the HLS
// subdirectory (the hls muxer does not make it), the camera paths of the moving crops, the lower-third's
// and captions drawn on the crops (extras.go).
func Prepare(vp *plan.VideoPlan, dir string) error {
	if err := os.MkdirAll(JobFile(dir, HLSDir), 0o755); err != nil {
		return err
	}
	for _, c := range vp.Crops {
		if err := WriteCamera(c, dir); err != nil {
			return err
		}
	}
	return writeCropOverlays(vp, dir)
}

// FinishCommands are the finishing pass's argvs, run side by side: the preview's MP4 and HLS, and the
// preview's WebP, from the main pass's files (the poster is made before the main pass, by
// PosterCommand). Their encoders are single-threaded, so as two processes they keep both cores busy.
func FinishCommands(vp *plan.VideoPlan, dir string, previewStart float64, e Settings) [][]string {
	preview := func() *ffmpeg.Stream {
		return ownInput(OutputFile(dir, vp.Preview.From, ".mp4"), "mov", ffmpeg.KwArgs{
			"ss": strconv.FormatFloat(previewStart, 'f', 3, 64), "t": strconv.FormatFloat(vp.Preview.Seconds, 'f', 3, 64)}).Get("0")
	}
	// Whole frames only: at 8.8 fps a frame lasts 0.11 s and a third of one more would show.
	frames := strconv.Itoa(max(1, int(vp.Preview.Seconds*probe.ParseRatio(vp.FrameRate))))
	// One x264 thread: the preview is a few seconds at 480p, and its bit-rate cap then stays
	// deterministic (see videoArgs).
	outs := []*ffmpeg.Stream{preview().Output(OutputFile(dir, "preview/mp4", ".mp4"),
		merge(videoArgs(e, 1500), cleanArgs(), ffmpeg.KwArgs{"an": "", "movflags": "+faststart", "flags:v": "+bitexact", "frames:v": frames, "threads:v": "1"}))}

	var hls []*ffmpeg.Stream
	var vmap []string
	for i, name := range vp.HLS.Variants {
		in := ownInput(OutputFile(dir, name, ".mp4"), "mov", nil)
		hls = append(hls, in.Get("0"), in.Get("1"))
		vmap = append(vmap, fmt.Sprintf("v:%d,a:%d,name:%s", i, i, strings.TrimPrefix(name, "rendition/")))
	}
	hd := JobFile(dir, HLSDir)
	outs = append(outs, ffmpeg.Output(hls, filepath.Join(hd, "%v.m3u8"), merge(cleanArgs(), ffmpeg.KwArgs{
		"c": "copy", "f": "hls", "hls_time": strconv.Itoa(vp.HLS.SegmentSeconds), "hls_playlist_type": "vod",
		"hls_segment_type": "fmp4", "hls_flags": "independent_segments", "master_pl_name": "master.m3u8",
		"var_stream_map": strings.Join(vmap, " "), "hls_fmp4_init_filename": "init.mp4",
		"hls_segment_filename": filepath.Join(hd, "%v_%03d.m4s"),
	})))

	w := vp.Preview.WebP
	webp := apply(preview(), filt{"fps", strconv.Itoa(vp.Preview.WebPFPS)}, filt{"scale", size(w.W, w.H) + ":flags=lanczos"}, filt{"setsar", "1"}).
		Output(OutputFile(dir, "preview/webp", ".webp"), merge(webpArgs(60), ffmpeg.KwArgs{"an": "", "loop": "0"}))
	return [][]string{
		append(append([]string{}, globalArgs...), ffmpeg.MergeOutputs(outs...).GetArgs()...),
		append(append([]string{}, globalArgs...), webp.GetArgs()...),
	}
}

// webpArgs write a lossy WebP at quality q, without metadata.
func webpArgs(q int) ffmpeg.KwArgs {
	return merge(ffmpeg.KwArgs{"c:v": "libwebp", "quality": strconv.Itoa(q), "lossless": "0", "compression_level": "4"}, cleanArgs())
}
