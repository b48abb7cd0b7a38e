package httpapi

import (
	"net/http"
	"slices"
	"strings"
)

// Access is who may call a route.
type Access int

const (
	AccessTeam   Access = iota // the team token only (every route added later, unless it says otherwise)
	AccessInvite               // the team token, or an invite token (its own messages only)
	AccessPublic               // anyone: health checks, and downloads whose signature is the credential
	AccessSigned               // a signed link (the route's Link checks it), or the team token
)

// Route is one entry of the API's route table. Each HTTP package declares its own (its routes.go);
// Handler mounts them all.
type Route struct {
	Pattern string // "METHOD /path" as http.ServeMux reads it; no method: every method of Methods (tus)
	Handler http.Handler
	Access  Access
	// Methods, for a pattern without a method, are the methods answered there (for CORS).
	Methods []string
	// Link, for AccessSigned, serves a request carrying a signed link itself (players cannot send a
	// Bearer header) and reports true; a request without one goes through authentication.
	Link func(w http.ResponseWriter, r *http.Request) bool
}

// Handler routes every request by the route table: each route with its access, and everything else
// the API's JSON error (401 without a token, then 404, or 405 with Allow). corsOrigins are the
// browser origins allowed to call the API.
func Handler(auth *Auth, corsOrigins []string, routes []Route) http.Handler {
	mux := http.NewServeMux()
	for _, rt := range routes {
		var h http.Handler = rt.Handler
		switch rt.Access {
		case AccessTeam, AccessInvite:
			h = auth.Authenticate(h, rt.Access == AccessInvite)
		case AccessSigned:
			h = signed(rt.Link, auth.Authenticate(h, false))
		}
		mux.Handle(rt.Pattern, h)
	}
	return cors(corsOrigins, routes, unmatched(auth, mux))
}

// signed serves a request by its link when link takes it, else through authenticated.
func signed(link func(http.ResponseWriter, *http.Request) bool, authenticated http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if link == nil || !link(w, r) {
			authenticated.ServeHTTP(w, r)
		}
	})
}

// Patterns lists the route table's patterns, for tests that walk every route.
func Patterns(routes []Route) []string {
	var ps []string
	for _, rt := range routes {
		ps = append(ps, rt.Pattern)
	}
	return ps
}

// routeMethods is every method the route table answers, OPTIONS included, for CORS.
func routeMethods(rs []Route) string {
	ms := []string{"OPTIONS"}
	for _, rt := range rs {
		m, _, ok := strings.Cut(rt.Pattern, " ")
		switch {
		case !ok:
			ms = append(ms, rt.Methods...)
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
func unmatched(auth *Auth, mux *http.ServeMux) http.Handler {
	known := auth.Authenticate(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
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
	var e *Error
	switch code {
	case http.StatusNotFound:
		e = Errorf(code, "not_found", "no route here: see the README for the API's routes")
	case http.StatusMethodNotAllowed:
		e = Errorf(code, "method_not_allowed", "this route answers %s", w.Header().Get("Allow"))
	default:
		w.ResponseWriter.WriteHeader(code)
		return
	}
	w.replaced = true
	w.Header().Del("Content-Length")
	WriteError(w.ResponseWriter, e)
}

func (w *muxError) Write(b []byte) (int, error) {
	if w.replaced {
		return len(b), nil
	}
	return w.ResponseWriter.Write(b)
}
