package bench

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/quinte-media/quinte/message"
	"github.com/quinte-media/quinte/pipeline"
)

// phoneClip is a deterministic phone-like clip: 30 s of 1080x1920 at 30 fps, moving test pattern with
// sensor-like noise, H.264 High at about 10 Mb/s, AAC 48 kHz stereo speech-level tone and noise.
func phoneClip(b *testing.B) string {
	return generated(b, ".mp4",
		"-f", "lavfi", "-i", "testsrc2=s=1080x1920:r=30:d=30,noise=alls=12:allf=t+u",
		"-f", "lavfi", "-i", "sine=f=220:r=48000:d=30,volume=-18dB[s];anoisesrc=r=48000:d=30:a=0.02:seed=7[n];[s][n]amix=inputs=2,aformat=channel_layouts=stereo",
		"-c:v", "libx264", "-preset", "veryfast", "-b:v", "10M", "-maxrate", "10M", "-bufsize", "20M", "-profile:v", "high", "-pix_fmt", "yuv420p",
		"-c:a", "aac", "-b:a", "128k", "-movflags", "+faststart")
}

// BenchmarkVideoJob prints, from one run on the phone clip:
//
//	(a) quinte's whole job / the bare ffmpeg commands of the same plan (goal ≤ 1.05)
//	(b) quinte's whole job / one ffmpeg process per output (goal ≤ 0.65)
//	(c) the realtime factor: seconds of video per second of quinte's wall time
func BenchmarkVideoJob(b *testing.B) {
	src := phoneClip(b)
	p := pipeline.New(pipeline.Config{FFmpeg: "ffmpeg", FFprobe: "ffprobe", Preset: "veryfast", CRF: 23}, nil)
	ctx := context.Background()
	for i := 0; i < b.N; i++ {
		var res *pipeline.Result
		quinte := timed(b, func() (err error) {
			res, err = p.Process(ctx, pipeline.Input{ID: "bench", Path: src, Kind: message.KindVideo, WorkDir: b.TempDir()})
			return err
		})
		plan, err := p.Commands(res, src, b.TempDir())
		if err != nil {
			b.Fatal(err)
		}
		naive, err := p.OneProcessPerOutput(res, src, b.TempDir())
		if err != nil {
			b.Fatal(err)
		}
		var mainPass time.Duration
		bare := timed(b, func() error {
			for i, args := range plan {
				start := time.Now()
				if err := run("ffmpeg", args); err != nil {
					return err
				}
				if i == 0 {
					mainPass = time.Since(start)
				}
			}
			return nil
		})
		perOutput := timed(b, func() error {
			for _, args := range naive {
				if err := run("ffmpeg", args); err != nil {
					return err
				}
			}
			return nil
		})

		seconds := res.Media.Duration
		b.ReportMetric(quinte.Seconds()/bare.Seconds(), "quinte/bare")
		b.ReportMetric(quinte.Seconds()/perOutput.Seconds(), "quinte/per-output")
		b.ReportMetric(seconds/quinte.Seconds(), "realtime")
		table(fmt.Sprintf("video job: %s (%.0f s, %dx%d, %d outputs)", filepath.Base(src), seconds,
			res.Media.Video.DisplayWidth, res.Media.Video.DisplayHeight, len(res.Files)), [][3]string{
			{"quinte job (probe, analysis, one decode, finishing, verify)", secs(quinte), ""},
			{"bare ffmpeg: the plan's main and finishing passes", secs(bare), ""},
			{"  of which the main pass alone", secs(mainPass), ""},
			{fmt.Sprintf("one ffmpeg process per output (%d processes)", len(naive)), secs(perOutput), ""},
			{"(a) quinte / bare ffmpeg of the same plan", ratio(quinte, bare), "goal ≤ 1.05"},
			{"    quinte / the main pass alone", ratio(quinte, mainPass), ""},
			{"(b) quinte / one process per output", ratio(quinte, perOutput), "goal ≤ 0.65"},
			{"(c) realtime factor (seconds of video per second)", fmt.Sprintf("%.2f×", seconds/quinte.Seconds()), ""},
		})
		fmt.Fprintln(os.Stdout, "(d) the photo crop set against vipsthumbnail is BenchmarkPhotoCrops (photo_test.go), when present")
	}
}

func secs(d time.Duration) string { return fmt.Sprintf("%.1f s", d.Seconds()) }

func ratio(a, b time.Duration) string { return fmt.Sprintf("%.2f", a.Seconds()/b.Seconds()) }
