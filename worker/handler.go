package worker

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/hibiken/asynq"

	"github.com/quinte-media/quinte/message"
	"github.com/quinte-media/quinte/pipeline"
)

// Store is the part of the bucket the handler needs.
type Store interface {
	message.JSONStore
	pipeline.Publisher
	Exists(ctx context.Context, key string) (bool, error)
	Download(ctx context.Context, key, path string) (int64, error)
}

// Handler runs media:process tasks: original → pipeline → outputs → manifest → ready.
type Handler struct {
	store  Store
	states message.States
	pipe   *pipeline.Pipeline
	cfg    Config
	log    *slog.Logger
}

// NewHandler returns a handler.
func NewHandler(store Store, pipe *pipeline.Pipeline, cfg Config, log *slog.Logger) *Handler {
	return &Handler{store: store, states: message.States{Store: store}, pipe: pipe, cfg: cfg, log: log}
}

// ProcessTask implements asynq.Handler. The error it returns decides the task's fate: wrapped
// asynq.SkipRetry for input that will never work, a plain error for trouble that may pass (S3, Redis,
// a killed process), nil when the outputs and the manifest are published.
func (h *Handler) ProcessTask(ctx context.Context, t *asynq.Task) error {
	var p Payload
	if err := json.Unmarshal(t.Payload(), &p); err != nil || !message.ValidID(p.MessageID) || p.OriginalKey != message.OriginalKey(p.MessageID) {
		return fmt.Errorf("malformed task payload %q: %w", t.Payload(), asynq.SkipRetry)
	}
	id := p.MessageID
	log := h.log.With("message_id", id, "task_id", id)
	start := time.Now()

	// A published manifest means an earlier delivery finished: make the status say so and stop.
	done, err := h.store.Exists(ctx, message.ManifestKey(id))
	if err != nil {
		return err
	}
	if done {
		_, err := h.states.Update(ctx, id, func(r *message.Record) { r.Status, r.Error = message.StatusReady, nil })
		return err
	}

	var meta message.Meta
	if err := h.store.GetJSON(ctx, message.MetaKey(id), &meta); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	if ok, err := h.store.Exists(ctx, p.OriginalKey); err != nil {
		return err
	} else if !ok {
		return h.fail(ctx, log, id, pipeline.Reject("original_missing", "the original file is not in storage; upload it again"))
	}
	if _, err := h.states.Update(ctx, id, func(r *message.Record) {
		r.Status, r.Error = message.StatusProcessing, nil
		if r.Kind == "" {
			r.Kind = meta.Kind
		}
	}); err != nil {
		return err
	}

	dir, err := os.MkdirTemp(h.cfg.TempDir, "quinte-"+id+"-")
	if err != nil {
		return fmt.Errorf("job directory: %w", err)
	}
	defer os.RemoveAll(dir)
	src := filepath.Join(dir, "source")
	if _, err := h.store.Download(ctx, p.OriginalKey, src); err != nil {
		return err
	}
	res, err := h.pipe.Process(ctx, pipeline.Input{ID: id, Path: src, Kind: meta.Kind, WorkDir: dir})
	if err != nil {
		return h.fail(ctx, log, id, err)
	}
	man, err := pipeline.Publish(ctx, h.store, id, res)
	if err != nil {
		return h.fail(ctx, log, id, err)
	}
	if _, err := h.states.Update(ctx, id, func(r *message.Record) {
		r.Status, r.Kind, r.Error, r.Warnings = message.StatusReady, res.Kind, nil, res.Warnings
	}); err != nil {
		return err
	}
	log.Info("message ready", "kind", res.Kind, "outputs", len(man.Outputs), "took", time.Since(start).Round(time.Millisecond))
	return nil
}

// fail records why a job failed when nothing more will be tried (bad input, or the last retry), and
// returns the error that tells asynq what to do.
func (h *Handler) fail(ctx context.Context, log *slog.Logger, id string, err error) error {
	var ie *pipeline.InputError
	if errors.As(err, &ie) {
		log.Warn("message failed", "code", ie.Code, "err", err)
		if serr := h.states.Fail(context.WithoutCancel(ctx), id, ie.Code, ie.Error()); serr != nil {
			return serr // retried: the status must be written
		}
		return fmt.Errorf("%w: %w", err, asynq.SkipRetry)
	}
	retried, _ := asynq.GetRetryCount(ctx)
	maxRetry, ok := asynq.GetMaxRetry(ctx)
	if ok && retried >= maxRetry && ctx.Err() == nil {
		msg := fmt.Sprintf("processing failed %d times; the last error was: %v", retried+1, err)
		if serr := h.states.Fail(context.WithoutCancel(ctx), id, "processing_failed", msg); serr != nil {
			log.Error("could not record failure", "err", serr)
		}
	}
	return err
}
