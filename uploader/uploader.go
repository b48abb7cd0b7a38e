// Package uploader is quinte's HTTP API: intake of originals (plain multipart and resumable tus), the
// status of messages and links to their outputs, and the health checks. An upload is streamed to S3,
// recorded, and handed to the queue; nothing here decodes media or waits for processing.
package uploader

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/quinte-media/quinte/invite"
	"github.com/quinte-media/quinte/message"
	"github.com/quinte-media/quinte/release"
)

// Config tunes the API.
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
	if c.PublicURL != "" && !validOrigin(strings.TrimRight(c.PublicURL, "/")) {
		errs = append(errs, fmt.Errorf("QUINTE_PUBLIC_URL: %q is not an address such as https://upload.example.org (scheme, host and port only; no path)", c.PublicURL))
	}
	for _, o := range c.CORSOrigins {
		if !validOrigin(o) {
			errs = append(errs, fmt.Errorf("QUINTE_CORS_ORIGINS: %q is not an origin such as https://artists.example.org (scheme, host and port only; no * and no path)", o))
		}
	}
	return errors.Join(errs...)
}

// Store is the part of the bucket the API needs.
type Store interface {
	message.JSONStore
	invite.Store
	Tail(ctx context.Context, key string, n int64) ([]byte, error)
	Put(ctx context.Context, key string, body io.Reader, size int64, contentType string) error
	Open(ctx context.Context, key string, n int64) (io.ReadCloser, error)
	Exists(ctx context.Context, key string) (bool, error)
	Modified(ctx context.Context, key string) (time.Time, error)
	List(ctx context.Context, prefix string) ([]string, error)
	Copy(ctx context.Context, src, dst, contentType string) error
	Delete(ctx context.Context, key string) error
	DeletePrefix(ctx context.Context, prefix string) error
	Folders(ctx context.Context, prefix string) ([]string, error)
	ListFrom(ctx context.Context, prefix, startAfter string, max int) ([]string, error)
	PresignGet(ctx context.Context, key, filename string, ttl time.Duration) (string, error)
	Ping(ctx context.Context) error
}

// Queue is the part of the queue the API needs. Withdraw takes a message's task out of the queue
// (stopping it if it runs) before the message is processed again; it reports false if the task is
// still running after wait.
type Queue interface {
	Enqueue(ctx context.Context, meta message.Meta) error
	Withdraw(ctx context.Context, id string, wait time.Duration) (bool, error)
	Ping(ctx context.Context) error
}

// Server is the HTTP API.
type Server struct {
	cfg      Config
	token    string
	store    Store
	states   message.States
	invites  *invite.Book
	queue    Queue
	log      *slog.Logger
	tus      http.Handler
	tusStore tusStore
	linkKey  []byte // signs HLS playback links (hls.go) and API-served downloads (files.go)
	// serveFiles: download links point at this API's files route instead of presigned S3 URLs.
	serveFiles bool
	campaigns  Campaigns // nil: campaign names are only checked for their shape
	sessions   *sessions // the gallery's signed-in browsers (session.go)
	index      *Index    // GET /v1/messages answers from it (index.go)
	releases   *release.Catalogue
	events     Events // nil: no webhooks (events.go)
}

// New returns the API. EnableTus adds resumable uploads at /v1/uploads/.
func New(cfg Config, teamToken string, store Store, queue Queue, log *slog.Logger) *Server {
	s := &Server{cfg: cfg, token: teamToken, store: store, states: message.States{Store: store},
		invites: &invite.Book{Store: store}, queue: queue, log: log, linkKey: playbackKey(teamToken),
		sessions: newSessions(teamToken, store), releases: release.Builtin()}
	s.index = newIndex(store, log)
	s.states.OnChange = s.ShowChange
	return s
}

// Handler routes every request by the route table (routes.go): each route with its access, and
// everything else the API's JSON error (401 without a token, then 404, or 405 with Allow).
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	for _, rt := range s.routes() {
		var h http.Handler = rt.handler
		switch rt.access {
		case accessTeam, accessInvite:
			h = s.authenticate(h, rt.access == accessInvite)
		case accessSigned:
			// Players fetch HLS without a Bearer header: a signed link opens the route on its own.
			h = s.signedHLS(s.authenticate(h, false))
		}
		mux.Handle(rt.pattern, h)
	}
	return s.cors(s.unmatched(mux))
}

func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

// readyz answers 200 only when both Redis and S3 answer.
func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 3*time.Second)
	defer cancel()
	checks := map[string]string{"queue": "ok", "storage": "ok"}
	status := http.StatusOK
	if err := s.queue.Ping(ctx); err != nil {
		checks["queue"], status = "unreachable: "+err.Error(), http.StatusServiceUnavailable
	}
	if err := s.store.Ping(ctx); err != nil {
		checks["storage"], status = "unreachable: "+err.Error(), http.StatusServiceUnavailable
	}
	writeJSON(w, status, checks)
}

// apiError is an error with the HTTP status and the public message it maps to.
type apiError struct {
	Status  int
	Code    string
	Message string
}

func (e *apiError) Error() string { return e.Code + ": " + e.Message }

func errorf(status int, code, format string, a ...any) *apiError {
	return &apiError{Status: status, Code: code, Message: fmt.Sprintf(format, a...)}
}

func writeError(w http.ResponseWriter, e *apiError) {
	if e.Status == http.StatusServiceUnavailable {
		w.Header().Set("Retry-After", "30")
	}
	writeJSON(w, e.Status, map[string]any{"error": map[string]string{"code": e.Code, "message": e.Message}})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
}

// cleanText keeps a client-supplied string as harmless data (message.CleanText: valid UTF-8, control
// characters as spaces), cut to at most n bytes on a character boundary. For the fields whose limit is
// an answer (artist, title, consent) see describeUpload.
func cleanText(s string, n int) string {
	s = message.CleanText(s)
	for len(s) > n {
		_, size := lastRune(s)
		s = s[:len(s)-size]
	}
	return strings.TrimSpace(s)
}

func lastRune(s string) (rune, int) {
	for i := len(s) - 1; i >= 0; i-- {
		if s[i]&0xC0 != 0x80 {
			return rune(s[i]), len(s) - i
		}
	}
	return 0, 1
}

// cleanFilename keeps only the last path element of a client filename, as text.
func cleanFilename(s string) string {
	if i := strings.LastIndexAny(s, `/\`); i >= 0 {
		s = s[i+1:]
	}
	return cleanText(s, 200)
}
