// Package reconcile rebuilds the queue from S3, which is the source of truth: every message whose
// original is stored and whose manifest is not is queued again unless it has failed for good, and one
// the queue gave up on, or whose jobs' process died too often, is marked failed. It runs in the API
// role (cmd/quinte's startReconciler); it depends on the bucket and the queue through the two narrow
// interfaces below and must not run jobs or import the worker or the pipeline.
package reconcile

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"time"

	"github.com/quinte-media/quinte/message"
	"github.com/quinte-media/quinte/queue"
)

// Store is the part of the bucket the reconciler reads and writes (the records).
type Store interface {
	message.JSONStore
	Exists(ctx context.Context, key string) (bool, error)
	Folders(ctx context.Context, prefix string) ([]string, error)
	Modified(ctx context.Context, key string) (time.Time, error)
}

// adoptAfter is how old a stored original with neither a status record nor a meta must be before the
// reconciler takes it for an upload that died before recording it. An upload in progress writes the
// original, then its meta, its record and its task within moments: adopting it before its meta would
// queue it with its kind not yet known, on the heavy queue, while the upload queues it on the light
// one (task ids are unique per queue only), so two jobs would run it at once.
var adoptAfter = time.Minute

// Queue is the queue as the reconciler sees it (a *queue.Client).
type Queue interface {
	Add(ctx context.Context, meta message.Meta) (added bool, err error)
	Lookup(ctx context.Context, id string) (queue.TaskStatus, error)
}

// Events is told of every message the reconciler marks failed (webhook.Hooks). A nil Events tells
// no one.
type Events interface {
	Emit(ctx context.Context, event, id string) error
}

// Run enqueues every message whose original is in S3 but whose manifest is not, unless it has
// already failed for good. A queue that lost its tasks (a Redis flush, an embedded queue after a
// restart) loses no message. A message whose task asynq archived behind the handler's back (its
// worker died on every try, or a worker gave up on it without recording why) is marked failed with
// the task's last error, and one whose jobs' process died more than maxRetry times is marked failed
// (crashed_worker) rather than queued again, so nothing stays queued or processing forever and no
// file that kills its worker goes round the workers for ever. One message's trouble (a record that
// does not read, a task the queue cannot describe) is logged and skipped, never the end of the pass
// for the messages after it. Each message it marks failed is told to events (which may be nil). It
// returns how many messages it put back in the queue.
func Run(ctx context.Context, s Store, q Queue, maxRetry int, events Events, log *slog.Logger) (int, error) {
	ids, err := s.Folders(ctx, message.OriginalsPrefix)
	if err != nil {
		return 0, err
	}
	n := 0
	var errs []error
	for _, id := range ids {
		if !message.ValidID(id) {
			continue
		}
		if ctx.Err() != nil {
			return n, ctx.Err()
		}
		added, err := reconcileOne(ctx, s, q, maxRetry, events, log, id)
		if err != nil {
			log.Warn("reconciler: skipping a message this pass", "message_id", id, "err", err)
			errs = append(errs, fmt.Errorf("message %s: %w", id, err))
			continue
		}
		if added {
			n++
		}
	}
	if len(errs) > 0 {
		return n, fmt.Errorf("%d of %d messages could not be reconciled; the first: %w", len(errs), len(ids), errs[0])
	}
	return n, nil
}

