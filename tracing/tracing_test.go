package tracing_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"testing"

	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/rebound-returns/rebound/tracing"
)

func TestLogLinesInASpanCarryItsTraceID(t *testing.T) {
	exp := tracetest.NewInMemoryExporter()
	tr := tracing.WithExporter(exp, "test")
	var buf bytes.Buffer
	log := slog.New(tracing.LogHandler(slog.NewJSONHandler(&buf, nil))).With("component", "x")
	ctx, span := tr.Tracer().Start(context.Background(), "work")
	log.InfoContext(ctx, "inside")
	span.End()
	log.InfoContext(context.Background(), "outside")
	if err := tr.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	dec := json.NewDecoder(&buf)
	var in, out map[string]any
	if dec.Decode(&in) != nil || dec.Decode(&out) != nil {
		t.Fatalf("log lines: %s", buf.String())
	}
	if in["trace_id"] != span.SpanContext().TraceID().String() || in["span_id"] != span.SpanContext().SpanID().String() || in["component"] != "x" {
		t.Fatalf("inside the span: %v", in)
	}
	if _, ok := out["trace_id"]; ok {
		t.Fatalf("outside any span: %v", out)
	}
	spans := exp.GetSpans()
	if len(spans) != 1 || spans[0].Name != "work" {
		t.Fatalf("exported %v", spans)
	}
	var service string
	for _, a := range spans[0].Resource.Attributes() {
		if a.Key == "service.name" {
			service = a.Value.AsString()
		}
	}
	if service != "test" {
		t.Fatalf("service %q", service)
	}
}

func TestNoEndpointTracesNothing(t *testing.T) {
	tr, err := tracing.New(context.Background(), "", "x")
	if err != nil {
		t.Fatal(err)
	}
	_, span := tr.Tracer().Start(context.Background(), "nothing")
	if span.SpanContext().IsValid() {
		t.Fatal("a span was recorded with tracing off")
	}
	if _, err := tr.TemporalInterceptor(); err != nil {
		t.Fatal(err)
	}
}
