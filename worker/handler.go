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
	"sync"
	"time"

	"github.com/hibiken/asynq"

	"github.com/quinte-media/quinte/internal/logs"
	"github.com/quinte-media/quinte/message"
	"github.com/quinte-media/quinte/pipeline"
	"github.com/quinte-media/quinte/queue"
)

// Store is the part of the bucket the handler needs.
type Store interface {
	message.JSONStore
	pipeline.Publisher
	Exists(ctx context.Context, key string) (bool, error)
	Download(ctx context.Context, key, path string) (int64, error)
	List(ctx context.Context, prefix string) ([]string, error)
	Delete(ctx context.Context, key string) error
	Ping(ctx context.Context) error
	Bucket() string
}

// Handler runs media:process tasks: original → pipeline → outputs → manifest → ready.
type Handler struct {
	store  Store
	states message.States
	pipe   *pipeline.Pipeline
	cfg    Config
	log    *slog.Logger
	active sync.WaitGroup

	mu      sync.Mutex
	running map[*attempt]bool // the jobs this worker runs now

	// PublishPatience is how long publishing keeps retrying a storage that does not answer before the
	// job gives up and asynq retries it: a short S3 outage then costs a pause, not a new transcode.
	PublishPatience time.Duration

	// ProgressEvery is how often, at most, a job's progress is written to S3 for the API to show.
	ProgressEvery time.Duration

	// Figures is told every job's outcome and how long its steps took (nil: nobody counts).
	Figures Observer

	// Events hears of every message that becomes ready or failed (webhooks), after its status is written.
	Events Events
}

// NewHandler returns a handler.
func NewHandler(store Store, pipe *pipeline.Pipeline, cfg Config, log *slog.Logger) *Handler {
	return &Handler{store: store, states: message.States{Store: store}, pipe: pipe, cfg: cfg, log: log,
		running: map[*attempt]bool{}, PublishPatience: 2 * time.Minute, ProgressEvery: 2 * time.Second}
}

// OnChange has f called after each record this handler writes (message.States.OnChange): in one
// process with the API, its list shows the change at once instead of through the change feed.
func (h *Handler) OnChange(f func(ctx context.Context, r message.Record)) { h.states.OnChange = f }

// attempt is one job this worker runs. name is what the record's Running says while it runs; ended
// is set once the record no longer says so (the job recorded its end, or was given back).
type attempt struct {
	id      string // the message
	name    string
	started time.Time
	ended   bool
}

