package invite

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"sync"
	"testing"
	"time"

	"github.com/quinte-media/quinte/internal/testenv"
	"github.com/quinte-media/quinte/message"
	"github.com/quinte-media/quinte/storage"
)

func book(t *testing.T) *Book {
	_, cfg := testenv.S3(t)
	st, err := storage.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return &Book{Store: st}
}

// Concurrent uploads on one invite go through S3 conditional writes: exactly MaxUploads of them get a
// slot, and no reservation is lost to a concurrent one (the S3 server really checks If-Match).
func TestReserveUnderConcurrency(t *testing.T) {
	b := book(t)
	ctx := context.Background()
	for _, c := range []struct{ max, tries int }{{5, 20}, {40, 20}} {
		t.Run(fmt.Sprintf("max%d_tries%d", c.max, c.tries), func(t *testing.T) {
			inv, _, err := b.Create(ctx, Spec{MaxUploads: c.max, TTL: time.Hour})
			testenv.Must(t, err)
			var mu sync.Mutex
			got, usedUp := 0, 0
			var wg sync.WaitGroup
			for range c.tries {
				wg.Add(1)
				go func() {
					defer wg.Done()
					err := b.Reserve(ctx, inv.ID, message.NewID())
					mu.Lock()
					defer mu.Unlock()
					switch {
					case err == nil:
						got++
					case errors.Is(err, ErrUsedUp):
						usedUp++
					default:
						t.Errorf("reserve: %v", err)
					}
				}()
			}
			wg.Wait()
			want := min(c.max, c.tries)
			after, err := b.Get(ctx, inv.ID)
			testenv.Must(t, err)
			if got != want || usedUp != c.tries-want || len(after.Uploads) != want {
				t.Errorf("%d reservations succeeded, %d used up, %d recorded; want %d, %d, %d", got, usedUp, len(after.Uploads), want, c.tries-want, want)
			}
		})
	}
}

// A plain write with a stale version is refused by the S3 server itself.
func TestStaleWriteIsRefused(t *testing.T) {
	b := book(t)
	ctx := context.Background()
	inv, _, err := b.Create(ctx, Spec{MaxUploads: 1, TTL: time.Hour})
	testenv.Must(t, err)
	var v Invite
	ver, err := b.Store.GetJSONVersion(ctx, Key(inv.ID), &v)
	testenv.Must(t, err)
	v.Label = "changed" // a write with other content: the same bytes would keep the same ETag
	ok, err := b.Store.PutJSONIf(ctx, Key(inv.ID), v, ver)
	if err != nil || !ok {
		t.Fatalf("write at the current version: ok=%v err=%v", ok, err)
	}
	v.Label = "changed again"
	if ok, err := b.Store.PutJSONIf(ctx, Key(inv.ID), v, ver); err != nil || ok {
		t.Fatalf("write at a stale version: ok=%v err=%v, want refused", ok, err)
	}
	if ok, err := b.Store.PutJSONIf(ctx, Key(inv.ID), v, ""); err != nil || ok {
		t.Fatalf("create over an existing invite: ok=%v err=%v, want refused", ok, err)
	}
}

func TestAuthenticate(t *testing.T) {
	b := book(t)
	ctx := context.Background()
	now := time.Now()
	b.Now = func() time.Time { return now }
	inv, tok, err := b.Create(ctx, Spec{MaxUploads: 2, TTL: time.Hour, Prompts: []string{"Who do you thank?"}})
	testenv.Must(t, err)

	got, err := b.Authenticate(ctx, tok)
	if err != nil || got.ID != inv.ID || got.Prompts[0] != "Who do you thank?" {
		t.Fatalf("valid token: %v %+v", err, got)
	}
	stored, err := b.Get(ctx, inv.ID)
	testenv.Must(t, err)
	if stored.TokenHash == "" || stored.TokenHash == tok {
		t.Error("the token itself is stored, or no hash")
	}
	wrongSecret := tok[:len(tok)-1] + map[bool]string{true: "0", false: "1"}[tok[len(tok)-1] != '0']
	for _, bad := range []string{"", "qi_", "qi_" + inv.ID, wrongSecret, "qi_" + message.NewID() + "_" + tok[len(tok)-64:], "qi_../../x_" + tok[len(tok)-64:]} {
		if _, err := b.Authenticate(ctx, bad); !errors.Is(err, ErrUnknown) {
			t.Errorf("token %q: %v, want ErrUnknown", bad, err)
		}
	}

	now = now.Add(2 * time.Hour)
	if _, err := b.Authenticate(ctx, tok); !errors.Is(err, ErrExpired) {
		t.Errorf("expired: %v", err)
	}
	now = now.Add(-2 * time.Hour)
	if _, err := b.Disable(ctx, inv.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Authenticate(ctx, tok); !errors.Is(err, ErrDisabled) {
		t.Errorf("disabled: %v", err)
	}
	if err := b.Reserve(ctx, inv.ID, message.NewID()); !errors.Is(err, ErrDisabled) {
		t.Errorf("reserve on a disabled invite: %v", err)
	}
	if _, err := b.Get(ctx, message.NewID()); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing invite: %v", err)
	}
}

func TestReleaseGivesTheSlotBack(t *testing.T) {
	b := book(t)
	ctx := context.Background()
	inv, _, err := b.Create(ctx, Spec{MaxUploads: 1, TTL: time.Hour})
	testenv.Must(t, err)
	a, c := message.NewID(), message.NewID()
	testenv.Must(t, b.Reserve(ctx, inv.ID, a))
	testenv.Must(t, b.Reserve(ctx, inv.ID, a)) // the same upload again: no second slot
	if err := b.Reserve(ctx, inv.ID, c); !errors.Is(err, ErrUsedUp) {
		t.Fatalf("second upload: %v, want ErrUsedUp", err)
	}
	testenv.Must(t, b.Release(ctx, inv.ID, a))
	testenv.Must(t, b.Reserve(ctx, inv.ID, c))
	list, err := b.List(ctx)
	testenv.Must(t, err)
	if len(list) != 1 || !list[0].Owns(c) || list[0].Owns(a) {
		t.Errorf("list: %+v", list)
	}
}
