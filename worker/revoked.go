package worker

import (
	"context"
	"log/slog"
	"time"

	"github.com/quinte-media/quinte/message"
)

// A message whose consent was withdrawn (POST /v1/messages/{id}/revoke) keeps only its status record.
// The API takes the message's task out of the queue first, stopping a running job, so a job rarely
// outlives a revocation; one that does must not bring the message back: it checks the record before
// publishing, and after it ends deletes whatever it wrote (outputs, manifest, progress) if the record
// says revoked. The record itself cannot be overwritten (message.States.Update leaves a revoked one
// alone).

// isRevoked reports whether message id's consent was withdrawn. A record that cannot be read is not
// taken as revoked: the step after it reads it again.
func (h *Handler) isRevoked(ctx context.Context, id string) bool {
	rec, err := h.states.Get(ctx, id)
	return err == nil && rec.Status == message.StatusRevoked
}

// sweepRevoked deletes every key of message id but its status record, if the message was revoked
// while its job ran. It runs when the job returns, whatever its outcome.
func (h *Handler) sweepRevoked(ctx context.Context, log *slog.Logger, id string) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
	defer cancel()
	if !h.isRevoked(ctx, id) {
		return
	}
	var keys []string
	for _, prefix := range []string{message.OutputPrefix(id), message.OriginalsPrefix + id + "/"} {
		ks, err := h.store.List(ctx, prefix)
		if err != nil {
			log.Warn("revoked while processing: could not list what the job wrote", "err", err)
			return
		}
		keys = append(keys, ks...)
	}
	n := 0
	for _, k := range keys {
		if k == message.StatusKey(id) {
			continue
		}
		if err := h.store.Delete(ctx, k); err != nil {
			log.Warn("revoked while processing: could not delete what the job wrote", "key", k, "err", err)
			continue
		}
		n++
	}
	log.Info("message revoked while its job ran: its files are deleted", "deleted", n)
}
