package reframe

import (
	"errors"
	"io"
	"time"
)

// errStalled ends an analysis whose ffmpeg stopped sending frames (a decoder stuck on a damaged file):
// the job's own deadline would otherwise be the only limit.
var errStalled = errors.New("ffmpeg sent no frame")

// watchdog calls stall when nothing has been read through it for the given time.
type watchdog struct {
	after time.Duration
	timer *time.Timer
}

func newWatchdog(after time.Duration, stall func()) *watchdog {
	return &watchdog{after: after, timer: time.AfterFunc(after, stall)}
}

// reader passes r through; each read that brings bytes puts the deadline back.
func (w *watchdog) reader(r io.Reader) io.Reader { return watchedReader{r, w} }

func (w *watchdog) close() { w.timer.Stop() }

type watchedReader struct {
	r io.Reader
	w *watchdog
}

func (r watchedReader) Read(p []byte) (int, error) {
	n, err := r.r.Read(p)
	if n > 0 {
		r.w.timer.Reset(r.w.after)
	}
	return n, err
}
