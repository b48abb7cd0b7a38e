package bench

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	ffmpeg "github.com/u2takey/ffmpeg-go"

	"github.com/quinte-media/quinte/message"
	"github.com/quinte-media/quinte/pipeline"
	"github.com/quinte-media/quinte/pipeline/geom"
	"github.com/quinte-media/quinte/pipeline/reframe"
	"github.com/quinte-media/quinte/pipeline/reframe/reframetest"
)

// BenchmarkCropsEvaluation prints, for every evaluation clip and aspect, the share of frames with the
// face wholly inside the crop (with the centre-crop baseline), the 9:16 safe-band share and the largest
// move of the crop between two frames outside shot cuts; then the corpus photo. Contact sheets are
// written under $QUINTE_ARTIFACTS/crops (or testdata-out/crops).
func BenchmarkCropsEvaluation(b *testing.B) {
	det, an, cfg := reframetest.Setup(b)
	dir := b.TempDir()
	art := reframetest.ArtifactDir(b, "crops")
	type agg struct{ in, centre, frames, fits int }
	total := map[string]*agg{}
	for range b.N {
		fmt.Println("\n== crops: face wholly inside the crop, per aspect (fill follows the face; fit shows the whole frame) ==")
		for _, c := range reframetest.Suite(b, dir, det) {
			r := reframetest.Run(b, an, c, cfg, dir)
			reframetest.Report(os.Stdout, c, r.Track, r.Scores, r.Saliency)
			for _, p := range r.Plans {
				fmt.Printf("    %s %s: %s\n", p.Name, p.Mode, p.Why)
			}
			for _, s := range r.Scores {
				a := total[s.Aspect]
				if a == nil {
					a = &agg{}
					total[s.Aspect] = a
				}
				if s.Mode == reframe.Fit {
					a.fits++ // the whole frame is shown: not counted as a success of the framing
					continue
				}
				a.frames += s.Frames
				a.in += int(s.Inside*float64(s.Frames) + 0.5)
				a.centre += int(s.CentreInside*float64(s.Frames) + 0.5)
			}
			fmt.Printf("  contact sheet: %s\n", reframetest.ContactSheet(b, c, r.Plans, filepath.Join(art, sheetName(c.Name)+".png")))
		}
		ph := reframetest.RunPhoto(b, an, reframetest.FacesPhoto(), cfg)
		reframetest.ReportPhoto(os.Stdout, ph)
		fmt.Printf("  contact sheet: %s\n", reframetest.PhotoSheet(b, ph, filepath.Join(art, "photo_progressive_faces.png")))
	}
	fmt.Println("\nall clips, fill outputs only: frames with the face wholly inside, planned vs centre crop")
	for _, a := range reframe.SocialAspects() {
		t := total[a.Name]
		if t == nil || t.frames == 0 {
			fmt.Printf("  %-5s no fill\n", a.Name)
			continue
		}
		fmt.Printf("  %-5s %5.1f%%  vs %5.1f%%  (%d frames; clips made a fit instead: %d)\n", a.Name, 100*float64(t.in)/float64(t.frames), 100*float64(t.centre)/float64(t.frames), t.frames, t.fits)
	}
}

