package webhook_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"net/http/httptest"
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

// hit is one request a receiver got.
type hit struct {
	At     time.Time
	Header http.Header
	Body   []byte
}

// receiver is an HTTP endpoint on loopback that answers with answer(n) to its n-th request (from 0).
type receiver struct {
	*httptest.Server
	mu   sync.Mutex
	hits []hit
	got  chan hit
}

func newReceiver(t *testing.T, answer func(n int, w http.ResponseWriter)) *receiver {
	rc := &receiver{got: make(chan hit, 16)}
	rc.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		h := hit{At: time.Now(), Header: r.Header.Clone(), Body: b}
		rc.mu.Lock()
		n := len(rc.hits)
		rc.hits = append(rc.hits, h)
		rc.mu.Unlock()
		answer(n, w)
		rc.got <- h
	}))
	t.Cleanup(rc.Close)
	return rc
}

func (rc *receiver) count() int {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return len(rc.hits)
}

func (rc *receiver) wait(t *testing.T, within time.Duration) hit {
	t.Helper()
	select {
	case h := <-rc.got:
		return h
	case <-time.After(within):
		t.Fatalf("the receiver got no request within %s", within)
		return hit{}
	}
}

// verify checks a request with testenv's own Standard Webhooks verifier (not quinte's signer).
func verify(secret string, h http.Header, body []byte) error {
	return testenv.VerifyWebhook(secret, h, body, time.Now())
}

// rig is a deliverer and an emitter on a real redis-server and versitygw.
type rig struct {
	store    *storage.Store
	hooks    *webhook.Hooks
	outcomes chan string
	id       string // a message in the bucket
}

func newRig(t *testing.T, cfg webhook.Config) *rig {
	t.Helper()
	redis := testenv.Redis(t)
	_, s3 := testenv.S3(t)
	store, err := storage.New(s3)
	testenv.Must(t, err)
	opt, err := queue.ParseRedisURL(redis.URL())
	testenv.Must(t, err)
	r := &rig{store: store, outcomes: make(chan string, 32), id: message.NewID()}
	ctx := context.Background()
	_, err = message.States{Store: store}.Create(ctx, r.id, message.KindImage)
	testenv.Must(t, err)
	testenv.Must(t, store.PutJSON(ctx, message.MetaKey(r.id), message.Meta{ID: r.id, Kind: message.KindImage, Artist: "Ada", Title: "Merci"}))

	log := slog.New(slog.NewTextHandler(testWriter{t}, nil))
	d := webhook.NewDeliverer(cfg, store, log)
	d.OnDelivery = func(outcome string) { r.outcomes <- outcome }
	srv, err := webhook.Start(opt, d)
	testenv.Must(t, err)
	client := asynq.NewClient(opt)
	t.Cleanup(func() { srv.Shutdown(); client.Close() })
	r.hooks = webhook.New(cfg, client, store)
	return r
}

