package proc

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// A reader that brings nothing for longer than the stall time trips the watchdog; one that keeps
// bringing bytes does not.
func TestWatchdog(t *testing.T) {
	tripped := make(chan struct{})
	w := NewWatchdog(2*time.Second, func() { close(tripped) })
	defer w.Stop()
	pr, pw := io.Pipe()
	r := w.Reader(pr)
	go func() {
		for i := 0; i < 8; i++ {
			_, _ = pw.Write([]byte{1})
			time.Sleep(20 * time.Millisecond)
		}
	}()
	buf := make([]byte, 1)
	for i := 0; i < 8; i++ {
		if _, err := r.Read(buf); err != nil {
			t.Fatal(err)
		}
	}
	select {
	case <-tripped:
		t.Fatal("tripped while bytes kept coming")
	default:
	}
	select {
	case <-tripped:
	case <-time.After(time.Minute):
		t.Fatal("no bytes for a minute and the watchdog did not trip")
	}
}

func TestNilWatchdogDoesNothing(t *testing.T) {
	w := NewWatchdog(0, func() { t.Error("a watchdog without a limit tripped") })
	w.Kick()
	w.Stop()
	if w != nil {
		t.Error("NewWatchdog(0) is not nil")
	}
}

// Follow: a process that keeps reading or writing, or whose helper does, is alive, even when it reports
// nothing; one that burns CPU without moving a byte, one stopped by SIGSTOP and one blocked on a pipe
// nobody writes are stalled.
func TestFollowCountsInputAndOutput(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name  string
		argv  []string
		stop  bool // SIGSTOP it once it runs
		alive bool
	}{
		{"writes all the time", []string{"sh", "-c", "exec yes > /dev/null"}, false, true},
		{"reads all the time", []string{"sh", "-c", "exec cat /dev/zero > /dev/null"}, false, true},
		{"its helper writes all the time", []string{"sh", "-c", "yes > /dev/null; true"}, false, true},
		{"spins on the CPU", []string{"sh", "-c", "while :; do :; done"}, false, false},
		{"stopped", []string{"sh", "-c", "exec yes > /dev/null"}, true, false},
		{"blocked on a pipe", []string{"sh", "-c", "exec cat " + fifo}, false, false},
		{"sleeps", []string{"sleep", "60"}, false, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			const stall = time.Second
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			cmd := Command(ctx, time.Second, c.argv[0], c.argv[1:]...)
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			defer func() { cancel(); _ = cmd.Wait() }()
			if c.stop {
				_ = syscall.Kill(cmd.Process.Pid, syscall.SIGSTOP)
				defer syscall.Kill(cmd.Process.Pid, syscall.SIGCONT)
			}
			tripped := make(chan struct{})
			w := NewWatchdog(stall, func() { close(tripped) })
			defer w.Stop()
			w.Follow(cmd)
			select {
			case <-tripped:
				if c.alive {
					t.Errorf("%s: stopped as stalled", c.name)
				}
			case <-time.After(5 * stall):
				if !c.alive {
					t.Errorf("%s: not seen as stalled after 5 stall periods", c.name)
				}
			}
		})
	}
}

// ReadOffset finds how far a process has read a file, by its path.
func TestReadOffset(t *testing.T) {
	path := filepath.Join(t.TempDir(), "in")
	if err := os.WriteFile(path, make([]byte, 1<<20), 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.Read(make([]byte, 12345)); err != nil {
		t.Fatal(err)
	}
	off, ok := ReadOffset(os.Getpid(), path)
	if !ok || off != 12345 {
		t.Errorf("ReadOffset = %d, %v; want 12345, true", off, ok)
	}
	if _, ok := ReadOffset(os.Getpid(), path+".none"); ok {
		t.Error("ReadOffset found a file that is not open")
	}
}
