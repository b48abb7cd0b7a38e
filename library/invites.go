package library

import (
	"encoding/json"
	"errors"
	"io/fs"
	"net/http"
	"time"

	"github.com/quinte-media/quinte/internal/httpapi"
	"github.com/quinte-media/quinte/invite"
)

// Invite limits: long enough for a tour, small enough that a leaked link does little.
const (
	defaultInviteTTL     = 7 * 24 * time.Hour
	maxInviteTTL         = 90 * 24 * time.Hour
	defaultInviteUploads = 5
	maxInviteUploads     = 1000
	maxPrompts           = 20
)

// inviteRequest is POST /v1/invites's body.
type inviteRequest struct {
	Label      string    `json:"label"`
	Prompts    []string  `json:"prompts"`
	MaxUploads *int      `json:"max_uploads"`
	ExpiresIn  string    `json:"expires_in"` // a Go duration such as "72h"
	ExpiresAt  time.Time `json:"expires_at"`
	MaxSeconds *int      `json:"max_seconds"` // the longest recording, 1..600 (default 120)
}

// inviteView is an invite as the team sees it: never the token (shown once, at creation) nor its hash.
type inviteView struct {
	ID         string     `json:"id"`
	Token      string     `json:"token,omitempty"`
	Status     string     `json:"status"` // active, expired, disabled or used_up
	Label      string     `json:"label,omitempty"`
	Prompts    []string   `json:"prompts"`
	MaxUploads int        `json:"max_uploads"`
	Remaining  int        `json:"remaining"`
	Messages   []string   `json:"messages"`
	CreatedAt  time.Time  `json:"created_at"`
	ExpiresAt  time.Time  `json:"expires_at"`
	DisabledAt *time.Time `json:"disabled_at,omitempty"`
	MaxSeconds int        `json:"max_seconds"`   // the longest recording, in seconds
	URL        string     `json:"url,omitempty"` // the artist's page, <base>/a/<token>: only where the token is known
}

func viewInvite(inv *invite.Invite, now time.Time) inviteView {
	status := "active"
	switch err := inv.Usable(now); {
	case errors.Is(err, invite.ErrDisabled):
		status = "disabled"
	case errors.Is(err, invite.ErrExpired):
		status = "expired"
	case inv.Remaining() == 0:
		status = "used_up"
	}
	prompts := inv.Prompts
	if prompts == nil {
		prompts = []string{}
	}
	return inviteView{ID: inv.ID, Status: status, Label: inv.Label, Prompts: prompts, MaxUploads: inv.MaxUploads,
		Remaining: inv.Remaining(), Messages: inv.Uploads, CreatedAt: inv.CreatedAt, ExpiresAt: inv.ExpiresAt,
		DisabledAt: inv.DisabledAt, MaxSeconds: inv.Seconds()}
}

// createInvite handles POST /v1/invites (team only).
func (s *Server) createInvite(w http.ResponseWriter, r *http.Request) {
	var req inviteRequest
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 64<<10))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		httpapi.WriteError(w, httpapi.Errorf(http.StatusBadRequest, "bad_invite", "send JSON such as {\"label\": \"Ada\", \"max_uploads\": 3, \"expires_in\": \"72h\", \"prompts\": [\"…\"]}: %v", err))
		return
	}
	spec, aerr := req.spec(time.Now())
	if aerr != nil {
		httpapi.WriteError(w, aerr)
		return
	}
	inv, tok, err := s.invites.Create(r.Context(), spec)
	if err != nil {
		httpapi.WriteError(w, httpapi.StorageDown(s.log, err))
		return
	}
	s.log.Info("invite created", "invite_id", inv.ID, "max_uploads", inv.MaxUploads, "expires_at", inv.ExpiresAt)
	v := viewInvite(inv, time.Now())
	v.Token, v.URL = tok, s.pageURL(r, tok)
	w.Header().Set("Location", "/v1/invites/"+inv.ID)
	httpapi.WriteJSON(w, http.StatusCreated, v)
}

