package subject

import (
	"context"
	"fmt"
	"os/exec"
	"time"

	"github.com/quinte-media/quinte/pipeline/internal/proc"
)

// command prepares a tool run the way the pipeline runs ffmpeg (package proc), keeping the end of its
// stderr for the error message.
func command(ctx context.Context, bin string, args []string) (*exec.Cmd, *proc.Tail) {
	cmd := proc.Command(ctx, 5*time.Second, bin, args...)
	t := proc.NewTail(2048)
	cmd.Stderr = t
	return cmd, t
}

// toolError wraps a failed run with the end of what the tool said.
func toolError(what string, err error, t *proc.Tail) error {
	if s := t.String(); s != "" {
		return fmt.Errorf("%s: %w: %s", what, err, s)
	}
	return fmt.Errorf("%s: %w", what, err)
}
