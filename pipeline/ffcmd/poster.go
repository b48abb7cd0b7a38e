package ffcmd

import (
	"slices"
	"strconv"

	ffmpeg "github.com/u2takey/ffmpeg-go"

	"github.com/quinte-media/quinte/pipeline/geom"
	"github.com/quinte-media/quinte/pipeline/plan"
)

// PosterCommand writes the poster outputs of a video plan (full size and small, JPEG and WebP) from the
// source on its own: it seeks to seconds and takes the first frame there through the main pass's
// working filters (rotation, frame rate, colour, HDR tone mapping), so the poster looks as the encodes
// do. It runs right after the subject analysis has chosen the frame, before the main pass, so that
// the poster can be published while the rest is made.
func PosterCommand(vp *plan.VideoPlan, in, dir string, seconds float64) []string {
	src := sourceInput(in, ffmpeg.KwArgs{"ss": strconv.FormatFloat(seconds, 'f', 3, 64)})
	s := apply(src.Get(strconv.Itoa(vp.VideoStream)), workFilters(vp)...)
	if vp.Poster.Full != vp.Work {
		s = apply(s, filt{"scale", size(vp.Poster.Full.W, vp.Poster.Full.H) + ":flags=lanczos"}, filt{"setsar", "1"})
	}
	var outs []*ffmpeg.Stream
	sizes := splitN(s, 2, false)
	for i, sz := range []geom.Size{vp.Poster.Full, vp.Poster.Small} {
		name := plan.PosterName
		if i == 1 {
			name = plan.PosterSmallName
		}
		p := sizes[i]
		if sz != vp.Poster.Full {
			p = apply(p, filt{"scale", size(sz.W, sz.H) + ":flags=lanczos"}, filt{"setsar", "1"})
		}
		both := splitN(p, 2, false)
		outs = append(outs,
			toJPEG(both[0], sz).Output(OutputFile(dir, name, ".jpg"), jpegArgs(2)),
			both[1].Output(OutputFile(dir, name+plan.WebPAlso, ".webp"), merge(webpArgs(85), ffmpeg.KwArgs{"frames:v": "1"})))
	}
	return append(slices.Clone(globalArgs), ffmpeg.MergeOutputs(outs...).GetArgs()...)
}
