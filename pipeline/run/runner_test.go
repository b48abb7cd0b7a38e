package run

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/quinte-media/quinte/internal/testenv"
	"github.com/quinte-media/quinte/message"
)

// ffmpeg 5.1 writes no -progress block until every output has its first frame: a pass whose only
// still comes after the stall timeout reports nothing until then, and must not be stopped for it
// while it reads its input and writes its other outputs.
func TestLateStillIsNotAStall(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "src.mp4")
	testenv.FFmpeg(t, "-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25:duration=7", "-c:v", "libx264", "-preset", "ultrafast", src)
	r := Runner{Grace: time.Second, Stall: 2 * time.Second}
	var seen []float64
	p := newProgressFunc(func(f float64) { seen = append(seen, f) })
	args := []string{"-hide_banner", "-nostdin", "-v", "error", "-y", "-re", "-i", src,
		"-filter_complex", "[0]split[a][b];[b]select='gte(t,6)'[late]",
		"-map", "[a]", "-c:v", "libx264", "-preset", "ultrafast", filepath.Join(dir, "a.mp4"),
		"-map", "[late]", "-frames:v", "1", filepath.Join(dir, "late.jpg"), "-progress", "pipe:1"}
	if _, err := r.Measured(p.Meter(src, 7)).FFmpeg(context.Background(), "ffmpeg", args); err != nil {
		t.Fatalf("a pass whose last still comes after the stall timeout failed: %v", err)
	}
	if len(seen) < 3 {
		t.Errorf("the pass's progress was Measured %d times in 7 s: %v", len(seen), seen)
	}
	if _, err := os.Stat(filepath.Join(dir, "late.jpg")); err != nil {
		t.Errorf("the late still: %v", err)
	}
}

// An ffmpeg that really stops (SIGSTOP: no read, no write, no report) is stopped as stalled, and so
// is one waiting on a pipe that nobody writes.
func TestStoppedFFmpegIsStalled(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "src.mp4")
	testenv.FFmpeg(t, "-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25:duration=30", "-c:v", "libx264", "-preset", "ultrafast", src)
	fifo := filepath.Join(dir, "fifo")
	testenv.Must(t, syscall.Mkfifo(fifo, 0o600))
	for _, c := range []struct {
		name, input string
		stop        bool
	}{
		{"stopped by SIGSTOP", src, true},
		{"blocked on a pipe", fifo, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			out := filepath.Join(dir, "out-"+time.Now().Format("150405.000000000")+".mp4")
			args := []string{"-hide_banner", "-nostdin", "-v", "error", "-y", "-re", "-i", "file:" + c.input,
				"-c:v", "libx264", "-preset", "ultrafast", out, "-progress", "pipe:1"}
			if c.stop {
				go func() {
					for i := 0; i < 200; i++ {
						if pids := testenv.Processes(out); len(pids) > 0 {
							time.Sleep(time.Second) // let it run first
							_ = syscall.Kill(pids[0], syscall.SIGSTOP)
							return
						}
						time.Sleep(50 * time.Millisecond)
					}
				}()
			}
			r := Runner{Grace: time.Second, Stall: 2 * time.Second}
			_, err := r.FFmpeg(context.Background(), "ffmpeg", args)
			if !errors.Is(err, ErrStalled) {
				t.Fatalf("%s: err = %v, want ErrStalled", c.name, err)
			}
			if left := testenv.Processes(out); len(left) > 0 {
				t.Errorf("the stalled ffmpeg survives: %v", left)
			}
		})
	}
}

// newProgressFunc is a progress whose fractions go to f, for tests of one run.
func newProgressFunc(f func(float64)) *Progress {
	return &Progress{report: func(p message.Progress) { f(float64(p.Percent) / 100) }, cur: message.Progress{Percent: -1}}
}