// workerName says which process runs a job, in the record and the logs.
var workerName = func() string {
	host, _ := os.Hostname()
	return fmt.Sprintf("%s pid %d", host, os.Getpid())
}()

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
	var p queue.Payload
	if err := json.Unmarshal(t.Payload(), &p); err != nil || !message.ValidID(p.MessageID) || p.OriginalKey != message.OriginalKey(p.MessageID) {
		return fmt.Errorf("%w: %w", &pipeline.InputError{Code: "malformed_task", Message: fmt.Sprintf("malformed task payload %q", t.Payload())}, asynq.SkipRetry)
	}
	h.active.Add(1)
	defer h.active.Done()
	id := p.MessageID
	// The job's logger names its message and task on every line, and travels in ctx to the pipeline.
	log := h.log.With("message_id", id, "task_id", id)
	if q, ok := asynq.GetQueueName(ctx); ok {
		log = log.With("queue", q)
	}
	ctx = logs.With(ctx, log)
	start := time.Now()

	// A published manifest means an earlier delivery finished: make the status say so and stop.
	done, err := h.store.Exists(ctx, message.ManifestKey(id))
	if err != nil {
		return err
	}
	if done {
		var was message.Status
		_, err := h.states.Update(ctx, id, func(r *message.Record) {
			was = r.Status
			r.Status, r.Error, r.Note, r.Running, r.Early = message.StatusReady, nil, "", "", nil
		})
		if err == nil && was != message.StatusReady {
			h.emit(ctx, log, message.EventReady, id)
		}
		return err
	}

	var meta message.Meta
	if err := h.store.GetJSON(ctx, message.MetaKey(id), &meta); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	if ok, err := h.store.Exists(ctx, p.OriginalKey); err != nil {
		return err
	} else if !ok {
		return h.missingOriginal(ctx, log, id)
	}
	a, err := h.begin(ctx, log, id, meta.Kind)
	if err != nil {
		return err
	}
	defer h.sweepRevoked(ctx, log, id) // after end and after the progress writer stops: see revoked.go
	defer h.end(ctx, log, id, a)

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
	clock := newStageClock(h.Figures, meta.Kind)
	report := clock.wrap(progress.set)
	early := h.earlyPublisher(log, id, a)
	in := pipeline.Input{ID: id, Path: src, Kind: meta.Kind, WorkDir: dir.Path, Artist: meta.Artist, Campaign: meta.Campaign,
		Progress: report, MaxSeconds: meta.MaxSeconds, Early: early.files}
	if in.Captions, err = h.captions(ctx, id, meta, dir.Path); err != nil {
		return h.fail(ctx, log, id, err)
	}
	res, err := h.pipe.Process(ctx, in)
	published := early.wait() // before anything else touches the record or the job's files
	if err != nil {
		early.withdraw(ctx, published)
		return h.fail(ctx, log, id, err)
	}
	if h.isRevoked(ctx, id) {
		h.ended(id)
		log.Info("message revoked while processing: nothing is published")
		return fmt.Errorf("message %s was revoked: %w", id, asynq.SkipRetry)
	}
	report(message.Progress{Stage: "publish"})
	var man *message.Manifest
	err = h.patiently(ctx, log, "publish", func() error {
		man, err = pipeline.Publish(ctx, h.store, id, res, published)
		return err
	})
	if err != nil {
		return h.fail(ctx, log, id, err)
	}
	if err := h.patiently(ctx, log, "record ready", func() error {
		_, err := h.states.Update(ctx, id, func(r *message.Record) {
			r.Status, r.Kind, r.Error, r.Warnings = message.StatusReady, res.Kind, nil, res.Warnings
			r.Note, r.Running, r.Early = "", "", nil
		})
		return err
	}); err != nil {
		return err
	}
	h.ended(id)
	if took := clock.done(res.Kind); h.Figures != nil && res.Media != nil && took["encode"] > 0 {
		h.Figures.Encoded(string(res.Kind), res.Media.Duration, took["encode"])
	}
	h.emit(ctx, log, message.EventReady, id)
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
	if ctx.Err() != nil {
		// Stopped from outside (a shutdown, new captions, the time limit): whatever the error looks
		// like, it says nothing about the file, and whoever stopped the job owns the record now.
		return err
	}
	var ie *pipeline.InputError
	if errors.As(err, &ie) {
		log.Warn("message failed", "code", ie.Code, "err", err)
		if serr := h.states.Fail(context.WithoutCancel(ctx), id, ie.Code, ie.Error()); serr != nil {
			return serr // retried: the status must be written
		}
		h.ended(id)
		h.emit(ctx, log, message.EventFailed, id)
		return fmt.Errorf("%w: %w", err, asynq.SkipRetry)
	}
	retried, _ := asynq.GetRetryCount(ctx)
	maxRetry, ok := asynq.GetMaxRetry(ctx)
	if ok && retried >= maxRetry {
		msg := fmt.Sprintf("processing failed %d times; the last error was: %v", retried+1, err)
		if serr := h.states.Fail(context.WithoutCancel(ctx), id, "processing_failed", msg); serr != nil {
			log.Error("could not record failure", "err", serr)
		} else {
			h.ended(id)
			h.emit(ctx, log, message.EventFailed, id)
		}
	}
	return err
}

// missingOriginal handles a task whose original is not in the bucket. Before the artist is told to
// upload again, the worker makes sure it is looking at the deployment's bucket: a bucket that is gone,
// or one that holds no record of the message either (a worker pointed at another bucket), is this
// worker's trouble, not a lost upload. The job is then given back with an error that names the bucket,
// and nothing is written where it does not belong.
func (h *Handler) missingOriginal(ctx context.Context, log *slog.Logger, id string) error {
	if err := h.store.Ping(ctx); err != nil {
		return fmt.Errorf("bucket %s is not usable, so the original of message %s cannot be read: %w", h.store.Bucket(), id, err)
	}
	if _, err := h.states.Get(ctx, id); errors.Is(err, fs.ErrNotExist) {
		log.Error("the bucket holds neither the original nor the record of a queued message: is QUINTE_S3_BUCKET the one the API uses?", "bucket", h.store.Bucket())
		return fmt.Errorf("bucket %s holds neither the original nor the record of message %s: this worker's QUINTE_S3_BUCKET is not the API's", h.store.Bucket(), id)
	} else if err != nil {
		return err
	}
	return h.fail(ctx, log, id, pipeline.Reject("original_missing", "the original file is not in storage; upload it again"))
}

