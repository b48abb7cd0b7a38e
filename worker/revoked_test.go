package worker

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/quinte-media/quinte/internal/testenv"
	"github.com/quinte-media/quinte/message"
)

// A job that outlives its message's revocation (the API could not stop it: a queue that did not
// answer) publishes nothing that stays: whether the revocation lands before it publishes or after, the
// message ends with only its revoked record, and nothing writes over that record. A task delivered
// after the revocation does nothing.
func TestJobOutlivingARevocationLeavesOnlyTheRecord(t *testing.T) {
	r := newRig(t, nil)
	ctx := context.Background()
	states := message.States{Store: r.store}
	clip := testenv.Clip(t, t.TempDir(), 3, 320, 240, 15)
	id := r.seed(t, clip, message.KindVideo)

	done := make(chan error, 1)
	go func() { done <- r.run(ctx, t, id) }()
	deadline := time.Now().Add(time.Minute)
	for {
		if ok, _ := r.store.Exists(ctx, message.ProgressKey(id)); ok {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the job never said how far it was")
		}
		time.Sleep(10 * time.Millisecond)
	}
	// What the API does, minus stopping the job: record the revocation, delete the files.
	_, err := states.Revoke(ctx, id, message.Revocation{By: "team", At: time.Now().UTC()})
	testenv.Must(t, err)
	for _, k := range []string{message.OriginalKey(id), message.MetaKey(id)} {
		testenv.Must(t, r.store.Delete(ctx, k))
	}
	select {
	case err := <-done:
		t.Logf("the job returned %v", err)
	case <-time.After(2 * time.Minute):
		t.Fatal("the job did not return")
	}
	only := func(when string) {
		t.Helper()
		var keys []string
		for _, p := range []string{message.OutputPrefix(id), message.OriginalsPrefix + id + "/"} {
			ks, err := r.store.List(ctx, p)
			testenv.Must(t, err)
			keys = append(keys, ks...)
		}
		if len(keys) != 1 || keys[0] != message.StatusKey(id) {
			t.Errorf("%s the bucket holds %v", when, keys)
		}
		if rec := r.status(t, id); rec.Status != message.StatusRevoked || rec.Revoked == nil || rec.Running != "" {
			t.Errorf("%s the record is %+v", when, rec)
		}
	}
	only("after the job")

	// Delivered again (a retry): nothing happens to it.
	if err := r.run(ctx, t, id); !errors.Is(err, asynq.SkipRetry) {
		t.Errorf("a task for a revoked message returned %v, want a SkipRetry", err)
	}
	only("after a second delivery")
	r.tempEmpty(t, "a revoked job")
}
