package library

import (
	"context"
	"errors"
	"io/fs"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/quinte-media/quinte/internal/httpapi"
	"github.com/quinte-media/quinte/invite"
	"github.com/quinte-media/quinte/message"
)

// What the holder of an invite sees: its own invite (GET /v1/invite) with the messages uploaded with
// it, and of each message only its poster and its 9:16 crop, by links that live artistLinkTTL. The
// page at /a/{token} is built on these.

// artistLinkTTL is the lifetime of the links an invite gets to its own messages' poster and crop.
const artistLinkTTL = 10 * time.Minute

// pagePath is where the artist's page for an invite token lives.
const pagePath = "/a/"

// maxSeconds checks an invite's longest recording: 1 to 600 seconds, 120 when not given.
func maxSeconds(n *int) (int, *httpapi.Error) {
	if n == nil {
		return invite.DefaultMaxSeconds, nil
	}
	if *n < 1 || *n > invite.MaxMaxSeconds {
		return 0, httpapi.Errorf(http.StatusBadRequest, "invalid_max_seconds", "max_seconds must be between 1 and %d (the longest recording, in seconds)", invite.MaxMaxSeconds)
	}
	return *n, nil
}

// pageURL is the full link of the artist's page for token: QUINTE_PUBLIC_URL, or the scheme and host
// the request reached the API by.
func (s *Server) pageURL(r *http.Request, token string) string {
	base := strings.TrimRight(s.cfg.PublicURL, "/")
	if base == "" {
		base = httpapi.RequestBase(r)
	}
	return base + pagePath + token
}

// ownInvite is GET /v1/invite's answer: the invite as its holder may know it, with its messages.
type ownInvite struct {
	inviteView
	Status   string          `json:"status"` // active, expired, used_up or withdrawn
	Messages []artistMessage `json:"messages"`
}

// artistMessage is one message of an invite, as the artist's page shows it.
type artistMessage struct {
	ID        string            `json:"id"`
	Status    message.Status    `json:"status"`
	Kind      message.Kind      `json:"kind"`
	Artist    string            `json:"artist,omitempty"`
	Title     string            `json:"title,omitempty"`
	CreatedAt time.Time         `json:"created_at"`
	Progress  *message.Progress `json:"progress,omitempty"`
	Error     *message.Error    `json:"error,omitempty"`
	PosterURL string            `json:"poster_url,omitempty"`
	CropURL   string            `json:"crop_url,omitempty"`
}

// ownInviteView adds to v what only the token's holder gets: the page's link (the token is in the
// request) and every message uploaded with the invite, newest first. An upload still under way (no
// record yet) is not listed.
func (s *Server) ownInviteView(r *http.Request, inv *invite.Invite, v inviteView) ownInvite {
	out := ownInvite{inviteView: v, Status: v.Status, Messages: []artistMessage{}}
	if out.Status == "disabled" {
		out.Status = "withdrawn"
	}
	if tok, ok := httpapi.Bearer(r); ok {
		out.URL = s.pageURL(r, tok)
	}
	ids := slices.Clone(inv.Uploads)
	slices.Sort(ids)
	slices.Reverse(ids) // ids sort by creation time
	got := make([]*artistMessage, len(ids))
	var wg sync.WaitGroup
	sem := make(chan struct{}, 8)
	base := httpapi.RequestBase(r)
	for i, id := range ids {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			got[i] = s.artistMessage(r.Context(), base, id)
		}()
	}
	wg.Wait()
	for _, m := range got {
		if m != nil {
			out.Messages = append(out.Messages, *m)
		}
	}
	return out
}

// artistMessage reads one message for its artist; nil when it has no record (yet) or storage fails
// (the page asks again).
func (s *Server) artistMessage(ctx context.Context, base, id string) *artistMessage {
	rec, err := s.states.Get(ctx, id)
	if err != nil {
		return nil
	}
	m := &artistMessage{ID: id, Status: rec.Status, Kind: rec.Kind, CreatedAt: rec.CreatedAt, Error: rec.Error}
	var meta message.Meta
	if rec.Status != message.StatusRevoked && s.store.GetJSON(ctx, message.MetaKey(id), &meta) == nil {
		m.Artist, m.Title = meta.Artist, meta.Title
	}
	switch rec.Status {
	case message.StatusProcessing:
		m.Progress = s.progress(ctx, id, rec)
		// The poster is published before the rest: the page shows it while the crops are made.
		if o, ok := s.earlyPoster(ctx, base, rec.Early); ok {
			m.PosterURL = o.URL
		}
	case message.StatusReady:
		outs, err := s.artistOutputs(ctx, base, id)
		if errors.Is(err, fs.ErrNotExist) {
			m.Status = message.StatusQueued // processed again: no manifest until it is done
		}
		for _, o := range outs {
			if o.Role == message.RolePoster || o.Role == message.RoleImage {
				m.PosterURL = o.URL
			} else {
				m.CropURL = o.URL
			}
		}
	}
	return m
}

// posterNames and cropNames are, best first, the outputs that stand for a message's poster (a video's
// best frame, a photo's web picture) and its 9:16 crop (a video's or a photo's, a voice note's
// audiogram).
var (
	posterNames = []string{"poster/webp", "poster", "image/web/webp", "image/web"}
	cropNames   = []string{"crop/9x16", "audiogram/9x16"}
)

// earlyPoster is the poster among early (what a processing message's job published before the rest),
// with a link that lives artistLinkTTL (false: none yet, or no link could be made; the page asks again).
func (s *Server) earlyPoster(ctx context.Context, base string, early []message.Output) (message.Output, bool) {
	o, ok := bestOutput(early, posterNames)
	if !ok {
		return o, false
	}
	url, err := s.downloadLink(ctx, base, o.Key, "", artistLinkTTL)
	if err != nil {
		return o, false
	}
	o.Key, o.URL, o.Filename = "", url, ""
	return o, true
}

// bestOutput is the first of names (best first) among outs.
func bestOutput(outs []message.Output, names []string) (message.Output, bool) {
	for _, name := range names {
		if i := slices.IndexFunc(outs, func(o message.Output) bool { return o.Name == name }); i >= 0 {
			return outs[i], true
		}
	}
	return message.Output{}, false
}

// artistOutputs are the only outputs of a ready message an invite sees: its poster and its 9:16 crop,
// each with a link that lives artistLinkTTL. A message without a manifest gives fs.ErrNotExist.
func (s *Server) artistOutputs(ctx context.Context, base, id string) ([]message.Output, error) {
	var man message.Manifest
	if err := s.store.GetJSON(ctx, message.ManifestKey(id), &man); err != nil {
		return nil, err
	}
	out := []message.Output{}
	for _, names := range [][]string{posterNames, cropNames} {
		for _, name := range names {
			i := slices.IndexFunc(man.Outputs, func(o message.Output) bool { return o.Name == name })
			if i < 0 {
				continue
			}
			o := man.Outputs[i]
			url, err := s.downloadLink(ctx, base, o.Key, "", artistLinkTTL)
			if err != nil {
				return nil, err
			}
			o.Key, o.URL, o.Parts = "", url, nil
			out = append(out, o)
			break
		}
	}
	return out, nil
}
