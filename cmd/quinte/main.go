// Command quinte is the media pipeline of the artists' messages: one binary with three roles.
//
//	quinte run     everything in one process (API, worker, embedded queue and S3 when none is configured)
//	quinte api     the HTTP API only (containers), against Redis and S3
//	quinte worker  a worker only (containers), against Redis and S3
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/quinte-media/quinte/config"
	"github.com/quinte-media/quinte/pipeline"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "quinte:", err)
		os.Exit(1)
	}
}

const usage = `usage: quinte [-config FILE] run|api|worker|health

  run     everything in one process: HTTP API, worker, and (unless configured) an embedded
          queue and S3 server keeping their data under QUINTE_DATA_DIR
  api     the HTTP API, against QUINTE_REDIS_URL and QUINTE_S3_ENDPOINT
  worker  a worker, against QUINTE_REDIS_URL and QUINTE_S3_ENDPOINT
  health  exit 0 if the API at QUINTE_ADDR answers /healthz (for container health checks)
`

func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("quinte", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, usage) }
	file := fs.String("config", getenv("QUINTE_CONFIG"), "configuration file read after configs/default.yaml")
	verbose := fs.Bool("v", false, "debug logging")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return errors.New("say which role to run")
	}
	role := config.Role(fs.Arg(0))
	if role == pipeline.PhotoJobCommand {
		// Hidden, not in the usage: the worker runs each photo in a child of its own (see
		// pipeline/photochild.go), which reads its job on stdin and needs no configuration.
		return pipeline.RunPhotoJob(ctx, os.Stdin, stdout, stderr)
	}
	if role == "health" {
		cfg, err := config.Load(*file, getenv)
		if err != nil {
			return err
		}
		return healthCheck(ctx, cfg.Addr)
	}
	switch role {
	case config.RoleRun, config.RoleAPI, config.RoleWorker:
	default:
		fs.Usage()
		return fmt.Errorf("unknown role %q", role)
	}
	cfg, err := config.Load(*file, getenv)
	if err != nil {
		return err
	}
	level := slog.LevelInfo
	if *verbose {
		level = slog.LevelDebug
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))

	m := NewMain(cfg, role, log, stdout)
	if err := m.Run(ctx); err != nil {
		m.Close()
		return err
	}
	<-ctx.Done()
	log.Info("shutting down")
	return m.Close()
}

// healthCheck asks the API on addr whether it is alive.
func healthCheck(ctx context.Context, addr string) error {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+displayAddr(addr)+"/healthz", nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("healthz: %s", resp.Status)
	}
	return nil
}
