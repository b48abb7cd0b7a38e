package web

import (
	"bytes"
	"embed"
	"encoding/json"
	"errors"
	"html/template"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"path"
	"strings"
	"time"
)

// The social team's gallery: /team (sign-in, then the grid), /team/m/{id} (a message), /team/invites.
// The pages hold no data of their own: each one asks the API's routes in-process, as the signed-in
// browser (its session cookie forwarded), so what a page shows and what `GET /v1/...` answers cannot
// drift apart, and review forms post straight to the API (`POST /v1/messages/{id}/review`).

//go:embed templates/team/*.html
var teamFS embed.FS

// TeamSessions is what the pages need of the API's sessions (httpapi.Auth has it).
type TeamSessions interface {
	SignIn(w http.ResponseWriter, r *http.Request, token, name, password string) error
	SignOut(w http.ResponseWriter, r *http.Request)
	Session(r *http.Request) (principal string, ok bool)
}

// Team serves the gallery's pages.
type Team struct {
	api      http.Handler
	sessions TeamSessions
	token    string // for the one call a session may not make itself: DELETE /v1/invites/{id}
	log      *slog.Logger
	cop      *http.CrossOriginProtection
	pages    map[string]*template.Template
	assets   *assetSet // the pages' shared, versioned assets (assets.go): team.css, team.js, hls.min.js
	text     catalogue
}

// NewTeam returns the gallery over the API's handler and sessions; token is the team token. It fails
// only if the embedded files are broken, which a test catches.
func NewTeam(api http.Handler, sessions TeamSessions, token string, log *slog.Logger) (*Team, error) {
	shared, err := New(Options{Log: log})
	if err != nil {
		return nil, err
	}
	text, err := loadTeamStrings()
	if err != nil {
		return nil, err
	}
	t := &Team{api: api, sessions: sessions, token: token, log: log, cop: http.NewCrossOriginProtection(),
		assets: shared.assets, text: text}
	t.pages = parseTeamPages(t.assets.URL)
	return t, nil
}

// TeamPrefix is the path under which Handler answers.
const TeamPrefix = "/team"

// Handler answers /team and everything under it.
func (t *Team) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /team", t.signedIn(t.grid))
	mux.HandleFunc("POST /team/signin", t.signIn)
	mux.HandleFunc("POST /team/signout", t.signOut)
	mux.HandleFunc("GET /team/m/{id}", t.signedIn(t.message))
	mux.HandleFunc("POST /team/m/{id}/revoke", t.signedIn(t.revoke))
	mux.HandleFunc("GET /team/invites", t.signedIn(t.invites))
	mux.HandleFunc("POST /team/invites", t.signedIn(t.createInvite))
	mux.HandleFunc("POST /team/invites/{id}/withdraw", t.signedIn(t.withdrawInvite))
	mux.HandleFunc("/team/", func(w http.ResponseWriter, r *http.Request) {
		t.render(w, r, http.StatusNotFound, "notfound", teamPage{})
	})
	return t.cop.Handler(mux)
}

// signedIn serves h to a browser with a valid session; any other gets the sign-in page and no data.
func (t *Team) signedIn(h func(w http.ResponseWriter, r *http.Request, who string)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		who, ok := t.sessions.Session(r)
		if !ok {
			status := http.StatusUnauthorized
			if r.URL.Path == TeamPrefix {
				status = http.StatusOK
			}
			next := ""
			if r.Method == http.MethodGet && r.URL.Path != TeamPrefix {
				next = r.URL.RequestURI()
			}
			t.render(w, r, status, "signin", teamPage{Next: next})
			return
		}
		h(w, r, who)
	}
}

func (t *Team) signIn(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	if err := r.ParseForm(); err != nil {
		t.render(w, r, http.StatusBadRequest, "signin", teamPage{Error: "signin_failed"})
		return
	}
	next := safeNext(r.PostFormValue("next"))
	err := t.sessions.SignIn(w, r, r.PostFormValue("token"), r.PostFormValue("name"), r.PostFormValue("password"))
	if err != nil {
		status, msg := http.StatusUnauthorized, "signin_failed"
		if !isSignInRefused(err) {
			t.log.Error("sign-in", "err", err)
			status, msg = http.StatusServiceUnavailable, "storage_down"
		}
		t.render(w, r, status, "signin", teamPage{Error: msg, Next: next})
		return
	}
	http.Redirect(w, r, next, http.StatusSeeOther)
}

// isSignInRefused tells a wrong credential (an error with Refused() true, as httpapi.ErrSignIn) from
// storage trouble.
func isSignInRefused(err error) bool {
	var r interface{ Refused() bool }
	return errors.As(err, &r) && r.Refused()
}

func (t *Team) signOut(w http.ResponseWriter, r *http.Request) {
	t.sessions.SignOut(w, r)
	http.Redirect(w, r, TeamPrefix, http.StatusSeeOther)
}

