package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync/atomic"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/hibiken/asynq"

	"github.com/quinte-media/quinte/config"
	"github.com/quinte-media/quinte/configs"
	"github.com/quinte-media/quinte/internal/httpapi"
	"github.com/quinte-media/quinte/library"
	"github.com/quinte-media/quinte/message"
	"github.com/quinte-media/quinte/metrics"
	"github.com/quinte-media/quinte/pipeline"
	"github.com/quinte-media/quinte/pipeline/brand"
	"github.com/quinte-media/quinte/pipeline/face"
	"github.com/quinte-media/quinte/pipeline/reframe"
	"github.com/quinte-media/quinte/pipeline/reframe/subject"
	"github.com/quinte-media/quinte/queue"
	"github.com/quinte-media/quinte/reconcile"
	"github.com/quinte-media/quinte/storage"
	"github.com/quinte-media/quinte/uploader"
	"github.com/quinte-media/quinte/webhook"
	"github.com/quinte-media/quinte/worker"
)

// Main wires quinte's pieces together for one role. Run starts them; Close stops them in reverse order.
type Main struct {
	Config config.Config
	Role   config.Role
	Log    *slog.Logger
	Out    io.Writer

	// Set by Run.
	URL        string // base URL of the HTTP API
	Campaigns  *brand.Catalogue
	Store      *storage.Store
	S3Server   *storage.Embedded // the embedded S3, when `quinte run` started one
	Queue      *queue.Client
	API        *API
	lists      atomic.Pointer[library.Server] // the read side once it serves: the worker's writes show in its list
	Metrics    *metrics.Metrics               // nil unless QUINTE_METRICS_ADDR is set; one for every part of the process
	MetricsURL string                         // where they are served
	Hooks      *webhook.Hooks                 // emits webhook events (message.approved, … from the API routes)
	closers    []func() error

	// WebhookDelivery, set before Run, counts webhook deliveries by outcome (metrics.WebhookDelivery);
	// Run sets it to the process's metrics when it is nil.
	WebhookDelivery func(outcome string)

	redisOpt asynq.RedisConnOpt
}

// NewMain returns a Main that has not started anything.
func NewMain(cfg config.Config, role config.Role, log *slog.Logger, out io.Writer) *Main {
	return &Main{Config: cfg, Role: role, Log: log, Out: out}
}

// Run starts everything the role needs and returns once it is serving.
func (m *Main) Run(ctx context.Context) error {
	cfg := &m.Config
	if err := cfg.Validate(m.Role); err != nil {
		return fmt.Errorf("configuration:\n  %s", strings.ReplaceAll(err.Error(), "\n", "\n  "))
	}
	if err := os.MkdirAll(cfg.DataDir, 0o750); err != nil {
		return fmt.Errorf("data dir %s: %w", cfg.DataDir, err)
	}
	campaigns, err := brand.LoadCatalogue(configs.Campaigns(), cfg.CampaignsDir)
	if err != nil {
		return fmt.Errorf("campaigns: %w", err)
	}
	m.Campaigns = campaigns

	if m.Role == config.RoleRun {
		if err := m.embed(ctx); err != nil {
			return err
		}
	}

	if err := m.startMetrics(); err != nil {
		return err
	}
	store, err := storage.New(cfg.S3, m.storeOptions()...)
	if err != nil {
		return err
	}
	// Only `quinte run` (and `quinte init`) creates the bucket: an api or a worker with a mistyped
	// QUINTE_S3_BUCKET must stop here, not start on an empty bucket of its own.
	pingCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	if m.Role == config.RoleRun {
		err = store.EnsureBucket(pingCtx)
	} else {
		err = store.CheckBucket(pingCtx)
	}
	cancel()
	if err != nil {
		return s3Unusable(cfg, err)
	}
	m.Store = store
	m.closers = append(m.closers, store.Close)

	redisOpt, err := queue.ParseRedisURL(cfg.RedisURL)
	if err != nil {
		return fmt.Errorf("QUINTE_REDIS_URL: %w", err)
	}
	m.Queue = queue.New(redisOpt, cfg.Worker.Limits())
	m.closers = append(m.closers, m.Queue.Close)
	if err := m.Queue.Ping(ctx); err != nil {
		return fmt.Errorf("redis at %s does not answer: check QUINTE_REDIS_URL and that Redis is up: %w", redactURL(cfg.RedisURL), err)
	}
	m.redisOpt = redisOpt
	if err := m.startWebhooks(redisOpt); err != nil {
		return err
	}

	m.sampleQueues(ctx, redisOpt)
	if m.Role != config.RoleAPI {
		if err := m.startWorker(redisOpt); err != nil {
			return err
		}
	}
	if m.Role != config.RoleWorker {
		if err := m.startAPI(ctx); err != nil {
			return err
		}
		m.startReconciler(ctx)
	}
	m.Log.Info("quinte started", cfg.Summary(m.Role)...)
	if m.Role == config.RoleRun {
		fmt.Fprintf(m.Out, "\nquinte is running\n  API:        %s\n  gallery:    %s/team (sign in with the team token)\n  team token: %s\n  data:       %s\n\n  try: curl -H 'Authorization: Bearer %s' -F file=@clip.mp4 %s/v1/messages\n\n",
			m.URL, m.URL, cfg.TeamToken, cfg.DataDir, cfg.TeamToken, m.URL)
		fmt.Fprintf(m.Out, "  an artist's page: curl -H 'Authorization: Bearer %s' -H 'Content-Type: application/json' -d '{\"max_uploads\": 3}' %s/v1/invites\n  then open the \"url\" it answers in a browser\n\n",
			cfg.TeamToken, m.URL)
	}
	return nil
}

