package ffcmd

import (
	"fmt"
	"math"
	"strconv"

	"github.com/quinte-media/quinte/pipeline/plan"
)

// audioPrep brings any audio to what every output carries: 48 kHz stereo float, measured and processed
// the same way (a mono phone track duplicated to two channels is 3 dB louder than the same track alone).
func audioPrep() []filt {
	return []filt{{"aresample", "48000"}, {"aformat", "sample_fmts=fltp:channel_layouts=stereo"}}
}

// audioFilters is the gain and limiter of c, after audioPrep.
func audioFilters(c plan.AudioChain) []filt {
	if c.Silent || c.Gain == 0 && !c.Limit {
		return nil
	}
	fs := []filt{{"volume", strconv.FormatFloat(c.Gain, 'f', 2, 64) + "dB"}}
	if c.Limit {
		ceiling := math.Pow(10, plan.LimiterCeiling/20)
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
