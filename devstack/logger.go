package devstack

import (
	"context"
	"log/slog"
	"sync/atomic"

	"go.temporal.io/server/common/log"
	"go.temporal.io/server/common/log/tag"
)

// serverLogger hands the Temporal server's log lines to Rebound's slog
// logger, dropping those below a minimum level: the server is chatty, and
// `rebound dev` shows only its warnings by default.
//
// While the server stops, its services report each other gone; those lines
// are expected and are dropped (quiet).
type serverLogger struct {
	l     *slog.Logger
	min   slog.Level
	quiet *atomic.Bool
}

func newServerLogger(l *slog.Logger, min slog.Level, quiet *atomic.Bool) log.Logger {
	return &serverLogger{l: l.With("component", "temporal-server"), min: min, quiet: quiet}
}

// nexusWarning is printed at every start because the embedded server serves
// no HTTP API; Rebound does not use Nexus, so the line only alarms people.
const nexusWarning = "HTTP API port has not been set. Nexus HTTP endpoints will not be available. To enable Nexus, follow these instructions: https://github.com/temporalio/temporal/blob/main/docs/architecture/nexus.md#enabling-nexus."

func (s *serverLogger) log(level slog.Level, msg string, tags []tag.Tag) {
	if level < s.min || s.quiet.Load() || msg == nexusWarning {
		return
	}
	ctx := context.Background()
	if !s.l.Enabled(ctx, level) {
		return
	}
	attrs := make([]slog.Attr, 0, len(tags))
	for _, t := range tags {
		attrs = append(attrs, slog.Any(t.Key(), t.Value()))
	}
	s.l.LogAttrs(ctx, level, msg, attrs...)
}

func (s *serverLogger) Debug(msg string, tags ...tag.Tag)  { s.log(slog.LevelDebug, msg, tags) }
func (s *serverLogger) Info(msg string, tags ...tag.Tag)   { s.log(slog.LevelInfo, msg, tags) }
func (s *serverLogger) Warn(msg string, tags ...tag.Tag)   { s.log(slog.LevelWarn, msg, tags) }
func (s *serverLogger) Error(msg string, tags ...tag.Tag)  { s.log(slog.LevelError, msg, tags) }
func (s *serverLogger) DPanic(msg string, tags ...tag.Tag) { s.log(slog.LevelError, msg, tags) }
func (s *serverLogger) Panic(msg string, tags ...tag.Tag) {
	s.log(slog.LevelError, msg, tags)
	panic(msg)
}
func (s *serverLogger) Fatal(msg string, tags ...tag.Tag) {
	s.log(slog.LevelError, msg, tags)
	panic(msg)
}

// With returns a logger that prepends tags to every line.
func (s *serverLogger) With(tags ...tag.Tag) log.Logger {
	args := make([]any, 0, len(tags))
	for _, t := range tags {
		args = append(args, slog.Any(t.Key(), t.Value()))
	}
	return &serverLogger{l: s.l.With(args...), min: s.min, quiet: s.quiet}
}
