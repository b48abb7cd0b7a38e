package httpapi

import (
	"context"
	"crypto/subtle"
	"errors"
	"log/slog"
	"net/http"
	"strings"

	"github.com/quinte-media/quinte/invite"
	"github.com/quinte-media/quinte/message"
	"github.com/quinte-media/quinte/team"
)

// Auth tells who sent a request: the team token, an invite token (invite.Book), or a gallery
// session (session.go). Both HTTP packages mount their routes behind it (Handler).
type Auth struct {
	token    string
	invites  *invite.Book
	sessions *sessions
	log      *slog.Logger
}

// AuthStore is the part of the bucket authentication reads: the invites and the team's roster.
type AuthStore interface {
	invite.Store
	team.Store
}

// NewAuth authenticates with teamToken ("" refuses every team request), the invites and the
// members in store.
func NewAuth(teamToken string, store AuthStore, log *slog.Logger) *Auth {
	return &Auth{token: teamToken, invites: &invite.Book{Store: store}, sessions: newSessions(teamToken, store), log: log}
}

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

// CallerInvite is the invite an authenticated request came with; nil for the team.
func CallerInvite(ctx context.Context) *invite.Invite { return callerFrom(ctx).invite }

// OwnMessage returns the id of the message a request names (tus clients may name their upload id), if
// the caller may see and change it: the team every message, an invite only those uploaded with it.
func OwnMessage(r *http.Request) (string, *Error) {
	id := message.IDFromUploadID(r.PathValue("id"))
	if inv := CallerInvite(r.Context()); !message.ValidID(id) || (inv != nil && !inv.Owns(id)) {
		return "", Errorf(http.StatusNotFound, "not_found", "no message has this id")
	}
	return id, nil
}

// Authenticate lets through requests with the team token and, when inviteOK (the route is an
// invite's: see routes), requests with a valid invite token. It answers 401 to everything else, so
// nothing about the routes leaks to someone without a token.
func (s *Auth) Authenticate(next http.Handler, inviteOK bool) http.Handler {
	team := []byte(s.token)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tok, ok := Bearer(r)
		switch {
		case ok && s.token != "" && subtle.ConstantTimeCompare([]byte(tok), team) == 1:
			next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), callerKey{}, caller{principal: "team"})))
		case ok && invite.IsToken(tok):
			inv, err := s.invites.Authenticate(r.Context(), tok)
			if err != nil {
				e := InviteRefused(s.log, err)
				if e.Status == http.StatusUnauthorized {
					w.Header().Set("WWW-Authenticate", `Bearer realm="quinte", error="invalid_token"`)
				}
				WriteError(w, e)
				return
			}
			if !inviteOK {
				WriteError(w, Errorf(http.StatusForbidden, "forbidden", "an invite can only upload and read the status of its own messages"))
				return
			}
			next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), callerKey{}, caller{invite: inv})))
		case !ok && s.sessions != nil && s.sessionCaller(w, r, next):
			// a signed-in browser (session.go): served, or refused, by sessionCaller
		default:
			w.Header().Set("WWW-Authenticate", `Bearer realm="quinte"`)
			WriteError(w, Errorf(http.StatusUnauthorized, "unauthorized", "send Authorization: Bearer <team token or invite token>"))
		}
	})
}

// sessionCaller serves r as its session's principal when it carries a valid session cookie, and
// reports whether it did (or refused it: a cross-origin POST, a method a session may not use).
func (s *Auth) sessionCaller(w http.ResponseWriter, r *http.Request, next http.Handler) bool {
	p, ok := s.sessions.check(r)
	if !ok {
		return false
	}
	if s.sessions.sessionAllowed(w, r) {
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), callerKey{}, caller{principal: p})))
	}
	return true
}

// Bearer is the request's Bearer token, if it sends one.
func Bearer(r *http.Request) (string, bool) {
	scheme, tok, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || tok == "" {
		return "", false
	}
	return tok, true
}

// InviteRefused turns why an invite cannot be used into an answer the artist can act on; anything
// else is storage trouble, logged on log.
func InviteRefused(log *slog.Logger, err error) *Error {
	switch {
	case errors.Is(err, invite.ErrUnknown):
		return Errorf(http.StatusUnauthorized, "unauthorized", "%v", err)
	case errors.Is(err, invite.ErrExpired):
		return Errorf(http.StatusUnauthorized, "invite_expired", "%v", err)
	case errors.Is(err, invite.ErrDisabled):
		return Errorf(http.StatusUnauthorized, "invite_disabled", "%v", err)
	case errors.Is(err, invite.ErrUsedUp):
		return Errorf(http.StatusForbidden, "invite_used_up", "%v", err)
	}
	return StorageDown(log, err)
}
