package pipeline

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/quinte-media/quinte/internal/testenv"
	"github.com/quinte-media/quinte/message"
	"github.com/quinte-media/quinte/pipeline/geom"
	"github.com/quinte-media/quinte/pipeline/plan"
	"github.com/quinte-media/quinte/pipeline/probe"
)

// FuzzProbe feeds ffprobe output, real (testdata/fuzz/FuzzProbe: the JSON of every corpus file and of
// the hostile bombs) and mutated, through ParseProbe, Classify and plan.New: nothing panics, what
// Classify derives is finite and consistent, and any plan is one ffmpeg can run.
func FuzzProbe(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		pr, err := probe.ParseProbe(data)
		if err != nil {
			return
		}
		m := probe.Classify(pr)
		checkMedia(t, m)
		pl, err := plan.New(m, plan.Extras{})
		checkPlan(t, m, pl, err)
	})
}

// FuzzPlanMedia builds a plan from fuzzed Media: any size, rotation, pixel shape, frame rate and
// duration.
func FuzzPlanMedia(f *testing.F) {
	f.Fuzz(func(t *testing.T, kind uint8, w, h, dw, dh, rotation int, sar, fps, duration float64, audioChannels int) {
		m := probe.Media{Container: "mov,mp4,m4a,3gp,3g2,mj2", Duration: duration}
		if audioChannels > 0 {
			m.Audio = &probe.AudioInfo{Stream: 1, Codec: "aac", Channels: audioChannels, SampleRate: "48000"}
		}
		switch kind % 3 {
		case 0:
			m.Kind = message.KindVideo
			m.Video = &probe.VideoInfo{Stream: 0, Codec: "h264", Width: w, Height: h, DisplayWidth: dw, DisplayHeight: dh,
				Rotation: rotation, SAR: sar, FrameRate: fps, PixFmt: "yuv420p"}
		case 1:
			if m.Audio == nil {
				return // Classify never calls a file without an audio stream audio
			}
			m.Kind = message.KindAudio
		}
		pl, err := plan.New(m, plan.Extras{})
		checkPlan(t, m, pl, err)
	})
}

func finite(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }

func checkMedia(t *testing.T, m probe.Media) {
	t.Helper()
	if !finite(m.Duration) || m.Duration < 0 {
		t.Fatalf("duration %v", m.Duration)
	}
	switch m.Kind {
	case message.KindVideo:
		if m.Video == nil {
			t.Fatal("kind video without a video stream")
		}
	case message.KindAudio:
		if m.Audio == nil || m.Video != nil {
			t.Fatalf("kind audio with audio %v, video %v", m.Audio, m.Video)
		}
	case "":
		if m.Video != nil || m.Audio != nil {
			t.Fatal("streams but no kind")
		}
	}
	if v := m.Video; v != nil {
		if v.Width <= 0 || v.Height <= 0 || v.DisplayWidth < 0 || v.DisplayHeight < 0 {
			t.Fatalf("video size %dx%d shown %dx%d", v.Width, v.Height, v.DisplayWidth, v.DisplayHeight)
		}
		if v.Rotation%90 != 0 || v.Rotation < 0 || v.Rotation >= 360 {
			t.Fatalf("rotation %d", v.Rotation)
		}
		if !finite(v.SAR) || v.SAR <= 0 || !finite(v.FrameRate) || v.FrameRate < 0 {
			t.Fatalf("SAR %v, frame rate %v", v.SAR, v.FrameRate)
		}
	}
}

