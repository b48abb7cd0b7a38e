package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"path/filepath"
	"time"

	"github.com/quinte-media/quinte/config"
	"github.com/quinte-media/quinte/storage"
	"github.com/quinte-media/quinte/team"
	"github.com/quinte-media/quinte/web"
)

// teamCommand is `quinte team add NAME` and `quinte team remove NAME`. It writes the roster in the
// bucket the API reads; with no S3 configured (`make run`), it opens the embedded S3's data dir
// itself, on a port of its own, so it works while `quinte run` is running and while it is not.
func teamCommand(ctx context.Context, args []string, file string, getenv func(string) string, out io.Writer) error {
	if len(args) != 2 || (args[0] != "add" && args[0] != "remove") {
		return errors.New("usage: quinte team add NAME | quinte team remove NAME")
	}
	if !team.ValidName(args[1]) {
		return fmt.Errorf("%q: %w", args[1], team.ErrBadName)
	}
	cfg, err := config.Load(file, getenv)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if cfg.S3.Endpoint == "" {
		dir, err := filepath.Abs(cfg.DataDir)
		if err != nil {
			return err
		}
		e, err := storage.StartEmbedded(ctx, dir, "127.0.0.1:0")
		if err != nil {
			return err
		}
		defer e.Close()
		cfg.S3.Endpoint, cfg.S3.AccessKey, cfg.S3.SecretKey = e.Endpoint, e.AccessKey, e.SecretKey
	}
	store, err := storage.New(cfg.S3)
	if err != nil {
		return err
	}
	defer store.Close()
	if err := store.CheckBucket(ctx); err != nil {
		return s3Unusable(&cfg, err)
	}
	ro := team.Roster{Store: store}
	name := args[1]
	if args[0] == "remove" {
		if err := ro.Remove(ctx, name); err != nil {
			return fmt.Errorf("remove %s: %w", name, err)
		}
		fmt.Fprintf(out, "removed %s: their sessions stop working within a few seconds\n", name)
		return nil
	}
	pw, err := ro.Add(ctx, name)
	if err != nil {
		return fmt.Errorf("add %s: %w", name, err)
	}
	fmt.Fprintf(out, "added %s\n  name:     %s\n  password: %s\n\nThe password is shown only now: give it to %s, who signs in at /team.\n", name, name, pw, name)
	return nil
}

// withTeamPages serves the team's gallery (/team, package web) beside the API h, which the pages ask
// in-process as the signed-in browser (sessions signs them in).
func withTeamPages(h http.Handler, sessions web.TeamSessions, token string, log *slog.Logger) (http.Handler, error) {
	team, err := web.NewTeam(h, sessions, token, log)
	if err != nil {
		return nil, err
	}
	pages := team.Handler()
	mux := http.NewServeMux()
	mux.Handle(web.TeamPrefix, pages)
	mux.Handle(web.TeamPrefix+"/", pages)
	mux.Handle("/", h)
	return mux, nil
}
