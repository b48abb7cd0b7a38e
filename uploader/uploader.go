// Package uploader is quinte's intake: originals come in by plain multipart and resumable tus, are
// sniffed, take an invite's slot, carry the artist's consent, and captions come in for a stored
// message. An upload is streamed to S3, recorded, and handed to the queue; nothing here decodes media,
// waits for processing or reads a message back (that is package library; the shared HTTP pieces,
// auth and the error shape, are internal/httpapi).
package uploader

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/quinte-media/quinte/internal/httpapi"
	"github.com/quinte-media/quinte/invite"
	"github.com/quinte-media/quinte/message"
	"github.com/quinte-media/quinte/release"
)

// Config tunes the HTTP API: it is the configuration's upload section. Intake reads MaxBytes,
// IdleTimeout and TusExpireAfter; URLTTL and PublicURL are the read side's (library.Config) and
// CORSOrigins the mount's (httpapi.Handler), kept here so that the file and its variables stay as they
// are, and checked here with the rest.
type Config struct {
	MaxBytes    int64         `yaml:"max_bytes"`    // largest original accepted
	URLTTL      time.Duration `yaml:"url_ttl"`      // lifetime of presigned download links
	CORSOrigins []string      `yaml:"cors_origins"` // browser origins allowed to call the API; none by default
	IdleTimeout time.Duration `yaml:"idle_timeout"` // an upload that sends nothing for this long is cut off
	// A resumable upload still unfinished this long after its creation is removed, and its invite
	// slot given back (0: kept until finished or cancelled).
	TusExpireAfter time.Duration `yaml:"tus_expire_after"`
	// PublicURL is the address artists reach the API by (https://upload.example.org), for the page link
	// an invite answers with; empty: the scheme and host of each request.
	PublicURL string `yaml:"public_url"`
}

// Validate checks the settings.
func (c Config) Validate() error {
	var errs []error
	if c.MaxBytes <= 0 {
		errs = append(errs, errors.New("QUINTE_UPLOAD_MAX_BYTES must be positive"))
	}
	if c.URLTTL < time.Minute || c.URLTTL > 7*24*time.Hour {
		errs = append(errs, errors.New("QUINTE_URL_TTL must be between 1m and 168h (the S3 limit)"))
	}
	if c.IdleTimeout < time.Second {
		errs = append(errs, errors.New("QUINTE_UPLOAD_IDLE_TIMEOUT must be at least 1s"))
	}
	if c.TusExpireAfter < 0 || (c.TusExpireAfter > 0 && c.TusExpireAfter < 2*c.IdleTimeout) {
		errs = append(errs, errors.New("QUINTE_TUS_EXPIRE_AFTER must be 0 (never) or at least twice QUINTE_UPLOAD_IDLE_TIMEOUT"))
	}
	if c.PublicURL != "" && !httpapi.ValidOrigin(strings.TrimRight(c.PublicURL, "/")) {
		errs = append(errs, fmt.Errorf("QUINTE_PUBLIC_URL: %q is not an address such as https://upload.example.org (scheme, host and port only; no path)", c.PublicURL))
	}
	for _, o := range c.CORSOrigins {
		if !httpapi.ValidOrigin(o) {
			errs = append(errs, fmt.Errorf("QUINTE_CORS_ORIGINS: %q is not an origin such as https://artists.example.org (scheme, host and port only; no * and no path)", o))
		}
	}
	return errors.Join(errs...)
}

// Store is the part of the bucket intake needs: the records and metas it writes, the invites whose
// slots it takes, and the originals it streams, sniffs, copies out of tus and removes when refused.
type Store interface {
	message.JSONStore
	invite.Store
	Put(ctx context.Context, key string, body io.Reader, size int64, contentType string) error
	Open(ctx context.Context, key string, n int64) (io.ReadCloser, error)
	Tail(ctx context.Context, key string, n int64) ([]byte, error)
	Exists(ctx context.Context, key string) (bool, error)
	Modified(ctx context.Context, key string) (time.Time, error)
	Copy(ctx context.Context, src, dst, contentType string) error
	Delete(ctx context.Context, key string) error
	DeletePrefix(ctx context.Context, prefix string) error
}

// Queue is the part of the queue intake needs. Withdraw takes a message's task out of the queue
// (stopping it if it runs) before the message is processed again; it reports false if the task is
// still running after wait.
type Queue interface {
	Enqueue(ctx context.Context, meta message.Meta) error
	Withdraw(ctx context.Context, id string, wait time.Duration) (bool, error)
	Ping(ctx context.Context) error
}

// Server is the intake: its routes (routes.go) take uploads and captions in.
type Server struct {
	cfg       Config
	store     Store
	states    message.States
	invites   *invite.Book
	queue     Queue
	log       *slog.Logger
	tus       http.Handler
	tusStore  tusStore
	campaigns Campaigns // nil: campaign names are only checked for their shape
	releases  *release.Catalogue
}

// New returns the intake. EnableTus adds resumable uploads at /v1/uploads/.
func New(cfg Config, store Store, queue Queue, log *slog.Logger) *Server {
	return &Server{cfg: cfg, store: store, states: message.States{Store: store},
		invites: &invite.Book{Store: store}, queue: queue, log: log, releases: release.Builtin()}
}

// OnChange is told of every record intake writes (a new message, one queued again), once the change
// feed has it: the list index of this process shows it at once (library.Server.ShowChange).
func (s *Server) OnChange(f func(ctx context.Context, r message.Record)) { s.states.OnChange = f }

// The API's error shape and answers (package httpapi), by the names this package's code uses.
type apiError = httpapi.Error

var (
	errorf     = httpapi.Errorf
	writeError = httpapi.WriteError
	writeJSON  = httpapi.WriteJSON
	cleanText  = httpapi.CleanText
)

func storageDown(s *Server, err error) *apiError { return httpapi.StorageDown(s.log, err) }

// cleanFilename keeps only the last path element of a client filename, as text.
func cleanFilename(s string) string {
	if i := strings.LastIndexAny(s, `/\`); i >= 0 {
		s = s[i+1:]
	}
	return cleanText(s, 200)
}
