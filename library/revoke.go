package library

import (
	"context"
	"errors"
	"io/fs"
	"net/http"
	"slices"
	"time"

	"github.com/quinte-media/quinte/internal/httpapi"
	"github.com/quinte-media/quinte/message"
)

// revokeMessage handles POST /v1/messages/{id}/revoke (the team for any message, an invite for its
// own): the artist's consent is withdrawn. The message's task leaves the queue (a running job is
// stopped), its record becomes the audit record (status revoked; who, when, which keys were
// deleted), and every other key of the message is deleted: outputs, HLS parts, manifest, progress,
// the original, its meta and captions, and any leftovers of its tus upload. Its links stop working
// (the objects are gone; HLS and API-served files answer 404). Asking again answers the same record,
// deleting anything a job wrote meanwhile. The invite's upload is not given back.
func (s *Server) revokeMessage(w http.ResponseWriter, r *http.Request) {
	id, aerr := httpapi.OwnMessage(r)
	if aerr != nil {
		httpapi.WriteError(w, aerr)
		return
	}
	ctx := r.Context()
	rec, err := s.states.Get(ctx, id)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		httpapi.WriteError(w, httpapi.Errorf(http.StatusNotFound, "not_found", "no message has this id"))
		return
	case err != nil:
		httpapi.WriteError(w, httpapi.StorageDown(s.log, err))
		return
	}
	ctx = context.WithoutCancel(ctx) // once begun, a revocation finishes even if the client goes
	first := rec.Status != message.StatusRevoked
	if first {
		by := httpapi.Principal(r) // "team", "member:<name>" (a gallery session) or "invite:<id>"
		// First stop the work, so no job writes the record or publishes while the files go. A queue
		// that does not answer, or a job slow to stop, does not hold the revocation up: a job that
		// outlives it finds the record revoked and deletes what it wrote (worker/revoked.go).
		if stopped, err := s.queue.Withdraw(ctx, id, withdrawWait); err != nil || !stopped {
			s.log.Warn("revoking a message whose task could not be withdrawn", "message_id", id, "stopped", stopped, "err", err)
		}
		if rec, err = s.states.Revoke(ctx, id, message.Revocation{By: by, At: time.Now().UTC()}); err != nil {
			httpapi.WriteError(w, httpapi.StorageDown(s.log, err))
			return
		}
	}
	deleted, err := s.deleteMessageFiles(ctx, id)
	if len(deleted) > 0 {
		rev := *rec.Revoked
		rev.Deleted = append(slices.Clone(rev.Deleted), deleted...)
		var werr error
		if rec, werr = s.states.Revoke(ctx, id, rev); werr != nil && err == nil {
			err = werr
		}
	}
	if err != nil {
		// The record says revoked already, so nothing is published again; asking again finishes.
		httpapi.WriteError(w, httpapi.StorageDown(s.log, err))
		return
	}
	// A job that ignored its cancellation may have written its record in the instant between the
	// revocation's read and write: look once more, and revoke again if it did.
	if again, err := s.states.Get(ctx, id); err == nil && again.Status != message.StatusRevoked {
		s.log.Warn("a job wrote the record of a message being revoked; revoking again", "message_id", id, "status", again.Status)
		more, _ := s.deleteMessageFiles(ctx, id)
		rev := *rec.Revoked
		rev.Deleted = append(slices.Clone(rev.Deleted), more...)
		if rec, err = s.states.Revoke(ctx, id, rev); err != nil {
			httpapi.WriteError(w, httpapi.StorageDown(s.log, err))
			return
		}
	}
	s.log.Info("message revoked", "message_id", id, "by", rec.Revoked.By, "deleted", len(deleted))
	if first {
		s.emit(ctx, message.EventRevoked, id)
	}
	httpapi.WriteJSON(w, http.StatusOK, rec)
}

// withdrawWait is how long a revocation waits for a running job of the message to stop (as long as
// intake's captions wait: uploader's withdrawWait); past it, the revocation goes on anyway.
const withdrawWait = 30 * time.Second

// deleteMessageFiles deletes every key of message id but its status record: the manifest first (the
// message is no longer "done"), then the outputs, the original's folder and the tus upload's objects.
// It returns the keys it deleted, even when it stopped on an error.
func (s *Server) deleteMessageFiles(ctx context.Context, id string) ([]string, error) {
	var keys []string
	for _, prefix := range []string{message.OutputPrefix(id), message.OriginalsPrefix + id + "/", message.UploadsPrefix + id} {
		ks, err := s.store.List(ctx, prefix)
		if err != nil {
			return nil, err
		}
		keys = append(keys, ks...)
	}
	keys = slices.DeleteFunc(keys, func(k string) bool { return k == message.StatusKey(id) })
	if i := slices.Index(keys, message.ManifestKey(id)); i > 0 {
		keys[0], keys[i] = keys[i], keys[0]
	}
	var deleted []string
	for _, k := range keys {
		if err := s.store.Delete(ctx, k); err != nil {
			return deleted, err
		}
		deleted = append(deleted, k)
	}
	return deleted, nil
}
