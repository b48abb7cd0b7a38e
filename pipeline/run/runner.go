// Package run starts ffmpeg and ffprobe: argv slices (never a shell) in their own process group, with
// a context, SIGINT first and a kill after a grace, a stall watchdog, the tail of stderr kept for the
// error (ExecError), and how far a run is measured for the job's progress (progress.go). It owns no
// command line: what to run is built elsewhere (package ffcmd and the probes).
package run

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/quinte-media/quinte/pipeline/internal/proc"
	"github.com/quinte-media/quinte/pipeline/internal/safe"
)

// ErrStalled is the cause of a run stopped by the watchdog because ffmpeg stopped making progress.
var ErrStalled = errors.New("ffmpeg made no progress")

// ExecError is a tool (ffmpeg, ffprobe) that did not exit cleanly, with the end of what it said.
type ExecError struct {
	Tool   string
	Code   int    // exit code, or -1 when killed by a signal
	Signal string // the signal that killed it, if any
	Tail   string // the last lines of its stderr
	Err    error
}

func (e *ExecError) Error() string {
	how := "exit status " + strconv.Itoa(e.Code)
	if e.Signal != "" {
		how = "killed by " + e.Signal
	}
	if e.Tail == "" {
		return fmt.Sprintf("%s: %s", e.Tool, how)
	}
	return fmt.Sprintf("%s: %s: %s", e.Tool, how, e.Tail)
}

func (e *ExecError) Unwrap() error { return e.Err }

// ffmpegProgress is what ffmpeg reports on -progress.
type ffmpegProgress struct {
	Frame   int64
	OutTime time.Duration
	Done    bool
}

// Runner starts tools as argv slices (never through a shell) in their own process group, stops them
// with SIGINT when the context ends (so MP4 muxers can finish cleanly) and kills them after Grace.
type Runner struct {
	Grace time.Duration // between SIGINT and SIGKILL
	Stall time.Duration // no progress for this long stops ffmpeg (0 = never)
	meter *Meter        // measures how far an ffmpeg run is (nil: nobody asked)
}

// Measured is r with its ffmpeg runs measured by m.
func (r Runner) Measured(m *Meter) Runner {
	r.meter = m
	return r
}

const stderrTailBytes = 2048

func (r Runner) command(ctx context.Context, bin string, args []string) *exec.Cmd {
	grace := r.Grace
	if grace == 0 {
		grace = 5 * time.Second
	}
	return proc.Command(ctx, grace, bin, args...)
}

// Output runs a tool that prints a bounded answer (ffprobe) and returns its stdout.
func (r Runner) Output(ctx context.Context, bin string, args []string) ([]byte, error) {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	cmd := r.command(ctx, bin, args)
	var stdout bytes.Buffer
	stderr := proc.NewTail(stderrTailBytes)
	cmd.Stdout = &limitedWriter{w: &stdout, n: 32 << 20}
	cmd.Stderr = stderr
	if err := cmd.Start(); err != nil {
		return nil, &ExecError{Tool: bin, Code: -1, Err: err}
	}
	w := r.watch(cmd, cancel)
	err := cmd.Wait()
	w.Stop()
	KillGroup(cmd)
	if err != nil {
		return nil, r.wrap(ctx, bin, err, stderr.String())
	}
	return stdout.Bytes(), nil
}

// Log runs an ffmpeg analysis pass (-progress pipe:1 in args) for what it prints on stderr (ffmpeg's
// analysis filters report there) and returns the last maxBytes of it. The stall watchdog and the
// process-group cleanup are the same as FFmpeg's.
func (r Runner) Log(ctx context.Context, bin string, args []string, maxBytes int) (string, error) {
	stderr, _, err := r.ffmpeg(ctx, bin, args, maxBytes)
	if err != nil {
		return "", err
	}
	return stderr.Raw(), nil
}

