package photo

import (
	"context"
	"errors"
	"fmt"
	"io"
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

// runTool runs bin with args as an argv slice (never through a shell) in its own process group. When
// ctx ends or timeout passes it gets SIGINT, then SIGKILL two seconds later. feed, when set, writes
// its standard input.
func runTool(ctx context.Context, timeout time.Duration, bin string, args []string, feed func(io.Writer) error) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
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
		if ctx.Err() != nil {
			err = errors.Join(context.Cause(ctx), err)
		}
		return &ToolError{Tool: bin, Tail: stderr.String(), Err: err}
	}
	return nil
}
