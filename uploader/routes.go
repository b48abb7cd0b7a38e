package uploader

import (
	"net/http"
	"slices"
	"strings"
)

// access is who may call a route.
type access int

const (
	accessTeam   access = iota // the team token only (every route added later, unless it says otherwise)
	accessInvite               // the team token, or an invite token (its own messages only)
	accessPublic               // anyone: health checks, and downloads whose signature is the credential
	accessSigned               // a signed playback link, or the team token
)

// route is one entry of the API's route table.
type route struct {
	pattern string // "METHOD /path" as http.ServeMux reads it; no method: every method (tus)
	handler http.Handler
	access  access
}

// tusPattern is the tus route; tusMethods the methods tus answers there.
const tusPattern = "/v1/uploads/"

var tusMethods = []string{"POST", "HEAD", "PATCH", "DELETE"}

// routes is the API's route table: the mux, authentication, CORS and the tests all read it, so a
// route is declared once. Invites reach uploading (multipart and tus), the status and the captions of
// their own messages, and their own invite (the prompts to show); everything else is the team's.
func (s *Server) routes() []route {
	f := func(pattern string, h http.HandlerFunc, a access) route { return route{pattern, h, a} }
	rs := []route{
		f("GET /healthz", s.healthz, accessPublic),
		f("GET /readyz", s.readyz, accessPublic),
		f("GET "+filesPrefix+"{key...}", s.serveFile, accessPublic),
		f("POST /v1/messages", s.createMessage, accessInvite),
		f("GET /v1/messages", s.listMessages, accessTeam),
		f("GET /v1/messages/{id}", s.getMessage, accessInvite),
		f("PUT /v1/messages/{id}/captions", s.putCaptions, accessInvite),
		f("DELETE /v1/messages/{id}/captions", s.deleteCaptions, accessInvite),
		f("GET /v1/messages/{id}/hls/{file...}", s.teamHLS, accessSigned),
		f("POST /v1/messages/{id}/review", s.reviewMessage, accessTeam),
		f("GET /v1/messages/{id}/kit", s.messageKit, accessTeam),
		f("POST /v1/invites", s.createInvite, accessTeam),
		f("GET /v1/invites", s.listInvites, accessTeam),
		f("GET /v1/invites/{id}", s.getInvite, accessTeam),
		f("DELETE /v1/invites/{id}", s.disableInvite, accessTeam),
		f("GET /v1/invite", s.ownInvite, accessInvite),
		f("GET /v1/release", s.getRelease, accessInvite),
		f("POST /v1/messages/{id}/revoke", s.revokeMessage, accessInvite),
		f("GET /v1/openapi.json", s.openapi, accessPublic),
	}
	rs = append(rs, s.pageRoutes()...)
	if s.tus != nil {
		rs = append(rs, route{tusPattern, http.StripPrefix(tusPattern, s.tusGuard(s.tus)), accessInvite})
	}
	return rs
}

// Routes lists the route table's patterns, for tests that walk every route.
func (s *Server) Routes() []string {
	var ps []string
	for _, rt := range s.routes() {
		ps = append(ps, rt.pattern)
	}
	return ps
}

// routeMethods is every method the route table answers, OPTIONS included, for CORS.
func routeMethods(rs []route) string {
	ms := []string{"OPTIONS"}
	for _, rt := range rs {
		m, _, ok := strings.Cut(rt.pattern, " ")
		switch {
		case !ok:
			ms = append(ms, tusMethods...)
		case m == "GET":
			ms = append(ms, "GET", "HEAD") // the mux answers HEAD on every GET route
		default:
			ms = append(ms, m)
		}
	}
	slices.Sort(ms)
	return strings.Join(slices.Compact(ms), ", ")
}

// unmatched answers what no route takes in the API's JSON error shape: 401 without a valid token (so
// nothing about the routes leaks), 403 to an invite, else the mux's own 404, or 405 with its Allow.
func (s *Server) unmatched(mux *http.ServeMux) http.Handler {
	known := s.authenticate(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mux.ServeHTTP(&muxError{ResponseWriter: w}, r)
	}), false) // an invite reaches only its routes: anything else is 403 for it, as before
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, pattern := mux.Handler(r); pattern != "" {
			mux.ServeHTTP(w, r)
			return
		}
		known.ServeHTTP(w, r)
	})
}

// muxError turns the mux's text/plain 404 and 405 into the API's JSON error, keeping its headers
// (Allow); anything else (a redirect to a cleaned path) passes through.
type muxError struct {
	http.ResponseWriter
	replaced bool
}

func (w *muxError) WriteHeader(code int) {
	var e *apiError
	switch code {
	case http.StatusNotFound:
		e = errorf(code, "not_found", "no route here: see the README for the API's routes")
	case http.StatusMethodNotAllowed:
		e = errorf(code, "method_not_allowed", "this route answers %s", w.Header().Get("Allow"))
	default:
		w.ResponseWriter.WriteHeader(code)
		return
	}
	w.replaced = true
	w.Header().Del("Content-Length")
	writeError(w.ResponseWriter, e)
}

func (w *muxError) Write(b []byte) (int, error) {
	if w.replaced {
		return len(b), nil
	}
	return w.ResponseWriter.Write(b)
}
