package ffcmd

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	ffmpeg "github.com/u2takey/ffmpeg-go"

	"github.com/quinte-media/quinte/pipeline/geom"
	"github.com/quinte-media/quinte/pipeline/plan"
	"github.com/quinte-media/quinte/pipeline/probe"
)

// Files of a job's directory that are not outputs: what the main pass leaves for the finishing step.
const (
	GreyFile = "analysis_grey.raw" // small grey frames, raw, for scoring in Go
)

// Parts are the stills a pass writes besides its encodes (a job's pass writes them all; the
// benchmark's one-process-per-output baseline writes them one kind at a time).
type Parts struct{ Thumbnails, Storyboard, Grey bool }

// VideoCommand is the single ffmpeg pass of a video plan: decode once, normalise, split to every
// encode and still. It returns the argv (without the binary); Prepare writes the files it reads.
func VideoCommand(vp *plan.VideoPlan, in, dir string, e Settings) ([]string, error) {
	return PassCommand(vp, in, dir, e, Parts{true, true, true})
}

// PassCommand is the pass of a video plan that writes its encodes and the parts asked for.
func PassCommand(vp *plan.VideoPlan, in, dir string, e Settings, parts Parts) ([]string, error) {
	src := sourceInput(in, nil)
	work := apply(src.Get(strconv.Itoa(vp.VideoStream)), workFilters(vp)...)
	n := len(vp.Encodes)
	for _, on := range []bool{parts.Storyboard, parts.Grey} {
		if on {
			n++
		}
	}
	if parts.Thumbnails {
		n += len(vp.Thumbnails)
	}
	branches := splitN(work, n, false)
	next := func() *ffmpeg.Stream { s := branches[0]; branches = branches[1:]; return s }

	// Audio: the source's (or a silent track), then one chain per loudness target, split to the files.
	var social, rendition int
	for _, enc := range vp.Encodes {
		for _, f := range enc.Files {
			if f.Social {
				social++
			} else {
				rendition++
			}
		}
	}
	var audio *ffmpeg.Stream
	if vp.AudioStream >= 0 {
		audio = apply(src.Get(strconv.Itoa(vp.AudioStream)), audioPrep()...)
		if vp.PadSound > 0 {
			audio = apply(audio, filt{"apad", fmt.Sprintf("whole_dur=%.3f", vp.PadSound)})
		}
	} else {
		silence := ffmpeg.Input(fmt.Sprintf("anullsrc=r=48000:cl=stereo:d=%.3f", vp.Duration), ffmpeg.KwArgs{"f": "lavfi"})
		audio = apply(silence.Get("0"), audioPrep()...)
	}
	var targets []*ffmpeg.Stream
	switch {
	case rendition > 0 && social > 0:
		targets = splitN(audio, 2, true)
	default:
		targets = []*ffmpeg.Stream{audio, audio}
	}
	rendAudio := splitN(apply(targets[0], audioFilters(vp.Rendition)...), max(1, rendition), true)
	socialAudio := splitN(apply(targets[1], audioFilters(vp.Social)...), max(1, social), true)
	takeAudio := func(s bool) *ffmpeg.Stream {
		if s {
			a := socialAudio[0]
			socialAudio = socialAudio[1:]
			return a
		}
		a := rendAudio[0]
		rendAudio = rendAudio[1:]
		return a
	}

	var outs []*ffmpeg.Stream
	for _, enc := range vp.Encodes {
		s, err := encodePicture(next(), vp, enc, dir)
		if err != nil {
			return nil, err
		}
		streams := []*ffmpeg.Stream{s}
		for _, f := range enc.Files {
			streams = append(streams, takeAudio(f.Social))
		}
		kw := merge(videoArgs(e, enc.MaxRate), audioArgs(), cleanArgs(), ffmpeg.KwArgs{"flags:v": "+bitexact", "flags:a": "+bitexact"})
		if len(enc.Files) == 1 {
			kw["movflags"] = "+faststart"
			outs = append(outs, ffmpeg.Output(streams, OutputFile(dir, enc.Files[0].Name, ".mp4"), kw))
			continue
		}
		// One encode, several MP4s: the tee muxer writes the same video packets to each, the n-th with
		// the n-th audio stream (stream 0 is the video).
		var slaves []string
		for i, f := range enc.Files {
			slaves = append(slaves, fmt.Sprintf("[f=mp4:movflags=+faststart:select=0,%d]%s", i+1, OutputFile(dir, f.Name, ".mp4")))
		}
		kw["f"] = "tee"
		kw["flags:v"], kw["flags:a"] = "+bitexact+global_header", "+bitexact+global_header"
		outs = append(outs, ffmpeg.Output(streams, strings.Join(slaves, "|"), kw))
	}

	for _, t := range vp.Thumbnails {
		if !parts.Thumbnails {
			break
		}
		s := toJPEG(apply(next(), filt{"select", selectFrames([]int{t.Frame})}), geom.Size{W: t.Width, H: t.Height})
		outs = append(outs, s.Output(OutputFile(dir, t.Name, ".jpg"), jpegArgs(3)))
	}

	if parts.Storyboard {
		sb := vp.Storyboard
		tiles := apply(next(),
			filt{"select", fmt.Sprintf("not(mod(n,%d))*lt(n,%d)", sb.Every, sb.Count*sb.Every)},
			filt{"scale", size(sb.Tile.W, sb.Tile.H) + ":flags=bilinear"},
			filt{"tile", fmt.Sprintf("%dx%d", sb.Cols, sb.Rows)})
		tiles = toJPEG(tiles, geom.Size{W: sb.Cols * sb.Tile.W, H: sb.Rows * sb.Tile.H})
		outs = append(outs, tiles.Output(OutputFile(dir, "storyboard/sprite", ".jpg"), jpegArgs(4)))
	}

	if parts.Grey {
		g := vp.Grey
		grey := apply(next(), filt{"select", fmt.Sprintf("not(mod(n,%d))", g.Every)}, filt{"scale", size(g.Size.W, g.Size.H) + ":flags=area"}, filt{"format", "gray"})
		outs = append(outs, grey.Output(JobFile(dir, GreyFile), merge(ffmpeg.KwArgs{"f": "rawvideo", "fps_mode": "passthrough"}, cleanArgs())))
	}

	return append(append([]string{}, globalArgs...), ffmpeg.MergeOutputs(outs...).GetArgs()...), nil
}

