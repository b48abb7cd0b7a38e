package pipeline

import (
	"context"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/quinte-media/quinte/internal/testenv"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// golden compares got with testdata/golden/name, or rewrites it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", "golden", name)
	if *update {
		testenv.Must(t, os.WriteFile(path, got, 0o644))
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./pipeline -run Golden -update to create it)", err)
	}
	if string(want) != string(got) {
		t.Errorf("%s differs from the golden file (run with -update if the change is meant):\n--- want\n%s\n--- got\n%s", name, want, got)
	}
}

// TestGoldenPlansAndCommands probes real corpus files and pins the plan and the exact ffmpeg argv
// built from it, so any change to what quinte runs is seen in review.
func TestGoldenPlansAndCommands(t *testing.T) {
	p := New(Config{FFmpeg: "ffmpeg", FFprobe: "ffprobe", Preset: "veryfast", CRF: 23}, nil)
	for _, f := range []string{
		"video/android_portrait_4k60_h264.mp4",
		"video/iphone4s_h264_rotated.mov",
		"video/anamorphic_sar3x2_1280x1080.mp4",
		"video/pixel_motion_two_hevc_streams_rot90.mp4",
		"audio/mp3_with_cover_art.mp3",
	} {
		t.Run(filepath.Base(f), func(t *testing.T) {
			pr, err := p.Probe(context.Background(), testenv.Corpus(t, f))
			testenv.Must(t, err)
			m := Classify(pr)
			plan, err := PlanMedia(m)
			testenv.Must(t, err)
			b, err := json.MarshalIndent(struct {
				Media *Media `json:"media"`
				Plan  *Plan  `json:"plan"`
			}{&m, plan}, "", "  ")
			testenv.Must(t, err)
			base := strings.TrimSuffix(filepath.Base(f), filepath.Ext(f))
			golden(t, base+".plan.json", append(b, '\n'))

			var args []string
			e := encodeSettings{Preset: "veryfast", CRF: 23}
			switch {
			case plan.Video != nil:
				args, _ = videoCommand(plan.Video, "/job/source", "/job", e)
			case plan.Audio != nil:
				args, _ = audioCommand(plan.Audio, "/job/source", "/job", e)
			}
			golden(t, base+".argv.txt", []byte(strings.Join(args, "\n")+"\n"))
		})
	}
}
