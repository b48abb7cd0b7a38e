package bench

import (
	"context"
	"fmt"
	"image"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/disintegration/imaging"

	"github.com/quinte-media/quinte/message"
	"github.com/quinte-media/quinte/pipeline"
	"github.com/quinte-media/quinte/pipeline/geom"
	"github.com/quinte-media/quinte/pipeline/plan"
	"github.com/quinte-media/quinte/pipeline/reframe"
	"github.com/quinte-media/quinte/pipeline/reframe/reframetest"
	"github.com/quinte-media/quinte/pipeline/reframe/subject"
)

// recorder is the worker's analyzer, keeping the last track it gave the pipeline and how long it took,
// so that a benchmark scores exactly the track the job planned from and times the analysis inside it.
type recorder struct {
	*subject.Analyzer
	mu    sync.Mutex
	track *reframe.Track
	took  time.Duration
	input subject.Input // the last video analysed
}

func (r *recorder) keep(tr *reframe.Track, start time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.track, r.took = tr, time.Since(start)
}

func (r *recorder) Analyze(ctx context.Context, in subject.Input) (*reframe.Track, error) {
	start := time.Now()
	tr, err := r.Analyzer.Analyze(ctx, in)
	r.keep(tr, start)
	r.mu.Lock()
	r.input = in
	r.mu.Unlock()
	return tr, err
}

func (r *recorder) PhotoTrack(ctx context.Context, img image.Image) (*reframe.Track, error) {
	start := time.Now()
	tr, err := r.Analyzer.PhotoTrack(ctx, img)
	r.keep(tr, start)
	return tr, err
}

// warmUp creates the pool's detectors, as a running worker has them (it keeps them for its lifetime),
// by analysing a short corpus clip; it returns how long that took.
func warmUp(b *testing.B, an *subject.Analyzer) time.Duration {
	b.Helper()
	start := time.Now()
	if _, err := an.Analyze(context.Background(), subject.Input{FFmpeg: "ffmpeg", Path: reframetest.CorpusPath(b, "video/person_asl_gesture_640x480.mkv"),
		Display: geom.Size{W: 640, H: 480}, Duration: 1.6, WorkDir: b.TempDir()}); err != nil {
		b.Fatal(err)
	}
	return time.Since(start)
}

func benchPipeline(subjects pipeline.Subjects) *pipeline.Pipeline {
	return pipeline.New(pipeline.Config{FFmpeg: "ffmpeg", FFprobe: "ffprobe", Preset: "veryfast", CRF: 23, MaxPhotoPixels: 50e6},
		pipeline.Parts{Subjects: subjects}, nil)
}

// BenchmarkCropsEvaluation runs every evaluation clip through the real pipeline (pipeline.Process,
// as a worker does) and scores the crop plans the job rendered: for each aspect, the share of frames
// with the face wholly inside the crop (with the centre-crop baseline), the 9:16 safe-band share and
// the largest move of the crop between two frames outside shot cuts; then the corpus photo, through
// the same pipeline. Contact sheets of the rendered crops are written under $QUINTE_ARTIFACTS/crops (or
// testdata-out/crops).
func BenchmarkCropsEvaluation(b *testing.B) {
	det, an, cfg := reframetest.Setup(b)
	rec := &recorder{Analyzer: an}
	p := benchPipeline(rec)
	dir := b.TempDir()
	art := reframetest.ArtifactDir(b, "crops")
	type agg struct{ in, centre, frames, fits int }
	total := map[string]*agg{}
	var safe, centreSafe, safeFrames float64 // 9:16, fill and fit alike
	for range b.N {
		fmt.Println("\n== crops: face wholly inside the crop, per aspect, as the pipeline rendered them (fill follows the face; fit shows the whole frame) ==")
		for i, c := range reframetest.Suite(b, dir, det) {
			res := process(b, p, c.Path, message.KindVideo, filepath.Join(dir, fmt.Sprint("job", i)))
			vp := res.Plan.Video
			if vp.VideoStream != c.VideoStream {
				b.Fatalf("%s: the job followed stream %d, the truth is of stream %d", c.Name, vp.VideoStream, c.VideoStream)
			}
			scores := reframetest.Evaluate(c, vp.Crops, vp.Subject.Cuts)
			// The saliency fallback alone: the same clip planned by the pipeline's planner with the
			// face detector switched off.
			str := reframetest.SaliencyTrack(b, cfg, c, dir)
			sp, err := plan.New(*res.Media, plan.Extras{Track: str})
			if err != nil {
				b.Fatal(err)
			}
			reframetest.Report(os.Stdout, c, rec.track, scores, reframetest.Evaluate(c, sp.Video.Crops, str.Cuts))
			fmt.Printf("  working picture %dx%d\n", vp.Work.W, vp.Work.H)
			for _, cp := range vp.Crops {
				fmt.Printf("    %s %s %dx%d: %s\n", cp.Name, cp.Mode, cp.Out.W, cp.Out.H, cp.Why)
			}
			for _, s := range scores {
				if s.Safe >= 0 {
					safe, centreSafe, safeFrames = safe+s.Safe*float64(s.Frames), centreSafe+s.CentreSafe*float64(s.Frames), safeFrames+float64(s.Frames)
				}
				a := total[s.Aspect]
				if a == nil {
					a = &agg{}
					total[s.Aspect] = a
				}
				if s.Mode == geom.Fit {
					a.fits++ // the whole frame is shown: not counted as a success of the framing
					continue
				}
				a.frames += s.Frames
				a.in += int(s.Inside*float64(s.Frames) + 0.5)
				a.centre += int(s.CentreInside*float64(s.Frames) + 0.5)
			}
			sheet := reframetest.RenderedSheet(b, c, vp.Crops, cropFiles(res), reframetest.SheetPath(art, c.Name))
			fmt.Printf("  contact sheet of the rendered crops: %s\n", sheet)
		}
		ph := photoThroughPipeline(b, p, rec, reframetest.FacesPhoto(), filepath.Join(dir, "photo"))
		reframetest.ReportPhoto(os.Stdout, ph)
		fmt.Printf("  contact sheet of the rendered crops: %s\n", reframetest.PhotoSheet(b, ph, filepath.Join(art, "photo_progressive_faces.png")))
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
	if safeFrames > 0 {
		fmt.Printf("9:16, fill and fit alike: frames with the face inside the safe band %.1f%% vs %.1f%% for a centre crop (%.0f frames)\n",
			100*safe/safeFrames, 100*centreSafe/safeFrames, safeFrames)
	}
}

// process runs one job as a worker does, in its own directory.
func process(b *testing.B, p *pipeline.Pipeline, path string, kind message.Kind, dir string) *pipeline.Result {
	b.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		b.Fatal(err)
	}
	res, err := p.Process(context.Background(), pipeline.Input{ID: "bench", Path: path, Kind: kind, WorkDir: dir})
	if err != nil {
		b.Fatalf("%s: %v", filepath.Base(path), err)
	}
	return res
}

