package library

import (
	"encoding/json"
	"errors"
	"io/fs"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/quinte-media/quinte/internal/httpapi"
	"github.com/quinte-media/quinte/message"
)

// reviewRequest is POST /v1/messages/{id}/review's body, as JSON or as form fields of the same names.
type reviewRequest struct {
	State    message.ReviewState `json:"state"`
	Reason   string              `json:"reason"`
	Redirect string              `json:"redirect"` // a browser form's page to go back to: a path under /team
}

// reviewMessage handles POST /v1/messages/{id}/review: the team approves a message, rejects it (with a
// reason) or puts it back to pending. The decision is the record's review, and is added to its
// review_history; the processing status and the files stay as they are. A browser form that names
// the page it came from (redirect, a path under /team) is sent back there (303); anyone else gets
// the review as JSON.
func (s *Server) reviewMessage(w http.ResponseWriter, r *http.Request) {
	id, aerr := httpapi.OwnMessage(r)
	if aerr != nil {
		httpapi.WriteError(w, aerr)
		return
	}
	req, aerr := readReview(w, r)
	if aerr != nil {
		httpapi.WriteError(w, aerr)
		return
	}
	ctx := r.Context()
	if old, err := s.states.Get(ctx, id); errors.Is(err, fs.ErrNotExist) {
		httpapi.WriteError(w, httpapi.Errorf(http.StatusNotFound, "not_found", "no message has this id"))
		return
	} else if err != nil {
		httpapi.WriteError(w, httpapi.StorageDown(s.log, err))
		return
	} else if old.Status == message.StatusRevoked {
		httpapi.WriteError(w, httpapi.Errorf(http.StatusConflict, "revoked", "the artist's consent was withdrawn and the message deleted: there is nothing to review"))
		return
	}
	rev := message.Review{State: req.State, Reason: req.Reason, By: httpapi.Principal(r), At: time.Now().UTC()}
	rec, err := s.states.Update(ctx, id, func(rec *message.Record) {
		rec.Review = &rev
		rec.ReviewHistory = append(rec.ReviewHistory, rev)
	})
	if err != nil {
		httpapi.WriteError(w, httpapi.StorageDown(s.log, err))
		return
	}
	s.log.Info("message reviewed", "message_id", id, "review", rev.State, "by", rev.By)
	if ev := reviewEvent(rev.State); ev != "" {
		s.emit(ctx, ev, id)
	}
	if req.Redirect != "" {
		http.Redirect(w, r, req.Redirect, http.StatusSeeOther)
		return
	}
	httpapi.WriteJSON(w, http.StatusOK, map[string]any{"id": id, "review": rec.Review, "review_history": rec.ReviewHistory})
}

// readReview reads and checks a review from JSON or a form.
func readReview(w http.ResponseWriter, r *http.Request) (reviewRequest, *httpapi.Error) {
	var req reviewRequest
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	switch ct {
	case "application/json":
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
			return req, httpapi.Errorf(http.StatusBadRequest, "bad_json", "the body must be JSON: {\"state\": \"approved\"|\"rejected\"|\"pending\", \"reason\": \"…\"}")
		}
	case "application/x-www-form-urlencoded", "multipart/form-data":
		if err := r.ParseMultipartForm(16 << 10); err != nil && !errors.Is(err, http.ErrNotMultipart) {
			return req, httpapi.Errorf(http.StatusBadRequest, "bad_form", "the form could not be read (at most 16 KiB)")
		}
		req = reviewRequest{State: message.ReviewState(r.PostForm.Get("state")), Reason: r.PostForm.Get("reason"), Redirect: r.PostForm.Get("redirect")}
	default:
		return req, httpapi.Errorf(http.StatusUnsupportedMediaType, "unsupported_content_type", "send JSON (application/json) or a form (application/x-www-form-urlencoded)")
	}
	if !slices.Contains(message.ReviewStates, req.State) {
		return req, httpapi.Errorf(http.StatusBadRequest, "bad_state", "state must be one of approved, rejected, pending")
	}
	req.Reason = strings.TrimSpace(message.CleanText(req.Reason))
	if n := utf8.RuneCountInString(req.Reason); n > message.MaxReviewReason {
		return req, httpapi.Errorf(http.StatusBadRequest, "text_too_long", "reason is %d characters long; the limit is %d", n, message.MaxReviewReason)
	}
	if req.State == message.ReviewRejected && req.Reason == "" {
		return req, httpapi.Errorf(http.StatusBadRequest, "reason_required", "say why the message is rejected (reason); the artist's team will read it")
	}
	if req.Redirect != "" && !teamPath(req.Redirect) {
		return req, httpapi.Errorf(http.StatusBadRequest, "bad_redirect", "redirect must be a path of the team's pages, starting with /team")
	}
	return req, nil
}

// teamPath reports whether p is a path of this site's team pages (/team, /team/…, /team?…): never
// another site (//host, a scheme), never a path that leaves /team once cleaned.
func teamPath(p string) bool {
	if len(p) > 2048 || strings.ContainsAny(p, "\\\x00\r\n\t") {
		return false
	}
	u, err := url.Parse(p)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || u.Opaque != "" {
		return false
	}
	if u.Path != "/team" && !strings.HasPrefix(u.Path, "/team/") {
		return false
	}
	for _, seg := range strings.Split(u.Path, "/") {
		if seg == "." || seg == ".." {
			return false
		}
	}
	return !strings.Contains(u.RawPath, "%2f") && !strings.Contains(strings.ToLower(p), "%2e")
}
