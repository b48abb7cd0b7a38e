// Package plan decides what a job produces from an analysed probe (package probe) and what the subject
// analysis and the message's campaign add (Extras): which renditions, crops, stills and audiograms,
// which filters, which loudness gains, and why (Plan.Why). New is a pure function, golden-tested and
// stored in the manifest; with the probe, the stored plan rebuilds every command (package ffcmd). It
// must not run anything or build a command line (TestPlanIsPure).
package plan

import (
	"fmt"
	"math"
	"strconv"

	"github.com/quinte-media/quinte/message"
	"github.com/quinte-media/quinte/pipeline/geom"
	"github.com/quinte-media/quinte/pipeline/internal/reject"
	"github.com/quinte-media/quinte/pipeline/probe"
)

// Plan is what a job will produce from its input, and why. It is built from the probe and the analysis
// alone (a pure function, golden-tested) and stored in the manifest, so anyone can see what was decided.
type Plan struct {
	Kind  message.Kind `json:"kind"`
	Video *VideoPlan   `json:"video,omitempty"`
	Audio *AudioPlan   `json:"audio,omitempty"`
	Photo *PhotoPlan   `json:"photo,omitempty"`
	Why   []string     `json:"why"`
	// Warnings are what the people downloading the outputs should know (no sound, silent sound); they
	// go to the manifest's warnings, not twice into it.
	Warnings []string `json:"-"`
}

// Size and Rect are the shared picture geometry.
type (
	Size = geom.Size
	Rect = geom.Rect
)

// Rendition ladder, crop and still sizes.
var ladder = []int{1080, 720, 480} // short sides

const (
	MaxOutputFPS    = 30.0
	thumbnailCount  = 5
	thumbnailLong   = 480
	posterSmallLong = 640
	greySide        = 96 // analysis frames: small enough to score thousands, big enough to see blur
	greyPerSecond   = 6
	storyboardMax   = 100 // tiles in the sprite
	storyboardCols  = 10
	storyboardLong  = 160 // tile long side
	previewSeconds  = 3.0
	previewWebPLong = 480
	previewWebPFPS  = 15
	hlsSegment      = 4 // seconds; keyframes every half segment keep variants aligned
	KeyframeEvery   = 2
)

// Output names. Every name in a manifest is unique: a picture published in two formats is the JPEG under
// its name and the WebP under name + "/webp", as photos name image/web and image/web/webp.
const (
	PosterName      = "poster"
	PosterSmallName = "poster/640"
	WebPAlso        = "/webp"
)

// New builds the plan for a probed and analysed video or audio file, with what the subject
// analysis and the message's campaign add (x may be empty: centred crops, no branding).
func New(m probe.Media, x Extras) (*Plan, error) {
	var p *Plan
	switch m.Kind {
	case message.KindVideo:
		var err error
		if p, err = planVideo(m, x); err != nil {
			return nil, err
		}
	case message.KindAudio:
		p = planAudio(m, x)
	default:
		return nil, reject.New("no_media_streams", "the file has no video or audio stream that quinte can use")
	}
	planCaptions(planner{p}, x.Brand)
	return p, nil
}

// planner collects the reasons of a plan as it is built.
type planner struct{ p *Plan }

func (pl planner) why(format string, a ...any) {
	pl.p.Why = append(pl.p.Why, fmt.Sprintf(format, a...))
}
func (pl planner) warn(format string, a ...any) {
	pl.p.Warnings = append(pl.p.Warnings, fmt.Sprintf(format, a...))
}

// loudness plans both targets for the audio (or the silent track) of m.
func (pl planner) loudness(m probe.Media) (rend, social AudioChain) {
	var l *probe.Loudness
	if m.Audio != nil {
		l = m.Audio.Loudness
	}
	rend, social = planLoudness(l, RenditionLUFS), planLoudness(l, SocialLUFS)
	switch {
	case m.Audio == nil:
		pl.why("no audio stream: every output gets a silent AAC track so that all have the same shape")
		pl.warn("the recording has no sound: its outputs carry a silent audio track")
	case l == nil:
		pl.why("audio loudness was not measured: left as it is")
	case rend.Silent:
		pl.why("audio is silence or room tone (%.1f LUFS, below %.0f): left as it is, not amplified into noise", l.Integrated, probe.SilenceBelow)
		pl.warn("the sound is nearly silent (%.1f LUFS): it was left as it is rather than amplified", l.Integrated)
	default:
		pl.why("audio measured at %.1f LUFS, true peak %.1f dBTP: %+.1f dB to %.0f LUFS for renditions, %+.1f dB to %.0f LUFS for social outputs%s",
			l.Integrated, l.TruePeak, rend.Gain, RenditionLUFS, social.Gain, SocialLUFS, limiterNote(rend, social))
	}
	return rend, social
}

func limiterNote(cs ...AudioChain) string {
	for _, c := range cs {
		if c.Limit {
			return fmt.Sprintf(", peaks limited at %.0f dBFS (4× oversampled) and the gain corrected by a second measurement", LimiterCeiling)
		}
	}
	return ""
}

// standardRates are the frame rates cameras and phones shoot at, up to MaxOutputFPS.
var standardRates = []struct {
	s string
	v float64
}{{"24000/1001", 24000.0 / 1001}, {"24", 24}, {"25", 25}, {"30000/1001", 30000.0 / 1001}, {"30", 30}}

// outputRate is the constant output frame rate and how many source frames make one output frame (1 up
// to 30 fps). A rate above 30 keeps every n-th frame, n the smallest whole number that brings it to
// 30 or less (50 → 25, 59.94 → 29.97, 60 → 30, 120 → 30, 100 → 25), so that motion stays even; a rate
// within 5 % above 30 (a 30 fps phone clip with uneven timing) is 30. The result is snapped to the
// nearest standard rate when it is within 1 % of one: 24 stays 24 and 30 stays 30, and neither becomes
// its NTSC neighbour 0.1 % away, which would drop a frame every 33 seconds.
func outputRate(fps float64) (rate string, every int) {
	if fps <= 0 {
		return "30", 1
	}
	every = 1
	if fps > MaxOutputFPS*1.05 {
		every = int(math.Ceil(fps / (MaxOutputFPS * 1.05)))
	}
	r := fps / float64(every)
	best, dist := "", 0.01
	for _, std := range standardRates {
		if d := math.Abs(r-std.v) / std.v; d < dist {
			best, dist = std.s, d
		}
	}
	switch {
	case best != "":
		return best, every
	case r > MaxOutputFPS:
		return "30", every
	}
	return strconv.FormatFloat(r, 'f', 3, 64), every
}
