package ffcmd

import (
	"fmt"
	"strconv"

	"github.com/quinte-media/quinte/pipeline/geom"
	"github.com/quinte-media/quinte/pipeline/plan"
	ffmpeg "github.com/u2takey/ffmpeg-go"
)

// Quinte's branded still, behind the waveform when a voice note has no cover art: a deep indigo to
// violet diagonal.
const (
	brandFrom = "0x1d1b3a"
	brandTo   = "0x6a3d9a"
)

// WriteAudiogramOverlays writes the campaign's lower-third and the captions of every audiogram (what
// AudioCommand's pass draws), in the safe zones of the video crops: on 9:16 away from the top 14 % and
// the bottom 20 %.
func WriteAudiogramOverlays(ap *plan.AudioPlan, dir string) error {
	if !ap.Brand.Overlays() {
		return nil
	}
	for _, g := range ap.Audiograms {
		if err := writeOverlay(ap.Brand, dir, g.Name, geom.Size{W: g.Width, H: g.Height}, g.Width*16 == g.Height*9); err != nil {
			return err
		}
	}
	return nil
}

// AudioCommand is the single pass of an audio-only message: the audio is decoded once, normalised to
// both targets, and written as rendition/audio (-16 LUFS) and as the sound of two audiograms (-14
// LUFS), whose waveform is drawn from that same normalised sound, so it fills its box the same way
// whatever the recording level was.
func AudioCommand(ap *plan.AudioPlan, in, dir string, e Settings) []string {
	src := sourceInput(in, nil)
	audio := splitN(apply(src.Get(strconv.Itoa(ap.AudioStream)), audioPrep()...), 2, true)
	rend := apply(audio[0], audioFilters(ap.Rendition)...)
	social := splitN(apply(audio[1], audioFilters(ap.Social)...), 2*len(ap.Audiograms), true)

	var outs []*ffmpeg.Stream
	outs = append(outs, ffmpeg.Output([]*ffmpeg.Stream{rend}, OutputFile(dir, "rendition/audio", ".m4a"),
		merge(audioArgs(), cleanArgs(), ffmpeg.KwArgs{"vn": "", "movflags": "+faststart", "flags:a": "+bitexact"})))

	var covers []*ffmpeg.Stream
	if ap.Cover >= 0 {
		// The attached picture is one frame: take exactly one (ffmpeg may hand it over again).
		covers = splitN(apply(src.Get(strconv.Itoa(ap.Cover)), filt{"trim", "end_frame=1"}), 2*len(ap.Audiograms), false)
	}
	for i, g := range ap.Audiograms {
		var bg *ffmpeg.Stream
		if covers != nil {
			fill := apply(covers[2*i],
				filt{"scale", size(g.Width, g.Height) + ":force_original_aspect_ratio=increase"},
				filt{"crop", size(g.Width, g.Height)},
				filt{"boxblur", "30"},
				filt{"eq", "brightness=-0.12"})
			art := apply(covers[2*i+1], filt{"scale", size(g.Art.W, g.Art.H) + ":force_original_aspect_ratio=decrease"})
			bg = ffmpeg.Filter([]*ffmpeg.Stream{fill, art}, "overlay", ffmpeg.Args{fmt.Sprintf("x=%d+(%d-w)/2:y=%d+(%d-h)/2", g.Art.X, g.Art.W, g.Art.Y, g.Art.H)})
			bg = apply(bg, filt{"format", "yuv420p"})
		} else {
			// A fixed seed: the gradients source draws differently on every run otherwise.
			still := ffmpeg.Input(fmt.Sprintf("gradients=s=%dx%d:r=1:c0=%s:c1=%s:x0=0:y0=0:x1=%d:y1=%d:speed=0.00001:d=1:seed=1",
				g.Width, g.Height, brandFrom, brandTo, g.Width, g.Height), ffmpeg.KwArgs{"f": "lavfi"})
			bg = apply(still.Get("0"), filt{"trim", "end_frame=1"}, filt{"format", "yuv420p"})
		}
		// One picture, repeated for every frame of the clip at a constant rate (the attached picture's
		// 90 kHz time base would otherwise make ffmpeg duplicate it 90 000 times a second).
		bg = apply(bg, filt{"loop", fmt.Sprintf("loop=%d:size=1:start=0", ap.Frames)}, filt{"settb", "AVTB"}, filt{"setpts", fmt.Sprintf("N/%d/TB", ap.FrameRate)})
		wave := apply(social[2*i],
			filt{"showwaves", fmt.Sprintf("s=%dx%d:mode=cline:rate=%d:colors=white:scale=sqrt:draw=full", g.Wave.W, g.Wave.H, ap.FrameRate)},
			filt{"format", "yuva420p"})
		v := ffmpeg.Filter([]*ffmpeg.Stream{bg, wave}, "overlay", ffmpeg.Args{fmt.Sprintf("x=%d:y=%d:shortest=1", g.Wave.X, g.Wave.Y)})
		v = apply(v, filt{"format", "yuv420p"}, filt{"fps", strconv.Itoa(ap.FrameRate)}, filt{"setsar", "1"})
		if ap.Brand.Overlays() {
			// Last, over the picture and the waveform, as on the video crops.
			v = drawOverlay(ap.Brand, v, dir, g.Name)
		}
		outs = append(outs, ffmpeg.Output([]*ffmpeg.Stream{v, social[2*i+1]}, OutputFile(dir, g.Name, ".mp4"),
			merge(videoArgs(e, 2500), audioArgs(), cleanArgs(), ffmpeg.KwArgs{"movflags": "+faststart", "flags:v": "+bitexact", "flags:a": "+bitexact"})))
	}
	return append(append([]string{}, globalArgs...), ffmpeg.MergeOutputs(outs...).GetArgs()...)
}