// checkPlan: a refusal is an InputError (a plain error would be retried as if the machine were at
// fault), and a plan only asks ffmpeg for what it can do.
func checkPlan(t *testing.T, m probe.Media, pl *plan.Plan, err error) {
	t.Helper()
	if err != nil {
		var ie *InputError
		if !errors.As(err, &ie) || ie.Code == "" || pl != nil {
			t.Fatalf("plan.New(%+v) = %v, %v; want an InputError and no plan", m, pl, err)
		}
		return
	}
	if pl == nil || pl.Kind != m.Kind {
		t.Fatalf("plan.New(%+v) gave plan %+v", m, pl)
	}
	if vp := pl.Video; vp != nil {
		if vp.Work.W <= 0 || vp.Work.H <= 0 || vp.Work.W%2 != 0 || vp.Work.H%2 != 0 {
			t.Fatalf("working picture %dx%d for %+v", vp.Work.W, vp.Work.H, *m.Video)
		}
		rate, err := strconv.ParseFloat(vp.FrameRate, 64)
		if a, b, ok := strings.Cut(vp.FrameRate, "/"); ok {
			n, _ := strconv.ParseFloat(a, 64)
			d, _ := strconv.ParseFloat(b, 64)
			rate, err = n/d, nil
		}
		if err != nil || !finite(rate) || rate <= 0 || rate > plan.MaxOutputFPS+0.5 {
			t.Fatalf("output frame rate %q for %v fps", vp.FrameRate, m.Video.FrameRate)
		}
		for _, o := range vp.Outputs {
			if o.Format == "vtt" || o.Format == "m3u8" {
				continue // text: no picture size
			}
			if o.Width <= 0 || o.Height <= 0 || (o.Format == "mp4" && (o.Width%2 != 0 || o.Height%2 != 0)) {
				t.Fatalf("output %s is %dx%d", o.Name, o.Width, o.Height)
			}
		}
		seen := map[string]bool{}
		for _, o := range vp.Outputs {
			if seen[o.Name] {
				t.Fatalf("two outputs named %s", o.Name)
			}
			seen[o.Name] = true
		}
		for _, e := range vp.Encodes {
			if e.Reframe == "" {
				continue
			}
			c, ok := vp.Crop(e.Reframe)
			switch {
			case !ok:
				t.Fatalf("encode %v: no crop plan %s", e.Files, e.Reframe)
			case c.Out.W != e.Width || c.Out.H != e.Height || c.Out.W%2 != 0 || c.Out.H%2 != 0 || c.Out.W < 2 || c.Out.H < 2:
				t.Fatalf("%s: encode %dx%d, plan %v", c.Name, e.Width, e.Height, c.Out)
			case c.Mode == geom.Fill && (c.Crop.W > vp.Work.W || c.Crop.H > vp.Work.H || c.Crop.W < 2 || len(c.Path) == 0):
				t.Fatalf("%s cuts %v out of %v", c.Name, c.Crop, vp.Work)
			case c.Mode == geom.Fit && (c.Inner.W > c.Out.W || c.Inner.H > c.Out.H || c.Inner.W < 2 || c.Inner.H < 2):
				t.Fatalf("%s fits %v in %v", c.Name, c.Inner, c.Out)
			}
			for _, k := range c.Path {
				if k.X < 0 || k.Y < 0 || k.X+float64(c.Crop.W) > float64(vp.Work.W) || k.Y+float64(c.Crop.H) > float64(vp.Work.H) {
					t.Fatalf("%s: camera key %+v leaves the %v picture", c.Name, k, vp.Work)
				}
			}
		}
	}
	if ap := pl.Audio; ap != nil && (ap.AudioStream < 0 || len(ap.Outputs) == 0) {
		t.Fatalf("audio plan %+v", ap)
	}
}

// TestWriteProbeFuzzSeeds rewrites testdata/fuzz/FuzzProbe and FuzzPlanMedia from ffprobe's JSON of
// the corpus and of the hostile bombs when QUINTE_WRITE_SEEDS=1; otherwise it checks they are there.
func TestWriteProbeFuzzSeeds(t *testing.T) {
	probeDir, planDir := filepath.Join("testdata", "fuzz", "FuzzProbe"), filepath.Join("testdata", "fuzz", "FuzzPlanMedia")
	if os.Getenv("QUINTE_WRITE_SEEDS") != "1" {
		for _, d := range []string{probeDir, planDir} {
			if entries, err := os.ReadDir(d); err != nil || len(entries) < 10 {
				t.Fatalf("fuzz seeds missing in %s (%v): run QUINTE_WRITE_SEEDS=1 go test ./pipeline -run TestWriteProbeFuzzSeeds", d, err)
			}
		}
		return
	}
	for _, d := range []string{probeDir, planDir} {
		testenv.Must(t, os.RemoveAll(d))
		testenv.Must(t, os.MkdirAll(d, 0o755))
	}
	var files []string
	testenv.Must(t, filepath.WalkDir(testenv.Corpus(t, "."), func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && !strings.HasSuffix(p, ".md") {
			files = append(files, p)
		}
		return err
	}))
	for _, b := range testenv.Bombs(t, t.TempDir()) {
		files = append(files, b.Path)
	}
	p := New(Config{FFmpeg: "ffmpeg", FFprobe: "ffprobe"}, Parts{}, nil)
	for _, f := range files {
		out, err := p.run.Output(context.Background(), "ffprobe", []string{"-v", "error", "-show_format", "-show_streams", "-of", "json", probe.InputURL(f)})
		if err != nil || len(out) > 64<<10 {
			continue // ffprobe cannot read it, or the seed would slow the fuzzer down (301 streams)
		}
		name := strings.ReplaceAll(filepath.Base(f), ".", "_")
		testenv.Must(t, os.WriteFile(filepath.Join(probeDir, name), fmt.Appendf(nil, "go test fuzz v1\n[]byte(%q)\n", out), 0o644))
		pr, err := probe.ParseProbe(out)
		testenv.Must(t, err)
		m := probe.Classify(pr)
		if m.Video == nil {
			continue
		}
		v := m.Video
		seed := fmt.Sprintf("go test fuzz v1\nuint8(0)\nint(%d)\nint(%d)\nint(%d)\nint(%d)\nint(%d)\nfloat64(%v)\nfloat64(%v)\nfloat64(%v)\nint(%d)\n",
			v.Width, v.Height, v.DisplayWidth, v.DisplayHeight, v.Rotation, v.SAR, v.FrameRate, m.Duration, map[bool]int{true: 2, false: 0}[m.Audio != nil])
		testenv.Must(t, os.WriteFile(filepath.Join(planDir, name), []byte(seed), 0o644))
	}
}
