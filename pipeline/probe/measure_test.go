package probe

import (
	"math"
	"strings"
	"testing"
)

const r128Summary = `[Parsed_ebur128_2 @ 0x55d] Summary:

  Integrated loudness:
    I:         -41.3 LUFS
    Threshold: -51.6 LUFS

  Loudness range:
    LRA:         0.5 LU
    Threshold:  -61.4 LUFS

  True peak:
    Peak:      -22.8 dBFS
`

func TestParseR128(t *testing.T) {
	i, tp, err := parseR128("frame=1\n" + r128Summary)
	if err != nil || i != -41.3 || tp != -22.8 {
		t.Errorf("got %v %v %v", i, tp, err)
	}
	i, tp, err = parseR128(strings.NewReplacer("-41.3", "-70.0", "-22.8", "-inf").Replace(r128Summary))
	if err != nil || i != -70 || tp != floorLUFS {
		t.Errorf("digital silence: got %v %v %v", i, tp, err)
	}
	if _, _, err := parseR128("Stream mapping: ..."); err == nil {
		t.Error("no summary, no error")
	}
}

// TestSummaryOf: a pass measuring two chains prints two summaries, in no set order, each after its
// filter's name; the first graph ffmpeg builds while probing prints one too.
func TestSummaryOf(t *testing.T) {
	early := "[ebur128@m0 @ 0x1] Summary:\n    I:         -70.0 LUFS\n    Peak:       -inf dBFS\n"
	m1 := strings.Replace(strings.Replace(r128Summary, "Parsed_ebur128_2", "ebur128@m1", 1), "-41.3", "-12.5", 1)
	m0 := strings.Replace(r128Summary, "Parsed_ebur128_2", "ebur128@m0", 1)
	log := early + "size=N/A time=00:00:04.00\n" + m1 + m0
	for label, want := range map[string]float64{"ebur128@m0": -41.3, "ebur128@m1": -12.5} {
		i, tp, err := parseR128(summaryOf(log, label))
		if err != nil || i != want || tp != -22.8 {
			t.Errorf("%s: got %v %v %v, want %v", label, i, tp, err, want)
		}
	}
	if _, _, err := parseR128(summaryOf(log, "ebur128@m2")); err == nil {
		t.Error("no summary of m2, no error")
	}
}

func TestFrameTiming(t *testing.T) {
	var cfr, vfr []float64
	for i := 0; i < 60; i++ {
		cfr = append(cfr, float64(i)/30)
		d := 1.0 / 30
		if i%3 == 0 {
			d = 1.0 / 10
		}
		if i == 0 {
			vfr = append(vfr, 0)
		} else {
			vfr = append(vfr, vfr[i-1]+d)
		}
	}
	if rate, isVFR, ok := frameTiming(cfr); !ok || isVFR || math.Abs(rate-30) > 0.01 {
		t.Errorf("constant 30 fps: %v %v %v", rate, isVFR, ok)
	}
	if _, isVFR, _ := frameTiming(vfr); !isVFR {
		t.Error("a third of the frames three times longer: not seen as variable")
	}
	got := parsePackets("1,0.000000,N/A,K_\n0,0.293000,0.060000,K_\n1,0.040000,0.040000,__\n\n0,1.433367,0.016678,K_,\n")
	if s := got[0]; s.start != 0.293 || math.Abs(s.end-1.450045) > 1e-6 || len(s.pts) != 2 {
		t.Errorf("stream 0: %+v", s)
	}
}

func TestParseIdet(t *testing.T) {
	for log, want := range map[string]string{
		"[Parsed_idet_0 @ 0x5] Multi frame detection: TFF:     0 BFF:     0 Progressive:    31 Undetermined:     0": "progressive",
		"[Parsed_idet_0 @ 0x5] Multi frame detection: TFF:    75 BFF:     0 Progressive:     0 Undetermined:     0": "tff",
		"[Parsed_idet_0 @ 0x5] Multi frame detection: TFF:     2 BFF:    60 Progressive:     4 Undetermined:     1": "bff",
	} {
		il, err := ParseIdet(log)
		if err != nil || il.Verdict != want {
			t.Errorf("%s: %+v %v, want %s", log, il, err, want)
		}
	}
}

// TestClassifyPicksUsableStreams: cover art is not the video, and the audio is the first stream quinte
// can decode.
func TestClassifyPicksUsableStreams(t *testing.T) {
	p := &ProbeResult{Streams: []ProbeStream{
		{Index: 0, CodecType: "audio", CodecName: "wmapro", Channels: 2},
		{Index: 1, CodecType: "audio", CodecName: "aac", Channels: 2},
		{Index: 2, CodecType: "audio", CodecName: "opus", Channels: 2},
		{Index: 3, CodecType: "video", CodecName: "mjpeg", Width: 600, Height: 600},
		{Index: 4, CodecType: "data"},
	}}
	p.Streams[3].Disposition.AttachedPic = 1
	m := Classify(p)
	if m.Kind != "audio" || m.Audio.Stream != 1 || m.Cover == nil || m.Cover.Stream != 3 || m.Video != nil {
		t.Errorf("got %+v", m)
	}
}
