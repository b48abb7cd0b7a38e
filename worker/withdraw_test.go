package worker

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/quinte-media/quinte/internal/testenv"
	"github.com/quinte-media/quinte/message"
	"github.com/quinte-media/quinte/queue"
)

// Withdraw empties the queue of a message's task in every state it can be in, so the message can be
// queued again: pending, archived (where a plain Enqueue is silently a no-op), and running (the job
// is cancelled and sees its context end).
func TestWithdrawFreesTheTaskIDInEveryState(t *testing.T) {
	redis := testenv.Redis(t)
	opt, err := asynq.ParseRedisURI(redis.URL())
	testenv.Must(t, err)
	cfg := Config{Concurrency: 1, MaxRetry: 0, ShutdownTimeout: 5 * time.Second, MaxJobTime: time.Hour}
	q := queue.New(opt, cfg.Limits())
	defer q.Close()
	ins := asynq.NewInspector(opt)
	defer ins.Close()
	ctx := context.Background()
	state := func(id string) string {
		info, err := ins.GetTaskInfo(queue.Heavy, id)
		if errors.Is(err, asynq.ErrTaskNotFound) || errors.Is(err, asynq.ErrQueueNotFound) {
			return "gone"
		}
		testenv.Must(t, err)
		return info.State.String()
	}
	withdraw := func(id string, wait time.Duration) {
		t.Helper()
		out, err := q.Withdraw(ctx, id, wait)
		testenv.Must(t, err)
		if !out {
			t.Fatalf("task %s still running after %s", id, wait)
		}
	}

	// Pending (no worker yet).
	pending := message.NewID()
	testenv.Must(t, q.Enqueue(ctx, message.Meta{ID: pending}))
	if s := state(pending); s != "pending" {
		t.Fatalf("enqueued task is %s", s)
	}
	withdraw(pending, time.Second)
	if s := state(pending); s != "gone" {
		t.Errorf("after Withdraw the pending task is %s", s)
	}
	// Nothing to withdraw is not an error.
	withdraw(message.NewID(), time.Second)

	// A worker: one id fails for good (archived), another blocks until its context ends.
	archived, running := message.NewID(), message.NewID()
	started, stopped := make(chan struct{}), make(chan error, 1)
	srv := NewServer(opt, cfg, queue.Heavy, 1, context.Background(), slog.New(slog.NewTextHandler(io.Discard, nil)))
	mux := asynq.NewServeMux()
	mux.HandleFunc(queue.TypeProcess, func(ctx context.Context, task *asynq.Task) error {
		id, _ := asynq.GetTaskID(ctx)
		if id == archived {
			return fmt.Errorf("bad input: %w", asynq.SkipRetry)
		}
		close(started)
		<-ctx.Done()
		stopped <- ctx.Err()
		return ctx.Err()
	})
	testenv.Must(t, srv.Start(mux))
	defer srv.Shutdown()

	testenv.Must(t, q.Enqueue(ctx, message.Meta{ID: archived}))
	for deadline := time.Now().Add(30 * time.Second); state(archived) != "archived"; time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the failing task is %s, not archived", state(archived))
		}
	}
	if added, err := q.Add(ctx, message.Meta{ID: archived}); err != nil || added {
		t.Fatalf("enqueueing an archived id: added %v, %v; want a silent no-op (that is why Withdraw exists)", added, err)
	}
	withdraw(archived, time.Second)
	if added, err := q.Add(ctx, message.Meta{ID: archived}); err != nil || !added {
		t.Errorf("after Withdraw the archived id cannot be queued again: added %v, %v", added, err)
	}

	testenv.Must(t, q.Enqueue(ctx, message.Meta{ID: running}))
	select {
	case <-started:
	case <-time.After(30 * time.Second):
		t.Fatal("the blocking task never started")
	}
	withdraw(running, 30*time.Second)
	select {
	case err := <-stopped:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("the running job ended with %v, want its context cancelled", err)
		}
	case <-time.After(10 * time.Second):
		t.Error("the running job was not cancelled")
	}
	if s := state(running); s != "gone" {
		t.Errorf("after Withdraw the running task is %s", s)
	}
}
