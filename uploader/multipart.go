package uploader

import (
	"context"
	"io"
	"mime"
	"net/http"
	"time"

	"github.com/quinte-media/quinte/message"
)

// formOverhead is what a multipart body may carry besides the file: boundaries, part headers, fields.
const formOverhead = 1 << 20

// createMessage handles POST /v1/messages: multipart/form-data with a "file" and optional "artist",
// "title" and "consent". The file is streamed to S3, never held in memory or on local disk.
func (s *Server) createMessage(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "multipart/form-data" {
		writeError(w, errorf(http.StatusBadRequest, "not_multipart", "send multipart/form-data with the media in a field called file (or use tus at /v1/uploads/)"))
		return
	}
	if r.ContentLength > s.cfg.MaxBytes+formOverhead {
		writeError(w, tooLarge(s.cfg.MaxBytes))
		return
	}
	// Nothing is stored unless the queue can take the work.
	if err := s.queue.Ping(ctx); err != nil {
		s.log.Error("queue unreachable: refusing upload", "err", err)
		writeError(w, errorf(http.StatusServiceUnavailable, "queue_unavailable", "quinte cannot take uploads right now; try again shortly"))
		return
	}
	id := message.NewID()
	meta := message.Meta{ID: id, Via: "multipart", CreatedAt: time.Now().UTC()}
	if inv := callerFrom(ctx).invite; inv != nil {
		if err := s.invites.Reserve(ctx, inv.ID, id); err != nil {
			writeError(w, s.inviteRefused(err))
			return
		}
		meta.InviteID = inv.ID
	}
	accepted := false
	defer func() {
		if !accepted {
			s.releaseInvite(ctx, meta.InviteID, id)
		}
	}()

	r.Body = http.MaxBytesReader(w, idleLimited(w, r.Body, s.cfg.IdleTimeout), s.cfg.MaxBytes+formOverhead)
	mr, err := r.MultipartReader()
	if err != nil {
		writeError(w, errorf(http.StatusBadRequest, "bad_multipart", "the multipart body could not be read: %v", err))
		return
	}
	stored := false
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			if stored {
				_ = s.store.Delete(ctx, message.OriginalKey(id))
			}
			writeError(w, uploadReadError(err))
			return
		}
		switch part.FormName() {
		case "file":
			if stored {
				_ = s.store.Delete(ctx, message.OriginalKey(id))
				writeError(w, errorf(http.StatusBadRequest, "one_file_only", "send one file per message"))
				return
			}
			kind, ctype, size, aerr := s.storeOriginal(ctx, id, part)
			if aerr != nil {
				writeError(w, aerr)
				return
			}
			stored = true
			meta.Kind, meta.ContentType, meta.Size, meta.Filename = kind, ctype, size, cleanFilename(part.FileName())
		case "artist", "title", "consent":
			b, err := io.ReadAll(io.LimitReader(part, 4<<10))
			if err != nil {
				writeError(w, uploadReadError(err))
				return
			}
			v := cleanText(string(b), 500)
			switch part.FormName() {
			case "artist":
				meta.Artist = v
			case "title":
				meta.Title = v
			case "consent":
				meta.Consent = v
			}
		default:
			_, _ = io.Copy(io.Discard, io.LimitReader(part, formOverhead))
		}
		part.Close()
	}
	if !stored {
		writeError(w, errorf(http.StatusBadRequest, "no_file", "the form has no field called file"))
		return
	}
	if err := s.register(ctx, meta); err != nil {
		s.log.Error("recording message failed", "message_id", id, "err", err)
		_ = s.store.Delete(context.WithoutCancel(ctx), message.OriginalKey(id))
		writeError(w, errorf(http.StatusServiceUnavailable, "storage_unavailable", "the message could not be recorded; try again shortly"))
		return
	}
	accepted = true
	s.log.Info("message accepted", "message_id", id, "via", "multipart", "kind", meta.Kind, "bytes", meta.Size, "invite_id", meta.InviteID)
	w.Header().Set("Location", "/v1/messages/"+id)
	writeJSON(w, http.StatusAccepted, map[string]string{"id": id, "status": string(message.StatusQueued)})
}
