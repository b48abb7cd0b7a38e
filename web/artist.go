package web

import (
	"bytes"
	"embed"
	"errors"
	"html/template"
	"net/http"
	"strconv"

	"github.com/quinte-media/quinte/invite"
)

//go:embed templates/*.html
var templateFiles embed.FS

var templates = template.Must(template.New("").Funcs(template.FuncMap{
	// Replaced per page (see render); here so the templates parse.
	"t":     func(string, ...string) string { return "" },
	"asset": func(string) string { return "" },
}).ParseFS(templateFiles, "templates/*.html"))

// closedKind says why an invite link cannot be used; each has a page of its own.
type closedKind string

const (
	closedUnknown     closedKind = "unknown" // unknown and malformed tokens alike: they must look the same
	closedExpired     closedKind = "expired"
	closedWithdrawn   closedKind = "withdrawn"
	closedUsedUp      closedKind = "used_up"
	closedUnavailable closedKind = "unavailable" // storage is down: try again shortly
)

// closedStatus is the HTTP status of each closed page.
var closedStatus = map[closedKind]int{
	closedUnknown: http.StatusNotFound, closedExpired: http.StatusGone, closedWithdrawn: http.StatusGone,
	closedUsedUp: http.StatusOK, closedUnavailable: http.StatusServiceUnavailable,
}

// pageData is what the templates read.
type pageData struct {
	Lang       string
	Page       string     // artist, or closed
	Kind       closedKind // why the link cannot be used; on the artist's page, only used_up
	MaxSeconds int
	Remaining  int
}

// Artist handles GET /a/{token}: the page that records or picks a message and sends it, for an invite
// that can be used; else a page saying why not. The token is checked here with the invite book, so a
// dead link never opens an app that would only fail; the page's script sends it as a Bearer token to
// the API. It is never logged: the access log (if any) sits in front of this, and this logs nothing.
func (p *Pages) Artist(w http.ResponseWriter, r *http.Request) {
	tok := r.PathValue("token")
	var inv *invite.Invite
	var err error
	if invite.IsToken(tok) && len(tok) < 200 {
		inv, err = p.opt.Invites.Authenticate(r.Context(), tok)
	} else {
		err = invite.ErrUnknown
	}
	data := pageData{Lang: pickLanguage(r), Page: "artist"}
	switch {
	case errors.Is(err, invite.ErrUnknown):
		data.Page, data.Kind = "closed", closedUnknown
	case errors.Is(err, invite.ErrExpired):
		data.Page, data.Kind = "closed", closedExpired
	case errors.Is(err, invite.ErrDisabled):
		data.Page, data.Kind = "closed", closedWithdrawn
	case err != nil:
		p.opt.Log.Error("artist page: invite lookup failed", "err", err) // the error names the invite id, never the token
		data.Page, data.Kind = "closed", closedUnavailable
	case inv.Remaining() == 0:
		// A page of its own, but the artist's: it lists the messages (to withdraw one) and finishes an
		// upload this device had under way (it took the last slot when it started).
		data.Kind = closedUsedUp
	default:
		data.Remaining = inv.Remaining()
	}
	status := http.StatusOK
	if data.Page == "closed" {
		status = closedStatus[data.Kind]
	}
	if status == http.StatusServiceUnavailable {
		w.Header().Set("Retry-After", "60")
	}
	p.render(w, status, data)
}

// render writes the page named by data.Page in data.Lang.
func (p *Pages) render(w http.ResponseWriter, status int, data pageData) {
	t, err := templates.Clone()
	if err == nil {
		t = t.Funcs(template.FuncMap{
			"t":     func(key string, args ...string) string { return p.text.T(data.Lang, key, args...) },
			"asset": p.assets.URL,
		})
		var buf bytes.Buffer
		if err = t.ExecuteTemplate(&buf, data.Page+".html", data); err == nil {
			secure(w, p.opt.MediaOrigin())
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			w.Header().Set("Content-Language", data.Lang)
			w.Header().Set("Cache-Control", "no-store")
			w.Header().Set("Content-Length", strconv.Itoa(buf.Len()))
			w.WriteHeader(status)
			_, _ = w.Write(buf.Bytes())
			return
		}
	}
	p.opt.Log.Error("artist page: template", "err", err)
	http.Error(w, "the page could not be built", http.StatusInternalServerError)
}
