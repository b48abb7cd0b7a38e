package ffcmd

import (
	"strings"
	"testing"

	"github.com/quinte-media/quinte/pipeline/plan"
)

// TestAudioFilters: silence gets no filter, a limited gain its oversampled limiter.
func TestAudioFilters(t *testing.T) {
	if fs := audioFilters(plan.AudioChain{Silent: true}); fs != nil {
		t.Errorf("silence must stay silence, got %v", fs)
	}
	fs := chain(audioFilters(plan.AudioChain{Gain: 3.5, Limit: true}))
	if !strings.HasPrefix(fs, "volume=3.50dB,aresample=192000,alimiter=limit=0.7499") || !strings.HasSuffix(fs, "aresample=48000,aformat=sample_fmts=fltp:channel_layouts=stereo") {
		t.Errorf("limiter chain %s", fs)
	}
}
