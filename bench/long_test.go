package bench

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/quinte-media/quinte/internal/testenv"
	"github.com/quinte-media/quinte/message"
	"github.com/quinte-media/quinte/pipeline"
	"github.com/quinte-media/quinte/pipeline/reframe/reframetest"
)

// BenchmarkLongMessages runs whole jobs on real messages' lengths, as a worker with the default
// settings runs them (the stall watchdog at its default 60 s): a 3-minute 1080x1920 phone-like clip
// and a 10-minute 1280x720 one (the longest upload allowed). It prints each job's wall time, its
// realtime factor, the peak memory of quinte and of its children together (the sum of every process's
// resident high-water mark, sampled), the peak disk of the job's work directory, and what a two-core
// worker takes per hour at that pace. Each clip's figures are printed as soon as its job ends.
func BenchmarkLongMessages(b *testing.B) {
	clips := []struct {
		name    string
		seconds int
		args    []string
	}{
		{"3 min 1080x1920 30 fps, H.264 10 Mb/s", 180, []string{
			"-f", "lavfi", "-i", "testsrc2=s=1080x1920:r=30:d=180,noise=alls=12:allf=t+u",
			"-f", "lavfi", "-i", "sine=f=220:r=48000:d=180,aformat=channel_layouts=stereo",
			"-c:v", "libx264", "-preset", "veryfast", "-b:v", "10M", "-maxrate", "10M", "-bufsize", "20M", "-pix_fmt", "yuv420p",
			"-c:a", "aac", "-b:a", "128k", "-movflags", "+faststart"}},
		{"10 min 1280x720 30 fps, H.264 5 Mb/s", 600, []string{
			"-f", "lavfi", "-i", "testsrc2=s=1280x720:r=30:d=600,noise=alls=8:allf=t+u",
			"-f", "lavfi", "-i", "sine=f=220:r=48000:d=600,aformat=channel_layouts=stereo",
			"-c:v", "libx264", "-preset", "veryfast", "-b:v", "5M", "-maxrate", "5M", "-bufsize", "10M", "-pix_fmt", "yuv420p",
			"-c:a", "aac", "-b:a", "128k", "-movflags", "+faststart"}},
	}
	_, an, _ := reframetest.Setup(b)
	warmUp(b, an)
	p := pipeline.New(pipeline.Config{FFmpeg: "ffmpeg", FFprobe: "ffprobe", Preset: "veryfast", CRF: 23, MaxPhotoPixels: 50e6,
		StallTimeout: 60 * time.Second}, pipeline.Parts{Subjects: an}, nil)
	for _, c := range clips {
		if only := os.Getenv("QUINTE_BENCH_LONG"); only != "" && !strings.Contains(c.name, only) {
			continue // QUINTE_BENCH_LONG="3 min" runs that clip alone
		}
		var rows [][3]string
		src := generated(b, ".mp4", c.args...)
		for i := 0; i < b.N; i++ {
			dir := b.TempDir()
			stop := sampleJob(dir)
			start := time.Now()
			res, err := p.Process(context.Background(), pipeline.Input{ID: "long", Path: src, Kind: message.KindVideo, WorkDir: dir})
			wall := time.Since(start)
			mem, disk := stop()
			if err != nil {
				b.Fatalf("%s: %v", c.name, err)
			}
			rt := float64(c.seconds) / wall.Seconds()
			rows = append(rows,
				[3]string{c.name + ": job wall", wall.Round(time.Second).String(), fmt.Sprintf("%d outputs", len(res.Files))},
				[3]string{"  realtime factor (seconds of video per second)", fmt.Sprintf("%.2f×", rt), ""},
				[3]string{"  peak memory, quinte + its children", fmt.Sprintf("%.0f MiB", mem), ""},
				[3]string{"  peak disk of the job directory", fmt.Sprintf("%.0f MiB", disk), fmt.Sprintf("source %.0f MiB", fileMiB(src))},
				[3]string{"  messages of this kind per hour, one 2-core worker", fmt.Sprintf("%.1f", 3600/wall.Seconds()), ""},
			)
		}
		table("Long messages (BenchmarkLongMessages)", rows)
	}
}

// sampleJob samples, every 200 ms until stop is called, the memory of this process and of every
// process it started, and the size of dir. The memory of one sample is the sum of the resident
// high-water marks (VmHWM) of the processes alive then: passes that never ran side by side are not
// added up, and a child's peak between two samples still counts. stop returns both peaks, in MiB.
func sampleJob(dir string) (stop func() (mem, disk float64)) {
	done := make(chan struct{})
	var wg sync.WaitGroup
	var peakMem, peakDisk int64
	self := os.Getpid()
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(200 * time.Millisecond)
		defer t.Stop()
		for {
			var sum int64
			for _, pid := range append(descendants(self), self) {
				sum += testenv.ReadMemory(pid).Peak
			}
			peakMem, peakDisk = max(peakMem, sum), max(peakDisk, dirSize(dir))
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	}()
	return func() (float64, float64) {
		close(done)
		wg.Wait()
		return float64(peakMem) / (1 << 20), float64(peakDisk) / (1 << 20)
	}
}

// descendants lists the live processes below pid.
func descendants(pid int) []int {
	entries, _ := os.ReadDir("/proc")
	parent := map[int]int{}
	for _, e := range entries {
		p, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue
		}
		s := string(b)
		i := strings.LastIndexByte(s, ')')
		if i < 0 {
			continue
		}
		f := strings.Fields(s[i+1:])
		if len(f) > 2 {
			pp, _ := strconv.Atoi(f[1])
			parent[p] = pp
		}
	}
	var out []int
	var walk func(int)
	walk = func(p int) {
		for c, pp := range parent {
			if pp == p {
				out = append(out, c)
				walk(c)
			}
		}
	}
	walk(pid)
	return out
}

func dirSize(dir string) int64 {
	var n int64
	_ = filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			if fi, err := d.Info(); err == nil {
				n += fi.Size()
			}
		}
		return nil
	})
	return n
}

func fileMiB(path string) float64 {
	fi, err := os.Stat(path)
	if err != nil {
		return 0
	}
	return float64(fi.Size()) / (1 << 20)
}
