package bench

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"

	"golang.org/x/sync/errgroup"

	"github.com/quinte-media/quinte/message"
	"github.com/quinte-media/quinte/pipeline"
	"github.com/quinte-media/quinte/pipeline/reframe/reframetest"
)

// phoneClip is a deterministic phone-like clip: 30 s of 1080x1920 at 30 fps, moving test pattern with
// sensor-like noise, H.264 High at about 10 Mb/s, AAC 48 kHz stereo around -20 LUFS.
func phoneClip(b *testing.B) string {
	return generated(b, ".mp4",
		"-f", "lavfi", "-i", "testsrc2=s=1080x1920:r=30:d=30,noise=alls=12:allf=t+u",
		"-f", "lavfi", "-i", "sine=f=220:r=48000:d=30,volume=8dB[s];anoisesrc=r=48000:d=30:a=0.05:seed=7[n];[s][n]amix=inputs=2,aformat=channel_layouts=stereo",
		"-c:v", "libx264", "-preset", "veryfast", "-b:v", "10M", "-maxrate", "10M", "-bufsize", "20M", "-profile:v", "high", "-pix_fmt", "yuv420p",
		"-c:a", "aac", "-b:a", "128k", "-movflags", "+faststart")
}

// BenchmarkVideoJob prints, from one run on the phone clip:
//
//	(a) quinte's whole job / the bare ffmpeg commands of the same plan (goal ≤ 1.05): the analysis
//	    decode (frames and shot cuts, as the subject analysis runs it), the main pass, the finishing
//	    pass; quinte adds to them the probe, the cheap analysis passes, the face search and the checks
//	(b) quinte's whole job / one ffmpeg process per output, after the same analysis decode (goal ≤ 0.65)
//	(c) the realtime factor: seconds of video per second of quinte's wall time
//
// Each of the three is run twice, in the order A B C C B A so that a slow spell of the shared machine
// weighs on all alike, and the faster of the two counts.
func BenchmarkVideoJob(b *testing.B) {
	src := phoneClip(b)
	// The worker's pipeline: the subject analysis with the worker's detector pool, warmed up as a
	// running worker's is.
	_, an, _ := reframetest.Setup(b)
	rec := &recorder{Analyzer: an}
	p := benchPipeline(rec)
	warmUp(b, an)
	for i := 0; i < b.N; i++ {
		var res *pipeline.Result
		job := func() error {
			var err error
			res, err = p.Process(context.Background(), pipeline.Input{ID: "bench", Path: src, Kind: message.KindVideo, WorkDir: b.TempDir()})
			return err
		}
		q1 := measure(b, job)
		analysis := rec.took
		plan, err := commands(res, src, b.TempDir())
		if err != nil {
			b.Fatal(err)
		}
		// The plan's ffmpeg passes, bare, start with the analysis decode (what quinte adds to it is
		// the face search).
		in := rec.input
		in.WorkDir = b.TempDir()
		decode := rec.Command(in)
		plan = append([][]string{decode}, plan...)
		naive, err := oneProcessPerOutput(res, src, b.TempDir())
		if err != nil {
			b.Fatal(err)
		}
		naive = append([][]string{decode}, naive...) // its crops follow the same camera path
		var mainPass, decodePass []cost
		bareRun := func() error {
			last := len(plan) - 2 // the finishing pass's two processes run side by side, as in the job
			for i, args := range plan[:last] {
				c := measure(b, func() error { return run("ffmpeg", args) })
				switch i {
				case 0:
					decodePass = append(decodePass, c)
				case 1:
					mainPass = append(mainPass, c)
				}
			}
			var g errgroup.Group
			for _, args := range plan[last:] {
				g.Go(func() error { return run("ffmpeg", args) })
			}
			return g.Wait()
		}
		naiveRun := func() error {
			for _, args := range naive {
				if err := run("ffmpeg", args); err != nil {
					return err
				}
			}
			return nil
		}
		b1, n1 := measure(b, bareRun), measure(b, naiveRun)
		n2, b2 := measure(b, naiveRun), measure(b, bareRun)
		q2 := measure(b, job)
		analysis = min(analysis, rec.took)
		quinte, bare, perOutput, main, dec := best(q1, q2), best(b1, b2), best(n1, n2), best(mainPass...), best(decodePass...)
		withoutAnalysis := cost{wall: quinte.wall - analysis}
		bareWithout := cost{wall: bare.wall - dec.wall}

		seconds := res.Media.Duration
		b.ReportMetric(quinte.wall.Seconds()/bare.wall.Seconds(), "quinte/bare")
		b.ReportMetric(quinte.wall.Seconds()/perOutput.wall.Seconds(), "quinte/per-output")
		b.ReportMetric(seconds/quinte.wall.Seconds(), "realtime")
		table(fmt.Sprintf("video job: %s (%.0f s, %dx%d, %d outputs), best of two runs each; wall (CPU)", filepath.Base(src), seconds,
			res.Media.Video.DisplayWidth, res.Media.Video.DisplayHeight, len(res.Files)), [][3]string{
			{"quinte job (probe, analysis, one decode, finishing, verify)", secs(quinte), ""},
			{"  of which the subject analysis (a second decode, 640 px, faces)", fmt.Sprintf("%.1f s", analysis.Seconds()), ""},
			{"bare ffmpeg: the plan's analysis decode, main and finishing passes", secs(bare), ""},
			{"  of which the analysis decode (frames and shot cuts, no faces)", secs(dec), ""},
			{"  of which the main pass", secs(main), ""},
			{fmt.Sprintf("one ffmpeg process per output (%d processes)", len(naive)), secs(perOutput), ""},
			{"(a) quinte / bare ffmpeg of the same plan", ratio(quinte, bare), "goal ≤ 1.05"},
			{"    quinte without the subject analysis / bare ffmpeg without its decode", fmt.Sprintf("%.2f", withoutAnalysis.wall.Seconds()/bareWithout.wall.Seconds()), ""},
			{"    quinte / bare ffmpeg without the analysis decode", fmt.Sprintf("%.2f", quinte.wall.Seconds()/bareWithout.wall.Seconds()), ""},
			{"    quinte / the main pass alone", ratio(quinte, main), ""},
			{"(b) quinte / one process per output", ratio(quinte, perOutput), "goal ≤ 0.65"},
			{"(c) realtime factor (seconds of video per second)", fmt.Sprintf("%.2f×", seconds/quinte.wall.Seconds()), ""},
		})
		fmt.Println("(d) the photo crop set against vipsthumbnail is in photo_test.go")
	}
}

func secs(c cost) string { return fmt.Sprintf("%.1f s (%.0f)", c.wall.Seconds(), c.cpu.Seconds()) }

func ratio(a, b cost) string {
	return fmt.Sprintf("%.2f (%.2f)", a.wall.Seconds()/b.wall.Seconds(), a.cpu.Seconds()/b.cpu.Seconds())
}