func reconcileOne(ctx context.Context, s Store, q Queue, maxRetry int, events Events, log *slog.Logger, id string) (bool, error) {
	states := message.States{Store: s}
	if done, err := s.Exists(ctx, message.ManifestKey(id)); err != nil || done {
		return false, err
	}
	if ok, err := s.Exists(ctx, message.OriginalKey(id)); err != nil || !ok {
		return false, err // !ok: an upload still being written
	}
	rec, err := states.Get(ctx, id)
	// The meta says which queue the message goes to (its kind and size); a message stored without one
	// goes by its record's kind.
	var meta message.Meta
	readMeta := func() error {
		if err := s.GetJSON(ctx, message.MetaKey(id), &meta); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
		meta.ID = id
		return nil
	}
	switch {
	case errors.Is(err, fs.ErrNotExist):
		// Stored, but the upload died before recording it: record it now so people can see it. One
		// without its meta either may be an upload still writing it: left alone while young
		// (adoptAfter). With its meta, the kind is known and the task goes to the queue the upload
		// chooses, where its id is unique.
		if err := readMeta(); err != nil {
			return false, err
		}
		if meta.Kind == "" {
			if mod, err := s.Modified(ctx, message.OriginalKey(id)); err != nil {
				return false, err
			} else if time.Since(mod) < adoptAfter {
				return false, nil
			}
		}
		// ErrExists: the upload recorded it in the meantime; rec is that record.
		if rec, err = states.Create(ctx, id, meta.Kind); err != nil && !errors.Is(err, message.ErrExists) {
			return false, err
		}
	case err != nil:
		return false, err
	case rec.Status == message.StatusFailed:
		return false, nil
	}
	task, err := q.Lookup(ctx, id)
	if err != nil {
		return false, err
	}
	crashes, out := rec.CrashedOut(maxRetry)
	switch {
	case task.Active:
		return false, nil // a worker has it
	case task.Archived && rec.Running != "":
		// The last job never recorded its end: its process died, and asynq archived the task once
		// the retries were spent on lost leases.
		return false, failCrashed(ctx, states, events, log, id, crashes)
	case task.Archived:
		msg := "processing stopped and was not tried again; the last error was: " + task.LastErr
		if err := states.Fail(ctx, id, "processing_failed", msg); err != nil {
			return false, err
		}
		log.Warn("reconciler marked a message failed: its task was archived", "message_id", id, "last_error", task.LastErr)
		emitFailed(ctx, events, log, id)
		return false, nil
	case !task.Found && out:
		// The queue forgot the task (the embedded queue after a restart) but the record remembers
		// how often its process died: queueing it again would only kill the next one.
		return false, failCrashed(ctx, states, events, log, id, crashes)
	}
	if meta.ID == "" {
		if err := readMeta(); err != nil {
			return false, err
		}
	}
	if meta.Kind == "" {
		meta.Kind = rec.Kind
	}
	added, err := q.Add(ctx, meta)
	if err != nil {
		return false, err
	}
	if !added {
		if !task.Found {
			// The queue refuses the id, yet could not describe the task: it holds one where the
			// inspector does not look. Say so rather than believe it is running.
			log.Warn("reconciler: the queue holds a task for this message that it cannot describe", "message_id", id)
		}
		return false, nil // queued or running already
	}
	log.Info("reconciler enqueued message", "message_id", id, "status", rec.Status, "crashes", crashes, "queue", queue.For(meta), "task_found", task.Found)
	return true, nil
}

func failCrashed(ctx context.Context, states message.States, events Events, log *slog.Logger, id string, crashes int) error {
	e := message.CrashedWorker(crashes)
	if _, err := states.Update(ctx, id, func(r *message.Record) {
		r.Status, r.Error, r.Note, r.Running, r.Crashes = message.StatusFailed, e, "", "", crashes
	}); err != nil {
		return err
	}
	log.Warn("reconciler marked a message failed: its jobs' process died too often", "message_id", id, "code", e.Code, "crashes", crashes)
	emitFailed(ctx, events, log, id)
	return nil
}

// emitFailed tells events that the reconciler failed message id; trouble queueing it is logged.
func emitFailed(ctx context.Context, events Events, log *slog.Logger, id string) {
	if events == nil {
		return
	}
	if err := events.Emit(ctx, message.EventFailed, id); err != nil {
		log.Warn("could not queue the webhook of the message", "message_id", id, "event", message.EventFailed, "err", err)
	}
}
