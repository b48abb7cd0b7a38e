package photo

import (
	"context"
	"errors"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/quinte-media/quinte/internal/testenv"
)

// A tool that stops making progress (ffmpeg waiting on a pipe that nobody writes) is stopped by the
// stall watchdog, as every ffmpeg run is (the tool timeout would give a plain error, not this
// refusal), and the photo fails with a reason.
func TestStalledToolIsStopped(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "fifo")
	testenv.Must(t, syscall.Mkfifo(fifo, 0o600))
	cfg := Config{Stall: time.Second, ToolTimeout: time.Minute}.withDefaults()
	err := runTool(context.Background(), cfg, "ffmpeg", []string{"-hide_banner", "-nostdin", "-v", "error", "-i", "file:" + fifo, "-f", "null", "-"}, nil)
	var pe *Error
	if !errors.As(err, &pe) || pe.Code != CodeStalled {
		t.Fatalf("err = %v, want a %s refusal", err, CodeStalled)
	}
}
