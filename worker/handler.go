package worker

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"path/filepath"
	"sync"
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
	active sync.WaitGroup

	// PublishPatience is how long publishing keeps retrying a storage that does not answer before the
	// job gives up and asynq retries it: a short S3 outage then costs a pause, not a new transcode.
	PublishPatience time.Duration

	// ProgressEvery is how often, at most, a job's progress is written to S3 for the API to show.
	ProgressEvery time.Duration
}

// NewHandler returns a handler.
func NewHandler(store Store, pipe *pipeline.Pipeline, cfg Config, log *slog.Logger) *Handler {
	return &Handler{store: store, states: message.States{Store: store}, pipe: pipe, cfg: cfg, log: log,
		PublishPatience: 2 * time.Minute, ProgressEvery: 2 * time.Second}
}

// Wait waits until no job is running, or for at most d; it reports whether they all ended.
func (h *Handler) Wait(d time.Duration) bool {
	done := make(chan struct{})
	go func() { h.active.Wait(); close(done) }()
	select {
	case <-done:
		return true
	case <-time.After(d):
		return false
	}
}

// ProcessTask implements asynq.Handler. The error it returns decides the task's fate: wrapped
// asynq.SkipRetry for input that will never work, a plain error for trouble that may pass (S3, Redis,
// a killed process), nil when the outputs and the manifest are published.
func (h *Handler) ProcessTask(ctx context.Context, t *asynq.Task) error {
	var p Payload
	if err := json.Unmarshal(t.Payload(), &p); err != nil || !message.ValidID(p.MessageID) || p.OriginalKey != message.OriginalKey(p.MessageID) {
		return fmt.Errorf("malformed task payload %q: %w", t.Payload(), asynq.SkipRetry)
	}
	h.active.Add(1)
	defer h.active.Done()
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

	dir, err := newJobDir(h.cfg.TempDir, id)
	if err != nil {
		return err
	}
	defer func() {
		if err := dir.Remove(); err != nil {
			log.Warn("removing the job directory", "dir", dir.Path, "err", err)
		}
	}()
	src := filepath.Join(dir.Path, "source")
	if _, err := h.store.Download(ctx, p.OriginalKey, src); err != nil {
		return err
	}
	progress := startProgress(ctx, h.store, id, h.ProgressEvery, log)
	defer progress.stop()
	in := pipeline.Input{ID: id, Path: src, Kind: meta.Kind, WorkDir: dir.Path, Artist: meta.Artist, Campaign: meta.Campaign,
		Progress: progress.set}
	if in.Captions, err = h.captions(ctx, id, meta, dir.Path); err != nil {
		return h.fail(ctx, log, id, err)
	}
	res, err := h.pipe.Process(ctx, in)
	if err != nil {
		return h.fail(ctx, log, id, err)
	}
	progress.set(message.Progress{Stage: "publish"})
	var man *message.Manifest
	err = h.patiently(ctx, log, "publish", func() error {
		man, err = pipeline.Publish(ctx, h.store, id, res)
		return err
	})
	if err != nil {
		return h.fail(ctx, log, id, err)
	}
	if err := h.patiently(ctx, log, "record ready", func() error {
		_, err := h.states.Update(ctx, id, func(r *message.Record) {
			r.Status, r.Kind, r.Error, r.Warnings = message.StatusReady, res.Kind, nil, res.Warnings
		})
		return err
	}); err != nil {
		return err
	}
	log.Info("message ready", "kind", res.Kind, "outputs", len(man.Outputs), "took", time.Since(start).Round(time.Millisecond))
	return nil
}

// captions downloads the caption file supplied with the message next to its source, and returns its
// path ("" when there is none). Only the message's own captions key is read.
func (h *Handler) captions(ctx context.Context, id string, meta message.Meta, dir string) (string, error) {
	if meta.Captions == "" {
		return "", nil
	}
	if meta.Captions != message.CaptionsKey(id) {
		return "", pipeline.Reject("bad_captions", "the message names captions at a key that is not its own")
	}
	path := filepath.Join(dir, "captions")
	if _, err := h.store.Download(ctx, meta.Captions, path); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return "", pipeline.Reject("captions_missing", "the captions file of the message is not in storage; upload the message again with its captions")
		}
		return "", err
	}
	return path, nil
}

// patiently runs a storage step again, backing off from 1 s to 15 s, until it works or PublishPatience
// is spent. The outputs stay in the job directory meanwhile; only the context ending stops it early.
func (h *Handler) patiently(ctx context.Context, log *slog.Logger, what string, step func() error) error {
	deadline := time.Now().Add(h.PublishPatience)
	wait := time.Second
	for {
		err := step()
		if err == nil || ctx.Err() != nil || time.Now().Add(wait).After(deadline) {
			return err
		}
		log.Warn("storage step failed; trying again", "step", what, "in", wait, "err", err)
		select {
		case <-ctx.Done():
			return err
		case <-time.After(wait):
		}
		wait = min(2*wait, 15*time.Second)
	}
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
