package bench

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/quinte-media/quinte/internal/testenv"
	"github.com/quinte-media/quinte/message"
	"github.com/quinte-media/quinte/pipeline"
	"github.com/quinte-media/quinte/pipeline/reframe/reframetest"
	"github.com/quinte-media/quinte/storage"
)

// floorClip is the encode floor's phone-like clip: 20 s of 1080x1920 at 30 fps, the corpus photo's
// face drifting over a moving test pattern with sensor-like noise, H.264 High from x264 veryfast CRF 23
// (about 6.5 Mb/s), AAC 48 kHz stereo. The face is there because an artist's clip has one: frames
// without a face are searched a second time at twice the size, which would make the analysis look
// dearer than it is on real uploads.
func floorClip(b *testing.B) string {
	return generated(b, ".mp4",
		"-f", "lavfi", "-i", "testsrc2=s=1080x1920:r=30:d=20",
		"-loop", "1", "-framerate", "30", "-i", testenv.Corpus(b, "image/progressive_faces_840x700.jpg"),
		"-f", "lavfi", "-i", "sine=f=220:r=48000:d=20,volume=8dB[s];anoisesrc=r=48000:d=20:a=0.05:seed=7[n];[s][n]amix=inputs=2,aformat=channel_layouts=stereo",
		"-filter_complex", "[1:v]format=yuv420p[f];[0:v][f]overlay=x='120+110*sin(2*PI*t/8)':y='560+260*sin(2*PI*t/5)':shortest=1,noise=alls=12:allf=t+u,format=yuv420p[v]",
		"-map", "[v]", "-map", "2:a", "-t", "20",
		"-c:v", "libx264", "-preset", "veryfast", "-crf", "23", "-profile:v", "high", "-pix_fmt", "yuv420p",
		"-c:a", "aac", "-b:a", "128k", "-movflags", "+faststart")
}

// BenchmarkJobFloor is issue 14's measure: quinte's whole video job, from the task starting to the
// manifest written (pipeline.Process, then Publish to versitygw), against the encode floor, the main
// pass's encodes alone (video and audio, one bare ffmpeg with split: no analysis decode, no stills, no
// finishing pass). Per clip it prints the ratio of the two (run A B A B in the same run, medians), the
// share of each step of the job and the time between steps, what share of the machine's cores each
// step kept busy, and when the poster is in S3 (published the moment the poster step hands it over,
// beside the main pass, as the worker does).
//
// The clips: the generated 1080x1920 phone clip and two corpus phone recordings (4K60 H.264, and
// iPhone Dolby Vision HLG HEVC), both portrait by rotation. QUINTE_BENCH_PAIRS sets how many A B pairs
// (default 3); QUINTE_BENCH_FLOOR="android" runs the clips whose name holds it.
func BenchmarkJobFloor(b *testing.B) {
	clips := []struct{ name, path string }{
		{"generated 20 s 1080x1920 phone clip", floorClip(b)},
		{"android_portrait_4k60_h264.mp4", testenv.Corpus(b, "video/android_portrait_4k60_h264.mp4")},
		{"iphone14pro_dolbyvision_hlg_portrait.mov", testenv.Corpus(b, "video/iphone14pro_dolbyvision_hlg_portrait.mov")},
	}
	pairs := 3
	if n, err := strconv.Atoi(os.Getenv("QUINTE_BENCH_PAIRS")); err == nil && n > 0 {
		pairs = n
	}
	_, an, _ := reframetest.Setup(b)
	warmUp(b, an)
	_, s3 := testenv.S3(b)
	store, err := storage.New(s3)
	if err != nil {
		b.Fatal(err)
	}
	steps := &stepLog{}
	p := pipeline.New(pipeline.Config{FFmpeg: "ffmpeg", FFprobe: "ffprobe", Preset: "veryfast", CRF: 23, MaxPhotoPixels: 50e6},
		pipeline.Parts{Subjects: an}, slog.New(steps))
	for i := 0; i < b.N; i++ {
		for _, c := range clips {
			if only := os.Getenv("QUINTE_BENCH_FLOOR"); only != "" && !strings.Contains(strings.ToLower(c.name), strings.ToLower(only)) {
				continue
			}
			floorOf(b, p, store, steps, c.name, c.path, pairs)
		}
	}
}

