package worker

import (
	"context"
	"log/slog"
	"time"
)

// Events is told when a message reaches a terminal status (webhook.Hooks: message.ready and
// message.failed). A nil Events tells no one.
type Events interface {
	Emit(ctx context.Context, event, id string) error
}

// emit tells h.Events, once the status is written. A failure to queue the event is logged and does
// not fail the job: the message's status in S3 is what counts, and the API shows it.
func (h *Handler) emit(ctx context.Context, log *slog.Logger, event, id string) {
	if h.Events == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if err := h.Events.Emit(ctx, event, id); err != nil {
		log.Warn("could not queue the webhook of the message", "event", event, "err", err)
	}
}