// encodePicture brings a branch of the working picture to an encode's picture: a social crop through
// its reframe filters (fill or fit) and the campaign's overlays, a rendition scaled.
func encodePicture(s *ffmpeg.Stream, vp *plan.VideoPlan, enc plan.Encode, dir string) (*ffmpeg.Stream, error) {
	if enc.Reframe == "" {
		if enc.Width != vp.Work.W || enc.Height != vp.Work.H {
			// setsar: scaling to even sizes moves the aspect by a hair, and scale would record that in
			// the SAR (640:639) instead of leaving square pixels.
			s = apply(s, filt{"scale", size(enc.Width, enc.Height) + ":flags=lanczos"}, filt{"setsar", "1"})
		}
		return s, nil
	}
	c, ok := vp.Crop(enc.Reframe)
	if !ok {
		return nil, fmt.Errorf("encode of %s: no crop plan", enc.Reframe)
	}
	s, err := AppendCrop(s, c, dir)
	if err != nil || !enc.Brand || vp.Brand == nil {
		return s, err
	}
	return drawOverlay(vp.Brand, s, dir, c.Name), nil
}

// workFilters bring the decoded video to the working picture: deinterlaced if really interlaced,
// constant frame rate, display size with square pixels, SDR BT.709 in yuv420p. The rotation is applied
// before them by ffmpeg itself (autorotate reads the display matrix, with its sign).
func workFilters(vp *plan.VideoPlan) []filt {
	var fs []filt
	if vp.Deinterlace != "" {
		fs = append(fs, filt{"bwdif", "mode=send_frame:parity=" + vp.Deinterlace + ":deint=all"})
	}
	fs = append(fs, filt{"fps", vp.FrameRate})
	if vp.HoldFrames > 0 {
		fs = append(fs, filt{"tpad", fmt.Sprintf("stop_mode=clone:stop=%d", vp.HoldFrames)})
	}
	w := size(vp.Work.W, vp.Work.H)
	if t := vp.ToneMap; t != nil {
		// Scale while still in the source's colours (cheaper at the working size), go to linear light,
		// to BT.709 primaries, tone-map the highlights (hable, keeping saturation), back to BT.709.
		fs = append(fs,
			filt{"zscale", fmt.Sprintf("w=%d:h=%d:f=lanczos:tin=%s:pin=%s:min=%s:rin=%s:t=linear:npl=100", vp.Work.W, vp.Work.H, t.Transfer, t.Primaries, t.Matrix, t.Range)},
			filt{"format", "gbrpf32le"},
			filt{"zscale", "p=709"},
			filt{"tonemap", "tonemap=hable:desat=0"},
			filt{"zscale", "t=709:m=709:r=limited"},
			filt{"format", "yuv420p"},
		)
	} else {
		opts := w + ":flags=lanczos"
		if vp.InMatrix != "" {
			opts += ":in_color_matrix=" + vp.InMatrix
		}
		fs = append(fs, filt{"scale", opts + ":out_color_matrix=bt709:out_range=tv"}, filt{"format", "yuv420p"})
	}
	return append(fs, filt{"setsar", "1"})
}

// SeekStill is the command that writes still t of a video plan on its own, seeking to its frame and
// decoding from there, as tools that make one thumbnail at a time do (the benchmark's baseline).
func SeekStill(vp *plan.VideoPlan, t plan.Still, in, dir string) []string {
	rate := probe.ParseRatio(vp.FrameRate)
	src := sourceInput(in, ffmpeg.KwArgs{"ss": strconv.FormatFloat(float64(t.Frame)/rate, 'f', 3, 64)})
	s := toJPEG(apply(src.Get(strconv.Itoa(vp.VideoStream)), workFilters(vp)...), geom.Size{W: t.Width, H: t.Height})
	return append(slices.Clone(globalArgs), s.Output(OutputFile(dir, t.Name, ".jpg"), jpegArgs(3)).GetArgs()...)
}
