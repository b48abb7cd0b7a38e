package probe

import (
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
)

// What the loudness measurement takes as silence, and how it measures short clips.
const (
	SilenceBelow   = -50.0 // LUFS: quieter than this is room tone or silence, left as it is
	MeasureSeconds = 3.0   // shorter clips are measured looped: R128 needs 400 ms blocks, gating needs several
	floorLUFS      = -99.0 // what -inf is stored as (JSON has no infinities)
)

var idetLine = regexp.MustCompile(`Multi frame detection: TFF:\s*(\d+)\s+BFF:\s*(\d+)\s+Progressive:\s*(\d+)`)

// ParseIdet reads idet's multi-frame counts; the content is interlaced when interlaced frames outnumber
// progressive ones two to one.
func ParseIdet(log string) (*Interlace, error) {
	all := idetLine.FindAllStringSubmatch(log, -1)
	if all == nil {
		return nil, fmt.Errorf("no idet summary in ffmpeg's output")
	}
	m := all[len(all)-1]
	il := &Interlace{Verdict: "progressive"}
	il.TFF, _ = strconv.Atoi(m[1])
	il.BFF, _ = strconv.Atoi(m[2])
	il.Progressive, _ = strconv.Atoi(m[3])
	if n := il.TFF + il.BFF; n >= 3 && n > 2*il.Progressive {
		il.Verdict = "tff"
		if il.BFF > il.TFF {
			il.Verdict = "bff"
		}
	}
	return il, nil
}

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

// Silent reports whether the measured audio is silence or room tone.
func (l *Loudness) Silent() bool { return l == nil || l.Integrated < SilenceBelow }

// R128Label names the i-th ebur128 of a measuring pass.
func R128Label(i int) string { return "ebur128@m" + strconv.Itoa(i) }

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

// ReadLoudness reads, from the log of a pass measuring n chains, what each chain's ebur128 (named
// R128Label(i)) measured; loops > 1 is a short clip measured looped.
func ReadLoudness(log string, n, loops int) ([]*Loudness, error) {
	out := make([]*Loudness, n)
	for i := range out {
		in, tp, err := parseR128(summaryOf(log, R128Label(i)))
		if err != nil {
			return nil, err
		}
		out[i] = &Loudness{Integrated: in, TruePeak: tp}
		if loops > 1 {
			out[i].Loops = loops
		}
	}
	return out, nil
}
