package run

import (
	"math"
	"os"
	"os/exec"
	"sync"
	"sync/atomic"
	"time"

	"github.com/quinte-media/quinte/message"
	"github.com/quinte-media/quinte/pipeline/internal/proc"
)

// Progress turns the fractions the tools report into whole percents of the current step, never going
// back within a step and calling report only when the figure moves. It is safe for concurrent use.
type Progress struct {
	report func(message.Progress)
	mu     sync.Mutex
	cur    message.Progress
}

func NewProgress(report func(message.Progress)) *Progress {
	if report == nil {
		return nil
	}
	return &Progress{report: report, cur: message.Progress{Percent: -1}}
}

// Stage starts step name at 0 %.
func (p *Progress) Stage(name string) {
	if p == nil {
		return
	}
	p.mu.Lock()
	p.cur = message.Progress{Stage: name}
	cur := p.cur
	p.mu.Unlock()
	p.report(cur)
}

// Done sets the current step's share done (0..1). 100 % is said only by the step's end, which
// starts the next step: a tool that read its whole input may still be writing.
func (p *Progress) Done(fraction float64) {
	if p == nil || math.IsNaN(fraction) {
		return
	}
	pct := int(math.Min(99, math.Max(0, fraction*100)))
	p.mu.Lock()
	if pct <= p.cur.Percent {
		p.mu.Unlock()
		return
	}
	p.cur.Percent = pct
	cur := p.cur
	p.mu.Unlock()
	p.report(cur)
}

// Meter measures how far one ffmpeg run is: the offset to which it has read the file it decodes (a
// figure there from the first second, whatever ffmpeg's own report says), and, once ffmpeg reports,
// the time it has written out of the clip's duration. The larger of the two wins.
type Meter struct {
	input    string        // the file decoded ("" when the outputs' time is the only measure)
	duration time.Duration // the clip's length (0 when the input's offset is the only measure)
	report   func(float64)
	outTime  atomic.Int64 // from ffmpeg's -progress, in microseconds
}

// Meter returns a meter for a run reading input (a clip of duration seconds); nil when nobody asked
// for progress.
func (p *Progress) Meter(input string, duration float64) *Meter {
	if p == nil {
		return nil
	}
	return &Meter{input: input, duration: time.Duration(duration * float64(time.Second)), report: p.Done}
}

// SawTime records the output time ffmpeg reported.
func (m *Meter) SawTime(t time.Duration) {
	if m != nil {
		m.outTime.Store(t.Microseconds())
	}
}

// Follow samples the started process of cmd once a second until stop is called.
func (m *Meter) Follow(cmd *exec.Cmd) (stop func()) {
	if m == nil || cmd.Process == nil {
		return func() {}
	}
	var size int64
	if m.input != "" {
		if fi, err := os.Stat(m.input); err == nil {
			size = fi.Size()
		}
	}
	done := make(chan struct{})
	go func() {
		t := time.NewTicker(time.Second)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
			}
			var f float64
			if size > 0 {
				if off, ok := proc.ReadOffset(cmd.Process.Pid, m.input); ok {
					f = float64(off) / float64(size)
				}
			}
			if m.duration > 0 {
				f = math.Max(f, float64(m.outTime.Load())/float64(m.duration.Microseconds()))
			}
			m.report(f)
		}
	}()
	var once sync.Once
	return func() { once.Do(func() { close(done) }) }
}