// FFmpeg runs ffmpeg with -progress pipe:1 already in args, and stops it when ctx ends or when it stops making progress for r.Stall. It returns how many lines ffmpeg wrote
// on stderr: with -v error each is an error, and a run can exit 0 after hundreds of them.
func (r Runner) FFmpeg(ctx context.Context, bin string, args []string) (errorLines int, err error) {
	_, errorLines, err = r.ffmpeg(ctx, bin, args, stderrTailBytes)
	return errorLines, err
}

// ffmpeg is FFmpeg and Log: it keeps the last stderrMax bytes of stderr.
func (r Runner) ffmpeg(ctx context.Context, bin string, args []string, stderrMax int) (*proc.Tail, int, error) {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	cmd := r.command(ctx, bin, args)
	stderr := proc.NewTail(stderrMax)
	cmd.Stderr = stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return stderr, 0, err
	}
	if err := cmd.Start(); err != nil {
		return stderr, 0, &ExecError{Tool: bin, Code: -1, Err: err}
	}

	w := r.watch(cmd, cancel)
	defer w.Stop()
	stopMeter := r.meter.Follow(cmd)
	defer stopMeter()
	// A panic in the parser must not end the worker: it stops this run with the panic as its cause.
	safe.Go(func() { readProgress(stdout, func(p ffmpegProgress) { w.Kick(); r.meter.SawTime(p.OutTime) }) }, func(err error) { cancel(err) })
	err = cmd.Wait()
	KillGroup(cmd)
	if err != nil {
		return stderr, stderr.Lines(), r.wrap(ctx, bin, err, stderr.String())
	}
	return stderr, stderr.Lines(), nil
}

// watch starts the stall watchdog on a started tool: alive while it reads or writes (proc.Watchdog's
// Follow) or reports; stopped through cancel when it does none of these for r.Stall.
func (r Runner) watch(cmd *exec.Cmd, cancel context.CancelCauseFunc) *proc.Watchdog {
	w := proc.NewWatchdog(r.Stall, func() { cancel(fmt.Errorf("%w for %s", ErrStalled, r.Stall)) })
	w.Follow(cmd)
	return w
}

func (r Runner) wrap(ctx context.Context, bin string, err error, tail string) error {
	e := &ExecError{Tool: bin, Code: -1, Tail: tail, Err: err}
	if cause := context.Cause(ctx); errors.Is(cause, ErrStalled) {
		e.Err = cause
		return e
	}
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		e.Code = ee.ExitCode()
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			e.Signal = ws.Signal().String()
		}
	}
	if ctx.Err() != nil {
		// Stopped on purpose: the caller's context says why.
		e.Err = errors.Join(context.Cause(ctx), err)
	}
	return e
}

// readProgress parses ffmpeg's "key=value" progress blocks, each ended by a "progress=" line, and
// reports one Progress whenever ffmpeg has moved since the last one.
func readProgress(r io.Reader, report func(ffmpegProgress)) {
	sc := bufio.NewScanner(r)
	var cur, last ffmpegProgress
	first := true
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), "=")
		if !ok {
			continue
		}
		switch k {
		case "frame":
			cur.Frame, _ = strconv.ParseInt(v, 10, 64)
		case "out_time_us":
			if us, err := strconv.ParseInt(v, 10, 64); err == nil {
				cur.OutTime = time.Duration(us) * time.Microsecond
			}
		case "progress":
			cur.Done = v == "end"
			if first || cur.Frame != last.Frame || cur.OutTime != last.OutTime || cur.Done {
				report(cur)
				last, first = cur, false
			}
		}
	}
	_, _ = io.Copy(io.Discard, r)
}

type limitedWriter struct {
	w io.Writer
	n int64
}

func (l *limitedWriter) Write(p []byte) (int, error) {
	if int64(len(p)) > l.n {
		return 0, errors.New("output too large")
	}
	l.n -= int64(len(p))
	return l.w.Write(p)
}
