package uploader

import (
	"bytes"
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
// "title", "consent", "campaign" (a campaign's name) and "captions" (a .srt or .vtt). The file is
// streamed to S3, never held in memory or on local disk; the captions (at most 512 KiB) are checked in
// memory and stored once the file is.
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
	id := message.NewID()
	meta := message.Meta{ID: id, Via: "multipart", CreatedAt: time.Now().UTC()}
	var aerr *apiError
	if meta.InviteID, aerr = s.admit(ctx, id); aerr != nil {
		writeError(w, aerr)
		return
	}
	// Until the message is recorded, a refusal takes back everything: the invite's slot, and what was
	// stored under the original's folder (the file, the captions).
	accepted, stored := false, false
	defer func() {
		if !accepted {
			s.releaseInvite(ctx, meta.InviteID, id)
		}
		if !accepted && stored {
			_ = s.store.DeletePrefix(context.WithoutCancel(ctx), message.OriginalsPrefix+id+"/")
		}
	}()

	r.Body = http.MaxBytesReader(w, idleLimited(w, r.Body, s.cfg.IdleTimeout), s.cfg.MaxBytes+formOverhead)
	mr, err := r.MultipartReader()
	if err != nil {
		writeError(w, errorf(http.StatusBadRequest, "bad_multipart", "the multipart body could not be read: %v", err))
		return
	}
	var captions []byte
	consent := map[string]string{}
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			writeError(w, uploadReadError(err))
			return
		}
		switch name := part.FormName(); name {
		case "file":
			if stored {
				writeError(w, errorf(http.StatusBadRequest, "one_file_only", "send one file per message"))
				return
			}
			meta.Kind, meta.ContentType, meta.Size, aerr = s.storeOriginal(ctx, id, part)
			stored = aerr == nil
			meta.Filename = cleanFilename(part.FileName())
		case "captions":
			captions, aerr = readCaptions(part)
		case "campaign", "artist", "title", "consent":
			b, err := io.ReadAll(io.LimitReader(part, 4<<10))
			if err != nil {
				writeError(w, uploadReadError(err))
				return
			}
			aerr = s.describeUpload(&meta, name, string(b))
			consent[name] = string(b)
		case "consent_version", "consent_lang", "consent_sha256", "consent_agreed_at":
			b, err := io.ReadAll(io.LimitReader(part, 4<<10))
			if err != nil {
				writeError(w, uploadReadError(err))
				return
			}
			consent[name] = string(b)
		default:
			_, _ = io.Copy(io.Discard, io.LimitReader(part, formOverhead))
		}
		if aerr != nil {
			writeError(w, aerr)
			return
		}
		part.Close()
	}
	if !stored {
		writeError(w, errorf(http.StatusBadRequest, "no_file", "the form has no field called file"))
		return
	}
	if aerr = requireNames(&meta); aerr == nil {
		meta.Consent, aerr = s.consentOf(consent, meta.InviteID, meta.CreatedAt, true)
	}
	if aerr != nil {
		writeError(w, aerr)
		return
	}
	meta.MaxSeconds = s.inviteSeconds(ctx)
	if captions != nil {
		if aerr := captionsFor(meta.Kind); aerr != nil {
			writeError(w, aerr)
			return
		}
		if err := s.store.Put(ctx, message.CaptionsKey(id), bytes.NewReader(captions), int64(len(captions)), captionsType(captions)); err != nil {
			writeError(w, storageDown(s, err))
			return
		}
		meta.Captions = message.CaptionsKey(id)
	}
	if err := s.register(ctx, meta); err != nil {
		s.log.Error("recording message failed", "message_id", id, "err", err)
		writeError(w, errorf(http.StatusServiceUnavailable, "storage_unavailable", "the message could not be recorded; try again shortly"))
		return
	}
	accepted = true
	s.log.Info("message accepted", "message_id", id, "via", "multipart", "kind", meta.Kind, "bytes", meta.Size, "invite_id", meta.InviteID)
	w.Header().Set("Location", "/v1/messages/"+id)
	writeJSON(w, http.StatusAccepted, map[string]string{"id": id, "status": string(message.StatusQueued)})
}
