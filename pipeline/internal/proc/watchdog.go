package proc

import (
	"bufio"
	"bytes"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// Watchdog calls its stall function when it has not been kicked for a while: a tool that stops making
// progress is stopped on that, not on a fixed total time. A nil Watchdog (no limit) does nothing.
type Watchdog struct {
	after   time.Duration
	timer   *time.Timer
	stopped atomic.Bool
	done    chan struct{}
	once    sync.Once
}

// NewWatchdog starts a watchdog that calls stall after `after` without a Kick; nil when after <= 0.
func NewWatchdog(after time.Duration, stall func()) *Watchdog {
	if after <= 0 {
		return nil
	}
	return &Watchdog{after: after, timer: time.AfterFunc(after, stall), done: make(chan struct{})}
}

// Kick puts the deadline back: the tool made progress. After Stop it does nothing (a last progress
// line read after the tool exited must not arm the timer again).
func (w *Watchdog) Kick() {
	if w != nil && !w.stopped.Load() {
		w.timer.Reset(w.after)
	}
}

// Stop ends the watch, and the sampling of Follow.
func (w *Watchdog) Stop() {
	if w != nil {
		w.stopped.Store(true)
		w.timer.Stop()
		w.once.Do(func() { close(w.done) })
	}
}

// Reader passes r through, kicking the watchdog on every read that brings bytes.
func (w *Watchdog) Reader(r io.Reader) io.Reader { return watchedReader{r, w} }

type watchedReader struct {
	r io.Reader
	w *Watchdog
}

func (r watchedReader) Read(p []byte) (int, error) {
	n, err := r.r.Read(p)
	if n > 0 {
		r.w.Kick()
	}
	return n, err
}

// Follow counts the started process of cmd as making progress while it reads or writes anything: its
// input, its outputs, a pipe. A tool's own report is not enough: ffmpeg writes no -progress block
// until every output has its first frame, and a storyboard's only frame comes at the end of the clip.
// CPU time is not progress (a decoder spinning in a loop burns CPU and moves no byte); a tool stopped
// by SIGSTOP or blocked on a pipe nobody writes moves nothing, and the stall function still runs.
// The process is sampled a few times per stall period until Stop.
func (w *Watchdog) Follow(cmd *exec.Cmd) {
	if w == nil || cmd.Process == nil {
		return
	}
	pid := cmd.Process.Pid
	go func() {
		t := time.NewTicker(samplePeriod(w.after))
		defer t.Stop()
		last, _ := treeIOCount(pid)
		for {
			select {
			case <-w.done:
				return
			case <-t.C:
			}
			if n, ok := treeIOCount(pid); ok && n != last {
				last = n
				w.Kick()
			}
		}
	}()
}

// samplePeriod is how often Follow looks at a process: often enough that a stall is seen within a
// quarter of its limit, and never more than once a second for the long limits of real jobs.
func samplePeriod(after time.Duration) time.Duration {
	return min(time.Second, max(50*time.Millisecond, after/4))
}

// IOCount is a number that grows whenever the process pid reads or writes: the bytes its threads
// moved through read and write calls (/proc/PID/io rchar + wchar), or where that file cannot be read,
// the sum of its open files' offsets. ok is false when the process is gone or /proc is missing.
func IOCount(pid int) (n uint64, ok bool) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/io")
	if err == nil {
		sc := bufio.NewScanner(bytes.NewReader(b))
		for sc.Scan() {
			k, v, _ := bytes.Cut(sc.Bytes(), []byte(": "))
			if string(k) == "rchar" || string(k) == "wchar" {
				x, _ := strconv.ParseUint(string(v), 10, 64)
				n += x
				ok = true
			}
		}
		if ok {
			return n, true
		}
	}
	fds, err := os.ReadDir("/proc/" + strconv.Itoa(pid) + "/fd")
	if err != nil {
		return 0, false
	}
	for _, fd := range fds {
		if pos, ok := fdPos(pid, fd.Name()); ok {
			n += uint64(pos)
		}
	}
	return n, true
}

// treeIOCount is IOCount of pid and of every live process below it: a tool that works through helpers
// of its own (the photo child runs heif-convert and ffmpeg) is alive while they read or write. A helper
// that exits moves the figure too (its counts leave the sum until its parent reaps it).
func treeIOCount(pid int) (uint64, bool) {
	n, ok := IOCount(pid)
	if !ok {
		return 0, false
	}
	for _, c := range children(pid) {
		if m, ok := treeIOCount(c); ok {
			n += m
		}
	}
	return n, true
}

// children lists the processes pid started, from each of its threads' children file.
func children(pid int) []int {
	tasks, err := os.ReadDir("/proc/" + strconv.Itoa(pid) + "/task")
	if err != nil {
		return nil
	}
	var out []int
	for _, t := range tasks {
		b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/task/" + t.Name() + "/children")
		if err != nil {
			continue
		}
		for f := range bytes.FieldsSeq(b) {
			if c, err := strconv.Atoi(string(f)); err == nil {
				out = append(out, c)
			}
		}
	}
	return out
}

// ReadOffset is how far process pid has read the file at path: the offset of the descriptor it holds
// open on it (the largest, when several). ok is false when it has no such descriptor.
func ReadOffset(pid int, path string) (off int64, ok bool) {
	want, err := filepath.Abs(path)
	if err != nil {
		return 0, false
	}
	dir := "/proc/" + strconv.Itoa(pid) + "/fd"
	fds, err := os.ReadDir(dir)
	if err != nil {
		return 0, false
	}
	for _, fd := range fds {
		if target, err := os.Readlink(filepath.Join(dir, fd.Name())); err != nil || target != want {
			continue
		}
		if pos, found := fdPos(pid, fd.Name()); found && (!ok || pos > off) {
			off, ok = pos, true
		}
	}
	return off, ok
}

func fdPos(pid int, fd string) (int64, bool) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/fdinfo/" + fd)
	if err != nil {
		return 0, false
	}
	for line := range bytes.SplitSeq(b, []byte{'\n'}) {
		if v, found := bytes.CutPrefix(line, []byte("pos:")); found {
			pos, err := strconv.ParseInt(string(bytes.TrimSpace(v)), 10, 64)
			return pos, err == nil
		}
	}
	return 0, false
}
