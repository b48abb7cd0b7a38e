package webhook

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/hibiken/asynq"

	"github.com/quinte-media/quinte/message"
)

// Schedule is how long each retry waits after a failed attempt: the first attempt goes at once,
// then 5 s, 5 min, 30 min, 2 h, 5 h, 10 h and 10 h later (Standard Webhooks' example schedule, about
// 28 hours in all).
var Schedule = []time.Duration{5 * time.Second, 5 * time.Minute, 30 * time.Minute, 2 * time.Hour, 5 * time.Hour, 10 * time.Hour, 10 * time.Hour}

// AttemptTimeout bounds one attempt: connecting, sending and the receiver's answer.
const AttemptTimeout = 15 * time.Second

// maxRetryAfter caps a receiver's Retry-After, so one answer cannot park a delivery for ever.
const maxRetryAfter = 24 * time.Hour

// Outcomes of an attempt, as OnDelivery reports them.
const (
	OutcomeDelivered = "delivered" // a 2xx answer
	OutcomeRetry     = "retry"     // failed; tried again later
	OutcomeFailed    = "failed"    // failed on the last try: given up
	OutcomeDisabled  = "disabled"  // the endpoint answered 410 Gone and is disabled from now on
	OutcomeRefused   = "refused"   // the endpoint resolved to a private address
	OutcomeSkipped   = "skipped"   // the endpoint is disabled, or no longer configured
)

// Store is the part of the bucket a deliverer needs: the disabled markers.
type Store interface {
	message.JSONStore
}

// DisabledKey is where the marker of an endpoint disabled by a 410 lives. Deleting it re-enables the
// endpoint.
func DisabledKey(endpointID string) string { return "webhooks/disabled/" + endpointID + ".json" }

// Disabled is the marker's content.
type Disabled struct {
	URL    string    `json:"url"`
	At     time.Time `json:"at"`
	Status string    `json:"status"`
}

// Deliverer sends webhook:deliver tasks. It implements asynq.Handler.
type Deliverer struct {
	cfg    Config
	store  Store
	client *http.Client
	log    *slog.Logger

	// OnDelivery, when set, is told the outcome of every attempt (the metrics count them).
	OnDelivery func(outcome string)
	// Now gives the attempt's webhook-timestamp.
	Now func() time.Time
}

// NewDeliverer returns a deliverer of cfg's endpoints.
func NewDeliverer(cfg Config, store Store, log *slog.Logger) *Deliverer {
	return &Deliverer{cfg: cfg, store: store, client: httpClient(cfg.AllowPrivate), log: log}
}

// httpClient follows no redirect (a 3xx is a failed attempt: a receiver must be configured at its
// final URL, and a redirect could point anywhere), uses no proxy (which would dial in its place) and,
// unless private targets are allowed, refuses to dial a private address.
func httpClient(allowPrivate bool) *http.Client {
	d := &net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}
	if !allowPrivate {
		d.Control = refusePrivate
	}
	tr := &http.Transport{
		Proxy:                 nil,
		DialContext:           d.DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          20,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   10 * time.Second,
		ResponseHeaderTimeout: AttemptTimeout,
	}
	return &http.Client{
		Transport:     tr,
		Timeout:       AttemptTimeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// retryAfter is a failed attempt whose receiver said when to come back.
type retryAfter struct {
	err   error
	delay time.Duration
}

func (e *retryAfter) Error() string { return e.err.Error() }
func (e *retryAfter) Unwrap() error { return e.err }

// RetryDelay is the webhook server's asynq RetryDelayFunc: Schedule, or the receiver's Retry-After.
// n is how many retries were made before this failure.
func RetryDelay(n int, err error, _ *asynq.Task) time.Duration {
	var ra *retryAfter
	if errors.As(err, &ra) {
		// asynq keeps a retry's time in whole seconds, rounded down: a second more, so the receiver
		// never hears from us before the time it asked for.
		return ra.delay + time.Second
	}
	if n < 0 {
		n = 0
	}
	if n >= len(Schedule) {
		return Schedule[len(Schedule)-1]
	}
	return Schedule[n]
}

// ProcessTask makes one attempt.
func (d *Deliverer) ProcessTask(ctx context.Context, t *asynq.Task) error {
	var p Payload
	if err := json.Unmarshal(t.Payload(), &p); err != nil || p.WebhookID == "" || !json.Valid(p.Body) {
		return fmt.Errorf("malformed webhook task %q: %w", t.Payload(), asynq.SkipRetry)
	}
	log := d.log.With("webhook_id", p.WebhookID, "event", p.Event, "message_id", p.MessageID, "endpoint", p.Endpoint)
	ep, ok := d.cfg.endpoint(p.Endpoint)
	if !ok {
		log.Warn("webhook not sent: its endpoint is no longer configured here (give api and workers the same QUINTE_WEBHOOKS)")
		d.count(OutcomeSkipped)
		return nil
	}
	log = log.With("url", ep.URL)
	var mark Disabled
	if err := d.store.GetJSON(ctx, DisabledKey(p.Endpoint), &mark); err == nil {
		log.Info("webhook not sent: the endpoint is disabled since it answered 410 Gone", "since", mark.At, "marker", DisabledKey(p.Endpoint))
		d.count(OutcomeSkipped)
		return nil
	} else if !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("reading the endpoint's disabled marker: %w", err) // retried: S3 may be back
	}

	status, err := d.attempt(ctx, ep, p)
	switch {
	case err == nil:
		log.Info("webhook delivered", "status", status)
		d.count(OutcomeDelivered)
		return nil
	case status == http.StatusGone:
		if err := d.store.PutJSON(context.WithoutCancel(ctx), DisabledKey(p.Endpoint), Disabled{URL: ep.URL, At: time.Now().UTC(), Status: "410 Gone"}); err != nil {
			return fmt.Errorf("the endpoint answered 410 Gone but recording that failed: %w", err)
		}
		log.Warn("the endpoint answered 410 Gone: disabled; delete the marker to enable it again", "marker", DisabledKey(p.Endpoint))
		d.count(OutcomeDisabled)
		return fmt.Errorf("%w: %w", err, asynq.SkipRetry)
	}
	var refused *RefusedError
	if errors.As(err, &refused) {
		log.Error("webhook refused", "err", err)
		d.count(OutcomeRefused)
		return fmt.Errorf("%w: %w", err, asynq.SkipRetry)
	}
	retried, _ := asynq.GetRetryCount(ctx)
	if maxRetry, ok := asynq.GetMaxRetry(ctx); ok && retried >= maxRetry {
		log.Warn("webhook failed on its last try: given up", "tries", retried+1, "err", err)
		d.count(OutcomeFailed)
	} else {
		log.Info("webhook attempt failed; it is tried again", "try", retried+1, "err", err)
		d.count(OutcomeRetry)
	}
	return err
}