func (req inviteRequest) spec(now time.Time) (spec invite.Spec, aerr *httpapi.Error) {
	spec = invite.Spec{Label: httpapi.CleanText(req.Label, 200), MaxUploads: defaultInviteUploads, TTL: defaultInviteTTL}
	if req.MaxUploads != nil {
		spec.MaxUploads = *req.MaxUploads
	}
	if spec.MaxUploads < 1 || spec.MaxUploads > maxInviteUploads {
		return spec, httpapi.Errorf(http.StatusBadRequest, "bad_invite", "max_uploads must be between 1 and %d", maxInviteUploads)
	}
	switch {
	case req.ExpiresIn != "" && !req.ExpiresAt.IsZero():
		return spec, httpapi.Errorf(http.StatusBadRequest, "bad_invite", "give expires_in or expires_at, not both")
	case req.ExpiresIn != "":
		d, err := time.ParseDuration(req.ExpiresIn)
		if err != nil {
			return spec, httpapi.Errorf(http.StatusBadRequest, "bad_invite", "expires_in %q is not a duration such as 72h", req.ExpiresIn)
		}
		spec.TTL = d
	case !req.ExpiresAt.IsZero():
		spec.TTL = req.ExpiresAt.Sub(now)
	}
	if spec.TTL < time.Minute || spec.TTL > maxInviteTTL {
		return spec, httpapi.Errorf(http.StatusBadRequest, "bad_invite", "an invite must expire between one minute and %d days from now", int(maxInviteTTL.Hours()/24))
	}
	if spec.MaxSeconds, aerr = maxSeconds(req.MaxSeconds); aerr != nil {
		return spec, aerr
	}
	if len(req.Prompts) > maxPrompts {
		return spec, httpapi.Errorf(http.StatusBadRequest, "bad_invite", "at most %d prompts", maxPrompts)
	}
	for _, p := range req.Prompts {
		if p = httpapi.CleanText(p, 1000); p != "" {
			spec.Prompts = append(spec.Prompts, p)
		}
	}
	return spec, nil
}

// listInvites handles GET /v1/invites (team only), newest first.
func (s *Server) listInvites(w http.ResponseWriter, r *http.Request) {
	list, err := s.invites.List(r.Context())
	if err != nil {
		httpapi.WriteError(w, httpapi.StorageDown(s.log, err))
		return
	}
	now := time.Now()
	views := make([]inviteView, 0, len(list))
	for _, inv := range list {
		views = append(views, viewInvite(inv, now))
	}
	httpapi.WriteJSON(w, http.StatusOK, map[string]any{"invites": views})
}

// getInvite handles GET /v1/invites/{id} (team only).
func (s *Server) getInvite(w http.ResponseWriter, r *http.Request) {
	inv, err := s.invites.Get(r.Context(), r.PathValue("id"))
	if err != nil {
		httpapi.WriteError(w, inviteLookup(s, err))
		return
	}
	httpapi.WriteJSON(w, http.StatusOK, viewInvite(inv, time.Now()))
}

// disableInvite handles DELETE /v1/invites/{id} (team only): the token stops working at once; what was
// already uploaded with it stays.
func (s *Server) disableInvite(w http.ResponseWriter, r *http.Request) {
	inv, err := s.invites.Disable(r.Context(), r.PathValue("id"))
	if err != nil {
		httpapi.WriteError(w, inviteLookup(s, err))
		return
	}
	s.log.Info("invite disabled", "invite_id", inv.ID)
	httpapi.WriteJSON(w, http.StatusOK, viewInvite(inv, time.Now()))
}

// inviteLookup is the answer when the invite a route names could not be read: it does not exist (404),
// or storage is down.
func inviteLookup(s *Server, err error) *httpapi.Error {
	if errors.Is(err, fs.ErrNotExist) {
		return httpapi.Errorf(http.StatusNotFound, "not_found", "no invite has this id")
	}
	return httpapi.StorageDown(s.log, err)
}

// ownInvite handles GET /v1/invite: what the holder of an invite token may know about it (the prompts
// to show, how many uploads are left, until when). The team has no invite of its own.
func (s *Server) ownInvite(w http.ResponseWriter, r *http.Request) {
	inv := httpapi.CallerInvite(r.Context())
	if inv == nil {
		httpapi.WriteError(w, httpapi.Errorf(http.StatusNotFound, "not_an_invite", "this route answers invite tokens; the team uses /v1/invites"))
		return
	}
	v := viewInvite(inv, time.Now())
	v.Label = "" // the team's note, not the artist's business
	httpapi.WriteJSON(w, http.StatusOK, s.ownInviteView(r, inv, v))
}
