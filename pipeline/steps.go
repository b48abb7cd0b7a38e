package pipeline

import (
	"context"
	"fmt"
	"time"

	"github.com/quinte-media/quinte/pipeline/internal/safe"
	"github.com/quinte-media/quinte/pipeline/probe"
	"github.com/quinte-media/quinte/pipeline/run"
)

// steps runs the steps of one job in order (Process lists them). After a step fails none of the later
// ones runs, and each gives its zero value; before each it checks for cancellation, it names each in
// the job's progress, turns a panic into the job's error and logs how long each took.
type steps struct {
	p        *Pipeline
	ctx      context.Context
	id       string
	progress *run.Progress // how far the job is, for the API (nil: nobody asked)
	err      error         // of the first step that failed
	cancel   context.CancelFunc
}

func (p *Pipeline) start(ctx context.Context, in Input) *steps {
	return &steps{p: p, ctx: ctx, id: in.ID, progress: run.NewProgress(in.Progress), cancel: func() {}}
}

// step runs one step that gives a value.
func step[T any](s *steps, name string, f func(context.Context) (T, error)) T {
	var v T
	s.do(name, func(ctx context.Context) (err error) {
		v, err = f(ctx)
		return err
	})
	if s.err != nil {
		var zero T
		return zero
	}
	return v
}

// do runs one step that gives nothing but its error.
func (s *steps) do(name string, f func(context.Context) error) {
	if s.err != nil {
		return
	}
	if err := s.ctx.Err(); err != nil {
		s.err = err
		return
	}
	start := time.Now()
	s.progress.Stage(name)
	if err := safe.Call(func() error { return f(s.ctx) }); err != nil {
		s.err = fmt.Errorf("%s: %w", name, s.p.panicked(s.ctx, s.id, err))
		return
	}
	s.p.logger(s.ctx, s.id).DebugContext(s.ctx, "step done", "step", name, "took", time.Since(start))
}

// deadline gives the rest of the job a deadline that grows with the clip's duration (JobTimeout).
func (s *steps) deadline(m *probe.Media) {
	if s.err != nil || m == nil {
		return
	}
	s.ctx, s.cancel = context.WithTimeout(s.ctx, JobTimeout(m.Duration))
}

func (s *steps) stop() { s.cancel() }

// result is the job's result, or the error of the step that failed.
func (s *steps) result(res *Result) (*Result, error) {
	if s.err != nil {
		return nil, s.err
	}
	if err := uniqueNames(res.Files); err != nil {
		return nil, err // a bug: two outputs would overwrite each other's manifest entry
	}
	return res, nil
}
