package reframe

import (
	"errors"
	"io"
	"sync/atomic"
	"time"
)

// errStalled ends an analysis whose ffmpeg stopped sending frames (a decoder stuck on a damaged file):
// the job's own deadline would otherwise be the only limit.
var errStalled = errors.New("ffmpeg sent no frame")

// watchdog calls stall once when nothing has been read through it for the given time.
type watchdog struct {
	last atomic.Int64 // unix nanoseconds of the last read
	done chan struct{}
}

func newWatchdog(after time.Duration, stall func()) *watchdog {
	w := &watchdog{done: make(chan struct{})}
	w.last.Store(time.Now().UnixNano())
	go func() {
		t := time.NewTicker(min(after/4, time.Second))
		defer t.Stop()
		for {
			select {
			case <-w.done:
				return
			case now := <-t.C:
				if now.Sub(time.Unix(0, w.last.Load())) > after {
					stall()
					return
				}
			}
		}
	}()
	return w
}

// reader passes r through, noting each read that brings bytes.
func (w *watchdog) reader(r io.Reader) io.Reader { return watchedReader{r, w} }

func (w *watchdog) close() { close(w.done) }

type watchedReader struct {
	r io.Reader
	w *watchdog
}

func (r watchedReader) Read(p []byte) (int, error) {
	n, err := r.r.Read(p)
	if n > 0 {
		r.w.last.Store(time.Now().UnixNano())
	}
	return n, err
}
