package library

import (
	"net/http"

	"github.com/quinte-media/quinte/internal/httpapi"
)

// Routes is the read side's route table: httpapi.Handler mounts it beside intake's (uploader), and
// CORS and the tests read it, so a route is declared once. Invites reach the status of their own
// messages, their revocation and their own invite (the prompts to show); the pages for people are
// public (the artist's page checks its token itself); everything else is the team's.
func (s *Server) Routes() []httpapi.Route {
	f := func(pattern string, h http.HandlerFunc, a httpapi.Access) httpapi.Route {
		return httpapi.Route{Pattern: pattern, Handler: h, Access: a}
	}
	rs := []httpapi.Route{
		f("GET "+filesPrefix+"{key...}", s.serveFile, httpapi.AccessPublic),
		f("GET /v1/messages", s.listMessages, httpapi.AccessTeam),
		f("GET /v1/messages/{id}", s.getMessage, httpapi.AccessInvite),
		{Pattern: "GET /v1/messages/{id}/hls/{file...}", Handler: http.HandlerFunc(s.teamHLS), Access: httpapi.AccessSigned, Link: s.signedHLS},
		f("POST /v1/messages/{id}/review", s.reviewMessage, httpapi.AccessTeam),
		f("GET /v1/messages/{id}/kit", s.messageKit, httpapi.AccessTeam),
		f("POST /v1/invites", s.createInvite, httpapi.AccessTeam),
		f("GET /v1/invites", s.listInvites, httpapi.AccessTeam),
		f("GET /v1/invites/{id}", s.getInvite, httpapi.AccessTeam),
		f("DELETE /v1/invites/{id}", s.disableInvite, httpapi.AccessTeam),
		f("GET /v1/invite", s.ownInvite, httpapi.AccessInvite),
		f("POST /v1/messages/{id}/revoke", s.revokeMessage, httpapi.AccessInvite),
	}
	return append(rs, s.pageRoutes()...)
}
