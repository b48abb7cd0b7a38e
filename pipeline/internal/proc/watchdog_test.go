package proc

import (
	"io"
	"testing"
	"time"
)

// A reader that brings nothing for longer than the stall time trips the watchdog; one that keeps
// bringing bytes does not.
func TestWatchdog(t *testing.T) {
	tripped := make(chan struct{})
	w := NewWatchdog(2*time.Second, func() { close(tripped) })
	defer w.Stop()
	pr, pw := io.Pipe()
	r := w.Reader(pr)
	go func() {
		for i := 0; i < 8; i++ {
			_, _ = pw.Write([]byte{1})
			time.Sleep(20 * time.Millisecond)
		}
	}()
	buf := make([]byte, 1)
	for i := 0; i < 8; i++ {
		if _, err := r.Read(buf); err != nil {
			t.Fatal(err)
		}
	}
	select {
	case <-tripped:
		t.Fatal("tripped while bytes kept coming")
	default:
	}
	select {
	case <-tripped:
	case <-time.After(time.Minute):
		t.Fatal("no bytes for a minute and the watchdog did not trip")
	}
}

func TestNilWatchdogDoesNothing(t *testing.T) {
	w := NewWatchdog(0, func() { t.Error("a watchdog without a limit tripped") })
	w.Kick()
	w.Stop()
	if w != nil {
		t.Error("NewWatchdog(0) is not nil")
	}
}
