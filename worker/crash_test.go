package worker

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/hibiken/asynq"

	"github.com/quinte-media/quinte/internal/testenv"
	"github.com/quinte-media/quinte/message"
)

// A job that finds the previous one still marked running knows its process died: the record counts it,
// and once the crashes exceed QUINTE_WORKER_MAX_RETRY the message fails with crashed_worker instead of
// running again. The count lives in S3, so a queue that forgot everything does not reset it.
func TestCrashesAreCountedInTheRecord(t *testing.T) {
	r := newRig(t, nil)
	ctx := context.Background()
	states := message.States{Store: r.store}
	wav := testenv.Corpus(t, "audio/pcm_s16le_mono_44k.wav")
	died := func(id string, crashes int) {
		_, err := states.Update(ctx, id, func(rec *message.Record) {
			rec.Status, rec.Running, rec.Crashes = message.StatusProcessing, "host pid 1 since then", crashes
		})
		testenv.Must(t, err)
	}

	for _, tc := range []struct {
		crashesBefore int // counted before the process that died last
		wantStatus    message.Status
		wantCrashes   int
	}{
		{0, message.StatusReady, 1},
		{r.cfg.MaxRetry - 1, message.StatusReady, r.cfg.MaxRetry},
		{r.cfg.MaxRetry, message.StatusFailed, r.cfg.MaxRetry + 1},
	} {
		id := r.seed(t, wav, message.KindAudio)
		died(id, tc.crashesBefore)
		err := r.run(ctx, t, id)
		rec := r.status(t, id)
		if rec.Status != tc.wantStatus || rec.Crashes != tc.wantCrashes || rec.Running != "" {
			t.Errorf("%d crashes before the last: %s, %d crashes, running %q (err %v)", tc.crashesBefore, rec.Status, rec.Crashes, rec.Running, err)
		}
		if tc.wantStatus == message.StatusFailed {
			if rec.Error == nil || rec.Error.Code != "crashed_worker" || !errors.Is(err, asynq.SkipRetry) {
				t.Errorf("crashed out: error %+v, returned %v", rec.Error, err)
			}
			if ok, _ := r.store.Exists(ctx, message.ManifestKey(id)); ok {
				t.Error("a message that crashed out was processed anyway")
			}
		}
	}
}

// A worker that cannot find an original first makes sure it is looking at the deployment's bucket: a
// bucket that holds no record of the message is the worker's misconfiguration (the job is given back
// naming the bucket, nothing is written), not a lost upload; only a message whose record is there but
// whose original is gone is told to upload again.
func TestMissingOriginalIsNotBlamedOnTheArtist(t *testing.T) {
	r := newRig(t, nil)
	ctx := context.Background()
	wav := testenv.Corpus(t, "audio/pcm_s16le_mono_44k.wav")

	stranger := r.seed(t, wav, message.KindAudio) // queued by an API on another bucket
	testenv.Must(t, r.store.DeletePrefix(ctx, message.OriginalsPrefix+stranger+"/"))
	testenv.Must(t, r.store.Delete(ctx, message.StatusKey(stranger)))
	err := r.run(ctx, t, stranger)
	if err == nil || errors.Is(err, asynq.SkipRetry) || !strings.Contains(err.Error(), r.store.Bucket()) {
		t.Errorf("a message this bucket knows nothing of: %v, want a retried error naming the bucket", err)
	}
	if keys, _ := r.store.List(ctx, message.OutputPrefix(stranger)); len(keys) != 0 {
		t.Errorf("the worker wrote %v into a bucket that is not the message's", keys)
	}

	lost := r.seed(t, wav, message.KindAudio)
	testenv.Must(t, r.store.Delete(ctx, message.OriginalKey(lost)))
	if err := r.run(ctx, t, lost); !errors.Is(err, asynq.SkipRetry) {
		t.Errorf("original deleted: %v", err)
	}
	if rec := r.status(t, lost); rec.Status != message.StatusFailed || rec.Error.Code != "original_missing" {
		t.Errorf("original deleted: %+v", rec)
	}
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
		testenv.Must(t, ins.ArchiveTask(QueueName, id))
	}

	events := &eventLog{}
	n, err := ReconcileWith(ctx, r.store, q, r.cfg.MaxRetry, events, log)
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
	if n, _ := ReconcileWith(ctx, r.store, q, r.cfg.MaxRetry, events, log); n != 0 {
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
		s = append(s, EventFailed+" "+id)
	}
	slices.Sort(s)
	return strings.Join(s, ", ")
}
