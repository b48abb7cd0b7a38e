package pipeline

import (
	"fmt"
	"slices"
	"strconv"

	ffmpeg "github.com/u2takey/ffmpeg-go"

	"github.com/quinte-media/quinte/message"
	"github.com/quinte-media/quinte/pipeline/probe"
)

// Commands are the ffmpeg command lines (argv without the program) of a finished video job's two
// passes, the main pass and the finishing pass, exactly as the job ran them; run in order in dir (which
// it prepares) they write the same files. The benchmark runs them bare to measure what quinte adds
// around ffmpeg (probe, analysis, scoring, verification).
func (p *Pipeline) Commands(res *Result, in, dir string) ([][]string, error) {
	vp, poster, err := finishedVideo(res, dir)
	if err != nil {
		return nil, err
	}
	main, err := videoCommand(vp, in, dir, p.settings())
	if err != nil {
		return nil, err
	}
	return [][]string{main, finishCommand(vp, dir, poster, res.Finish.PreviewStart, p.settings())}, nil
}

// OneProcessPerOutput is the same plan done the usual way, one ffmpeg process per output, each
// decoding the source again: one per encode (the 9:16 crop encoded on its own even when it is a
// rendition's picture), one for the poster's candidates and scoring frames, one for the storyboard, one
// per thumbnail (seeking, as such tools do), then the same finishing pass. It exists as the benchmark's
// baseline; run in order in dir (which it prepares), they write every output.
func (p *Pipeline) OneProcessPerOutput(res *Result, in, dir string) ([][]string, error) {
	vp, poster, err := finishedVideo(res, dir)
	if err != nil {
		return nil, err
	}
	e := p.settings()
	var cmds [][]string
	one := *vp
	for _, enc := range vp.Encodes {
		for _, f := range enc.Files {
			alone := enc
			alone.Files = []EncodeFile{f}
			if f.Role == message.RoleCrop {
				alone.Reframe = f.Name // a crop shared with a rendition is cut on its own, as a separate tool would
			}
			one.Encodes = []Encode{alone}
			args, err := passCommand(&one, in, dir, e, passParts{})
			if err != nil {
				return nil, err
			}
			cmds = append(cmds, args)
		}
	}
	one.Encodes = nil
	for _, parts := range []passParts{{candidates: true, grey: true}, {storyboard: true}} {
		args, err := passCommand(&one, in, dir, e, parts)
		if err != nil {
			return nil, err
		}
		cmds = append(cmds, args)
	}
	rate := probe.ParseRatio(vp.FrameRate)
	for _, t := range vp.Thumbnails {
		src := sourceInput(in, ffmpeg.KwArgs{"ss": strconv.FormatFloat(float64(t.Frame)/rate, 'f', 3, 64)})
		s := toJPEG(apply(src.Get(strconv.Itoa(vp.VideoStream)), workFilters(vp)...), Size{W: t.Width, H: t.Height})
		cmds = append(cmds, append(slices.Clone(globalArgs), s.Output(outputFile(dir, t.Name, ".jpg"), jpegArgs(3)).GetArgs()...))
	}
	// The poster, the preview and HLS come from the files above, as in a job: the finishing pass is
	// already cheap, and doing it the same way keeps the baseline from looking slower than it is.
	cmds = append(cmds, finishCommand(vp, dir, poster, res.Finish.PreviewStart, e))
	return cmds, nil
}

// finishedVideo is the plan of a finished video job and the index of its chosen poster among the
// candidates, with dir prepared to run its commands in.
func finishedVideo(res *Result, dir string) (*VideoPlan, int, error) {
	if res == nil || res.Plan == nil || res.Plan.Video == nil || res.Finish == nil {
		return nil, 0, fmt.Errorf("not a finished video job")
	}
	vp := res.Plan.Video
	return vp, slices.Index(vp.Poster.Candidates, res.Finish.PosterFrame), prepareDir(vp, dir)
}
