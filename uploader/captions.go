package uploader

import (
	"bytes"
	"context"
	"errors"
	"io"
	"io/fs"
	"net/http"
	"time"

	"github.com/quinte-media/quinte/internal/httpapi"
	"github.com/quinte-media/quinte/message"
	"github.com/quinte-media/quinte/pipeline/brand"
)

// Captions are a .srt or .vtt the artist or the team supplies. They are checked here with the same
// parser the worker burns them in with, so a file that would fail the job is refused at once, and
// stored next to the original at message.CaptionsKey; the worker burns them into the social crops and
// publishes them as caption/vtt.

// readCaptions reads and checks a caption file. Its bytes are kept as sent: the worker converts them.
func readCaptions(r io.Reader) ([]byte, *apiError) {
	b, err := io.ReadAll(io.LimitReader(r, brand.MaxCaptionBytes+1))
	if err != nil {
		return nil, uploadReadError(err)
	}
	if len(b) > brand.MaxCaptionBytes {
		return nil, errorf(http.StatusRequestEntityTooLarge, "captions_too_large", "the caption file is larger than %d KiB: send captions for one message, not a whole film", brand.MaxCaptionBytes>>10)
	}
	if len(bytes.TrimSpace(b)) == 0 {
		return nil, errorf(http.StatusBadRequest, "bad_captions", "the caption file is empty")
	}
	if _, err := brand.ParseCaptions(b); err != nil {
		return nil, errorf(http.StatusBadRequest, "bad_captions", "%v: send a .srt or .vtt file in UTF-8", err)
	}
	return b, nil
}

// captionsType is the content type a caption file is stored with.
func captionsType(b []byte) string {
	if bytes.HasPrefix(bytes.TrimPrefix(b, []byte("\xef\xbb\xbf")), []byte("WEBVTT")) {
		return "text/vtt; charset=utf-8"
	}
	return "application/x-subrip; charset=utf-8"
}

// captionsFor refuses captions for a photo: there is no timeline to put them on.
func captionsFor(kind message.Kind) *apiError {
	if kind == message.KindImage {
		return errorf(http.StatusBadRequest, "captions_for_photo", "captions go with a video or a voice note; this message is a photo")
	}
	return nil
}

// putCaptions handles PUT /v1/messages/{id}/captions (the team, or the invite the message came with):
// the body is a .srt or .vtt; it replaces the message's captions and the message is processed again
// with them.
func (s *Server) putCaptions(w http.ResponseWriter, r *http.Request) {
	id, aerr := httpapi.OwnMessage(r)
	if aerr != nil {
		writeError(w, aerr)
		return
	}
	b, aerr := readCaptions(idleLimited(w, r.Body, s.cfg.IdleTimeout))
	if aerr != nil {
		writeError(w, aerr)
		return
	}
	s.reprocess(w, r, id, "captions added", func(meta *message.Meta) *apiError {
		return captionsFor(meta.Kind)
	}, func(ctx context.Context, meta *message.Meta) error {
		meta.Captions = message.CaptionsKey(id)
		return s.store.Put(ctx, message.CaptionsKey(id), bytes.NewReader(b), int64(len(b)), captionsType(b))
	})
}

// deleteCaptions handles DELETE /v1/messages/{id}/captions: the captions are removed and the message
// is processed again without them.
func (s *Server) deleteCaptions(w http.ResponseWriter, r *http.Request) {
	id, aerr := httpapi.OwnMessage(r)
	if aerr != nil {
		writeError(w, aerr)
		return
	}
	s.reprocess(w, r, id, "captions removed", func(meta *message.Meta) *apiError {
		if meta.Captions == "" {
			return errorf(http.StatusNotFound, "no_captions", "this message has no captions")
		}
		return nil
	}, func(ctx context.Context, meta *message.Meta) error {
		meta.Captions = ""
		if err := s.store.Delete(ctx, message.CaptionsKey(id)); err != nil {
			return err
		}
		// The published caption/vtt would stay in the bucket: the new run publishes none to replace it.
		return s.store.Delete(ctx, message.OutputKey(id, "caption/vtt", ".vtt"))
	})
}

// withdrawWait is how long a change waits for a running job of the message to stop.
const withdrawWait = 30 * time.Second

// reprocess changes a stored message and processes it again from its original. check refuses the
// change before anything moves; then the message's task is taken out of the queue (a running job is
// stopped first), apply stores the change and updates meta, the manifest is deleted (the worker
// treats a manifest as "done"), the status goes back to queued and the message is queued. The new run
// overwrites the outputs at the same keys.
func (s *Server) reprocess(w http.ResponseWriter, r *http.Request, id, why string, check func(*message.Meta) *apiError, apply func(context.Context, *message.Meta) error) {
	ctx := r.Context()
	var meta message.Meta
	err := s.store.GetJSON(ctx, message.MetaKey(id), &meta)
	var rec message.Record
	if err == nil {
		rec, err = s.states.Get(ctx, id)
	}
	switch {
	case errors.Is(err, fs.ErrNotExist):
		writeError(w, errorf(http.StatusNotFound, "not_found", "no message has this id"))
		return
	case err != nil:
		writeError(w, storageDown(s, err))
		return
	}
	if aerr := check(&meta); aerr != nil {
		writeError(w, aerr)
		return
	}
	out, err := s.queue.Withdraw(ctx, id, withdrawWait)
	if err != nil {
		s.log.Error("queue unreachable: cannot process again", "message_id", id, "err", err)
		writeError(w, errorf(http.StatusServiceUnavailable, "queue_unavailable", "quinte cannot take changes right now; try again shortly"))
		return
	}
	if !out {
		writeError(w, errorf(http.StatusConflict, "busy", "the message is being processed and did not stop in time; try again in a minute"))
		return
	}
	// The message has no task now. If storage fails midway, give it back its task: a ready one whose
	// manifest still stands finishes at once, a queued one runs (a failed one stays failed, as it was).
	ctx = context.WithoutCancel(ctx)
	fail := func(err error) {
		if rec.Status != message.StatusFailed {
			s.enqueue(ctx, meta)
		}
		writeError(w, storageDown(s, err))
	}
	if err := apply(ctx, &meta); err != nil {
		fail(err)
		return
	}
	if err := s.store.PutJSON(ctx, message.MetaKey(id), meta); err != nil {
		fail(err)
		return
	}
	if err := s.store.Delete(ctx, message.ManifestKey(id)); err != nil {
		fail(err)
		return
	}
	if _, err := s.states.Update(ctx, id, func(rec *message.Record) {
		rec.Requeue()
	}); err != nil {
		// Without a manifest and not failed, the reconciler queues it anyway.
		fail(err)
		return
	}
	s.enqueue(ctx, meta)
	s.log.Info("message queued again", "message_id", id, "why", why, "captions", meta.Captions != "")
	w.Header().Set("Location", "/v1/messages/"+id)
	writeJSON(w, http.StatusAccepted, map[string]any{"id": id, "status": message.StatusQueued, "captions": meta.Captions != ""})
}
