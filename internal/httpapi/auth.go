package uploader

import (
	"context"
	"crypto/subtle"
	"errors"
	"net/http"
	"strings"

	"github.com/quinte-media/quinte/invite"
)

// caller is who sent a request: the team, or an artist holding an invite.
type caller struct {
	invite    *invite.Invite // nil for the team
	principal string         // for the team: "team", or "member:<name>" (a member's session); see Principal
}

type callerKey struct{}

func callerFrom(ctx context.Context) caller {
	c, _ := ctx.Value(callerKey{}).(caller)
	return c
}

// authenticate lets through requests with the team token and, when inviteOK (the route is an
// invite's: see routes), requests with a valid invite token. It answers 401 to everything else, so
// nothing about the routes leaks to someone without a token.
func (s *Server) authenticate(next http.Handler, inviteOK bool) http.Handler {
	team := []byte(s.token)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tok, ok := bearer(r)
		switch {
		case ok && s.token != "" && subtle.ConstantTimeCompare([]byte(tok), team) == 1:
			next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), callerKey{}, caller{principal: "team"})))
		case ok && invite.IsToken(tok):
			inv, err := s.invites.Authenticate(r.Context(), tok)
			if err != nil {
				e := s.inviteRefused(err)
				if e.Status == http.StatusUnauthorized {
					w.Header().Set("WWW-Authenticate", `Bearer realm="quinte", error="invalid_token"`)
				}
				writeError(w, e)
				return
			}
			if !inviteOK {
				writeError(w, errorf(http.StatusForbidden, "forbidden", "an invite can only upload and read the status of its own messages"))
				return
			}
			next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), callerKey{}, caller{invite: inv})))
		case !ok && s.sessions != nil && s.sessionCaller(w, r, next):
			// a signed-in browser (session.go): served, or refused, by sessionCaller
		default:
			w.Header().Set("WWW-Authenticate", `Bearer realm="quinte"`)
			writeError(w, errorf(http.StatusUnauthorized, "unauthorized", "send Authorization: Bearer <team token or invite token>"))
		}
	})
}

// sessionCaller serves r as its session's principal when it carries a valid session cookie, and
// reports whether it did (or refused it: a cross-origin POST, a method a session may not use).
func (s *Server) sessionCaller(w http.ResponseWriter, r *http.Request, next http.Handler) bool {
	p, ok := s.sessions.check(r)
	if !ok {
		return false
	}
	if s.sessions.sessionAllowed(w, r) {
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), callerKey{}, caller{principal: p})))
	}
	return true
}

func bearer(r *http.Request) (string, bool) {
	scheme, tok, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || tok == "" {
		return "", false
	}
	return tok, true
}

// inviteRefused turns why an invite cannot be used into an answer the artist can act on.
func (s *Server) inviteRefused(err error) *apiError {
	switch {
	case errors.Is(err, invite.ErrUnknown):
		return errorf(http.StatusUnauthorized, "unauthorized", "%v", err)
	case errors.Is(err, invite.ErrExpired):
		return errorf(http.StatusUnauthorized, "invite_expired", "%v", err)
	case errors.Is(err, invite.ErrDisabled):
		return errorf(http.StatusUnauthorized, "invite_disabled", "%v", err)
	case errors.Is(err, invite.ErrUsedUp):
		return errorf(http.StatusForbidden, "invite_used_up", "%v", err)
	}
	return storageDown(s, err)
}
