package pipeline

import (
	"fmt"
	"math"
	"strconv"
	"strings"
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
	silenceBelow   = -50.0 // LUFS: quieter than this is room tone or silence, left as it is
	measureSeconds = 3.0   // shorter clips are measured looped: R128 needs 400 ms blocks, gating needs several
	floorLUFS      = -99.0 // what -inf is stored as (JSON has no infinities)
)

// Loudness is what the analysis measured on the source's audio, after the same channel and rate
// conversion the outputs get.
type Loudness struct {
	Integrated float64 `json:"integrated"` // LUFS
	TruePeak   float64 `json:"true_peak"`  // dBTP
	Loops      int     `json:"loops,omitempty"`
	// Limited are second measurements of the limited result: limiting lowers loudness, so when the
	// limiter works the gain is corrected by what it took away.
	Limited []LimitedLoudness `json:"limited,omitempty"`
}

// LimitedLoudness is the integrated loudness measured after a gain and the limiter.
type LimitedLoudness struct {
	Gain       float64 `json:"gain"`
	Integrated float64 `json:"integrated"`
}

// AudioChain is how one loudness target is reached.
type AudioChain struct {
	Target float64 `json:"target"`           // LUFS
	Gain   float64 `json:"gain"`             // dB
	Limit  bool    `json:"limit,omitempty"`  // a true-peak limiter follows the gain
	Silent bool    `json:"silent,omitempty"` // the source is silence or room tone: left as it is
}

// Silent reports whether the measured audio is silence or room tone.
func (l *Loudness) Silent() bool { return l == nil || l.Integrated < silenceBelow }

// planLoudness decides the gain and limiter that bring audio measured as l to target.
func planLoudness(l *Loudness, target float64) AudioChain {
	c := AudioChain{Target: target}
	if l.Silent() {
		c.Silent = true
		return c
	}
	c.Gain, c.Limit = l.plainGain(target)
	if m, ok := l.limitedAt(c.Gain); ok && c.Limit {
		c.Gain = round2(c.Gain + target - m)
	}
	return c
}

// plainGain is the gain that reaches target before any correction, and whether peaks then need the
// limiter.
func (l *Loudness) plainGain(target float64) (gain float64, limit bool) {
	gain = round2(target - l.Integrated)
	return gain, l.TruePeak+gain > limiterCeiling
}

// limitedAt is the loudness measured after the limiter at gain, if it was measured.
func (l *Loudness) limitedAt(gain float64) (float64, bool) {
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

// r128Label names the i-th ebur128 of a measuring pass.
func r128Label(i int) string { return "ebur128@m" + strconv.Itoa(i) }

// summaryOf is the summary that the ebur128 named label printed when it ended: its last one (ffmpeg
// may build the graph twice), up to the next line another filter printed.
func summaryOf(log, label string) string {
	head := "[" + label + " @ "
	lines := strings.Split(log, "\n")
	start := -1
	for i, l := range lines {
		if strings.HasPrefix(l, head) && strings.Contains(l, "Summary:") {
			start = i
		}
	}
	if start < 0 {
		return ""
	}
	end := start + 1
	for end < len(lines) && !strings.HasPrefix(lines[end], "[") {
		end++
	}
	return strings.Join(lines[start:end], "\n")
}

// parseR128 reads the summary ebur128 prints when it ends: integrated loudness and true peak.
func parseR128(log string) (integrated, peak float64, err error) {
	i := strings.LastIndex(log, "Summary:")
	if i < 0 {
		return 0, 0, fmt.Errorf("no loudness summary in ffmpeg's output")
	}
	integrated, peak = math.NaN(), floorLUFS
	for _, line := range strings.Split(log[i:], "\n") {
		f := strings.Fields(line)
		if len(f) < 2 {
			continue
		}
		switch f[0] {
		case "I:":
			integrated = parseLevel(f[1])
		case "Peak:":
			peak = parseLevel(f[1])
		}
	}
	if math.IsNaN(integrated) {
		return 0, 0, fmt.Errorf("no integrated loudness in ffmpeg's summary")
	}
	return integrated, peak, nil
}

// parseLevel reads a dB or LUFS value; -inf (digital silence) becomes floorLUFS.
func parseLevel(s string) float64 {
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsInf(v, -1) || v < floorLUFS {
		return floorLUFS
	}
	return v
}

func round2(x float64) float64 { return math.Round(x*100) / 100 }
