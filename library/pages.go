package library

import (
	"context"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/quinte-media/quinte/internal/httpapi"
	"github.com/quinte-media/quinte/web"
)

// pageRoutes are the pages for people (package web), public: the artist's page checks its invite token
// itself and answers a page, never an API error.
func (s *Server) pageRoutes() []httpapi.Route {
	pages, err := web.New(web.Options{Invites: s.invites, MediaOrigin: s.mediaOrigin(), Log: s.log})
	if err != nil {
		panic(err) // the embedded pages are broken: a test of the build catches it
	}
	return []httpapi.Route{
		{Pattern: "GET /a/{token}", Handler: http.HandlerFunc(pages.Artist), Access: httpapi.AccessPublic},
		{Pattern: "GET " + web.AssetsPrefix + "{file...}", Handler: http.HandlerFunc(pages.Assets), Access: httpapi.AccessPublic},
	}
}

// mediaOrigin is where the links to a message's outputs point, for the pages' CSP: nothing beyond this
// server when it serves the files itself, else the origin of a presigned S3 link, learned once from a
// link signed for nothing (signing is local: no request is made).
func (s *Server) mediaOrigin() func() string {
	var once sync.Once
	var origin string
	return func() string {
		once.Do(func() {
			if s.serveFiles {
				return
			}
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			link, err := s.store.PresignGet(ctx, "origin-probe", "", time.Minute)
			if err != nil {
				s.log.Warn("pages: no origin for media links", "err", err)
				return
			}
			if u, err := url.Parse(link); err == nil && u.Scheme != "" && u.Host != "" {
				origin = u.Scheme + "://" + u.Host
			}
		})
		return origin
	}
}
