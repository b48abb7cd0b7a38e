package uploader

import (
	"context"
	"errors"
	"io/fs"
	"net/http"
	"path"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/quinte-media/quinte/message"
)

// messageView is a message as the API shows it.
type messageView struct {
	ID        string            `json:"id"`
	Kind      message.Kind      `json:"kind"`
	Status    message.Status    `json:"status"`
	Error     *message.Error    `json:"error"`
	Warnings  []string          `json:"warnings,omitempty"`
	Note      string            `json:"note,omitempty"` // why it is back in the queue, when it is (a worker stopped)
	Artist    string            `json:"artist,omitempty"`
	Title     string            `json:"title,omitempty"`
	InviteID  string            `json:"invite_id,omitempty"`
	Campaign  string            `json:"campaign,omitempty"`
	Captions  bool              `json:"captions"`           // a .srt/.vtt was supplied (PUT /v1/messages/{id}/captions); false, never left out
	Progress  *message.Progress `json:"progress,omitempty"` // while processing: the job's step and its percent
	CreatedAt time.Time         `json:"created_at"`
	UpdatedAt time.Time         `json:"updated_at"`
	Outputs   []message.Output  `json:"outputs"`
	// Consent is what the artist agreed to ({"recorded": false} when nothing was); Revoked, once the
	// consent is withdrawn, who withdrew it, when, and what was deleted.
	Consent *message.Consent    `json:"consent,omitempty"`
	Revoked *message.Revocation `json:"revoked,omitempty"`
}

// getMessage handles GET /v1/messages/{id}. Tus clients may pass their upload id. An invite sees only
// the messages uploaded with it, and only their status: the outputs are the team's to download.
func (s *Server) getMessage(w http.ResponseWriter, r *http.Request) {
	id, aerr := s.ownMessage(r)
	if aerr != nil {
		writeError(w, aerr)
		return
	}
	v, aerr := s.view(r.Context(), id, requestBase(r))
	if aerr != nil {
		writeError(w, aerr)
		return
	}
	if callerFrom(r.Context()).invite != nil {
		v.Outputs, v.InviteID = []message.Output{}, ""
		if v.Status == message.StatusReady {
			// Only the poster and the 9:16 crop, by short links: the rest is the team's to download.
			outs, err := s.artistOutputs(r.Context(), requestBase(r), id)
			if err != nil && !errors.Is(err, fs.ErrNotExist) {
				writeError(w, storageDown(s, err))
				return
			}
			v.Outputs = append(v.Outputs, outs...)
		}
	}
	writeJSON(w, http.StatusOK, v)
}

// listMessages handles GET /v1/messages: newest first, `limit` (default 20, at most 100) per page,
// `before` (an id: the previous page's next_before, given only when more messages follow) for the next
// page, `status` to keep only one status. A value it cannot use is a 400 naming what it takes.
func (s *Server) listMessages(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	limit := 20
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 100 {
			writeError(w, errorf(http.StatusBadRequest, "bad_limit", "limit must be between 1 and 100"))
			return
		}
		limit = n
	}
	before, status := q.Get("before"), message.Status(q.Get("status"))
	if before != "" && !message.ValidID(before) {
		writeError(w, errorf(http.StatusBadRequest, "bad_before", "before must be a message id (the next_before of the previous page)"))
		return
	}
	if status != "" && !slices.Contains(listStatuses, status) {
		writeError(w, errorf(http.StatusBadRequest, "bad_status", "status must be one of %s", joinStatuses(listStatuses)))
		return
	}
	ids, err := s.store.Folders(r.Context(), message.MessagesPrefix)
	if err != nil {
		writeError(w, storageDown(s, err))
		return
	}
	slices.Reverse(ids) // ids sort by creation time
	var page []string
	for _, id := range ids {
		if message.ValidID(id) && (before == "" || id < before) {
			page = append(page, id)
		}
	}

	// Read the records a page at a time, a few at once, until the page is full and one more is known
	// (only then is there a next page).
	base := requestBase(r)
	views := []*messageView{}
	for len(page) > 0 && len(views) <= limit {
		batch := page[:min(len(page), limit+1)]
		page = page[len(batch):]
		got := make([]*messageView, len(batch))
		var wg sync.WaitGroup
		sem := make(chan struct{}, 8)
		for i, id := range batch {
			wg.Add(1)
			go func() {
				defer wg.Done()
				sem <- struct{}{}
				defer func() { <-sem }()
				if v, aerr := s.view(r.Context(), id, base); aerr == nil {
					got[i] = v
				}
			}()
		}
		wg.Wait()
		for _, v := range got {
			if v != nil && (status == "" || v.Status == status) && len(views) <= limit {
				views = append(views, v)
			}
		}
	}
	resp := map[string]any{"messages": views}
	if len(views) > limit {
		views = views[:limit]
		resp["messages"], resp["next_before"] = views, views[len(views)-1].ID
	}
	writeJSON(w, http.StatusOK, resp)
}

