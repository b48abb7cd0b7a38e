package photo

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"syscall"
	"time"

	"github.com/quinte-media/quinte/pipeline/internal/proc"
)

// ToolError is a helper program (heif-convert, ffmpeg) that did not exit cleanly, with the end of
// what it printed.
type ToolError struct {
	Tool string
	Tail string
	Err  error
}

func (e *ToolError) Error() string { return fmt.Sprintf("%s: %v: %s", e.Tool, e.Err, e.Tail) }
func (e *ToolError) Unwrap() error { return e.Err }

// errToolStalled is the cause of a run stopped by its watchdog.
var errToolStalled = errors.New("made no progress")

// CodeStalled fails a photo whose helper program stopped making progress.
const CodeStalled = "photo_stalled"

// runTool runs bin with args as an argv slice (never through a shell) in its own process group. When
// ctx ends, cfg.ToolTimeout passes, or the tool reads and writes nothing for cfg.Stall (the watchdog
// of every ffmpeg run), it gets SIGINT, then SIGKILL two seconds later. feed, when set, writes its
// standard input.
func runTool(ctx context.Context, cfg Config, bin string, args []string, feed func(io.Writer) error) error {
	ctx, cancel := context.WithTimeout(ctx, cfg.ToolTimeout)
	defer cancel()
	ctx, stall := context.WithCancelCause(ctx)
	defer stall(nil)
	cmd := proc.Command(ctx, 2*time.Second, bin, args...)
	stderr := proc.NewTail(1024)
	cmd.Stderr = stderr
	var stdin io.WriteCloser
	if feed != nil {
		var err error
		if stdin, err = cmd.StdinPipe(); err != nil {
			return err
		}
	}
	if err := cmd.Start(); err != nil {
		return &ToolError{Tool: bin, Err: err}
	}
	wd := proc.NewWatchdog(cfg.Stall, func() { stall(errToolStalled) })
	defer wd.Stop()
	wd.Follow(cmd) // its reads (the fed frames, the files) and writes are its progress
	var feedErr error
	if feed != nil {
		feedErr = feed(stdin)
		if cerr := stdin.Close(); feedErr == nil {
			feedErr = cerr
		}
	}
	err := cmd.Wait()
	if err == nil && feedErr != nil && !errors.Is(feedErr, syscall.EPIPE) {
		err = feedErr
	}
	if err != nil {
		if errors.Is(context.Cause(ctx), errToolStalled) {
			return &Error{Code: CodeStalled, Err: &ToolError{Tool: bin, Tail: stderr.String(), Err: errToolStalled},
				Message: fmt.Sprintf("%s stopped making progress on this photo (nothing for %s) and was stopped: export it again as JPEG", filepath.Base(bin), cfg.Stall)}
		}
		if ctx.Err() != nil {
			err = errors.Join(context.Cause(ctx), err)
		}
		return &ToolError{Tool: bin, Tail: stderr.String(), Err: err}
	}
	return nil
}