// embed starts the embedded S3 server and queue when none is configured, and makes a team token.
func (m *Main) embed(ctx context.Context) error {
	cfg := &m.Config
	if cfg.S3.Endpoint == "" {
		e, err := storage.StartEmbedded(ctx, cfg.DataDir, cfg.S3.EmbeddedAddr)
		if err != nil {
			return err
		}
		m.closers = append(m.closers, e.Close)
		m.S3Server = e
		cfg.S3.Endpoint, cfg.S3.AccessKey, cfg.S3.SecretKey = e.Endpoint, e.AccessKey, e.SecretKey
		m.Log.Info("embedded S3 started", "endpoint", e.Endpoint, "dir", e.Dir)
	}
	if cfg.RedisURL == "" {
		mr := miniredis.NewMiniRedis()
		if err := mr.StartAddr("127.0.0.1:0"); err != nil {
			return fmt.Errorf("embedded queue: %w", err)
		}
		m.closers = append(m.closers, func() error { mr.Close(); return nil })
		cfg.RedisURL = "redis://" + mr.Addr() + "/0"
		m.Log.Info("embedded queue started (in memory; the reconciler refills it from S3 at start)", "addr", mr.Addr())
	}
	if cfg.TeamToken == "" {
		tok, err := loadOrCreateToken(filepath.Join(cfg.DataDir, "team-token"))
		if err != nil {
			return err
		}
		cfg.TeamToken = tok
	}
	return nil
}

func (m *Main) startWorker(opt asynq.RedisConnOpt) error {
	cfg := m.Config
	if cfg.Worker.TempDir == "" {
		cfg.Worker.TempDir = os.TempDir()
	}
	if err := os.MkdirAll(cfg.Worker.TempDir, 0o750); err != nil {
		return fmt.Errorf("worker temp dir: %w", err)
	}
	worker.SweepJobDirs(cfg.Worker.TempDir, m.Log)
	// One pool of face detectors for the worker's lifetime (each costs ~180 ms to create), shared by
	// every job's subject analysis: as many as there are cores to run them.
	// (GOMAXPROCS follows the container's CPU limit; NumCPU sees the host's cores.)
	faces := face.NewPool(runtime.GOMAXPROCS(0))
	subjects := subject.NewAnalyzer(reframe.DefaultConfig(), faces)
	pipe := pipeline.New(cfg.Pipeline, pipeline.Parts{Subjects: subjects, Campaigns: m.Campaigns}, m.Log)
	h := worker.NewHandler(m.Store, pipe, cfg.Worker, m.Log)
	if m.Metrics != nil {
		h.Figures = m.Metrics
	}
	h.Events = m.Hooks
	h.OnChange(func(ctx context.Context, r message.Record) {
		if api := m.lists.Load(); api != nil { // quinte run: the API in this process lists it at once
			api.ShowChange(ctx, r)
		}
	})
	w, err := worker.StartWorker(opt, cfg.Worker, h, m.Queue, m.Store, m.Log)
	if err != nil {
		faces.Close()
		return fmt.Errorf("worker: %w", err)
	}
	m.closers = append(m.closers, func() error {
		// The worker stops fetching, waits ShutdownTimeout for running jobs and puts the others back in
		// the queue (no retry spent, their messages say queued and why), then stops them, so their
		// ffmpeg does not outlive the worker and their scratch directories are removed.
		if !w.Shutdown() {
			// The detectors stay allocated: a job still stopping may be searching a frame with one.
			m.Log.Warn("jobs still stopping after 10s; the next worker start sweeps their directories")
			return nil
		}
		faces.Close()
		return nil
	})
	return nil
}