// view reads a message's record (and, once ready, its manifest) and signs a link to each output: a
// download link (downloadURL), or for HLS a signed link to this API (base) that players can follow.
func (s *Server) view(ctx context.Context, id, base string) (*messageView, *apiError) {
	rec, err := s.states.Get(ctx, id)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, errorf(http.StatusNotFound, "not_found", "no message has this id")
	}
	if err != nil {
		return nil, storageDown(s, err)
	}
	v := &messageView{ID: id, Kind: rec.Kind, Status: rec.Status, Error: rec.Error, Warnings: rec.Warnings, Note: rec.Note,
		CreatedAt: rec.CreatedAt, UpdatedAt: rec.UpdatedAt, Outputs: []message.Output{}}
	var meta message.Meta
	if err := s.store.GetJSON(ctx, message.MetaKey(id), &meta); err == nil {
		v.Artist, v.Title, v.InviteID = meta.Artist, meta.Title, meta.InviteID
		v.Campaign, v.Captions = meta.Campaign, meta.Captions != ""
		v.Consent = meta.Consent
	}
	if v.Revoked = rec.Revoked; v.Consent == nil && rec.Status != message.StatusRevoked {
		v.Consent = message.NotRecorded()
	}
	if rec.Status == message.StatusProcessing {
		v.Progress = s.progress(ctx, id, rec)
	}
	if rec.Status != message.StatusReady {
		return v, nil
	}
	var man message.Manifest
	if err := s.store.GetJSON(ctx, message.ManifestKey(id), &man); errors.Is(err, fs.ErrNotExist) {
		// Being processed again (PUT …/captions deletes the manifest first): say so until it is done.
		v.Status = message.StatusQueued
		return v, nil
	} else if err != nil {
		return nil, storageDown(s, err)
	}
	for _, o := range man.Outputs {
		url, err := s.downloadURL(ctx, base, o.Key, downloadName(id, o))
		if err != nil {
			return nil, storageDown(s, err)
		}
		if o.Role == message.RoleHLS && len(s.linkKey) > 0 {
			url = s.playbackURL(base, id, o)
		}
		o.Key, o.URL = "", url
		v.Outputs = append(v.Outputs, o)
	}
	return v, nil
}

// progress is how far the job of a processing message is, when its worker has said so since the record
// last changed (an older figure is a previous attempt's).
func (s *Server) progress(ctx context.Context, id string, rec message.Record) *message.Progress {
	var p message.Progress
	if err := s.store.GetJSON(ctx, message.ProgressKey(id), &p); err != nil || p.UpdatedAt.Before(rec.UpdatedAt) {
		return nil
	}
	return &p
}

// downloadName is the file name a browser saves an output as, e.g. quinte-<id>-crop-9x16.mp4.
func downloadName(id string, o message.Output) string {
	return "quinte-" + id + "-" + strings.ReplaceAll(o.Name, "/", "-") + path.Ext(o.Key)
}

func storageDown(s *Server, err error) *apiError {
	s.log.Error("storage error", "err", err)
	return errorf(http.StatusServiceUnavailable, "storage_unavailable", "storage is not answering; try again shortly")
}

// listStatuses are the statuses GET /v1/messages?status= takes.
var listStatuses = []message.Status{message.StatusQueued, message.StatusProcessing, message.StatusReady, message.StatusFailed, message.StatusRevoked}

func joinStatuses(ss []message.Status) string {
	var b strings.Builder
	for i, st := range ss {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(string(st))
	}
	return b.String()
}