// attempt POSTs the payload's body, signed now, and returns the answer's status; the error is nil
// for a 2xx only.
func (d *Deliverer) attempt(ctx context.Context, ep Endpoint, p Payload) (int, error) {
	key, err := ep.Key()
	if err != nil {
		return 0, fmt.Errorf("endpoint secret: %w: %w", err, asynq.SkipRetry)
	}
	now := time.Now
	if d.Now != nil {
		now = d.Now
	}
	ts := now().Unix()
	ctx, cancel := context.WithTimeout(ctx, AttemptTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, ep.URL, bytes.NewReader(p.Body))
	if err != nil {
		return 0, fmt.Errorf("%w: %w", err, asynq.SkipRetry)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "quinte-webhooks/1")
	req.Header.Set("webhook-id", p.WebhookID)
	req.Header.Set("webhook-timestamp", strconv.FormatInt(ts, 10))
	req.Header.Set("webhook-signature", Sign(key, p.WebhookID, ts, p.Body))
	resp, err := d.client.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return resp.StatusCode, nil
	}
	err = fmt.Errorf("the endpoint answered %s", resp.Status)
	if resp.StatusCode >= 300 && resp.StatusCode < 400 {
		err = fmt.Errorf("the endpoint answered %s to %s: redirects are not followed; configure the final URL", resp.Status, resp.Header.Get("Location"))
	}
	if delay, ok := parseRetryAfter(resp.Header.Get("Retry-After"), now()); ok {
		return resp.StatusCode, &retryAfter{err: fmt.Errorf("%w (Retry-After %s)", err, delay), delay: delay}
	}
	return resp.StatusCode, err
}

// parseRetryAfter reads a Retry-After header: seconds, or an HTTP date.
func parseRetryAfter(v string, now time.Time) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	var d time.Duration
	if n, err := strconv.ParseInt(v, 10, 64); err == nil {
		if n < 0 {
			return 0, false
		}
		d = time.Duration(min(n, int64(maxRetryAfter/time.Second))) * time.Second
	} else if t, err := http.ParseTime(v); err == nil {
		d = max(t.Sub(now), 0)
	} else {
		return 0, false
	}
	return min(d, maxRetryAfter), true
}

func (d *Deliverer) count(outcome string) {
	if d.OnDelivery != nil {
		d.OnDelivery(outcome)
	}
}

// NewServer returns the asynq server of the webhooks queue, with slots of its own.
func NewServer(opt asynq.RedisConnOpt, cfg Config, log *slog.Logger) *asynq.Server {
	return asynq.NewServer(opt, asynq.Config{
		Concurrency:    cfg.Slots(),
		Queues:         map[string]int{QueueName: 1},
		RetryDelayFunc: RetryDelay,
		// Short: the worker's own shutdown already takes most of the container's grace period. An
		// attempt cut off goes back to the queue and is sent again under the same webhook-id, which
		// receivers deduplicate.
		ShutdownTimeout:   3 * time.Second,
		TaskCheckInterval: 200 * time.Millisecond,
		// Retries wait in asynq's retry set, which it checks every 5 s by default: a 5 s retry would go
		// after 5 to 10 s. Once a second keeps the schedule.
		DelayedTaskCheckInterval: time.Second,
		Logger:                   asynqLog{log},
		LogLevel:                 asynq.WarnLevel,
	})
}

// Start serves d on the Redis at opt; Shutdown the returned server to stop.
func Start(opt asynq.RedisConnOpt, d *Deliverer) (*asynq.Server, error) {
	srv := NewServer(opt, d.cfg, d.log)
	mux := asynq.NewServeMux()
	mux.Handle(TypeDeliver, d)
	if err := srv.Start(mux); err != nil {
		return nil, err
	}
	return srv, nil
}

type asynqLog struct{ l *slog.Logger }

func (a asynqLog) Debug(args ...any) { a.l.Debug(fmt.Sprint(args...), "component", "asynq-webhooks") }
func (a asynqLog) Info(args ...any)  { a.l.Info(fmt.Sprint(args...), "component", "asynq-webhooks") }
func (a asynqLog) Warn(args ...any)  { a.l.Warn(fmt.Sprint(args...), "component", "asynq-webhooks") }
func (a asynqLog) Error(args ...any) { a.l.Error(fmt.Sprint(args...), "component", "asynq-webhooks") }
func (a asynqLog) Fatal(args ...any) { a.l.Error(fmt.Sprint(args...), "component", "asynq-webhooks") }
