package reframe

import (
	"context"
	"fmt"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"time"
)

// command prepares a tool run the way the pipeline runs ffmpeg: an argv slice (never a shell), its own
// process group, SIGINT first when the context ends and a kill after a grace period.
func command(ctx context.Context, bin string, args []string) (*exec.Cmd, *tail) {
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGINT) }
	cmd.WaitDelay = 5 * time.Second
	t := &tail{max: 2048}
	cmd.Stderr = t
	return cmd, t
}

// tail keeps the last bytes written to it: the end of a tool's stderr, for the error message.
type tail struct {
	mu  sync.Mutex
	max int
	b   []byte
}

func (t *tail) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.b = append(t.b, p...)
	if len(t.b) > t.max {
		t.b = t.b[len(t.b)-t.max:]
	}
	return len(p), nil
}

func (t *tail) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return strings.TrimSpace(string(t.b))
}

// toolError wraps a failed run with the end of what the tool said.
func toolError(what string, err error, t *tail) error {
	if s := t.String(); s != "" {
		return fmt.Errorf("%s: %w: %s", what, err, s)
	}
	return fmt.Errorf("%s: %w", what, err)
}
