// Command quinte is the media pipeline of the artists' messages: one binary with three roles.
//
//	quinte run     everything in one process (API, worker, embedded queue and S3 when none is configured)
//	quinte api     the HTTP API only (containers), against Redis and S3
//	quinte worker  a worker only (containers), against Redis and S3
//	quinte init    create the bucket (the one setup step api and worker never do)
//	quinte health  the container health check of a role
//	quinte team    add or remove a member of the social team (gallery sign-in)
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/quinte-media/quinte/config"
	"github.com/quinte-media/quinte/internal/logs"
	"github.com/quinte-media/quinte/pipeline"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if args, ok := cliArgs(os.Args[1:]); ok { // the CLI of a server (cli.go): quinte help
		os.Exit(runCLI(ctx, args, os.Getenv, os.Stdout, os.Stderr))
	}
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "quinte:", err)
		os.Exit(1)
	}
}

const usage = `usage: quinte [-config FILE] run|api|worker|init|health [api|worker|run]

  run     everything in one process: HTTP API, worker, and (unless configured) an embedded
          queue and S3 server keeping their data under QUINTE_DATA_DIR; creates the bucket
  api     the HTTP API, against QUINTE_REDIS_URL and QUINTE_S3_ENDPOINT (the bucket must exist)
  worker  a worker, against QUINTE_REDIS_URL and QUINTE_S3_ENDPOINT (the bucket must exist)
  init    create QUINTE_S3_BUCKET at QUINTE_S3_ENDPOINT if it does not exist, then exit
  health  exit 0 if the role (default api) on this machine is ready: the API at QUINTE_ADDR
          answers /readyz; a worker's heartbeat (in QUINTE_WORKER_TEMP_DIR) is fresh and found
          Redis, S3 and its job loop alive; run checks both
  team add NAME     add a member who signs in to /team with a name and a password (printed once)
  team remove NAME  remove a member: their sessions stop within seconds on every API
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
	if fs.Arg(0) == "team" {
		return teamCommand(ctx, fs.Args()[1:], *file, getenv, stdout)
	}
	if fs.NArg() < 1 || (fs.NArg() > 1 && fs.Arg(0) != "health") || fs.NArg() > 2 {
		fs.Usage()
		return errors.New("say which role to run")
	}
	role := config.Role(fs.Arg(0))
	if role == pipeline.PhotoJobCommand {
		// Hidden, not in the usage: the worker runs each photo in a child of its own (see
		// pipeline/photochild.go), which reads its job on stdin and needs no configuration.
		return pipeline.RunPhotoJob(ctx, os.Stdin, stdout, stderr)
	}
	if role == "health" || role == "init" {
		cfg, err := config.Load(*file, getenv)
		if err != nil {
			return err
		}
		if role == "init" {
			return initBucket(ctx, cfg, stdout)
		}
		return healthCheck(ctx, cfg, config.Role(fs.Arg(1)), stdout)
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
	format, err := logs.Format(cfg.LogFormat, role != config.RoleRun)
	if err != nil {
		return err
	}
	log := logs.New(stderr, format, level)
	for _, u := range config.Unknown(os.Environ()) {
		log.Warn("unknown setting ignored: "+u.Name+" (did you mean "+u.Closest+"?)", "variable", u.Name, "closest", u.Closest)
	}

	m := NewMain(cfg, role, log, stdout)
	if err := m.Run(ctx); err != nil {
		m.Close()
		return err
	}
	<-ctx.Done()
	log.Info("shutting down")
	return m.Close()
}