// BenchmarkCropsAnalysisCost measures what the subject analysis (a second, low-resolution decode with
// face search) costs next to the main encode, on a generated 20 s 1920x1080 30 fps H.264 clip, in the
// same run: the foundation's one pass (rendition, poster, a 9:16 crop) and a pass with the rendition
// and all four social crops rendered by reframe.
func BenchmarkCropsAnalysisCost(b *testing.B) {
	dir := b.TempDir()
	warm := time.Now()
	det, an, cfg := reframetest.Setup(b)
	// Create the pool's detectors first: a worker keeps them for its lifetime.
	if _, err := an.Analyze(context.Background(), reframe.Input{FFmpeg: "ffmpeg", Path: reframetest.CorpusPath(b, "video/person_asl_gesture_640x480.mkv"),
		Display: geom.Size{W: 640, H: 480}, Duration: 1.6, WorkDir: dir}); err != nil {
		b.Fatal(err)
	}
	warmup := time.Since(warm)
	clip := reframetest.GeneratePanSized(b, dir, det, geom.Size{W: 1920, H: 1080}, 30, 20, 20)

	for range b.N {
		start := time.Now()
		tr, err := an.Analyze(context.Background(), reframe.Input{FFmpeg: "ffmpeg", Path: clip.Path, Display: clip.Size, Duration: clip.Duration, WorkDir: dir})
		if err != nil {
			b.Fatal(err)
		}
		analysis := time.Since(start)

		start = time.Now()
		p := pipeline.New(pipeline.Config{FFmpeg: "ffmpeg", FFprobe: "ffprobe", Preset: "veryfast", CRF: 23, MaxPhotoPixels: 50e6}, nil)
		jobDir := filepath.Join(dir, "job")
		if err := os.MkdirAll(jobDir, 0o755); err != nil {
			b.Fatal(err)
		}
		if _, err := p.Process(context.Background(), pipeline.Input{ID: "bench", Path: clip.Path, Kind: message.KindVideo, WorkDir: jobDir}); err != nil {
			b.Fatal(err)
		}
		foundation := time.Since(start)

		plans := reframe.PlanCrops(tr, reframe.Frame{Work: clip.Size, Source: clip.Size}, reframe.SocialAspects(), cfg)
		args := cropsPass(b, clip.Path, clip.Size, plans, dir)
		start = time.Now()
		if out, err := exec.Command("ffmpeg", args...).CombinedOutput(); err != nil {
			b.Fatalf("ffmpeg: %v\n%s", err, out)
		}
		withCrops := time.Since(start)

		fmt.Printf("\n== crops: analysis cost on a %dx%d %.0f s clip (%d frames analysed at %dx%d, %d searched upsampled) ==\n",
			clip.Size.W, clip.Size.H, clip.Duration, len(tr.Samples), tr.Size.W, tr.Size.H, tr.Upsampled)
		fmt.Printf("  detector pool warm-up (2 detectors, once per worker): %v\n", warmup.Round(time.Millisecond))
		fmt.Printf("  analysis (decode + scdet + faces):                    %v\n", analysis.Round(time.Millisecond))
		fmt.Printf("  foundation pass (720p + poster + 9:16 crop):          %v  → analysis = %.0f%% of it\n", foundation.Round(time.Millisecond), 100*analysis.Seconds()/foundation.Seconds())
		fmt.Printf("  pass with 720p + the four social crops:               %v  → analysis = %.0f%% of it\n", withCrops.Round(time.Millisecond), 100*analysis.Seconds()/withCrops.Seconds())
		b.ReportMetric(analysis.Seconds()/foundation.Seconds(), "analysis/foundation-pass")
		b.ReportMetric(analysis.Seconds()/withCrops.Seconds(), "analysis/crops-pass")
	}
}

// cropsPass is one ffmpeg pass: the working picture split to a 720p rendition and the four crops.
func cropsPass(b *testing.B, in string, work geom.Size, plans []reframe.CropPlan, dir string) []string {
	src := ffmpeg.Input("file:"+in, ffmpeg.KwArgs{"protocol_whitelist": "file"})
	w := src.Get("0").Filter("fps", ffmpeg.Args{"30"}).Filter("setsar", ffmpeg.Args{"1"}).Filter("format", ffmpeg.Args{"yuv420p"})
	split := w.Split()
	enc := ffmpeg.KwArgs{"c:v": "libx264", "preset": "veryfast", "crf": "23", "pix_fmt": "yuv420p", "an": ""}
	r := geom.ShortSide(work, 720)
	outs := []*ffmpeg.Stream{split.Get("0").Filter("scale", ffmpeg.Args{strconv.Itoa(r.W), strconv.Itoa(r.H)}).Output(filepath.Join(dir, "r720.mp4"), enc)}
	for i, p := range plans {
		if err := reframe.WriteCommands(p, dir); err != nil {
			b.Fatal(err)
		}
		s, err := reframe.AppendFilters(split.Get(strconv.Itoa(i+1)), p, dir)
		if err != nil {
			b.Fatal(err)
		}
		outs = append(outs, s.Output(filepath.Join(dir, "crop_"+p.Aspect.Name+".mp4"), enc))
	}
	return append([]string{"-hide_banner", "-nostdin", "-v", "error", "-y"}, ffmpeg.MergeOutputs(outs...).GetArgs()...)
}

func sheetName(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			return r
		}
		return '_'
	}, strings.ToLower(s))
}
