// Package proc starts the pipeline's tools (ffmpeg, ffprobe, heif-convert) one way: an argv slice,
// never a shell; a process group of their own; SIGINT to the group when the context ends and a kill
// after a grace period; and the end of their stderr kept for the error message.
package proc

import (
	"bytes"
	"context"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Command prepares bin with args. When ctx ends the whole group gets SIGINT (in case the tool started
// helpers), and the process is killed if it has not exited grace later; the tool also dies with the
// worker (Pdeathsig).
func Command(ctx context.Context, grace time.Duration, bin string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGINT) }
	cmd.WaitDelay = grace
	return cmd
}

// Tail keeps the last n bytes written to it, and counts the lines.
type Tail struct {
	mu    sync.Mutex
	buf   []byte
	n     int
	lines int
}

// NewTail returns a Tail that keeps n bytes.
func NewTail(n int) *Tail { return &Tail{n: n} }

func (t *Tail) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.lines += bytes.Count(p, []byte{'\n'})
	t.buf = append(t.buf, p...)
	if len(t.buf) > t.n {
		t.buf = append(t.buf[:0], t.buf[len(t.buf)-t.n:]...)
	}
	return len(p), nil
}

// Lines is how many lines were written.
func (t *Tail) Lines() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.lines
}

// Raw is the kept bytes as they are.
func (t *Tail) Raw() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return string(t.buf)
}

// String is the last few lines, joined, for error messages: the first cause is usually near the end.
func (t *Tail) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	s := strings.TrimSpace(strings.ToValidUTF8(string(t.buf), "?"))
	lines := strings.Split(s, "\n")
	if len(lines) > 6 {
		lines = lines[len(lines)-6:]
	}
	return strings.Join(lines, " | ")
}