func (r *rig) outcome(t *testing.T, within time.Duration) string {
	t.Helper()
	select {
	case o := <-r.outcomes:
		return o
	case <-time.After(within):
		t.Fatalf("no delivery outcome within %s", within)
		return ""
	}
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

func endpoint(url string, events ...string) webhook.Endpoint {
	return webhook.Endpoint{URL: url, Secret: webhook.NewSecret(), Events: events}
}

// A receiver that answers 503 with Retry-After: 7 gets the same webhook again no sooner than 7 s
// later, though the schedule's first retry is 5 s; the retry carries the same webhook-id and body
// under a fresh, valid signature.
func TestDeliveryHonoursRetryAfter(t *testing.T) {
	rc := newReceiver(t, func(n int, w http.ResponseWriter) {
		if n == 0 {
			w.Header().Set("Retry-After", "7")
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
	ep := endpoint(rc.URL)
	r := newRig(t, webhook.Config{Endpoints: webhook.Endpoints{ep}, AllowPrivate: true})
	testenv.Must(t, r.hooks.Emit(context.Background(), webhook.MessageApproved, r.id))

	first := rc.wait(t, 30*time.Second)
	if o := r.outcome(t, 10*time.Second); o != webhook.OutcomeRetry {
		t.Errorf("outcome of the 503: %q, want retry", o)
	}
	second := rc.wait(t, time.Minute)
	if o := r.outcome(t, 10*time.Second); o != webhook.OutcomeDelivered {
		t.Errorf("outcome of the 204: %q, want delivered", o)
	}
	gap := second.At.Sub(first.At)
	if gap < 7*time.Second {
		t.Errorf("the retry came %s after the 503, before its Retry-After of 7 s", gap)
	}
	t.Logf("Retry-After 7: the retry came %s later", gap.Round(time.Millisecond))
	for i, h := range []hit{first, second} {
		if err := verify(ep.Secret, h.Header, h.Body); err != nil {
			t.Errorf("attempt %d: %v", i+1, err)
		}
	}
	if first.Header.Get("Webhook-Id") != second.Header.Get("Webhook-Id") || string(first.Body) != string(second.Body) {
		t.Errorf("the retry is not the same webhook: ids %s and %s", first.Header.Get("Webhook-Id"), second.Header.Get("Webhook-Id"))
	}
	var ev struct {
		Type      string    `json:"type"`
		Timestamp time.Time `json:"timestamp"`
		Data      struct {
			ID, Status, Artist, Title string
		} `json:"data"`
	}
	testenv.Must(t, json.Unmarshal(first.Body, &ev))
	if ev.Type != "message.approved" || ev.Data.ID != r.id || ev.Data.Status != "queued" || ev.Data.Artist != "Ada" || ev.Timestamp.IsZero() {
		t.Errorf("body %s", first.Body)
	}
}

// 410 Gone disables the endpoint: the marker is written to S3, the delivery is not retried, and the
// next event is not sent to it at all.
func TestGoneDisablesEndpoint(t *testing.T) {
	rc := newReceiver(t, func(_ int, w http.ResponseWriter) { w.WriteHeader(http.StatusGone) })
	ep := endpoint(rc.URL, webhook.MessageReady, webhook.MessageRevoked)
	r := newRig(t, webhook.Config{Endpoints: webhook.Endpoints{ep}, AllowPrivate: true})
	ctx := context.Background()
	testenv.Must(t, r.hooks.Emit(ctx, webhook.MessageRevoked, r.id))
	if o := r.outcome(t, 30*time.Second); o != webhook.OutcomeDisabled {
		t.Fatalf("outcome of a 410: %q, want disabled", o)
	}
	var mark webhook.Disabled
	if err := r.store.GetJSON(ctx, webhook.DisabledKey(ep.ID()), &mark); err != nil || mark.URL != ep.URL {
		t.Fatalf("no disabled marker for %s in S3: %v %+v", ep.URL, err, mark)
	}
	testenv.Must(t, r.hooks.Emit(ctx, webhook.MessageReady, r.id))
	if o := r.outcome(t, 30*time.Second); o != webhook.OutcomeSkipped {
		t.Errorf("outcome of an event for a disabled endpoint: %q, want skipped", o)
	}
	if n := rc.count(); n != 1 {
		t.Errorf("the gone endpoint got %d requests, want 1", n)
	}
	// An event it does not subscribe to is not even queued.
	testenv.Must(t, r.hooks.Emit(ctx, webhook.MessageFailed, r.id))

	// Deleting the marker enables it again.
	testenv.Must(t, r.store.Delete(ctx, webhook.DisabledKey(ep.ID())))
	if err := r.store.GetJSON(ctx, webhook.DisabledKey(ep.ID()), &mark); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("marker still there: %v", err)
	}
	testenv.Must(t, r.hooks.Emit(ctx, webhook.MessageReady, r.id))
	if o := r.outcome(t, 30*time.Second); o != webhook.OutcomeDisabled {
		t.Errorf("after the marker is deleted the endpoint is tried again: outcome %q, want disabled (it still answers 410)", o)
	}
}

// A redirect is not followed: the attempt fails (and is retried later), and the redirect's target
// never hears of it.
func TestRedirectNotFollowed(t *testing.T) {
	target := newReceiver(t, func(int, http.ResponseWriter) {})
	rc := newReceiver(t, func(_ int, w http.ResponseWriter) {
		w.Header().Set("Location", target.URL+"/elsewhere")
		w.WriteHeader(http.StatusTemporaryRedirect)
	})
	r := newRig(t, webhook.Config{Endpoints: webhook.Endpoints{endpoint(rc.URL)}, AllowPrivate: true})
	testenv.Must(t, r.hooks.Emit(context.Background(), webhook.MessageReady, r.id))
	rc.wait(t, 30*time.Second)
	if o := r.outcome(t, 10*time.Second); o != webhook.OutcomeRetry {
		t.Errorf("outcome of a 307: %q, want retry", o)
	}
	if n := target.count(); n != 0 {
		t.Errorf("the redirect's target got %d requests", n)
	}
}

// Without QUINTE_WEBHOOKS_ALLOW_PRIVATE an endpoint whose name resolves to loopback is refused when
// dialled (the name passes the configuration check: only the dial sees the address), and not retried.
func TestPrivateTargetRefused(t *testing.T) {
	rc := newReceiver(t, func(_ int, w http.ResponseWriter) { w.WriteHeader(http.StatusOK) })
	url := strings.Replace(rc.URL, "127.0.0.1", "localhost", 1)
	cfg := webhook.Config{Endpoints: webhook.Endpoints{endpoint(url)}}
	testenv.Must(t, cfg.Validate())
	r := newRig(t, cfg)
	testenv.Must(t, r.hooks.Emit(context.Background(), webhook.MessageReady, r.id))
	if o := r.outcome(t, 30*time.Second); o != webhook.OutcomeRefused {
		t.Errorf("outcome of a loopback endpoint: %q, want refused", o)
	}
	time.Sleep(time.Second) // a retry, if there were one, would be queued now; make sure none arrives
	if n := rc.count(); n != 0 {
		t.Errorf("the loopback endpoint got %d requests", n)
	}
	// A literal private address is refused by the configuration check already.
	for _, u := range []string{"http://127.0.0.1:9/", "http://10.1.2.3/", "http://[::1]/", "http://169.254.169.254/latest", "http://[::ffff:192.168.1.1]/"} {
		if err := (webhook.Config{Endpoints: webhook.Endpoints{endpoint(u)}}).Validate(); err == nil {
			t.Errorf("%s passes the configuration check", u)
		}
		if err := (webhook.Config{Endpoints: webhook.Endpoints{endpoint(u)}, AllowPrivate: true}).Validate(); err != nil {
			t.Errorf("%s with private targets allowed: %v", u, err)
		}
	}
}
