// Package worker owns the queue side of quinte: the asynq task that carries a message to the pipeline,
// the handler that runs it, and the reconciler that rebuilds the queue from S3. The queue holds only
// work; what a message is and where it stands lives in S3.
package worker

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"time"

	"github.com/hibiken/asynq"

	"github.com/quinte-media/quinte/message"
	"github.com/quinte-media/quinte/pipeline"
)

// Task type. The queues are in queues.go.
const TypeProcess = "media:process"

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

// Payload is the body of a media:process task. Kind says which figures the job counts under; a task
// queued before it was added has none.
type Payload struct {
	MessageID   string       `json:"message_id"`
	OriginalKey string       `json:"original_key"`
	Kind        message.Kind `json:"kind,omitempty"`
}

// NewTask returns the task that processes the message meta describes, on the queue its kind and size
// call for (QueueFor). Its TaskID is the message id, so enqueueing a message that is already queued or
// running is a no-op.
func NewTask(meta message.Meta, cfg Config) (*asynq.Task, error) {
	b, err := json.Marshal(Payload{MessageID: meta.ID, OriginalKey: message.OriginalKey(meta.ID), Kind: meta.Kind})
	if err != nil {
		return nil, err
	}
	return asynq.NewTask(TypeProcess, b,
		asynq.TaskID(meta.ID), asynq.Queue(QueueFor(meta)), asynq.MaxRetry(cfg.MaxRetry), asynq.Timeout(cfg.MaxJobTime),
	), nil
}

// Queue enqueues messages. It is what the uploader and the reconciler hold.
type Queue struct {
	client  *asynq.Client
	inspect *asynq.Inspector
	cfg     Config
}

// NewQueue returns a Queue on the Redis at opt.
func NewQueue(opt asynq.RedisConnOpt, cfg Config) *Queue {
	return &Queue{client: asynq.NewClient(opt), inspect: asynq.NewInspector(opt), cfg: cfg}
}

// Lookup says what the queue holds for message id (its task id). An archived task is one asynq gave
// up on; that happens without the handler's knowledge when the worker died on every try: asynq's
// recoverer archives the task after MaxRetry lost leases.
func (q *Queue) Lookup(_ context.Context, id string) (TaskStatus, error) {
	info, err := q.find(id)
	if err != nil || info == nil {
		return TaskStatus{}, err
	}
	return TaskStatus{Found: true, Active: info.State == asynq.TaskStateActive,
		Archived: info.State == asynq.TaskStateArchived, LastErr: info.LastErr}, nil
}

// Enqueue queues the message meta describes; a message already in the queue is not an error.
func (q *Queue) Enqueue(ctx context.Context, meta message.Meta) error {
	_, err := q.Add(ctx, meta)
	return err
}

// Add queues the message meta describes and reports whether it was not in the queue already.
func (q *Queue) Add(ctx context.Context, meta message.Meta) (bool, error) {
	t, err := NewTask(meta, q.cfg)
	if err != nil {
		return false, err
	}
	_, err = q.client.EnqueueContext(ctx, t)
	if errors.Is(err, asynq.ErrTaskIDConflict) {
		return false, nil
	}
	return err == nil, err
}

// Ping checks that Redis answers.
func (q *Queue) Ping(context.Context) error { return q.client.Ping() }

// Close releases the connections.
func (q *Queue) Close() error { return errors.Join(q.client.Close(), q.inspect.Close()) }

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
	mux.Handle(TypeProcess, observeJobs(h, h.Figures))
	return mux
}

type slogAdapter struct{ l *slog.Logger }

func (a slogAdapter) Debug(args ...any) { a.l.Debug(fmt.Sprint(args...), "component", "asynq") }
func (a slogAdapter) Info(args ...any)  { a.l.Info(fmt.Sprint(args...), "component", "asynq") }
func (a slogAdapter) Warn(args ...any)  { a.l.Warn(fmt.Sprint(args...), "component", "asynq") }
func (a slogAdapter) Error(args ...any) { a.l.Error(fmt.Sprint(args...), "component", "asynq") }
func (a slogAdapter) Fatal(args ...any) { a.l.Error(fmt.Sprint(args...), "component", "asynq") }