// floorOf measures one clip: a job not counted (it warms the caches and gives the plan whose encodes
// make the floor), then pairs of (job, floor).
func floorOf(b *testing.B, p *pipeline.Pipeline, store *storage.Store, steps *stepLog, name, src string, pairs int) {
	b.Helper()
	res, _ := timedJob(b, p, store, steps, src)
	floorDir := b.TempDir()
	floor, err := encodesOnly(res, src, floorDir)
	if err != nil {
		b.Fatal(err)
	}
	var jobs []jobTimes
	var floors []cost
	var ratios, cpuRatios []float64
	for range pairs {
		_, j := timedJob(b, p, store, steps, src)
		f := measure(b, func() error { return run("ffmpeg", floor) })
		jobs, floors = append(jobs, j), append(floors, f)
		ratios = append(ratios, j.total.wall.Seconds()/f.wall.Seconds())
		cpuRatios = append(cpuRatios, j.total.cpu.Seconds()/f.cpu.Seconds())
	}
	job := medianJob(jobs)
	fl := cost{wall: median(walls(floors)), cpu: median(cpus(floors))}
	b.ReportMetric(median(ratios), "job/floor")
	cores := float64(nproc())
	rows := [][3]string{
		{"quinte job: task start → manifest written", secs2(job.total), fmt.Sprintf("%.0f%% of %d cores busy", 100*busy(job.total, cores), int(cores))},
		{"encode floor: the main pass's encodes alone, bare", secs2(fl), fmt.Sprintf("%.0f%% of %d cores busy", 100*busy(fl, cores), int(cores))},
		{"job / floor (median of the pairs' ratios)", fmt.Sprintf("%.2f (cpu %.2f)", median(ratios), median(cpuRatios)), "goal ≤ 1.10"},
		{"  the pairs' ratios", fmt.Sprint(round2(ratios)), ""},
		{"poster in S3 (published early), from task start", fmt.Sprintf("%.1f s", job.poster.Seconds()), "goal ≤ 10 s (20 s clip)"},
		{"subject analysis ends, from task start", fmt.Sprintf("%.1f s", job.subjects.Seconds()), ""},
		{"stage: wall (cpu), share of the job's wall, cores busy", "", ""},
	}
	for _, s := range job.stages {
		if s.cpu < 0 {
			rows = append(rows, [3]string{"  " + stageLabel(s.name), fmt.Sprintf("%.2f s", s.wall.Seconds()), "  beside the steps after it"})
			continue
		}
		use := "  -"
		if s.wall >= 100*time.Millisecond { // shorter steps' CPU is mostly rounding
			use = fmt.Sprintf("%3.0f%%", 100*busy(s.cost, cores))
		}
		rows = append(rows, [3]string{"  " + stageLabel(s.name), fmt.Sprintf("%.2f s (%.2f)", s.wall.Seconds(), s.cpu.Seconds()),
			fmt.Sprintf("%5.1f%%   %s busy", 100*s.wall.Seconds()/job.total.wall.Seconds(), use)})
	}
	rows = append(rows,
		[3]string{"  idle between the steps (sum of the gaps)", fmt.Sprintf("%.3f s", job.gaps.Seconds()), fmt.Sprintf("%4.1f%%", 100*job.gaps.Seconds()/job.total.wall.Seconds())},
		[3]string{"  core-seconds left unused by the job (cores × wall − cpu)", fmt.Sprintf("%.1f", cores*job.total.wall.Seconds()-job.total.cpu.Seconds()), ""})
	table(fmt.Sprintf("Job against the encode floor (BenchmarkJobFloor): %s, %.1f s, %d outputs; medians of %d pairs A B; wall (CPU)",
		name, res.Media.Duration, len(res.Files), pairs), rows)
	fmt.Println("  (analyze is the packet scan, the loudness and idet side by side: the pipeline logs it as one step)")
}

