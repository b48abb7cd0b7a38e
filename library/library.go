// Package library is quinte's read side: the messages once stored, as the team and the artists see
// them. It owns the list index (GET /v1/messages, built from the bucket and following the change
// feed), a message's view with its links (API-served downloads, HLS playback, the social kit), why
// each output is what it is, the team's decisions on a stored message (review, revoke), the invites
// as the team manages them and as their holder reads them, and the pages for people (package web)
// mounted beside it. It never takes an upload in (package uploader) and never runs a job; what it
// writes is a decision's record (through message.States), a revocation's deletions, and the list
// index's own snapshot.
package library

import (
	"context"
	"io"
	"log/slog"
	"time"

	"github.com/quinte-media/quinte/invite"
	"github.com/quinte-media/quinte/message"
)

// Config tunes the read side (the configuration's upload section holds it: uploader.Config).
type Config struct {
	URLTTL time.Duration // lifetime of download and playback links
	// PublicURL is the address artists reach the API by (https://upload.example.org), for the page link
	// an invite answers with; empty: the scheme and host of each request.
	PublicURL string
}

// Store is the part of the bucket the read side needs: records, metas and manifests (JSON), the
// invites, the list index's listings and snapshot, the objects a kit or a playlist streams, signed
// links, and the deletions of a revocation.
type Store interface {
	message.JSONStore
	invite.Store
	Folders(ctx context.Context, prefix string) ([]string, error)
	ListFrom(ctx context.Context, prefix, startAfter string, max int) ([]string, error)
	Open(ctx context.Context, key string, n int64) (io.ReadCloser, error)
	Put(ctx context.Context, key string, body io.Reader, size int64, contentType string) error
	Delete(ctx context.Context, key string) error
	PresignGet(ctx context.Context, key, filename string, ttl time.Duration) (string, error)
}

// Queue is the part of the queue the read side needs: a revocation takes the message's task out
// (stopping it if it runs); Withdraw reports false if it still runs after wait.
type Queue interface {
	Withdraw(ctx context.Context, id string, wait time.Duration) (bool, error)
}

// Server is the read side: its routes (routes.go) answer what is stored.
type Server struct {
	cfg    Config
	log    *slog.Logger
	store  Store
	index  *Index // GET /v1/messages answers from it (index.go)
	states message.States
	// The links to what is stored: linkKey signs HLS playback links (hls.go) and API-served
	// downloads (files.go); with serveFiles, download links point at this API's files route
	// instead of presigned S3 URLs.
	linkKey    []byte
	serveFiles bool
	invites    *invite.Book
	queue      Queue  // a revocation withdraws the message's task
	events     Events // nil: no webhooks (events.go)
}

// New returns the read side; teamToken keys its signed links.
func New(cfg Config, teamToken string, store Store, queue Queue, log *slog.Logger) *Server {
	s := &Server{cfg: cfg, store: store, states: message.States{Store: store}, invites: &invite.Book{Store: store},
		queue: queue, log: log, linkKey: playbackKey(teamToken)}
	s.index = newIndex(store, log)
	s.states.OnChange = s.ShowChange
	return s
}
