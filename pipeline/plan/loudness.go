package plan

import (
	"math"

	"github.com/quinte-media/quinte/pipeline/probe"
)

// Loudness (EBU R128): every output is brought to a target integrated loudness with true peaks at or
// below -1 dBTP. The source is measured first (an audio-only pass), then a plain gain is applied, with
// a true-peak limiter only when the gain would push peaks over the ceiling. ffmpeg's loudnorm filter was
// tried and rejected: in its second pass it falls back to "dynamic" mode whenever peaks would clip, and
// on the corpus's short phone clips that mode missed the target by 2 to 28 LU.

// Loudness targets and limits.
const (
	RenditionLUFS  = -16.0 // renditions and rendition/audio: what streaming players expect
	SocialLUFS     = -14.0 // crops and audiograms: what social platforms normalise to
	TruePeakMax    = -1.0  // dBTP, promised on every output
	LimiterCeiling = -2.5  // dBFS at 4× oversampling; AAC encoding adds up to 1.1 dB of overshoot (seen on an MP3 limited by 5 dB)
)

// AudioChain is how one loudness target is reached.
type AudioChain struct {
	Target float64 `json:"target"`           // LUFS
	Gain   float64 `json:"gain"`             // dB
	Limit  bool    `json:"limit,omitempty"`  // a true-peak limiter follows the gain
	Silent bool    `json:"silent,omitempty"` // the source is silence or room tone: left as it is
}

// planLoudness decides the gain and limiter that bring audio measured as l to target.
func planLoudness(l *probe.Loudness, target float64) AudioChain {
	c := AudioChain{Target: target}
	if l.Silent() {
		c.Silent = true
		return c
	}
	c.Gain, c.Limit = PlainGain(l, target)
	if m, ok := limitedAt(l, c.Gain); ok && c.Limit {
		c.Gain = round2(c.Gain + target - m)
	}
	return c
}

// PlainGain is the gain that reaches target before any correction, and whether peaks then need the
// limiter.
func PlainGain(l *probe.Loudness, target float64) (gain float64, limit bool) {
	gain = round2(target - l.Integrated)
	return gain, l.TruePeak+gain > LimiterCeiling
}

// limitedAt is the loudness measured after the limiter at gain, if it was measured.
func limitedAt(l *probe.Loudness, gain float64) (float64, bool) {
	for _, m := range l.Limited {
		if math.Abs(m.Gain-gain) < 0.005 {
			return m.Integrated, true
		}
	}
	return 0, false
}

func round2(x float64) float64 { return math.Round(x*100) / 100 }
