package pipeline

import (
	"github.com/quinte-media/quinte/pipeline/probe"
	"math"
	"strings"
	"testing"
)

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
		if c := planLoudness(l, RenditionLUFS); !c.Silent || c.filters() != nil {
			t.Errorf("%+v: silence must stay silence, got %+v", l, c)
		}
	}
	fs := chain(AudioChain{Gain: 3.5, Limit: true}.filters())
	if !strings.HasPrefix(fs, "volume=3.50dB,aresample=192000,alimiter=limit=0.7499") || !strings.HasSuffix(fs, "aresample=48000,aformat=sample_fmts=fltp:channel_layouts=stereo") {
		t.Errorf("limiter chain %s", fs)
	}
}
