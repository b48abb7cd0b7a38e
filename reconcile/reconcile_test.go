package reconcile

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"log/slog"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/quinte-media/quinte/internal/testenv"
	"github.com/quinte-media/quinte/message"
	"github.com/quinte-media/quinte/queue"
	"github.com/quinte-media/quinte/storage"
	"github.com/quinte-media/quinte/webhook"
)

// The reconciler rebuilds the queue from S3: every message without a manifest that has not failed is
// enqueued once, whatever Redis lost; a message whose task asynq archived is marked failed instead of
// waiting forever.
func TestReconcileRebuildsTheQueueFromS3(t *testing.T) {
	r, redis, q, ins := newQueueRig(t)
	ctx := context.Background()
	states := message.States{Store: r.store}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	wav := testenv.Corpus(t, "audio/pcm_s16le_mono_44k.wav")

	queued := r.seed(t, wav, message.KindAudio)
	processing := r.seed(t, wav, message.KindAudio)
	_, err := states.Update(ctx, processing, func(rec *message.Record) { rec.Status = message.StatusProcessing })
	testenv.Must(t, err)
	failed := r.seed(t, wav, message.KindAudio)
	testenv.Must(t, states.Fail(ctx, failed, "undecodable", "no"))
	ready := r.seed(t, wav, message.KindAudio)
	r.publish(t, ready)
	noStatus := r.seed(t, wav, message.KindAudio) // the upload died before its status was written
	testenv.Must(t, r.store.Delete(ctx, message.StatusKey(noStatus)))
	noMeta := r.seed(t, wav, message.KindAudio) // an upload still writing its meta, or one that died first
	testenv.Must(t, r.store.Delete(ctx, message.StatusKey(noMeta)))
	testenv.Must(t, r.store.Delete(ctx, message.MetaKey(noMeta)))

	n, err := Run(ctx, r.store, q, r.cfg.MaxRetry, nil, log)
	testenv.Must(t, err)
	want := []string{queued, processing, noStatus}
	sort.Strings(want)
	if got := pendingIDs(t, ins); n != 3 || strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("enqueued %d: %v, want %v", n, got, want)
	}
	// A fresh original with neither record nor meta is left to its upload; an old one is adopted.
	if rec, err := states.Get(ctx, noMeta); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("a fresh original without a record or meta: its record %+v %v; want it left to its upload", rec, err)
	}
	defer func(d time.Duration) { adoptAfter = d }(adoptAfter)
	adoptAfter = 0
	if n, err := Run(ctx, r.store, q, r.cfg.MaxRetry, nil, log); err != nil || n != 1 {
		t.Errorf("the same original, old: enqueued %d, %v; want it adopted", n, err)
	}
	if rec, err := states.Get(ctx, noMeta); err != nil || rec.Status != message.StatusQueued {
		t.Errorf("the old original without a record or meta: %+v %v", rec, err)
	}
	// Out of the way of what follows.
	if _, err := q.Withdraw(ctx, noMeta, time.Second); err != nil {
		t.Fatal(err)
	}
	testenv.Must(t, r.store.DeletePrefix(ctx, message.OriginalsPrefix+noMeta+"/"))
	testenv.Must(t, r.store.DeletePrefix(ctx, message.OutputPrefix(noMeta)))
	if rec, err := states.Get(ctx, noStatus); err != nil || rec.Status != message.StatusQueued {
		t.Errorf("the message with no status: %+v %v", rec, err)
	}
	// Again: nothing new, the tasks are there.
	if n, _ := Run(ctx, r.store, q, r.cfg.MaxRetry, nil, log); n != 0 || len(pendingIDs(t, ins)) != 3 {
		t.Errorf("second pass: enqueued %d, %d pending", n, len(pendingIDs(t, ins)))
	}

	// asynq gives up on a task behind the handler's back (its worker died on every try).
	if err := ins.ArchiveTask(queue.Heavy, processing); err != nil {
		t.Fatal(err)
	}
	if n, err := Run(ctx, r.store, q, r.cfg.MaxRetry, nil, log); err != nil || n != 0 {
		t.Fatalf("with an archived task: enqueued %d, %v", n, err)
	}
	rec, err := states.Get(ctx, processing)
	testenv.Must(t, err)
	if rec.Status != message.StatusFailed || rec.Error == nil || rec.Error.Code != "processing_failed" {
		t.Errorf("archived task's message: %+v", rec)
	}

	// Redis loses everything: the next pass puts the two live messages back. (The queue is read from
	// Redis directly: after a FLUSHALL the Inspector no longer knows the queue's name.)
	if got := redis.Command(t, "FLUSHALL"); got != "+OK" {
		t.Fatalf("FLUSHALL: %s", got)
	}
	if n, err := Run(ctx, r.store, q, r.cfg.MaxRetry, nil, log); err != nil || n != 2 {
		t.Errorf("after FLUSHALL: enqueued %d, %v", n, err)
	}
	if got := redis.Command(t, "LLEN", "asynq:{"+queue.Heavy+"}:pending"); got != ":2" {
		t.Errorf("after FLUSHALL and a pass: %s tasks pending, want 2", got)
	}
}

