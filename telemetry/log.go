package telemetry

import (
	"context"
	"log/slog"

	"go.opentelemetry.io/otel/trace"
)

// Log attribute names of a traced record.
const (
	LogTraceID = "trace_id"
	LogSpanID  = "span_id"
)

// Logger returns log whose records written with a context (InfoContext,
// LogAttrs, …) inside a traced operation carry its trace_id and span_id,
// as a request's carry its request_id (logging.For). With tracing off
// (before Setup, too), or when log does so already, it returns log as it
// is.
func Logger(log *slog.Logger) *slog.Logger {
	if _, ok := log.Handler().(logHandler); ok || !On() {
		return log
	}
	return slog.New(LogHandler(log.Handler()))
}

// LogHandler returns h adding trace_id and span_id to each record whose
// context has a valid span context (sampled or not).
func LogHandler(h slog.Handler) slog.Handler {
	if lh, ok := h.(logHandler); ok {
		return lh
	}
	return logHandler{h}
}

// logHandler is LogHandler's handler.
type logHandler struct{ slog.Handler }

func (h logHandler) Handle(ctx context.Context, r slog.Record) error {
	if sc := trace.SpanContextFromContext(ctx); sc.IsValid() {
		r = r.Clone()
		r.AddAttrs(slog.String(LogTraceID, sc.TraceID().String()), slog.String(LogSpanID, sc.SpanID().String()))
	}
	return h.Handler.Handle(ctx, r)
}

func (h logHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return logHandler{h.Handler.WithAttrs(attrs)}
}

func (h logHandler) WithGroup(name string) slog.Handler {
	return logHandler{h.Handler.WithGroup(name)}
}
