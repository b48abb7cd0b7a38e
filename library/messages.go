package library

import (
	"context"
	"errors"
	"io/fs"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/quinte-media/quinte/internal/httpapi"
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
	// The team's review (review.go): the state (pending until someone decides), the last decision and
	// every decision in order. Not shown to invites.
	Review        *message.Review  `json:"review,omitempty"`
	ReviewHistory []message.Review `json:"review_history,omitempty"`
	// Consent is what the artist agreed to ({"recorded": false} when nothing was); Revoked, once the
	// consent is withdrawn, who withdrew it, when, and what was deleted.
	Consent *message.Consent    `json:"consent,omitempty"`
	Revoked *message.Revocation `json:"revoked,omitempty"`

	early []message.Output // while processing, what the job published before the rest, with its keys
}

// getMessage handles GET /v1/messages/{id}. Tus clients may pass their upload id. An invite sees only
// the messages uploaded with it, and only their status: the outputs are the team's to download.
func (s *Server) getMessage(w http.ResponseWriter, r *http.Request) {
	id, aerr := httpapi.OwnMessage(r)
	if aerr != nil {
		httpapi.WriteError(w, aerr)
		return
	}
	v, aerr := s.view(r.Context(), id, httpapi.RequestBase(r))
	if aerr != nil {
		httpapi.WriteError(w, aerr)
		return
	}
	if httpapi.CallerInvite(r.Context()) != nil {
		v.Outputs, v.InviteID = []message.Output{}, ""
		if v.Status == message.StatusProcessing {
			// The poster the job published before the rest, by the same short link as once ready.
			if o, ok := s.earlyPoster(r.Context(), httpapi.RequestBase(r), v.early); ok {
				v.Outputs = append(v.Outputs, o)
			}
		}
		if v.Status == message.StatusReady {
			// Only the poster and the 9:16 crop, by short links: the rest is the team's to download.
			outs, err := s.artistOutputs(r.Context(), httpapi.RequestBase(r), id)
			if err != nil && !errors.Is(err, fs.ErrNotExist) {
				httpapi.WriteError(w, httpapi.StorageDown(s.log, err))
				return
			}
			v.Outputs = append(v.Outputs, outs...)
		}
		v.Review, v.ReviewHistory = nil, nil
	}
	httpapi.WriteJSON(w, http.StatusOK, v)
}

// listMessages handles GET /v1/messages from the list index (index.go): newest first, `limit`
// (default 20, at most 100) per page, `before` (an id: the previous page's next_before, given only when
// more messages follow) for the next page, and filters: `status`, `review`, `kind`, `campaign`, and `q`
// (words found in the artist or the title, ignoring case and accents). A value it cannot use is a 400
// naming what it takes. The items are the messages' summaries; their outputs are in GET
// /v1/messages/{id}.
func (s *Server) listMessages(w http.ResponseWriter, r *http.Request) {
	lq, aerr := parseListQuery(r.URL.Query())
	if aerr != nil {
		httpapi.WriteError(w, aerr)
		return
	}
	s.index.Start(context.WithoutCancel(r.Context())) // started by StartIndex in a deployment; here for tests
	ctx, cancel := context.WithTimeout(r.Context(), 10*time.Second)
	defer cancel()
	if err := s.index.Wait(ctx); err != nil {
		httpapi.WriteError(w, httpapi.Errorf(http.StatusServiceUnavailable, "index_building", "the list is being built from storage; try again shortly"))
		return
	}
	entries, more := s.index.Query(lq)
	base := httpapi.RequestBase(r)
	items := make([]listItem, 0, len(entries))
	for _, e := range entries {
		it := listItem{ID: e.ID, Kind: e.Kind, Status: e.Status, Error: e.Error, Review: e.Review, Artist: e.Artist,
			Title: e.Title, InviteID: e.InviteID, Campaign: e.Campaign, Captions: e.Captions, Duration: e.Duration, CreatedAt: e.CreatedAt, UpdatedAt: e.UpdatedAt}
		if e.Poster != "" {
			url, err := s.downloadURL(r.Context(), base, e.Poster, "")
			if err != nil {
				httpapi.WriteError(w, httpapi.StorageDown(s.log, err))
				return
			}
			it.PosterURL = url
		}
		items = append(items, it)
	}
	resp := map[string]any{"messages": items}
	if more {
		resp["next_before"] = items[len(items)-1].ID
	}
	httpapi.WriteJSON(w, http.StatusOK, resp)
}

