package worker

import (
	"context"
	"errors"
	"strings"
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
