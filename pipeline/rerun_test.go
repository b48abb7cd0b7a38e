package pipeline

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/quinte-media/quinte/internal/testenv"
	"github.com/quinte-media/quinte/message"
	"github.com/quinte-media/quinte/pipeline/face"
	"github.com/quinte-media/quinte/pipeline/geom"
	"github.com/quinte-media/quinte/pipeline/reframe/reframetest"
)

// hashes is the SHA-256 of every output file of a result (an HLS output's parts too), by name.
func hashes(t *testing.T, res *Result) map[string]string {
	t.Helper()
	out := map[string]string{}
	sum := func(name, path string) {
		b, err := os.ReadFile(path)
		testenv.Must(t, err)
		h := sha256.Sum256(b)
		out[name] = hex.EncodeToString(h[:])
	}
	for _, f := range res.Files {
		sum(f.Name, f.Path)
		for _, p := range f.Parts {
			sum(p.Name, p.Path)
		}
	}
	return out
}

// TestRerunsAreIdentical: one file processed twice gives byte-identical outputs, every one of them,
// and the same plan: a 1080p clip with a moving face (moving crops, capped renditions), uploaded as
// issue 19's were, with an artist's name in several scripts, a campaign and captions (every crop then
// goes through libass; the first cue covers frames 8 to 60, where issue 19's crop/4x5 differed).
func TestRerunsAreIdentical(t *testing.T) {
	det, err := face.NewDetector()
	testenv.Must(t, err)
	defer det.Close()
	clip := reframetest.GeneratePanSized(t, t.TempDir(), det, geom.Size{W: 1920, H: 1080}, 30, 6, 18)
	src := lavfi(t, "with_sound.mp4", "-i", clip.Path, "-f", "lavfi", "-i", "sine=f=330:d=6", "-map", "0:v", "-map", "1:a", "-c:v", "copy", "-c:a", "aac", "-shortest")
	srt := filepath.Join(t.TempDir(), "captions.srt")
	testenv.Must(t, os.WriteFile(srt, []byte("1\n00:00:00,250 --> 00:00:02,000\nCiao a tutti, grazie alla troupe\n\n"+
		"2\n00:00:03,000 --> 00:00:05,000\n坂本龍一 e Niccolò 🎸\n"), 0o644))
	run := func(ffmpeg string) (*Result, error) {
		p := New(Config{FFmpeg: ffmpeg, FFprobe: "ffprobe", Preset: "veryfast", CRF: 23, MaxPhotoPixels: 50e6}, testParts(), nil)
		return p.Process(context.Background(), Input{ID: "rerun", Path: src, Kind: message.KindVideo, WorkDir: t.TempDir(),
			Artist: "坂本龍一 🎸 Niccolò", Campaign: "spring-tour", Captions: srt})
	}
	// Side by side, as a busy worker runs jobs: any dependence on timing (threads, the detector pool,
	// the analysis) then shows. The second run's ffmpeg may use one CPU only, as on a smaller worker:
	// x264's automatic thread count (1.5 per CPU) would then change every file.
	var r2 *Result
	var err2 error
	done := make(chan struct{})
	go func() { defer close(done); r2, err2 = run(oneCPUFFmpeg(t)) }()
	r1, err1 := run("ffmpeg")
	<-done
	testenv.Must(t, err1)
	testenv.Must(t, err2)
	h1, h2 := hashes(t, r1), hashes(t, r2)
	p1, _ := json.Marshal(r1.Plan)
	p2, _ := json.Marshal(r2.Plan)
	if string(p1) != string(p2) {
		t.Errorf("the plans differ:\n%s\n%s", p1, p2)
	}
	// The README's one exception: the files of a capped encode (where the cap binds, x264's threaded
	// rate control depends on timing) and what is cut or remuxed from them.
	capped := mayDiffer(r1)
	for name, h := range h1 {
		switch {
		case h2[name] == h:
		case capped[name]:
			t.Logf("%s differs between two runs (a capped encode: allowed)", name)
		default:
			t.Errorf("%s differs between two runs", name)
		}
	}
	if len(h1) != len(h2) {
		t.Errorf("%d outputs, then %d", len(h1), len(h2))
	}
}

// mayDiffer names the outputs the README allows to differ between runs: every file of an encode with
// a bit-rate cap (the renditions, and a crop written from a rendition's encode), the HLS files remuxed
// from the renditions, and the preview cut from one.
func mayDiffer(res *Result) map[string]bool {
	out := map[string]bool{}
	vp := res.Plan.Video
	for _, e := range vp.Encodes {
		for _, f := range e.Files {
			if e.MaxRate > 0 {
				out[f.Name] = true
			}
		}
	}
	for _, f := range res.Files {
		if f.Role == message.RoleHLS {
			out[f.Name] = true
			for _, p := range f.Parts {
				out[p.Name] = true
			}
		}
	}
	if out[vp.Preview.From] {
		out["preview/mp4"], out["preview/webp"] = true, true
	}
	return out
}

// oneCPUFFmpeg is an ffmpeg that may run on one CPU only (the first this process may use), through
// taskset; plain ffmpeg where taskset is missing.
func oneCPUFFmpeg(t *testing.T) string {
	ts, err := exec.LookPath("taskset")
	if err != nil {
		t.Log("no taskset: both runs' ffmpeg use every CPU")
		return "ffmpeg"
	}
	status, err := os.ReadFile("/proc/self/status")
	testenv.Must(t, err)
	cpu := ""
	for _, line := range strings.Split(string(status), "\n") {
		if list, ok := strings.CutPrefix(line, "Cpus_allowed_list:"); ok {
			cpu = strings.FieldsFunc(strings.TrimSpace(list), func(r rune) bool { return r == '-' || r == ',' })[0]
		}
	}
	if cpu == "" {
		t.Fatal("no Cpus_allowed_list in /proc/self/status")
	}
	wrapper := filepath.Join(t.TempDir(), "ffmpeg-one-cpu")
	testenv.Must(t, os.WriteFile(wrapper, []byte("#!/bin/sh\nexec "+ts+" -c "+cpu+" ffmpeg \"$@\"\n"), 0o755))
	return wrapper
}