// rig is a bucket on real S3 where messages are stored as the API and the worker store them.
type rig struct {
	store *storage.Store
	cfg   queue.Limits
}

// newQueueRig is a rig with a real redis-server queue, a client and an inspector on it.
func newQueueRig(t *testing.T) (*rig, *testenv.Server, *queue.Client, *asynq.Inspector) {
	t.Helper()
	_, s3 := testenv.S3(t)
	st, err := storage.New(s3)
	testenv.Must(t, err)
	r := &rig{store: st, cfg: queue.Limits{MaxRetry: 3, Timeout: time.Hour}}
	redis := testenv.Redis(t)
	opt, err := asynq.ParseRedisURI(redis.URL())
	testenv.Must(t, err)
	q := queue.New(opt, r.cfg)
	t.Cleanup(func() { q.Close() })
	ins := asynq.NewInspector(opt)
	t.Cleanup(func() { ins.Close() })
	return r, redis, q, ins
}

// seed stores an original and its records as the API would, and returns the message id.
func (r *rig) seed(t *testing.T, path string, kind message.Kind) string {
	t.Helper()
	return testenv.Seed(t, r.store, path, kind)
}

// publish stores message id's manifest and marks it ready, as a worker's job ends.
func (r *rig) publish(t *testing.T, id string) {
	t.Helper()
	ctx := context.Background()
	testenv.Must(t, r.store.PutJSON(ctx, message.ManifestKey(id), message.Manifest{ID: id, Kind: message.KindAudio, PublishedAt: time.Now()}))
	_, err := message.States{Store: r.store}.Update(ctx, id, func(rec *message.Record) { rec.Status = message.StatusReady })
	testenv.Must(t, err)
}

func (r *rig) status(t *testing.T, id string) message.Record {
	t.Helper()
	rec, err := message.States{Store: r.store}.Get(context.Background(), id)
	testenv.Must(t, err)
	return rec
}

func pendingIDs(t *testing.T, ins *asynq.Inspector) []string {
	t.Helper()
	var ids []string
	for _, q := range queue.Names {
		tasks, err := ins.ListPendingTasks(q, asynq.PageSize(1000))
		if err != nil && !strings.Contains(err.Error(), "not found") {
			t.Fatal(err)
		}
		for _, ti := range tasks {
			ids = append(ids, ti.ID)
		}
	}
	sort.Strings(ids)
	return ids
}

