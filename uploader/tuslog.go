package uploader

import (
	"context"
	"log/slog"

	xslog "golang.org/x/exp/slog"
)

// tusLogger is a logger for tusd (which takes golang.org/x/exp/slog's) writing through log, so that
// its lines are in the process's format (JSON in a container) rather than text on stderr. Warnings and
// errors only: tusd's own per-request lines would repeat the access log.
func tusLogger(log *slog.Logger) *xslog.Logger {
	return xslog.New(tusBridge{h: log.With("component", "tus").Handler()})
}

type tusBridge struct{ h slog.Handler }

func (b tusBridge) Enabled(ctx context.Context, l xslog.Level) bool {
	return l >= xslog.LevelWarn && b.h.Enabled(ctx, slog.Level(l))
}

func (b tusBridge) Handle(ctx context.Context, r xslog.Record) error {
	out := slog.NewRecord(r.Time, slog.Level(r.Level), r.Message, r.PC)
	r.Attrs(func(a xslog.Attr) bool {
		out.AddAttrs(bridgeAttr(a))
		return true
	})
	return b.h.Handle(ctx, out)
}

func (b tusBridge) WithAttrs(attrs []xslog.Attr) xslog.Handler {
	as := make([]slog.Attr, len(attrs))
	for i, a := range attrs {
		as[i] = bridgeAttr(a)
	}
	return tusBridge{h: b.h.WithAttrs(as)}
}

func (b tusBridge) WithGroup(name string) xslog.Handler { return tusBridge{h: b.h.WithGroup(name)} }

func bridgeAttr(a xslog.Attr) slog.Attr {
	return slog.Any(a.Key, a.Value.Resolve().Any())
}
