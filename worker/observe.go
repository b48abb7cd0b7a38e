package worker

import (
	"context"
	"encoding/json"
	"errors"
	"sync"
	"time"

	"github.com/hibiken/asynq"

	"github.com/quinte-media/quinte/message"
	"github.com/quinte-media/quinte/pipeline"
	"github.com/quinte-media/quinte/queue"
)

// Observer is told the figures an operator watches (package metrics implements it). Its methods must
// be cheap and never block: they run on the job's path.
type Observer interface {
	JobDone(kind, outcome, code string, took time.Duration)
	StepDone(kind, step string, took time.Duration)
	Encoded(kind string, mediaSeconds float64, took time.Duration)
}

// Outcomes of a job, as the figures count them.
const (
	OutcomeReady   = "ready"   // outputs and manifest published
	OutcomeFailed  = "failed"  // for good: bad input, or the retries are spent
	OutcomeRetry   = "retry"   // a passing error: asynq tries again
	OutcomeStopped = "stopped" // stopped from outside: a shutdown, a withdrawal, the time limit
)

// observeJobs counts the end of every task next runs: its outcome and, for a failure, the reason's
// code, read from the error that decides the task's fate (handler.go).
func observeJobs(next asynq.Handler, obs Observer) asynq.Handler {
	if obs == nil {
		return next
	}
	return asynq.HandlerFunc(func(ctx context.Context, t *asynq.Task) error {
		start := time.Now()
		err := next.ProcessTask(ctx, t)
		var p queue.Payload
		_ = json.Unmarshal(t.Payload(), &p)
		outcome, code := jobOutcome(ctx, err)
		obs.JobDone(string(p.Kind), outcome, code, time.Since(start))
		return err
	})
}

// jobOutcome classifies what a task's error tells asynq.
func jobOutcome(ctx context.Context, err error) (outcome, code string) {
	if err == nil {
		return OutcomeReady, ""
	}
	var ie *pipeline.InputError
	switch {
	case ctx.Err() != nil:
		return OutcomeStopped, ""
	case errors.As(err, &ie):
		return OutcomeFailed, ie.Code
	case errors.Is(err, asynq.SkipRetry):
		return OutcomeFailed, "skipped"
	}
	if n, ok := asynq.GetMaxRetry(ctx); ok {
		if retried, _ := asynq.GetRetryCount(ctx); retried >= n {
			return OutcomeFailed, "processing_failed"
		}
	}
	return OutcomeRetry, ""
}

// stageClock times the steps of one job from the progress the pipeline reports: a step ends when the
// next one starts, the last when the job says so (done). Only completed steps are counted.
type stageClock struct {
	obs  Observer
	kind string
	now  func() time.Time

	mu      sync.Mutex
	stage   string
	started time.Time
	took    map[string]time.Duration
}

func newStageClock(obs Observer, kind message.Kind) *stageClock {
	return &stageClock{obs: obs, kind: string(kind), now: time.Now, took: map[string]time.Duration{}}
}

// wrap returns report, also telling the clock of every change of step.
func (c *stageClock) wrap(report func(message.Progress)) func(message.Progress) {
	if c.obs == nil {
		return report
	}
	return func(p message.Progress) {
		c.mu.Lock()
		if p.Stage != c.stage {
			c.endLocked()
			c.stage, c.started = p.Stage, c.now()
		}
		c.mu.Unlock()
		report(p)
	}
}

func (c *stageClock) endLocked() {
	if c.stage == "" {
		return
	}
	d := c.now().Sub(c.started)
	c.took[c.stage] += d
	c.obs.StepDone(c.kind, c.stage, d)
	c.stage = ""
}

// done ends the current step (the job completed it) and returns how long each step took.
func (c *stageClock) done(kind message.Kind) map[string]time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	if kind != "" {
		c.kind = string(kind)
	}
	if c.obs != nil {
		c.endLocked()
	}
	return c.took
}