// begin records that a job starts on message id, counting the previous one as crashed if it never
// recorded its end. A message whose jobs crashed more often than QUINTE_WORKER_MAX_RETRY allows is
// failed instead of run again: the file may be what kills the process.
func (h *Handler) begin(ctx context.Context, log *slog.Logger, id string, kind message.Kind) (*attempt, error) {
	a := &attempt{id: id, name: workerName + " since " + time.Now().UTC().Format(time.RFC3339), started: time.Now()}
	// The task carries the retries of the process that queued it, which is also what the reconciler
	// counts with.
	maxRetry := h.cfg.MaxRetry
	if n, ok := asynq.GetMaxRetry(ctx); ok {
		maxRetry = n
	}
	var crashes int
	var out bool
	rec, err := h.states.Update(ctx, id, func(r *message.Record) {
		if crashes, out = r.CrashedOut(maxRetry); out {
			r.Status, r.Error, r.Note, r.Running, r.Crashes = message.StatusFailed, message.CrashedWorker(crashes), "", "", crashes
			return
		}
		r.Crashes = crashes
		r.Attempts++
		r.Status, r.Error, r.Note, r.Running, r.Early = message.StatusProcessing, nil, "", a.name, nil
		if r.Kind == "" {
			r.Kind = kind
		}
	})
	if err != nil {
		return nil, err
	}
	if rec.Status == message.StatusRevoked {
		return nil, fmt.Errorf("message %s was revoked: %w", id, asynq.SkipRetry)
	}
	if out {
		log.Warn("message failed: its jobs' process died too often", "code", "crashed_worker", "crashes", crashes)
		h.emit(ctx, log, message.EventFailed, id)
		return nil, fmt.Errorf("%w: %w", &pipeline.InputError{Code: "crashed_worker", Message: fmt.Sprintf("the process died %d times on this message", crashes)}, asynq.SkipRetry)
	}
	if crashes > 0 {
		log.Warn("a previous job of this message died with its process", "crashes", crashes, "max_retry", maxRetry)
	}
	h.mu.Lock()
	h.running[a] = true
	h.mu.Unlock()
	return a, nil
}

// ended notes that the job of id recorded its end, so that end leaves the record alone. (Two
// deliveries of one message in one worker are both its job: the record has one Running.)
func (h *Handler) ended(id string) {
	h.mu.Lock()
	for a := range h.running {
		if a.id == id {
			a.ended = true
		}
	}
	h.mu.Unlock()
}

// end runs when a job returns. One that did not record its end (an error asynq retries, a stop from
// outside) clears Running, so the next start does not count it as a crash, and says the message is
// queued again, unless another job took the message meanwhile.
func (h *Handler) end(ctx context.Context, log *slog.Logger, id string, a *attempt) {
	h.mu.Lock()
	delete(h.running, a)
	done := a.ended
	h.mu.Unlock()
	if done {
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	rec, err := h.states.Get(ctx, id)
	if err != nil || rec.Running != a.name {
		return
	}
	if _, err := h.states.Update(ctx, id, func(r *message.Record) {
		if r.Running == a.name {
			r.Running, r.Early = "", nil
			r.Status, r.Note = message.StatusQueued, "the last try stopped before it finished (a passing error or a time limit); it is tried again"
		}
	}); err != nil {
		log.Warn("could not record the end of a job", "err", err)
	}
}

// GiveBack records, for every job still running, that it goes back to the queue: the message says
// queued, with why, and no crash is counted. The worker calls it on shutdown just before asynq
// requeues those jobs, so nothing can have taken them yet.
func (h *Handler) GiveBack(why string) int {
	h.mu.Lock()
	var jobs []*attempt
	for a := range h.running {
		if !a.ended {
			jobs, a.ended = append(jobs, a), true
		}
	}
	h.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for _, a := range jobs {
		if _, err := h.states.Update(ctx, a.id, func(r *message.Record) {
			if r.Running == a.name && !r.Status.Terminal() {
				r.Status, r.Running, r.Note, r.Early = message.StatusQueued, "", why, nil
			}
		}); err != nil {
			h.log.Warn("could not record that a job goes back to the queue", "message_id", a.id, "err", err)
		}
	}
	return len(jobs)
}

// Oldest is when the longest-running job started (zero when none runs).
func (h *Handler) Oldest() (time.Time, int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	var t time.Time
	for a := range h.running {
		if t.IsZero() || a.started.Before(t) {
			t = a.started
		}
	}
	return t, len(h.running)
}
