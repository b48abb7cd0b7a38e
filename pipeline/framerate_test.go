package pipeline

import (
	"testing"

	"github.com/quinte-media/quinte/message"
	"github.com/quinte-media/quinte/pipeline/probe"
)

// TestFrameRateOfAMillisecondTimeBase: a browser's WebM that says r_frame_rate 1000/1 and no average
// (kept from a Chromium recording the gate once refused as 1000 fps) has an unknown rate until its
// packets are counted, while a file that declares 1000 fps as its average is still taken at its word.
func TestFrameRateOfAMillisecondTimeBase(t *testing.T) {
	for _, tc := range []struct {
		r, avg string
		want   float64
	}{
		{"1000/1", "0/0", 0},       // Chromium MediaRecorder, frames uneven
		{"50/3", "0/0", 50.0 / 3},  // Chromium MediaRecorder, frames even (the corpus's WebM)
		{"1000/1", "1000/1", 1000}, // a 1000 fps file: refused by the gate
		{"30/1", "30/1", 30},
		{"90000/1", "0/0", 0}, // an MPEG-TS time base
		{"60/1", "2997/50", 59.94},
	} {
		got := probe.ProbeStream{RFrameRate: tc.r, AvgFrameRate: tc.avg}.FrameRate()
		if d := got - tc.want; d > 0.001 || d < -0.001 {
			t.Errorf("r_frame_rate %s, avg_frame_rate %s: %v, want %v", tc.r, tc.avg, got, tc.want)
		}
	}
	m := probe.Media{Kind: message.KindVideo, Duration: 4, Video: &probe.VideoInfo{Codec: "vp9", Width: 320, Height: 240, PixFmt: "yuv420p",
		FrameRate: probe.ProbeStream{RFrameRate: "1000/1", AvgFrameRate: "0/0"}.FrameRate()}}
	cfg := Config{}.withDefaults()
	if err := cfg.limits().Check(&m); err != nil {
		t.Errorf("the gate refuses a browser's recording before its packets are counted: %v", err)
	}
}
