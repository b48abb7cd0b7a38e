package library

import (
	"bytes"
	"compress/gzip"
	"context"
	"io"
	"log/slog"
	"slices"
	"testing"
	"time"

	"github.com/quinte-media/quinte/internal/testenv"
	"github.com/quinte-media/quinte/message"
	"github.com/quinte-media/quinte/storage"
)

// A fresh API process starts from the index's snapshot and the change feed after it: what changed
// after the snapshot (a new message, a review) is in its list as in the first process's. A snapshot
// that does not read, or one older than the feed's keys, is ignored and the index is built from the
// records.
func TestIndexSnapshot(t *testing.T) {
	_, cfg := testenv.S3(t)
	st, err := storage.New(cfg)
	testenv.Must(t, err)
	ctx := t.Context()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	newAPI := func() *Server {
		api := New(Config{URLTTL: time.Hour}, "team-token-0123456789", st, nil, log)
		api.StartIndex(ctx)
		t.Cleanup(func() { api.Close() })
		wctx, cancel := context.WithTimeout(ctx, 20*time.Second)
		defer cancel()
		testenv.Must(t, api.index.Wait(wctx))
		return api
	}
	states := message.States{Store: st} // another process: the feed only
	seed := func(artist string) string {
		id := message.NewID()
		testenv.Must(t, st.PutJSON(ctx, message.MetaKey(id), message.Meta{ID: id, Kind: message.KindVideo, Artist: artist}))
		_, err := states.Create(ctx, id, message.KindVideo)
		testenv.Must(t, err)
		time.Sleep(2 * time.Millisecond)
		return id
	}
	ids := func(api *Server, q listQuery) []string {
		q.Limit = 100
		es, _ := api.index.Query(q)
		out := []string{}
		for _, e := range es {
			out = append(out, e.ID)
		}
		return out
	}
	wait := func(api *Server, q listQuery, want []string) {
		t.Helper()
		for deadline := time.Now().Add(20 * time.Second); !slices.Equal(ids(api, q), want); time.Sleep(20 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("%+v: %v, want %v", q, ids(api, q), want)
			}
		}
	}

	a, b := seed("Ada"), seed("Björk")
	first := newAPI()
	wait(first, listQuery{}, []string{b, a})
	first.Close() // its follower stops: the test writes the snapshot in its stead
	testenv.Must(t, first.index.writeSnapshot(ctx))
	c := seed("Chloé")
	_, err = states.Update(ctx, a, func(r *message.Record) { r.Review = &message.Review{State: message.ReviewApproved, By: "x"} })
	testenv.Must(t, err)

	second := newAPI()
	if !second.index.fromSnapshot.Load() {
		t.Error("the second process did not start from the snapshot")
	}
	wait(second, listQuery{}, []string{c, b, a})
	wait(second, listQuery{Review: message.ReviewApproved}, []string{a})
	wait(second, listQuery{Q: fold("CHLOE")}, []string{c})

	// A revocation: the running index writes its snapshot again at once, without the artist's name.
	second.index.snapEvery.Store(int64(100 * time.Millisecond))
	for deadline := time.Now().Add(20 * time.Second); !bytes.Contains(readSnapshot(t, st), []byte("Chloé")); time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the running index did not write a snapshot holding Chloé's message")
		}
	}
	second.index.snapEvery.Store(int64(time.Hour)) // from now on only a revocation makes it write
	_, err = states.Revoke(ctx, c, message.Revocation{By: "team", At: time.Now()})
	testenv.Must(t, err)
	wait(second, listQuery{Status: message.StatusRevoked}, []string{c})
	for deadline := time.Now().Add(20 * time.Second); bytes.Contains(readSnapshot(t, st), []byte("Chloé")); time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the snapshot still names the revoked message's artist")
		}
	}
	second.Close()

	// A snapshot that does not read: built from the records.
	testenv.Must(t, st.Put(ctx, snapshotKey, bytes.NewReader([]byte("not gzip")), 8, "application/gzip"))
	third := newAPI()
	if third.index.fromSnapshot.Load() {
		t.Error("a broken snapshot was used")
	}
	wait(third, listQuery{}, []string{c, b, a})
	if got, _ := third.index.Query(listQuery{Limit: 1}); len(got) != 1 || got[0].Artist != "" || got[0].Status != message.StatusRevoked {
		t.Errorf("the revoked message in the index: %+v", got)
	}
	third.Close() // it writes a snapshot of its own after its build

	// One older than the feed keeps: built from the records too.
	first.index.from = time.Now().Add(-2 * feedKeep)
	testenv.Must(t, first.index.writeSnapshot(ctx))
	if fourth := newAPI(); fourth.index.fromSnapshot.Load() {
		t.Error("a snapshot older than the feed was used")
	}
}

func readSnapshot(t *testing.T, st *storage.Store) []byte {
	t.Helper()
	rc, err := st.Open(t.Context(), snapshotKey, -1)
	testenv.Must(t, err)
	defer rc.Close()
	zr, err := gzip.NewReader(rc)
	testenv.Must(t, err)
	b, err := io.ReadAll(zr)
	testenv.Must(t, err)
	return b
}
