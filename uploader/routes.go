package uploader

import (
	"net/http"

	"github.com/quinte-media/quinte/internal/httpapi"
)

// tusPattern is the tus route; tusMethods the methods tus answers there.
const tusPattern = "/v1/uploads/"

var tusMethods = []string{"POST", "HEAD", "PATCH", "DELETE"}

// Routes is intake's route table: httpapi.Handler mounts it beside the read side's (library), and
// CORS and the tests read it, so a route is declared once. Invites reach uploading (multipart and
// tus), the captions of their own messages and the release text they agree to; everything else is
// the team's.
func (s *Server) Routes() []httpapi.Route {
	f := func(pattern string, h http.HandlerFunc, a httpapi.Access) httpapi.Route {
		return httpapi.Route{Pattern: pattern, Handler: h, Access: a}
	}
	rs := []httpapi.Route{
		f("POST /v1/messages", s.createMessage, httpapi.AccessInvite),
		f("PUT /v1/messages/{id}/captions", s.putCaptions, httpapi.AccessInvite),
		f("DELETE /v1/messages/{id}/captions", s.deleteCaptions, httpapi.AccessInvite),
		f("GET /v1/release", s.getRelease, httpapi.AccessInvite),
		f("GET /v1/openapi.json", s.openapi, httpapi.AccessPublic),
	}
	if s.tus != nil {
		rs = append(rs, httpapi.Route{Pattern: tusPattern, Handler: http.StripPrefix(tusPattern, s.tusGuard(s.tus)),
			Access: httpapi.AccessInvite, Methods: tusMethods})
	}
	return rs
}
