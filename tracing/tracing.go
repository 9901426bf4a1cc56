// Package tracing follows a return across processes with OpenTelemetry:
// a span for each HTTP request, carried by Temporal's tracing interceptor
// into the workflow task and each activity, exported over OTLP/HTTP when an
// endpoint is configured; log lines written inside a span carry its trace
// id.
package tracing

import (
	"context"
	"fmt"
	"log/slog"

	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.26.0"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"
	temporalotel "go.temporal.io/sdk/contrib/opentelemetry"
	"go.temporal.io/sdk/interceptor"
)

// Propagator carries the trace between processes in W3C traceparent
// headers. Baggage is not carried: a client's baggage would otherwise ride
// into workflow headers, which the history codec does not seal.
var Propagator propagation.TextMapPropagator = propagation.TraceContext{}

// Tracing is a process's tracer provider and how to stop it.
type Tracing struct {
	Provider trace.TracerProvider
	shutdown func(context.Context) error
}

// Disabled traces nothing.
func Disabled() *Tracing {
	return &Tracing{Provider: noop.NewTracerProvider(), shutdown: func(context.Context) error { return nil }}
}

// New exports the spans of service to an OTLP/HTTP endpoint such as
// http://collector:4318 (its /v1/traces); with no endpoint it traces
// nothing.
func New(ctx context.Context, endpoint, service string) (*Tracing, error) {
	if endpoint == "" {
		return Disabled(), nil
	}
	exp, err := otlptracehttp.New(ctx, otlptracehttp.WithEndpointURL(endpoint))
	if err != nil {
		return nil, fmt.Errorf("tracing: OTLP exporter for %s: %w", endpoint, err)
	}
	return WithExporter(exp, service), nil
}

// WithExporter sends spans to exp in batches.
func WithExporter(exp sdktrace.SpanExporter, service string) *Tracing {
	tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(exp),
		sdktrace.WithResource(resource.NewSchemaless(semconv.ServiceName(service))))
	return &Tracing{Provider: tp, shutdown: tp.Shutdown}
}

// Flush sends the spans ended so far.
func (t *Tracing) Flush(ctx context.Context) error {
	if f, ok := t.Provider.(interface{ ForceFlush(context.Context) error }); ok {
		return f.ForceFlush(ctx)
	}
	return nil
}

// Shutdown sends what is left and stops.
func (t *Tracing) Shutdown(ctx context.Context) error { return t.shutdown(ctx) }

// Tracer is Rebound's tracer.
func (t *Tracing) Tracer() trace.Tracer {
	return t.Provider.Tracer("github.com/rebound-returns/rebound")
}

// TemporalInterceptor carries spans from a client call into the workflow
// task and its activities (and child workflows), in Temporal's headers.
func (t *Tracing) TemporalInterceptor() (interceptor.Interceptor, error) {
	return temporalotel.NewTracingInterceptor(temporalotel.TracerOptions{
		Tracer: t.Provider.Tracer("temporal"), TextMapPropagator: Propagator,
	})
}

// LogHandler adds trace_id and span_id to each record logged inside a span.
func LogHandler(h slog.Handler) slog.Handler { return logHandler{h} }

type logHandler struct{ slog.Handler }

func (l logHandler) Handle(ctx context.Context, r slog.Record) error {
	if sc := trace.SpanContextFromContext(ctx); sc.IsValid() {
		r.AddAttrs(slog.String("trace_id", sc.TraceID().String()), slog.String("span_id", sc.SpanID().String()))
	}
	return l.Handler.Handle(ctx, r)
}

func (l logHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return logHandler{l.Handler.WithAttrs(as)}
}
func (l logHandler) WithGroup(n string) slog.Handler { return logHandler{l.Handler.WithGroup(n)} }
