package queue

import (
	"context"
	"errors"
	"time"

	"github.com/hibiken/asynq"
)

// Withdraw takes message id's task out of the queue, whatever its state, so that the message can be
// queued afresh (the task id is the message id: asynq refuses a second task with the id of one it
// still holds, archived ones included). A pending, scheduled, retrying or archived task is deleted; a
// running one is cancelled (its job gets a cancelled context: ffmpeg stopped, scratch removed) and
// deleted once asynq has let go of it. It reports false if the task is still running after wait.
func (q *Client) Withdraw(ctx context.Context, id string, wait time.Duration) (bool, error) {
	deadline := time.Now().Add(wait)
	cancelled := false
	for {
		info, err := q.find(id)
		if err != nil {
			return false, err
		}
		if info == nil {
			return true, nil
		}
		if info.State != asynq.TaskStateActive {
			// Between the two calls a worker may have taken it: then look again.
			if err := q.inspect.DeleteTask(info.Queue, id); err == nil || taskGone(err) {
				return true, nil
			}
		} else if !cancelled {
			if err := q.inspect.CancelProcessing(id); err != nil {
				return false, err
			}
			cancelled = true
		}
		if time.Now().After(deadline) {
			return false, nil
		}
		select {
		case <-ctx.Done():
			return false, ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

func taskGone(err error) bool {
	return errors.Is(err, asynq.ErrTaskNotFound) || errors.Is(err, asynq.ErrQueueNotFound)
}
