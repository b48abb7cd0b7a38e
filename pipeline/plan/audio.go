package plan

import (
	"github.com/quinte-media/quinte/message"
	"github.com/quinte-media/quinte/pipeline/output"
	"github.com/quinte-media/quinte/pipeline/probe"
)

// AudioPlan is an audio-only message (a voice note, a song): one ffmpeg pass writes the normalised audio
// and two audiogram videos (the cover art, or a branded still, with the waveform drawn over it, and the
// campaign's lower-third and the captions over both) for social networks, which do not take bare audio.
type AudioPlan struct {
	AudioStream int              `json:"audio_stream"`
	Cover       int              `json:"cover"` // stream of the cover art, -1: the branded still
	Duration    float64          `json:"duration"`
	Frames      int              `json:"frames"` // of each audiogram, at FrameRate
	FrameRate   int              `json:"frame_rate"`
	Rendition   AudioChain       `json:"rendition_audio"`
	Social      AudioChain       `json:"social_audio"`
	Audiograms  []Audiogram      `json:"audiograms"`
	Outputs     []output.Planned `json:"outputs"`
	Brand       *Branding        `json:"brand,omitempty"` // drawn on every audiogram when it draws anything
}

// Audiogram is one waveform video: the picture fills Width×Height, the waveform is drawn in Wave.
type Audiogram struct {
	Name   string `json:"name"`
	Width  int    `json:"width"`
	Height int    `json:"height"`
	Art    Rect   `json:"art"`  // where the cover art (fitted, over a blurred fill of itself) sits
	Wave   Rect   `json:"wave"` // where the waveform is drawn
}

const audiogramFPS = 30

func planAudio(m probe.Media, x Extras) *Plan {
	p := &Plan{Kind: message.KindAudio}
	pl := planner{p}
	a := m.Audio
	ap := &AudioPlan{AudioStream: a.Stream, Cover: -1, Duration: m.Duration, FrameRate: audiogramFPS}
	ap.Frames = max(1, int(m.Duration*audiogramFPS+0.5))
	p.Audio = ap
	pl.why("audio only (stream %d, %s, %d channels, %s long): normalised audio and two audiogram videos", a.Stream, a.Codec, a.Channels, probe.Clock(m.Duration))
	ap.Rendition, ap.Social = pl.loudness(m)
	if m.Cover != nil {
		ap.Cover = m.Cover.Stream
		pl.why("the audiograms show the cover art (stream %d, %s %dx%d)", m.Cover.Stream, m.Cover.Codec, m.Cover.Width, m.Cover.Height)
	} else {
		pl.why("no cover art: the audiograms show quinte's branded still")
	}
	ap.Audiograms = []Audiogram{
		{Name: "audiogram/9x16", Width: 1080, Height: 1920, Art: Rect{X: 90, Y: 300, W: 900, H: 900}, Wave: Rect{X: 60, Y: 1360, W: 960, H: 320}},
		{Name: "audiogram/1x1", Width: 1080, Height: 1080, Art: Rect{X: 240, Y: 90, W: 600, H: 600}, Wave: Rect{X: 60, Y: 760, W: 960, H: 240}},
	}
	if b := x.Brand; b.Overlays() {
		ap.Brand = b
		if b.LowerThird() {
			pl.why("campaign %q: a lower-third (%s) on every audiogram, inside the safe zone; not on rendition/audio", b.Campaign, quoteLines(b.Name, b.Line))
		}
	} else if b != nil && b.Campaign != "" {
		pl.why("campaign %q draws no lower-third", b.Campaign)
	}
	ap.Outputs = append(ap.Outputs, output.Planned{Name: "rendition/audio", Role: message.RoleRendition, Format: "m4a"})
	for _, g := range ap.Audiograms {
		ap.Outputs = append(ap.Outputs, output.Planned{Name: g.Name, Role: message.RoleAudiogram, Format: "mp4", Width: g.Width, Height: g.Height})
	}
	return p
}
