// Package queue is the client side of quinte's task queue (asynq on Redis): the task that carries a
// message to a worker, which of the two queues it goes to, the Redis URL forms, and the Client the API
// and the reconciler queue, look up and withdraw tasks with. It holds no work of its own: running a
// task is package worker's, and nothing here imports the pipeline.
package queue

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/hibiken/asynq"

	"github.com/quinte-media/quinte/message"
)

// TypeProcess is the task type of a message to process.
const TypeProcess = "media:process"

// Payload is the body of a media:process task. Kind says which figures the job counts under; a task
// queued before it was added has none.
type Payload struct {
	MessageID   string       `json:"message_id"`
	OriginalKey string       `json:"original_key"`
	Kind        message.Kind `json:"kind,omitempty"`
}

// Limits are what every task is queued with: how often it is retried (QUINTE_WORKER_MAX_RETRY) and how
// long one job may run (QUINTE_WORKER_MAX_JOB_TIME). worker.Config.Limits gives them.
type Limits struct {
	MaxRetry int
	Timeout  time.Duration
}

// NewTask returns the task that processes the message meta describes, on the queue its kind and size
// call for (For). Its TaskID is the message id, so queueing a message that is already queued or
// running is a no-op.
func NewTask(meta message.Meta, l Limits) (*asynq.Task, error) {
	b, err := json.Marshal(Payload{MessageID: meta.ID, OriginalKey: message.OriginalKey(meta.ID), Kind: meta.Kind})
	if err != nil {
		return nil, err
	}
	return asynq.NewTask(TypeProcess, b,
		asynq.TaskID(meta.ID), asynq.Queue(For(meta)), asynq.MaxRetry(l.MaxRetry), asynq.Timeout(l.Timeout),
	), nil
}

// Client queues messages and looks their tasks up. It is what the uploader and the reconciler hold.
type Client struct {
	client  *asynq.Client
	inspect *asynq.Inspector
	limits  Limits
}

// New returns a Client on the Redis at opt, queueing tasks with limits l.
func New(opt asynq.RedisConnOpt, l Limits) *Client {
	return &Client{client: asynq.NewClient(opt), inspect: asynq.NewInspector(opt), limits: l}
}

// TaskStatus is what the queue holds for one message.
type TaskStatus struct {
	Found    bool
	Active   bool   // a worker holds it
	Archived bool   // asynq gave up on it: retries spent, or a job that refused to be retried
	LastErr  string // the error of its last try
}

// Lookup says what the queue holds for message id (its task id). An archived task is one asynq gave
// up on; that happens without the handler's knowledge when the worker died on every try: asynq's
// recoverer archives the task after MaxRetry lost leases.
func (q *Client) Lookup(_ context.Context, id string) (TaskStatus, error) {
	info, err := q.find(id)
	if err != nil || info == nil {
		return TaskStatus{}, err
	}
	return TaskStatus{Found: true, Active: info.State == asynq.TaskStateActive,
		Archived: info.State == asynq.TaskStateArchived, LastErr: info.LastErr}, nil
}

// Enqueue queues the message meta describes; a message already in the queue is not an error.
func (q *Client) Enqueue(ctx context.Context, meta message.Meta) error {
	_, err := q.Add(ctx, meta)
	return err
}

// Add queues the message meta describes and reports whether it was not in the queue already.
func (q *Client) Add(ctx context.Context, meta message.Meta) (bool, error) {
	t, err := NewTask(meta, q.limits)
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
func (q *Client) Ping(context.Context) error { return q.client.Ping() }

// Close releases the connections.
func (q *Client) Close() error { return errors.Join(q.client.Close(), q.inspect.Close()) }
