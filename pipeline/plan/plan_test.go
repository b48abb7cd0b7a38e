package plan

import (
	"math"
	"testing"

	"github.com/quinte-media/quinte/pipeline/probe"
)

func TestOutputRate(t *testing.T) {
	for _, c := range []struct {
		in    float64
		rate  string
		every int
	}{
		{24, "24", 1}, {24000.0 / 1001, "24000/1001", 1}, {25, "25", 1}, {30, "30", 1}, {30000.0 / 1001, "30000/1001", 1},
		{29.98, "30000/1001", 1}, {29.9, "30000/1001", 1}, {30.03, "30", 1}, {31, "30", 1}, {8.797, "8.797", 1}, {16.667, "16.667", 1},
		{50, "25", 2}, {60000.0 / 1001, "30000/1001", 2}, {60, "30", 2}, {60.06, "30", 2}, {48, "24", 2}, {100, "25", 4},
		{120, "30", 4}, {240, "30", 8}, {90, "30", 3}, {45, "22.500", 2}, {0, "30", 1},
	} {
		if rate, every := outputRate(c.in); rate != c.rate || every != c.every {
			t.Errorf("outputRate(%.3f) = %s, every %d; want %s, every %d", c.in, rate, every, c.rate, c.every)
		}
	}
}

func TestPlanLoudness(t *testing.T) {
	quiet := &probe.Loudness{Integrated: -30, TruePeak: -20}
	if c := planLoudness(quiet, RenditionLUFS); c.Gain != 14 || c.Limit || c.Silent {
		t.Errorf("plain gain: %+v", c)
	}
	// +16 dB would put peaks at +1 dBFS: limited, and once measured, the gain makes up for the limiter.
	peaky := &probe.Loudness{Integrated: -30, TruePeak: -15}
	if c := planLoudness(peaky, SocialLUFS); !c.Limit || c.Gain != 16 {
		t.Errorf("before the correction: %+v", c)
	}
	peaky.Limited = []probe.LimitedLoudness{{Gain: 16, Integrated: -14.8}}
	if c := planLoudness(peaky, SocialLUFS); !c.Limit || math.Abs(c.Gain-16.8) > 1e-9 {
		t.Errorf("after the correction: %+v", c)
	}
	for _, l := range []*probe.Loudness{nil, {Integrated: -59.4, TruePeak: -46}, {Integrated: -99, TruePeak: -99}} {
		if c := planLoudness(l, RenditionLUFS); !c.Silent || c.Gain != 0 || c.Limit {
			t.Errorf("%+v: silence must stay silence, got %+v", l, c)
		}
	}
}
