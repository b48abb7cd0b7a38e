package proc

import (
	"io"
	"sync/atomic"
	"time"
)

// Watchdog calls its stall function when it has not been kicked for a while: a tool that stops making
// progress is stopped on that, not on a fixed total time. A nil Watchdog (no limit) does nothing.
type Watchdog struct {
	after   time.Duration
	timer   *time.Timer
	stopped atomic.Bool
}

// NewWatchdog starts a watchdog that calls stall after `after` without a Kick; nil when after <= 0.
func NewWatchdog(after time.Duration, stall func()) *Watchdog {
	if after <= 0 {
		return nil
	}
	return &Watchdog{after: after, timer: time.AfterFunc(after, stall)}
}

// Kick puts the deadline back: the tool made progress. After Stop it does nothing (a last progress
// line read after the tool exited must not arm the timer again).
func (w *Watchdog) Kick() {
	if w != nil && !w.stopped.Load() {
		w.timer.Reset(w.after)
	}
}

// Stop ends the watch.
func (w *Watchdog) Stop() {
	if w != nil {
		w.stopped.Store(true)
		w.timer.Stop()
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