// cropFiles are a job's social crops by output name.
func cropFiles(res *pipeline.Result) map[string]string {
	files := map[string]string{}
	for _, f := range res.Files {
		if f.Role == message.RoleCrop {
			files[f.Name] = f.Path
		}
	}
	return files
}

// photoThroughPipeline runs a corpus photo through the pipeline and scores the crops its plan made.
func photoThroughPipeline(b *testing.B, p *pipeline.Pipeline, rec *recorder, ph reframetest.Photo, dir string) reframetest.PhotoResult {
	b.Helper()
	path := reframetest.CorpusPath(b, ph.File)
	res := process(b, p, path, message.KindImage, dir)
	img, err := imaging.Open(path, imaging.AutoOrientation(true))
	if err != nil {
		b.Fatal(err)
	}
	aspects := map[string]geom.Aspect{}
	for _, a := range reframe.SocialAspects() {
		aspects["crop/"+a.Name] = a
	}
	var plans []geom.Framing
	for _, o := range res.Plan.Photo.Outputs {
		a, ok := aspects[o.Name]
		if !ok {
			continue
		}
		pp := geom.Framing{Aspect: a, Mode: geom.Mode(o.Mode), Why: o.Why, Out: geom.Size{W: o.Width, H: o.Height}}
		if c := o.Crop; c != nil {
			pp.Rect = *c
		}
		plans = append(plans, pp)
	}
	r := reframetest.ScorePhoto(ph, img, rec.track, plans)
	r.Files = cropFiles(res)
	return r
}

// BenchmarkCropsAnalysisCost measures, inside a real job on a generated 20 s 1920x1080 30 fps H.264
// clip with a moving face, what the subject analysis (a second, low-resolution decode with face
// search) costs next to the job's main pass (every rendition, the four crops and the stills, run bare
// from the job's own plan) and next to the whole job.
func BenchmarkCropsAnalysisCost(b *testing.B) {
	dir := b.TempDir()
	det, an, _ := reframetest.Setup(b)
	rec := &recorder{Analyzer: an}
	p := benchPipeline(rec)
	warmup := warmUp(b, an)
	clip := reframetest.GeneratePanSized(b, dir, det, geom.Size{W: 1920, H: 1080}, 30, 20, 20)

	for i := range b.N {
		start := time.Now()
		res := process(b, p, clip.Path, message.KindVideo, filepath.Join(dir, fmt.Sprint("job", i)))
		job, analysis := time.Since(start), rec.took
		cmds, err := commands(res, clip.Path, filepath.Join(dir, fmt.Sprint("bare", i)))
		if err != nil {
			b.Fatal(err)
		}
		start = time.Now()
		if err := run("ffmpeg", cmds[0]); err != nil {
			b.Fatal(err)
		}
		main := time.Since(start)

		tr := rec.track
		fmt.Printf("\n== crops: analysis cost on a %dx%d %.0f s clip (%d frames analysed at %dx%d, %d searched upsampled) ==\n",
			clip.Size.W, clip.Size.H, clip.Duration, len(tr.Samples), tr.Size.W, tr.Size.H, tr.Upsampled)
		var modes []string
		for _, c := range res.Plan.Video.Crops {
			modes = append(modes, fmt.Sprintf("%s %s %dx%d", c.Name, c.Mode, c.Out.W, c.Out.H))
		}
		fmt.Printf("  crops: %s\n", strings.Join(modes, ", "))
		fmt.Printf("  detector pool warm-up (2 detectors, once per worker): %v\n", warmup.Round(time.Millisecond))
		fmt.Printf("  subject analysis (decode + scdet + faces), in the job:  %v\n", analysis.Round(time.Millisecond))
		fmt.Printf("  the job's main pass, run bare (%d encodes):             %v  → analysis = %.0f%% of it\n", len(res.Plan.Video.Encodes), main.Round(time.Millisecond), 100*analysis.Seconds()/main.Seconds())
		fmt.Printf("  the whole job:                                          %v  → analysis = %.0f%% of it\n", job.Round(time.Millisecond), 100*analysis.Seconds()/job.Seconds())
		b.ReportMetric(analysis.Seconds()/main.Seconds(), "analysis/main-pass")
		b.ReportMetric(analysis.Seconds()/job.Seconds(), "analysis/job")
	}
}