func secs2(c cost) string { return fmt.Sprintf("%.2f s (%.2f)", c.wall.Seconds(), c.cpu.Seconds()) }

// stepRecord is one "step done" record of a job: the step's name, when it ended, how long it took,
// and the CPU of this process and its waited-for children when it ended.
type stepRecord struct {
	name   string
	end    time.Time
	took   time.Duration
	cpu    time.Duration
	beside bool // it ran beside the steps after it (its CPU is theirs too)
}

// stepLog is a slog handler keeping the pipeline's "step done" records (Process logs one per step,
// with its name and duration), stamped with the CPU time at that moment.
type stepLog struct {
	mu   sync.Mutex
	recs []stepRecord
}

func (h *stepLog) Enabled(context.Context, slog.Level) bool { return true }

func (h *stepLog) Handle(_ context.Context, r slog.Record) error {
	if r.Message != "step done" {
		return nil
	}
	rec := stepRecord{end: r.Time, cpu: cpuTime()}
	r.Attrs(func(a slog.Attr) bool {
		switch a.Key {
		case "step":
			rec.name = a.Value.String()
		case "took":
			rec.took = a.Value.Duration()
		case "beside":
			rec.beside = a.Value.Bool()
		}
		return true
	})
	h.mu.Lock()
	h.recs = append(h.recs, rec)
	h.mu.Unlock()
	return nil
}

func (h *stepLog) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h *stepLog) WithGroup(string) slog.Handler      { return h }

// take returns the records so far and forgets them.
func (h *stepLog) take() []stepRecord {
	h.mu.Lock()
	defer h.mu.Unlock()
	r := h.recs
	h.recs = nil
	return r
}

// stage is one step of a job (or the publishing after it) and its cost.
type stage struct {
	name string
	cost
}

// jobTimes is one job, split into its stages.
type jobTimes struct {
	total    cost
	stages   []stage
	gaps     time.Duration // wall time between the stages, none of them running
	poster   time.Duration // from the start until the poster's files were in S3
	subjects time.Duration // from the start until the subject analysis ended
}

// timedJob runs one whole job as a worker does, Process (publishing the poster to S3 as soon as it is
// handed over) then Publish, and splits its time by the pipeline's step records. The work directory is removed afterwards (the next job makes its own).
func timedJob(b *testing.B, p *pipeline.Pipeline, store *storage.Store, steps *stepLog, src string) (*pipeline.Result, jobTimes) {
	b.Helper()
	dir, err := os.MkdirTemp(b.TempDir(), "job")
	if err != nil {
		b.Fatal(err)
	}
	defer os.RemoveAll(dir)
	steps.take()
	ctx := context.Background()
	var (
		early     sync.WaitGroup
		published = map[string]bool{}
		posterAt  time.Duration
	)
	cpu0, start := cpuTime(), time.Now()
	publishEarly := func(ctx context.Context, files []pipeline.File) {
		early.Add(1)
		go func() {
			defer early.Done()
			for _, f := range files {
				key := message.OutputKey("floor", f.Name, f.Ext)
				if _, err := store.PutFile(ctx, key, f.Path, f.ContentType); err != nil {
					b.Error(err)
					return
				}
				published[key] = true // read after early.Wait
			}
			posterAt = time.Since(start)
		}()
	}
	res, err := p.Process(ctx, pipeline.Input{ID: "floor", Path: src, Kind: message.KindVideo, WorkDir: dir, Early: publishEarly})
	early.Wait()
	if err != nil {
		b.Fatal(err)
	}
	cpu1, pubStart := cpuTime(), time.Now()
	if _, err := pipeline.Publish(ctx, store, "floor", res, published); err != nil {
		b.Fatal(err)
	}
	end, cpu2 := time.Now(), cpuTime()
	j := jobTimes{total: cost{wall: end.Sub(start), cpu: cpu2 - cpu0}, poster: posterAt}
	last, lastCPU := start, cpu0
	for _, r := range steps.take() {
		if r.beside { // its wall and CPU are inside the steps it ran beside
			j.stages = append(j.stages, stage{r.name, cost{wall: r.took, cpu: -1}})
			continue
		}
		begin := r.end.Add(-r.took)
		j.gaps += max(0, begin.Sub(last))
		j.stages = append(j.stages, stage{r.name, cost{wall: r.took, cpu: r.cpu - lastCPU}})
		last, lastCPU = r.end, r.cpu
		switch r.name {
		case "finish":
			if j.poster == 0 { // no early poster: it was made by the finishing step
				j.poster = r.end.Sub(start)
			}
		case "subjects":
			j.subjects = r.end.Sub(start)
		}
	}
	j.gaps += max(0, pubStart.Sub(last))
	j.stages = append(j.stages, stage{"publish", cost{wall: end.Sub(pubStart), cpu: cpu2 - max(cpu1, lastCPU)}})
	return res, j
}

