package webhook

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"time"

	"github.com/hibiken/asynq"

	"github.com/quinte-media/quinte/message"
)

// Event is the body of every delivery, as Standard Webhooks lays it out.
type Event struct {
	Type      string    `json:"type"`
	Timestamp time.Time `json:"timestamp"` // when it happened; the webhook-timestamp header is the attempt's
	Data      Summary   `json:"data"`
}

// Summary is what a webhook says of the message: its record and who sent it. The outputs and their
// links are the API's (GET /v1/messages/{id}): a link in a webhook would expire in a queue.
type Summary struct {
	ID        string          `json:"id"`
	Status    message.Status  `json:"status"`
	Kind      message.Kind    `json:"kind,omitempty"`
	Error     *message.Error  `json:"error,omitempty"`
	Warnings  []string        `json:"warnings,omitempty"`
	Review    *message.Review `json:"review,omitempty"` // the last review (approved or rejected, by whom, why)
	Artist    string          `json:"artist,omitempty"`
	Title     string          `json:"title,omitempty"`
	Campaign  string          `json:"campaign,omitempty"`
	InviteID  string          `json:"invite_id,omitempty"`
	CreatedAt time.Time       `json:"created_at"`
	UpdatedAt time.Time       `json:"updated_at"`
}

// Payload is the body of a webhook:deliver task: everything an attempt sends but its timestamp and
// signature, so every attempt sends the same bytes under the same webhook-id.
type Payload struct {
	Endpoint  string          `json:"endpoint"` // Endpoint.ID
	WebhookID string          `json:"webhook_id"`
	Event     string          `json:"event"`
	MessageID string          `json:"message_id"`
	Body      json.RawMessage `json:"body"`
}

// Enqueuer is the part of asynq's client Emit needs.
type Enqueuer interface {
	EnqueueContext(ctx context.Context, t *asynq.Task, opts ...asynq.Option) (*asynq.TaskInfo, error)
}

// Hooks turns events into deliveries. A nil *Hooks, or one without endpoints, emits nothing.
type Hooks struct {
	Config Config
	Queue  Enqueuer
	Store  message.JSONStore
	Now    func() time.Time
}

// New returns the Hooks of cfg, enqueueing on q and reading messages from store.
func New(cfg Config, q Enqueuer, store message.JSONStore) *Hooks {
	return &Hooks{Config: cfg, Queue: q, Store: store}
}

// Emit queues one delivery of event about message id to every endpoint that wants it. The body is
// made now, from the message's record and metadata in S3, so it says what was true when it happened.
// The API calls it for message.approved, message.rejected and message.revoked; the worker for
// message.ready and message.failed.
func (h *Hooks) Emit(ctx context.Context, event, id string) error {
	if h == nil {
		return nil
	}
	var eps []Endpoint
	for _, e := range h.Config.Endpoints {
		if e.Wants(event) {
			eps = append(eps, e)
		}
	}
	if len(eps) == 0 {
		return nil
	}
	body, err := h.body(ctx, event, id)
	if err != nil {
		return err
	}
	var errs []error
	for _, e := range eps {
		p := Payload{Endpoint: e.ID(), WebhookID: newID(), Event: event, MessageID: id, Body: body}
		b, err := json.Marshal(p)
		if err != nil {
			return err
		}
		t := asynq.NewTask(TypeDeliver, b, asynq.Queue(QueueName), asynq.TaskID(p.WebhookID+"-"+p.Endpoint),
			asynq.MaxRetry(len(Schedule)), asynq.Timeout(AttemptTimeout+15*time.Second))
		if _, err := h.Queue.EnqueueContext(ctx, t); err != nil {
			errs = append(errs, fmt.Errorf("queue %s of message %s for %s: %w", event, id, e.ID(), err))
		}
	}
	return errors.Join(errs...)
}

func (h *Hooks) body(ctx context.Context, event, id string) ([]byte, error) {
	rec, err := message.States{Store: h.Store}.Get(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("%s of message %s: reading its record: %w", event, id, err)
	}
	var meta message.Meta
	if err := h.Store.GetJSON(ctx, message.MetaKey(id), &meta); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%s of message %s: reading its metadata: %w", event, id, err)
	}
	now := time.Now
	if h.Now != nil {
		now = h.Now
	}
	return json.Marshal(Event{Type: event, Timestamp: now().UTC(), Data: Summary{
		ID: id, Status: rec.Status, Kind: rec.Kind, Error: rec.Error, Warnings: rec.Warnings, Review: rec.Review,
		Artist: meta.Artist, Title: meta.Title, Campaign: meta.Campaign, InviteID: meta.InviteID,
		CreatedAt: rec.CreatedAt, UpdatedAt: rec.UpdatedAt,
	}})
}
