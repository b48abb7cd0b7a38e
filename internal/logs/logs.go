// Package logs carries a job's logger in its context and makes the process's logger in the format its
// role wants. A job's logger holds its message_id and task_id, so every line a job writes, in the
// worker or deep in the pipeline, can be found by either; code that logs for a job takes the logger
// from the job's context rather than the one it was built with.
package logs

import (
	"context"
	"fmt"
	"io"
	"log/slog"
)

type loggerKey struct{}

// With returns ctx carrying log: the logger of the job ctx belongs to.
func With(ctx context.Context, log *slog.Logger) context.Context {
	return context.WithValue(ctx, loggerKey{}, log)
}

// From returns the logger ctx carries, or fallback when it carries none (work outside a job).
func From(ctx context.Context, fallback *slog.Logger) *slog.Logger {
	if l, ok := ctx.Value(loggerKey{}).(*slog.Logger); ok && l != nil {
		return l
	}
	return fallback
}

// Formats of QUINTE_LOG_FORMAT.
const (
	JSON = "json" // one JSON object a line: what log collectors read (api and worker by default)
	Text = "text" // slog's key=value lines, for a person at a terminal (`quinte run` by default)
)

// Format is the format a process logs in: the setting when there is one, else JSON for the roles that
// run in containers (api, worker) and text for `quinte run`, which a person starts at a terminal.
func Format(setting string, containerRole bool) (string, error) {
	switch setting {
	case JSON, Text:
		return setting, nil
	case "":
		if containerRole {
			return JSON, nil
		}
		return Text, nil
	}
	return "", fmt.Errorf("QUINTE_LOG_FORMAT %q is neither json nor text", setting)
}

// New returns a logger writing to w in format (JSON or Text) from level up.
func New(w io.Writer, format string, level slog.Level) *slog.Logger {
	opts := &slog.HandlerOptions{Level: level}
	if format == JSON {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}
