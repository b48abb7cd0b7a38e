package worker

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"log/slog"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/quinte-media/quinte/internal/testenv"
	"github.com/quinte-media/quinte/message"
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
	testenv.Must(t, r.run(ctx, t, ready))
	noStatus := r.seed(t, wav, message.KindAudio) // the upload died before its status was written
	testenv.Must(t, r.store.Delete(ctx, message.StatusKey(noStatus)))
	noMeta := r.seed(t, wav, message.KindAudio) // an upload still writing its meta, or one that died first
	testenv.Must(t, r.store.Delete(ctx, message.StatusKey(noMeta)))
	testenv.Must(t, r.store.Delete(ctx, message.MetaKey(noMeta)))

	n, err := Reconcile(ctx, r.store, q, r.cfg.MaxRetry, log)
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
	if n, err := Reconcile(ctx, r.store, q, r.cfg.MaxRetry, log); err != nil || n != 1 {
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
	if n, _ := Reconcile(ctx, r.store, q, r.cfg.MaxRetry, log); n != 0 || len(pendingIDs(t, ins)) != 3 {
		t.Errorf("second pass: enqueued %d, %d pending", n, len(pendingIDs(t, ins)))
	}

	// asynq gives up on a task behind the handler's back (its worker died on every try).
	if err := ins.ArchiveTask(QueueName, processing); err != nil {
		t.Fatal(err)
	}
	if n, err := Reconcile(ctx, r.store, q, r.cfg.MaxRetry, log); err != nil || n != 0 {
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
	if n, err := Reconcile(ctx, r.store, q, r.cfg.MaxRetry, log); err != nil || n != 2 {
		t.Errorf("after FLUSHALL: enqueued %d, %v", n, err)
	}
	if got := redis.Command(t, "LLEN", "asynq:{"+QueueName+"}:pending"); got != ":2" {
		t.Errorf("after FLUSHALL and a pass: %s tasks pending, want 2", got)
	}
}

// newQueueRig is a handler rig with a real redis-server queue and an inspector on it.
func newQueueRig(t *testing.T) (*rig, *testenv.Server, *Queue, *asynq.Inspector) {
	t.Helper()
	r := newRig(t, nil)
	redis := testenv.Redis(t)
	opt, err := asynq.ParseRedisURI(redis.URL())
	testenv.Must(t, err)
	q := NewQueue(opt, r.cfg)
	t.Cleanup(func() { q.Close() })
	ins := asynq.NewInspector(opt)
	t.Cleanup(func() { ins.Close() })
	return r, redis, q, ins
}

func pendingIDs(t *testing.T, ins *asynq.Inspector) []string {
	t.Helper()
	var ids []string
	for _, q := range Queues {
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

// RetryDelay: 10 s after the first failure, doubling, capped at 5 min; none after a dead worker.
func TestRetryDelay(t *testing.T) {
	for n, want := range map[int]int{0: 10, 1: 20, 2: 40, 3: 80, 5: 300, 20: 300} {
		if got := RetryDelay(n, errors.New("S3 timeout"), nil).Seconds(); int(got) != want {
			t.Errorf("RetryDelay(%d) = %vs, want %ds", n, got, want)
		}
	}
	if got := RetryDelay(1, asynq.ErrLeaseExpired, nil); got != 0 {
		t.Errorf("after a lost lease: %s", got)
	}
}
