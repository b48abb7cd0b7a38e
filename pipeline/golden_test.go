package pipeline

import (
	"context"
	"encoding/json"
	"flag"
	"path/filepath"
	"strings"
	"testing"

	"slices"

	"github.com/quinte-media/quinte/internal/testenv"
	"github.com/quinte-media/quinte/pipeline/plan"
	"github.com/quinte-media/quinte/pipeline/probe"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// golden compares got with testdata/golden/name, or rewrites it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	testenv.Golden(t, filepath.Join("testdata", "golden"), name, got, *update)
}

// analysed probes and analyses a corpus file the way a job does, up to its plan.
func analysed(t *testing.T, p *Pipeline, path string) *Result {
	t.Helper()
	return planned(t, p, Input{ID: "golden", Path: path, WorkDir: t.TempDir()})
}

// planned runs the steps of a job up to its plan: brand, probe, analyze, subjects, plan.
func planned(t *testing.T, p *Pipeline, in Input) *Result {
	t.Helper()
	ctx := context.Background()
	var warn []string
	b, err := p.branding(in, &warn)
	testenv.Must(t, err)
	m, err := p.probe(ctx, in)
	testenv.Must(t, err)
	testenv.Must(t, p.analyzeStep(ctx, in, m))
	x, err := p.subjectStep(ctx, in, m, b, nil, nil)
	testenv.Must(t, err)
	pl, err := plan.New(*m, x)
	testenv.Must(t, err)
	return &Result{Kind: pl.Kind, Media: m, Plan: pl, Warnings: slices.Concat(warn, pl.Warnings)}
}

// goldenFiles are the corpus files whose plan and argv are pinned: one per kind of decision.
var goldenFiles = []string{
	"video/android_portrait_4k60_h264.mp4",           // 4K60 portrait: ladder, shared 9:16 encode
	"video/iphone4s_h264_rotated.mov",                // small: rendition/source, audio stream first
	"video/anamorphic_sar3x2_1280x1080.mp4",          // non-square pixels, odd rate
	"video/pixel_motion_two_hevc_streams_rot90.mp4",  // two video streams, +90 rotation, VFR, no audio
	"video/iphone14pro_dolbyvision_hlg_portrait.mov", // Dolby Vision 8.4 / HLG tone mapping
	"video/av1_hdr10_pq_720x1280.mp4",                // PQ tone mapping
	"video/panasonic_avchd_1080_tff.mts",             // flagged interlaced, measured progressive
	"video/chrome_mediarecorder_vp8_opus.webm",       // no duration in the container
	"audio/mp3_with_cover_art.mp3",                   // audiogram over the cover art
	"audio/opus_stereo.opus",                         // audiogram over the branded still
}

// TestGoldenPlansAndCommands probes and analyses real corpus files and pins the plan and the exact
// ffmpeg argv built from it, so any change to what quinte runs is seen in review; the plan's JSON
// rebuilds the same argv (plandata_test.go).
func TestGoldenPlansAndCommands(t *testing.T) {
	p := New(Config{FFmpeg: "ffmpeg", FFprobe: "ffprobe", Preset: "veryfast", CRF: 23}, testParts(), nil)
	for _, f := range goldenFiles {
		t.Run(filepath.Base(f), func(t *testing.T) {
			t.Parallel()
			j := analysed(t, p, testenv.Corpus(t, f))
			b, err := json.MarshalIndent(struct {
				Media *probe.Media `json:"media"`
				Plan  *plan.Plan   `json:"plan"`
			}{j.Media, j.Plan}, "", "  ")
			testenv.Must(t, err)
			base := strings.TrimSuffix(filepath.Base(f), filepath.Ext(f))
			golden(t, base+".plan.json", append(b, '\n'))

			argv, _ := goldenArgv(t, j.Plan, t.TempDir())
			golden(t, base+".argv.txt", []byte(argv))
			rebuildsFromJSON(t, j.Plan)
		})
	}
}