// listItem is one message of GET /v1/messages.
type listItem struct {
	ID        string         `json:"id"`
	Kind      message.Kind   `json:"kind"`
	Status    message.Status `json:"status"`
	Error     *message.Error `json:"error"`
	Review    message.Review `json:"review"` // the last decision: state (pending until someone decides), reason, by, at
	Artist    string         `json:"artist,omitempty"`
	Title     string         `json:"title,omitempty"`
	InviteID  string         `json:"invite_id,omitempty"`
	Campaign  string         `json:"campaign,omitempty"`
	Captions  bool           `json:"captions"`
	PosterURL string         `json:"poster_url,omitempty"` // once published (a video's early, while processing): the grid's picture (the 640 WebP poster)
	Duration  float64        `json:"duration,omitempty"`   // once ready: seconds (a photo has none)
	CreatedAt time.Time      `json:"created_at"`
	UpdatedAt time.Time      `json:"updated_at"`
}

// parseListQuery reads GET /v1/messages's parameters, or says which one it cannot use.
func parseListQuery(v url.Values) (listQuery, *httpapi.Error) {
	q := listQuery{Limit: 20, Before: v.Get("before"), Status: message.Status(v.Get("status")),
		Review: message.ReviewState(v.Get("review")), Kind: message.Kind(v.Get("kind")), Campaign: v.Get("campaign")}
	if l := v.Get("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 || n > 100 {
			return q, httpapi.Errorf(http.StatusBadRequest, "bad_limit", "limit must be between 1 and 100")
		}
		q.Limit = n
	}
	switch {
	case q.Before != "" && !message.ValidID(q.Before):
		return q, httpapi.Errorf(http.StatusBadRequest, "bad_before", "before must be a message id (the next_before of the previous page)")
	case q.Status != "" && !slices.Contains(listStatuses, q.Status):
		return q, httpapi.Errorf(http.StatusBadRequest, "bad_status", "status must be one of %s", joinStatuses(listStatuses))
	case q.Review != "" && !slices.Contains(message.ReviewStates, q.Review):
		return q, httpapi.Errorf(http.StatusBadRequest, "bad_review", "review must be one of pending, approved, rejected")
	case q.Kind != "" && !slices.Contains(listKinds, q.Kind):
		return q, httpapi.Errorf(http.StatusBadRequest, "bad_kind", "kind must be one of video, image, audio")
	case q.Campaign != "" && !message.ValidCampaign(q.Campaign):
		return q, httpapi.Errorf(http.StatusBadRequest, "bad_campaign", "campaign must be a campaign name (lower-case letters, digits and dashes)")
	}
	text := v.Get("q")
	if utf8.RuneCountInString(text) > 200 {
		return q, httpapi.Errorf(http.StatusBadRequest, "bad_q", "q is at most 200 characters")
	}
	q.Q = fold(strings.TrimSpace(message.CleanText(text)))
	return q, nil
}

// listKinds are the kinds GET /v1/messages?kind= takes.
var listKinds = []message.Kind{message.KindVideo, message.KindImage, message.KindAudio}

// view reads a message's record (and, once ready, its manifest) and signs a link to each output: a
// download link (downloadURL), or for HLS a signed link to this API (base) that players can follow.
func (s *Server) view(ctx context.Context, id, base string) (*messageView, *httpapi.Error) {
	rec, err := s.states.Get(ctx, id)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, httpapi.Errorf(http.StatusNotFound, "not_found", "no message has this id")
	}
	if err != nil {
		return nil, httpapi.StorageDown(s.log, err)
	}
	v := &messageView{ID: id, Kind: rec.Kind, Status: rec.Status, Error: rec.Error, Warnings: rec.Warnings, Note: rec.Note,
		CreatedAt: rec.CreatedAt, UpdatedAt: rec.UpdatedAt, Outputs: []message.Output{},
		ReviewHistory: rec.ReviewHistory}
	rev := rec.LastReview()
	v.Review = &rev
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
		// What the job published before the rest (the poster), until the manifest lists everything.
		v.early = rec.Early
		names := fileBase(id, v.Artist, v.Title)
		for _, o := range rec.Early {
			o.Filename = outputFileName(names, o)
			url, err := s.downloadURL(ctx, base, o.Key, o.Filename)
			if err != nil {
				return nil, httpapi.StorageDown(s.log, err)
			}
			o.Key, o.URL = "", url
			v.Outputs = append(v.Outputs, o)
		}
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
		return nil, httpapi.StorageDown(s.log, err)
	}
	whys, names := explain(man), fileBase(id, v.Artist, v.Title)
	for _, o := range man.Outputs {
		o.Filename = outputFileName(names, o)
		o.Why = whys[o.Name]
		url, err := s.downloadURL(ctx, base, o.Key, o.Filename)
		if err != nil {
			return nil, httpapi.StorageDown(s.log, err)
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
