package pipeline

import (
	"fmt"
	"github.com/quinte-media/quinte/pipeline/probe"
	"math"
	"strconv"
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
	limiterCeiling = -2.5  // dBFS at 4× oversampling; AAC encoding adds up to 1.1 dB of overshoot (seen on an MP3 limited by 5 dB)
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
	c.Gain, c.Limit = plainGain(l, target)
	if m, ok := limitedAt(l, c.Gain); ok && c.Limit {
		c.Gain = round2(c.Gain + target - m)
	}
	return c
}

// plainGain is the gain that reaches target before any correction, and whether peaks then need the
// limiter.
func plainGain(l *probe.Loudness, target float64) (gain float64, limit bool) {
	gain = round2(target - l.Integrated)
	return gain, l.TruePeak+gain > limiterCeiling
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

// audioPrep brings any audio to what every output carries: 48 kHz stereo float, measured and processed
// the same way (a mono phone track duplicated to two channels is 3 dB louder than the same track alone).
func audioPrep() []filt {
	return []filt{{"aresample", "48000"}, {"aformat", "sample_fmts=fltp:channel_layouts=stereo"}}
}

// filters is the gain and limiter of c, after audioPrep.
func (c AudioChain) filters() []filt {
	if c.Silent || c.Gain == 0 && !c.Limit {
		return nil
	}
	fs := []filt{{"volume", strconv.FormatFloat(c.Gain, 'f', 2, 64) + "dB"}}
	if c.Limit {
		ceiling := math.Pow(10, limiterCeiling/20)
		// Limiting at 192 kHz catches the peaks between samples (true peak, as ebur128 measures it).
		fs = append(fs,
			filt{"aresample", "192000"},
			filt{"alimiter", fmt.Sprintf("limit=%.4f:attack=5:release=100:level=0:latency=1", ceiling)},
			filt{"aresample", "48000"},
			filt{"aformat", "sample_fmts=fltp:channel_layouts=stereo"},
		)
	}
	return fs
}

func round2(x float64) float64 { return math.Round(x*100) / 100 }
