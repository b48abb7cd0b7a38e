// Package worker runs quinte's tasks: the asynq servers on the two queues and the handler that takes a
// message through the pipeline and records where it stands. The task itself, the queues and the client
// that queues it are package queue's; the reconciler that rebuilds the queue from S3 is package
// reconcile's. The queue holds only work; what a message is and where it stands lives in S3.
package worker

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"time"

	"github.com/hibiken/asynq"

	"github.com/quinte-media/quinte/pipeline"
	"github.com/quinte-media/quinte/queue"
)

// Config tunes the worker.
type Config struct {
	Concurrency      int           `yaml:"concurrency"`       // slots of the heavy queue (0: one per two CPUs)
	LightConcurrency int           `yaml:"light_concurrency"` // slots of the light queue (0: one)
	MaxRetry         int           `yaml:"max_retry"`
	ShutdownTimeout  time.Duration `yaml:"shutdown_timeout"`
	MaxJobTime       time.Duration `yaml:"max_job_time"`
	TempDir          string        `yaml:"temp_dir"`
	ReconcileEvery   time.Duration `yaml:"reconcile_every"`
}

// Validate checks the settings.
func (c Config) Validate() error {
	var errs []error
	if c.Concurrency < 0 {
		errs = append(errs, errors.New("QUINTE_WORKER_CONCURRENCY must be 0 (automatic) or more"))
	}
	if c.LightConcurrency < 0 {
		errs = append(errs, errors.New("QUINTE_WORKER_LIGHT_CONCURRENCY must be 0 (one) or more"))
	}
	if c.MaxRetry < 0 || c.MaxRetry > 25 {
		errs = append(errs, errors.New("QUINTE_WORKER_MAX_RETRY must be between 0 and 25"))
	}
	if c.MaxJobTime < time.Minute {
		errs = append(errs, errors.New("QUINTE_WORKER_MAX_JOB_TIME must be at least 1m"))
	}
	if c.ReconcileEvery < time.Second {
		errs = append(errs, errors.New("QUINTE_RECONCILE_EVERY must be at least 1s"))
	}
	if c.ShutdownTimeout <= 0 {
		errs = append(errs, errors.New("QUINTE_WORKER_SHUTDOWN_TIMEOUT must be positive"))
	}
	return errors.Join(errs...)
}

// Slots is how many heavy jobs (videos, long audio) a worker runs at once: QUINTE_WORKER_CONCURRENCY,
// or by default one per two of the CPUs the process may use (pipeline.DefaultConcurrency). The light
// queue's slots (LightSlots) come on top.
func (c Config) Slots() int {
	if c.Concurrency > 0 {
		return c.Concurrency
	}
	return pipeline.DefaultConcurrency()
}

// LightSlots is how many light jobs (photos, voice notes) a worker runs at once beside the heavy ones:
// QUINTE_WORKER_LIGHT_CONCURRENCY, or one.
func (c Config) LightSlots() int {
	if c.LightConcurrency > 0 {
		return c.LightConcurrency
	}
	return 1
}

// Limits are what every task is queued with: the retries and the longest a job may run.
func (c Config) Limits() queue.Limits {
	return queue.Limits{MaxRetry: c.MaxRetry, Timeout: c.MaxJobTime}
}

// RetryDelay backs off 10 s, 20 s, 40 s… up to 5 min: short enough that a storage outage of a minute
// still ends in `ready`, long enough not to hammer it. n is how many times the task was retried so far
// (0 on its first failure). A task whose worker died (its lease expired) has already waited a minute
// for asynq to notice: it goes back at once.
func RetryDelay(n int, err error, _ *asynq.Task) time.Duration {
	if errors.Is(err, asynq.ErrLeaseExpired) {
		return 0
	}
	return time.Duration(math.Min(10*math.Pow(2, float64(n)), 300)) * time.Second
}

// NewServer returns an asynq server that runs up to slots jobs at once from queue. Every job's context
// derives from base: cancelling it after Shutdown stops the jobs asynq gave up waiting for (their
// ffmpeg gets SIGINT, their directory is removed) instead of leaving them to die with the process.
func NewServer(opt asynq.RedisConnOpt, cfg Config, queue string, slots int, base context.Context, log *slog.Logger) *asynq.Server {
	return asynq.NewServer(opt, asynq.Config{
		Concurrency:       slots,
		Queues:            map[string]int{queue: 1},
		RetryDelayFunc:    RetryDelay,
		ShutdownTimeout:   cfg.ShutdownTimeout,
		BaseContext:       func() context.Context { return base },
		TaskCheckInterval: 200 * time.Millisecond,
		Logger:            slogAdapter{log},
		LogLevel:          asynq.WarnLevel,
		ErrorHandler: asynq.ErrorHandlerFunc(func(ctx context.Context, t *asynq.Task, err error) {
			id, _ := asynq.GetTaskID(ctx)
			n, _ := asynq.GetRetryCount(ctx)
			log.WarnContext(ctx, "task failed", "task_id", id, "message_id", id, "retry", n, "err", err)
		}),
	})
}

// Mux routes quinte's task types to h, counting every job's end in h.Figures.
func Mux(h *Handler) *asynq.ServeMux {
	mux := asynq.NewServeMux()
	mux.Handle(queue.TypeProcess, observeJobs(h, h.Figures))
	return mux
}

type slogAdapter struct{ l *slog.Logger }

func (a slogAdapter) Debug(args ...any) { a.l.Debug(fmt.Sprint(args...), "component", "asynq") }
func (a slogAdapter) Info(args ...any)  { a.l.Info(fmt.Sprint(args...), "component", "asynq") }
func (a slogAdapter) Warn(args ...any)  { a.l.Warn(fmt.Sprint(args...), "component", "asynq") }
func (a slogAdapter) Error(args ...any) { a.l.Error(fmt.Sprint(args...), "component", "asynq") }
func (a slogAdapter) Fatal(args ...any) { a.l.Error(fmt.Sprint(args...), "component", "asynq") }