// safeNext keeps a post-sign-in destination on the gallery: a path under /team, never another host.
func safeNext(next string) string {
	u, err := url.Parse(next)
	if err != nil || next == "" || u.Scheme != "" || u.Host != "" || strings.HasPrefix(next, "//") ||
		(u.Path != TeamPrefix && !strings.HasPrefix(u.Path, TeamPrefix+"/")) || strings.Contains(u.Path, "..") {
		return TeamPrefix
	}
	return u.RequestURI()
}

// call asks the API in-process, as the browser: its session cookie and how it reached us (Host,
// X-Forwarded-Proto, TLS: links in the answer are built from them), none of its other headers (so
// the API's cross-origin check sees a same-origin request: the page's own POST passed t.cop).
func (t *Team) call(r *http.Request, method, target string, body any, bearer bool) (int, []byte) {
	var rd io.Reader = http.NoBody
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(r.Context(), method, target, rd)
	if err != nil {
		return http.StatusBadRequest, nil
	}
	req.Host, req.RemoteAddr, req.TLS = r.Host, r.RemoteAddr, r.TLS
	if p := r.Header.Get("X-Forwarded-Proto"); p != "" {
		req.Header.Set("X-Forwarded-Proto", p)
	}
	if bearer {
		req.Header.Set("Authorization", "Bearer "+t.token)
	} else {
		for _, c := range r.Cookies() {
			req.AddCookie(c)
		}
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	rec := &recorder{header: http.Header{}, status: http.StatusOK}
	t.api.ServeHTTP(rec, req)
	return rec.status, rec.body.Bytes()
}

// recorder keeps an in-process answer.
type recorder struct {
	header http.Header
	status int
	wrote  bool
	body   bytes.Buffer
}

func (w *recorder) Header() http.Header { return w.header }
func (w *recorder) WriteHeader(code int) {
	if !w.wrote {
		w.status, w.wrote = code, true
	}
}
func (w *recorder) Write(b []byte) (int, error) {
	w.wrote = true
	if w.body.Len() > 32<<20 {
		return 0, errors.New("answer too large for a page")
	}
	return w.body.Write(b)
}

// apiErrorText is the message of the API's JSON error, for a page to show.
func apiErrorText(b []byte) string {
	var e struct {
		Error struct{ Code, Message string } `json:"error"`
	}
	if json.Unmarshal(b, &e) == nil && e.Error.Message != "" {
		return e.Error.Message
	}
	return ""
}

// origins are the scheme://host of the media links a page shows, for its CSP (presigned S3 links
// live on another origin than the API).
func origins(links ...string) []string {
	seen := map[string]bool{}
	var out []string
	for _, l := range links {
		u, err := url.Parse(l)
		if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
			continue
		}
		o := u.Scheme + "://" + u.Host
		if !seen[o] {
			seen[o] = true
			out = append(out, o)
		}
	}
	return out
}

func (t *Team) render(w http.ResponseWriter, r *http.Request, status int, page string, d teamPage) {
	d.Lang = teamLang(w, r)
	d.T = t.text[d.Lang]
	d.Path = r.URL.Path
	d.Query = r.URL.RawQuery
	if d.Who == "" {
		d.Who, _ = t.sessions.Session(r)
	}
	d.Member = strings.TrimPrefix(d.Who, "member:")
	var buf bytes.Buffer
	if err := t.pages[page].ExecuteTemplate(&buf, "layout", d); err != nil {
		t.log.Error("team page", "page", page, "err", err)
		http.Error(w, "page error", http.StatusInternalServerError)
		return
	}
	// The pages' shared headers and CSP (secure.go), with the origins of this page's media links.
	secure(w, strings.Join(d.Origins, " "))
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Language", d.Lang)
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

func parseTeamPages(asset func(string) string) map[string]*template.Template {
	funcs := template.FuncMap{
		"asset":     asset,
		"withQuery": withQuery,
		"bytes":     humanBytes,
		"seconds":   humanSeconds,
		"date":      func(t time.Time) string { return t.Local().Format("2006-01-02 15:04") }, // the same in both languages
		"day":       func(t time.Time) string { return t.Local().Format("2006-01-02") },
		"base":      path.Base,
		"list":      func(s ...string) []string { return s },
	}
	pages := map[string]*template.Template{}
	for _, p := range []string{"signin", "grid", "message", "revoke", "invites", "notfound"} {
		pages[p] = template.Must(template.New(p).Funcs(funcs).ParseFS(teamFS,
			"templates/team/layout.html", "templates/team/"+p+".html"))
	}
	return pages
}

// teamPage is what every team template gets.
type teamPage struct {
	Lang, Path, Query string
	T                 map[string]string
	Who, Member       string // the principal; the member's name for "member:<name>"
	Title             string
	Error             string // a key of T, or API text (ErrorText)
	ErrorText         string
	Notice            string
	Next              string
	Origins           []string
	Scripts           []string // asset names, in order
	Grid              *gridData
	Message           *messageData
	Invites           *invitesData
}