// The reconciler fails a message whose jobs' process died too often (crashed_worker), whether asynq
// archived its task (lost leases) or the queue forgot it (an embedded queue after a restart), fails
// one whose task was archived otherwise with the task's last error, and requeues one that may still
// be tried. A record that cannot be read does not stop the pass for the messages after it.
func TestReconcileCrashesAndArchives(t *testing.T) {
	r, _, q, ins := newQueueRig(t)
	ctx := context.Background()
	states := message.States{Store: r.store}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	wav := testenv.Corpus(t, "audio/pcm_s16le_mono_44k.wav")
	mark := func(id string, change func(*message.Record)) {
		_, err := states.Update(ctx, id, change)
		testenv.Must(t, err)
	}

	broken := r.seed(t, wav, message.KindAudio) // oldest: listed first
	testenv.Must(t, r.store.Put(ctx, message.StatusKey(broken), strings.NewReader("{not json"), -1, "application/json"))
	forgotten := r.seed(t, wav, message.KindAudio)
	mark(forgotten, func(rec *message.Record) { rec.Running, rec.Crashes = "dead", r.cfg.MaxRetry })
	mayRetry := r.seed(t, wav, message.KindAudio)
	mark(mayRetry, func(rec *message.Record) { rec.Running, rec.Crashes = "dead", r.cfg.MaxRetry-1 })
	leases := r.seed(t, wav, message.KindAudio)
	mark(leases, func(rec *message.Record) { rec.Running, rec.Crashes = "dead", 1 })
	gaveUp := r.seed(t, wav, message.KindAudio)
	for _, id := range []string{leases, gaveUp} {
		if _, err := q.Add(ctx, message.Meta{ID: id, Kind: message.KindAudio}); err != nil {
			t.Fatal(err)
		}
		testenv.Must(t, ins.ArchiveTask(queue.Heavy, id))
	}

	events := &eventLog{}
	n, err := Run(ctx, r.store, q, r.cfg.MaxRetry, events, log)
	if err == nil || !strings.Contains(err.Error(), broken) {
		t.Errorf("the unreadable record is not reported: %v", err)
	}
	if n != 1 || strings.Join(pendingIDs(t, ins), ",") != mayRetry {
		t.Errorf("enqueued %d: %v, want only %s", n, pendingIDs(t, ins), mayRetry)
	}
	for id, want := range map[string]struct {
		code    string
		crashes int
	}{forgotten: {"crashed_worker", r.cfg.MaxRetry + 1}, leases: {"crashed_worker", 2}, gaveUp: {"processing_failed", 0}} {
		rec := r.status(t, id)
		if rec.Status != message.StatusFailed || rec.Error == nil || rec.Error.Code != want.code || rec.Crashes != want.crashes {
			t.Errorf("%s: %+v %+v, want failed %s with %d crashes", id, rec, rec.Error, want.code, want.crashes)
		}
	}
	if rec := r.status(t, gaveUp); !strings.Contains(rec.Error.Message, "the last error was") {
		t.Errorf("archived task's message does not carry its last error: %s", rec.Error.Message)
	}
	// Each message it failed is told to the webhooks once.
	if got, want := events.sorted(), sortedFailed(forgotten, leases, gaveUp); got != want {
		t.Errorf("events %s, want %s", got, want)
	}
	// Failed for good: the next pass leaves them alone.
	if n, _ := Run(ctx, r.store, q, r.cfg.MaxRetry, events, log); n != 0 {
		t.Errorf("second pass enqueued %d", n)
	}
	if got, want := events.sorted(), sortedFailed(forgotten, leases, gaveUp); got != want {
		t.Errorf("after a second pass, events %s, want still %s", got, want)
	}
}

// eventLog records what a reconciler emits (the webhook side is tested in package webhook).
type eventLog struct {
	mu  sync.Mutex
	got []string
}

func (e *eventLog) Emit(_ context.Context, event, id string) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.got = append(e.got, event+" "+id)
	return nil
}

func (e *eventLog) sorted() string {
	e.mu.Lock()
	defer e.mu.Unlock()
	s := slices.Clone(e.got)
	slices.Sort(s)
	return strings.Join(s, ", ")
}

func sortedFailed(ids ...string) string {
	var s []string
	for _, id := range ids {
		s = append(s, webhook.MessageFailed+" "+id)
	}
	slices.Sort(s)
	return strings.Join(s, ", ")
}
