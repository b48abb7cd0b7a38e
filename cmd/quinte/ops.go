package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/quinte-media/quinte/config"
	"github.com/quinte-media/quinte/storage"
	"github.com/quinte-media/quinte/worker"
)

// initBucket is `quinte init`: the deployment's one setup step, creating the bucket. api and worker
// only check that it exists, so a mistyped QUINTE_S3_BUCKET stops them instead of making a new one.
func initBucket(ctx context.Context, cfg config.Config, out io.Writer) error {
	if cfg.S3.Endpoint == "" {
		return errors.New("QUINTE_S3_ENDPOINT is required for `quinte init` (`quinte run` creates its embedded bucket itself)")
	}
	if err := cfg.S3.Validate(); err != nil {
		return fmt.Errorf("configuration: %w", err)
	}
	store, err := storage.New(cfg.S3)
	if err != nil {
		return err
	}
	defer store.Close()
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := store.EnsureBucket(ctx); err != nil {
		return s3Unusable(&cfg, err)
	}
	fmt.Fprintf(out, "bucket %s at %s is ready\n", cfg.S3.Bucket, redactURL(cfg.S3.Endpoint))
	return nil
}

// healthCheck is `quinte health [role]`, the container health check: it reports the role's readiness,
// not only that the process lives. The API's /healthz stays the cheap liveness answer; this asks
// /readyz (Redis and S3 answer). A worker serves no HTTP: its heartbeat file says what it last found.
func healthCheck(ctx context.Context, cfg config.Config, role config.Role, out io.Writer) error {
	if role == "" {
		role = config.RoleAPI
	}
	var errs []error
	switch role {
	case config.RoleAPI, config.RoleRun, config.RoleWorker:
	default:
		return fmt.Errorf("quinte health: unknown role %q (api, worker or run)", role)
	}
	if role != config.RoleWorker {
		errs = append(errs, apiReady(ctx, cfg.Addr))
	}
	if role != config.RoleAPI {
		b, err := worker.CheckHeartbeat(worker.HeartbeatPath(cfg.Worker.TempDir), time.Now())
		if err == nil {
			fmt.Fprintf(out, "worker pid %d ready: %d jobs running, checked %s ago\n", b.PID, b.Jobs, time.Since(b.At).Round(time.Second))
		}
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// apiReady asks the API on addr whether it can serve: /readyz checks Redis and S3.
func apiReady(ctx context.Context, addr string) error {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+displayAddr(addr)+"/readyz", nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("API at %s: %w", addr, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		var checks map[string]string
		_ = json.NewDecoder(io.LimitReader(resp.Body, 4096)).Decode(&checks)
		return fmt.Errorf("API at %s is not ready (%s): %v", addr, resp.Status, checks)
	}
	return nil
}