// medianJob is, stage by stage, the median of the jobs' figures.
func medianJob(jobs []jobTimes) jobTimes {
	pick := func(f func(jobTimes) time.Duration) time.Duration {
		var d []time.Duration
		for _, j := range jobs {
			d = append(d, f(j))
		}
		return median(d)
	}
	m := jobTimes{
		total:    cost{wall: pick(func(j jobTimes) time.Duration { return j.total.wall }), cpu: pick(func(j jobTimes) time.Duration { return j.total.cpu })},
		gaps:     pick(func(j jobTimes) time.Duration { return j.gaps }),
		poster:   pick(func(j jobTimes) time.Duration { return j.poster }),
		subjects: pick(func(j jobTimes) time.Duration { return j.subjects }),
	}
	for i, s := range jobs[0].stages {
		m.stages = append(m.stages, stage{s.name, cost{
			wall: pick(func(j jobTimes) time.Duration { return j.stages[i].wall }),
			cpu:  pick(func(j jobTimes) time.Duration { return j.stages[i].cpu }),
		}})
	}
	return m
}

// stageLabel names a pipeline step for the table.
func stageLabel(step string) string {
	switch step {
	case "brand":
		return "brand (campaign and captions checked)"
	case "probe":
		return "probe (ffprobe, gate)"
	case "analyze":
		return "analyze (packet scan + loudness, side by side)"
	case "subjects":
		return "subject analysis (second decode, faces)"
	case "plan":
		return "plan"
	case "poster":
		return "poster (one seek, cut and handed over)"
	case "encode":
		return "main pass"
	case "finish":
		return "finish (preview, HLS)"
	case "verify":
		return "verify (every output probed)"
	case "publish":
		return "publish (to S3, manifest last)"
	}
	return step
}

func median[T ~int64 | ~float64](xs []T) T {
	s := slices.Clone(xs)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

func walls(cs []cost) []time.Duration {
	var out []time.Duration
	for _, c := range cs {
		out = append(out, c.wall)
	}
	return out
}

func cpus(cs []cost) []time.Duration {
	var out []time.Duration
	for _, c := range cs {
		out = append(out, c.cpu)
	}
	return out
}

// busy is the share of cores that c kept busy on average.
func busy(c cost, cores float64) float64 {
	if c.wall <= 0 {
		return 0
	}
	return c.cpu.Seconds() / c.wall.Seconds() / cores
}

func round2(xs []float64) []float64 {
	out := make([]float64, len(xs))
	for i, x := range xs {
		out[i] = float64(int(x*100+0.5)) / 100
	}
	return out
}

// nproc is the number of CPUs this process may use (GOMAXPROCS follows a container's limit).
func nproc() int { return runtime.GOMAXPROCS(0) }
