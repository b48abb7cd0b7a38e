package pipeline

import (
	"context"
	"fmt"
	"sync"
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
	beside   sync.WaitGroup // the steps running beside the others (background)
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

// background starts a step that runs beside the steps after it, and returns the function that waits
// for its value. Its stage is named as it starts, and the next step's follows at once. Its error
// (or panic) becomes the job's when its value is waited for; the job's result waits for it in any case,
// so nothing it does outlives the job (its ffmpeg is stopped first when the job failed).
func background[T any](s *steps, name string, f func(context.Context) (T, error)) func() T {
	var zero T
	if s.err != nil {
		return func() T { return zero }
	}
	if err := s.ctx.Err(); err != nil {
		s.err = err
		return func() T { return zero }
	}
	var (
		v    T
		err  error
		done = make(chan struct{})
		ctx  = s.ctx
	)
	start := time.Now()
	s.progress.Stage(name)
	s.beside.Add(1)
	go func() {
		defer s.beside.Done()
		defer close(done)
		if err = safe.Call(func() (e error) { v, e = f(ctx); return e }); err == nil {
			s.p.logger(ctx, s.id).DebugContext(ctx, "step done", "step", name, "took", time.Since(start), "beside", true)
		}
	}()
	return func() T {
		<-done
		if err != nil && s.err == nil {
			s.err = fmt.Errorf("%s: %w", name, s.p.panicked(ctx, s.id, err))
		}
		if s.err != nil {
			return zero
		}
		return v
	}
}

// deadline gives the rest of the job a deadline that grows with the clip's duration (JobTimeout).
func (s *steps) deadline(m *probe.Media) {
	if s.err != nil || m == nil {
		return
	}
	s.ctx, s.cancel = context.WithTimeout(s.ctx, JobTimeout(m.Duration))
}

func (s *steps) stop() { s.cancel() }

// result is the job's result, or the error of the step that failed, once the steps running beside
// the others have ended (stopped, if a step failed).
func (s *steps) result(res *Result) (*Result, error) {
	if s.err != nil {
		s.cancel()
	}
	s.beside.Wait()
	if s.err != nil {
		return nil, s.err
	}
	if err := uniqueNames(res.Files); err != nil {
		return nil, err // a bug: two outputs would overwrite each other's manifest entry
	}
	return res, nil
}
