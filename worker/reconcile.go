package worker

import (
	"context"
	"errors"
	"io/fs"
	"log/slog"

	"github.com/quinte-media/quinte/message"
)

// ReconcileStore is the part of the bucket the reconciler reads.
type ReconcileStore interface {
	message.JSONStore
	Exists(ctx context.Context, key string) (bool, error)
	Folders(ctx context.Context, prefix string) ([]string, error)
}

// TaskQueue is the queue as the reconciler sees it.
type TaskQueue interface {
	Add(ctx context.Context, id string) (added bool, err error)
	Archived(ctx context.Context, id string) (lastErr string, archived bool, err error)
}

// Reconcile enqueues every message whose original is in S3 but whose manifest is not, unless it has
// already failed for good. A queue that lost its tasks (a Redis flush, an embedded queue after a
// restart) loses no message. A message whose task asynq archived behind the handler's back (its
// worker died on every try) is marked failed, so nothing stays "processing" forever. It returns how
// many messages it put back in the queue.
func Reconcile(ctx context.Context, s ReconcileStore, q TaskQueue, log *slog.Logger) (int, error) {
	ids, err := s.Folders(ctx, message.OriginalsPrefix)
	if err != nil {
		return 0, err
	}
	states := message.States{Store: s}
	n := 0
	for _, id := range ids {
		if !message.ValidID(id) {
			continue
		}
		if done, err := s.Exists(ctx, message.ManifestKey(id)); err != nil || done {
			if err != nil {
				return n, err
			}
			continue
		}
		if ok, err := s.Exists(ctx, message.OriginalKey(id)); err != nil || !ok {
			if err != nil {
				return n, err
			}
			continue // an upload still being written
		}
		rec, err := states.Get(ctx, id)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			// Stored, but the upload died before recording it: record it now so people can see it.
			var meta message.Meta
			if err := s.GetJSON(ctx, message.MetaKey(id), &meta); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return n, err
			}
			if rec, err = states.Create(ctx, id, meta.Kind); err != nil {
				return n, err
			}
		case err != nil:
			return n, err
		case rec.Status == message.StatusFailed:
			continue
		}
		if lastErr, archived, err := q.Archived(ctx, id); err != nil {
			return n, err
		} else if archived {
			msg := "processing stopped on every try (the worker died or was stopped each time); the last error was: " + lastErr
			if err := states.Fail(ctx, id, "processing_failed", msg); err != nil {
				return n, err
			}
			log.Warn("reconciler marked a message failed: its task was archived", "message_id", id, "last_error", lastErr)
			continue
		}
		added, err := q.Add(ctx, id)
		if err != nil {
			return n, err
		}
		if !added {
			continue // queued or running already
		}
		n++
		log.Info("reconciler enqueued message", "message_id", id, "status", rec.Status)
	}
	return n, nil
}