func (m *Main) startAPI(ctx context.Context) error {
	cfg := m.Config
	api, err := m.newAPI()
	if err != nil {
		return err
	}
	m.API = api
	m.lists.Store(api.Library)
	api.Library.StartIndex(ctx) // the list index: built from the bucket, then follows the change feed
	m.closers = append(m.closers, api.Library.Close)
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s (QUINTE_ADDR): %w", cfg.Addr, err)
	}
	ln = httpapi.Listener(ln) // net/http's own 400/431 answers in the API's JSON shape too
	handler, err := withTeamPages(api.Handler, api.Auth, cfg.TeamToken, m.Log)
	if err != nil {
		ln.Close()
		return err
	}
	handler, closeQueues := queueDashboard(handler, api.Auth, cfg.TeamToken, m.redisOpt)
	m.closers = append(m.closers, closeQueues)

	// Uploads under way at shutdown keep what they sent (uploader.Stopper).
	stopper := uploader.NewStopper()
	srv := &http.Server{
		BaseContext:       stopper.BaseContext,
		Handler:           httpapi.Observe(handler, m.Log, uploader.UploadFigures(m.uploadCounter())),
		MaxHeaderBytes:    httpapi.MaxHeaderBytes(),
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(m.Log.Handler(), slog.LevelWarn),
	}
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			m.Log.Error("http server stopped", "err", err)
		}
	}()
	m.URL = "http://" + displayAddr(ln.Addr().String())
	m.closers = append(m.closers, func() error { return stopper.Shutdown(srv, 2*time.Second, 10*time.Second) })
	m.Log.Info("API listening", "url", m.URL)
	return nil
}

// startReconciler, now and then every QUINTE_RECONCILE_EVERY, finishes resumable uploads whose last
// request died and enqueues every message the queue does not hold.
func (m *Main) startReconciler(ctx context.Context) {
	ctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	done := make(chan struct{})
	m.closers = append(m.closers, func() error { cancel(); <-done; return nil })
	go func() {
		defer close(done)
		t := time.NewTicker(m.Config.Worker.ReconcileEvery)
		defer t.Stop()
		for {
			if n, err := m.API.Intake.FinalizeTus(ctx); err != nil && ctx.Err() == nil {
				m.Log.Warn("finishing interrupted uploads", "err", err)
			} else if n > 0 {
				m.Log.Info("finished interrupted uploads", "count", n)
			}
			n, err := reconcile.Run(ctx, m.Store, m.Queue, m.Config.Worker.MaxRetry, m.Hooks, m.Log)
			if err != nil && ctx.Err() == nil {
				m.Log.Warn("reconciler", "err", err)
			} else if n > 0 {
				m.Log.Info("reconciler re-enqueued messages", "count", n)
			}
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
		}
	}()
}

// Close stops everything Run started, last started first.
func (m *Main) Close() error {
	var errs []error
	for i := len(m.closers) - 1; i >= 0; i-- {
		errs = append(errs, m.closers[i]())
	}
	m.closers = nil
	return errors.Join(errs...)
}

func loadOrCreateToken(path string) (string, error) {
	if b, err := os.ReadFile(path); err == nil && len(strings.TrimSpace(string(b))) >= 16 {
		return strings.TrimSpace(string(b)), nil
	}
	b := make([]byte, 24)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	tok := hex.EncodeToString(b)
	if err := os.WriteFile(path, []byte(tok+"\n"), 0o600); err != nil {
		return "", fmt.Errorf("team token: %w", err)
	}
	return tok, nil
}

// displayAddr turns a listener address into one a person can open.
func displayAddr(addr string) string {
	addr = strings.Replace(addr, "0.0.0.0:", "127.0.0.1:", 1)
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return addr
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsUnspecified() {
		host = "localhost"
	}
	return net.JoinHostPort(host, port)
}

// s3Unusable says what to fix when the bucket cannot be used at start.
func s3Unusable(cfg *config.Config, err error) error {
	if errors.Is(err, storage.ErrNoBucket) {
		return fmt.Errorf("S3 at %s has no bucket %q (QUINTE_S3_BUCKET): check its spelling; only `quinte run` and `quinte init` create the bucket", cfg.S3.Endpoint, cfg.S3.Bucket)
	}
	return fmt.Errorf("S3 at %s (bucket %s) is not usable: check QUINTE_S3_ENDPOINT, the keys and that the server is up: %w", cfg.S3.Endpoint, cfg.S3.Bucket, err)
}

func redactURL(u string) string {
	if i := strings.Index(u, "@"); i >= 0 {
		if j := strings.Index(u, "://"); j >= 0 && j < i {
			return u[:j+3] + "…" + u[i:]
		}
	}
	return u
}
