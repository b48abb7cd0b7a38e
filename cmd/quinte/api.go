package main

import (
	"net/http"

	"github.com/quinte-media/quinte/internal/httpapi"
	"github.com/quinte-media/quinte/library"
	"github.com/quinte-media/quinte/uploader"
)

// API is the HTTP API of the process: intake (uploader) and the read side (library) behind one
// authentication, mounted as one handler from their route tables and the health checks.
type API struct {
	Intake  *uploader.Server
	Library *library.Server
	Auth    *httpapi.Auth // the team token, invite tokens, gallery sessions: the pages sign in through it
	Handler http.Handler  // every route, with its access, CORS and the JSON 401/404/405
	routes  []httpapi.Route
}

// Routes lists the patterns of every route the API answers, for tests that walk them.
func (a *API) Routes() []string { return httpapi.Patterns(a.routes) }

// newAPI wires intake and the read side to the store, the queue and the webhooks.
func (m *Main) newAPI() (*API, error) {
	cfg := m.Config
	intake := uploader.New(cfg.Upload, m.Store, m.Queue, m.Log)
	if err := intake.EnableTus(m.Store.Client(), m.Store.Bucket()); err != nil {
		return nil, err
	}
	intake.KnowCampaigns(m.Campaigns)
	lib := library.New(library.Config{URLTTL: cfg.Upload.URLTTL, PublicURL: cfg.Upload.PublicURL}, cfg.TeamToken, m.Store, m.Queue, m.Log)
	intake.OnChange(lib.ShowChange) // a new message, or one queued again, is in this process's list at once
	if m.Hooks != nil {
		lib.TellEvents(m.Hooks)
	}
	if m.S3Server != nil {
		// The embedded S3 listens on a loopback port of its own: links go through the API instead.
		lib.ServeFiles()
	}
	api := &API{Intake: intake, Library: lib, Auth: httpapi.NewAuth(cfg.TeamToken, m.Store, m.Log)}
	api.routes = append(httpapi.HealthRoutes(m.Queue, m.Store), intake.Routes()...)
	api.routes = append(api.routes, lib.Routes()...)
	api.Handler = httpapi.Handler(api.Auth, cfg.Upload.CORSOrigins, api.routes)
	return api, nil
}
