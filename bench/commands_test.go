package bench

import (
	"fmt"
	"github.com/quinte-media/quinte/message"
	"github.com/quinte-media/quinte/pipeline"
	"github.com/quinte-media/quinte/pipeline/ffcmd"
	"github.com/quinte-media/quinte/pipeline/plan"
	"github.com/quinte-media/quinte/pipeline/probe"
)

// benchSettings are the x264 settings of benchPipeline's config.
var benchSettings = ffcmd.Settings{Preset: "veryfast", CRF: 23}

// commands are the ffmpeg command lines (argv without the program) of a finished video job's passes,
// exactly as the job ran them: the main pass, the poster, and the finishing pass's two processes
// (the last two, which the job runs side by side); run in that order in dir (which it prepares) they
// write the same files. The benchmark runs them bare to measure what quinte adds around ffmpeg
// (probe, analysis, scoring, verification).
func commands(res *pipeline.Result, in, dir string) ([][]string, error) {
	vp, poster, err := finishedVideo(res, dir)
	if err != nil {
		return nil, err
	}
	main, err := ffcmd.VideoCommand(vp, in, dir, benchSettings)
	if err != nil {
		return nil, err
	}
	return append([][]string{main, ffcmd.PosterCommand(vp, in, dir, poster)}, ffcmd.FinishCommands(vp, dir, res.Finish.PreviewStart, benchSettings)...), nil
}

// encodesOnly is the main pass of a finished video job with its encodes alone (video and audio; no
// stills, no analysis, no finishing): the encode floor the benchmark measures a whole job against.
func encodesOnly(res *pipeline.Result, in, dir string) ([]string, error) {
	vp, _, err := finishedVideo(res, dir)
	if err != nil {
		return nil, err
	}
	return ffcmd.PassCommand(vp, in, dir, benchSettings, ffcmd.Parts{})
}

// oneProcessPerOutput is the same plan done the usual way, one ffmpeg process per output, each
// decoding the source again: one per encode (the 9:16 crop encoded on its own even when it is a
// rendition's picture), one for the scoring frames, one for the storyboard, one per thumbnail (seeking,
// as such tools do), then the same poster and finishing passes. It is the benchmark's
// baseline; run in order in dir (which it prepares), they write every output.
func oneProcessPerOutput(res *pipeline.Result, in, dir string) ([][]string, error) {
	vp, poster, err := finishedVideo(res, dir)
	if err != nil {
		return nil, err
	}
	e := benchSettings
	var cmds [][]string
	one := *vp
	for _, enc := range vp.Encodes {
		for _, f := range enc.Files {
			alone := enc
			alone.Files = []plan.EncodeFile{f}
			if f.Role == message.RoleCrop {
				alone.Reframe = f.Name // a crop shared with a rendition is cut on its own, as a separate tool would
			}
			one.Encodes = []plan.Encode{alone}
			args, err := ffcmd.PassCommand(&one, in, dir, e, ffcmd.Parts{})
			if err != nil {
				return nil, err
			}
			cmds = append(cmds, args)
		}
	}
	one.Encodes = nil
	for _, parts := range []ffcmd.Parts{{Grey: true}, {Storyboard: true}} {
		args, err := ffcmd.PassCommand(&one, in, dir, e, parts)
		if err != nil {
			return nil, err
		}
		cmds = append(cmds, args)
	}
	for _, t := range vp.Thumbnails {
		cmds = append(cmds, ffcmd.SeekStill(vp, t, in, dir))
	}
	// The poster is one seek, and the preview and HLS come from the files above, as in a job: both are
	// already cheap, and doing them the same way keeps the baseline from looking slower than it is.
	cmds = append(append(cmds, ffcmd.PosterCommand(vp, in, dir, poster)), ffcmd.FinishCommands(vp, dir, res.Finish.PreviewStart, e)...)
	return cmds, nil
}

// finishedVideo is the plan of a finished video job and the time of its chosen poster, in seconds,
// with dir prepared to run its commands in.
func finishedVideo(res *pipeline.Result, dir string) (*plan.VideoPlan, float64, error) {
	if res == nil || res.Plan == nil || res.Plan.Video == nil || res.Finish == nil {
		return nil, 0, fmt.Errorf("not a finished video job")
	}
	vp := res.Plan.Video
	return vp, float64(res.Finish.PosterFrame) / probe.ParseRatio(vp.FrameRate), ffcmd.Prepare(vp, dir)
}
