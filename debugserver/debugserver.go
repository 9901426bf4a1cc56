// Package debugserver serves Go's profiles (net/http/pprof) and the
// runtime's metrics as JSON on an address of their own, apart from the API:
// they have no authentication, so config keeps that address on loopback
// unless told otherwise (REBOUND_DEBUG_ADDR, REBOUND_DEBUG_ALLOW_REMOTE).
package debugserver

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net"
	"net/http"
	"net/http/pprof"
	"runtime/metrics"
	"sort"
	"time"
)

// Source is one more set of numbers /debug/metrics shows beside the
// runtime's, under Name: the database pool's counters, say. Read is called
// on every request and its result encoded as JSON.
type Source struct {
	Name string
	Read func() any
}

// Pool shows a database/sql pool's counters under name: connections open,
// in use and idle, waits for one, and those closed for being over the idle
// limit (MaxIdleClosed), which a well-sized pool keeps near zero.
func Pool(name string, p interface{ Stats() sql.DBStats }) Source {
	return Source{Name: name, Read: func() any { return p.Stats() }}
}

// Start listens on addr and serves the debug endpoints until ctx ends, and
// answers the address it listens on; addr "" starts nothing and answers "".
// It fails only when it cannot listen, so that a wrong address stops the
// process at start rather than going unnoticed.
func Start(ctx context.Context, addr string, log *slog.Logger, sources ...Source) (string, error) {
	if addr == "" {
		return "", nil
	}
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return "", fmt.Errorf("REBOUND_DEBUG_ADDR: listen on %s: %w", addr, err)
	}
	go serve(ctx, l, Handler(sources...), log)
	return l.Addr().String(), nil
}

func serve(ctx context.Context, l net.Listener, h http.Handler, log *slog.Logger) {
	// No write timeout: a CPU profile or trace streams for as long as it
	// is asked to (?seconds=30).
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second}
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		if srv.Shutdown(sctx) != nil {
			_ = srv.Close()
		}
	}()
	if log != nil {
		log.Info("debug server listening", "addr", l.Addr().String())
	}
	if err := srv.Serve(l); err != nil && !errors.Is(err, http.ErrServerClosed) && log != nil {
		log.Error("debug server stopped", "err", err)
	}
}

// Handler answers /debug/pprof/… and /debug/metrics. It is its own mux,
// never http.DefaultServeMux, which net/http/pprof also registers on.
func Handler(sources ...Source) http.Handler {
	mux := http.NewServeMux()
	// No /debug/pprof/cmdline: a flag such as --database-url may carry a
	// password, and no profile needs it.
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	metricsHandler := func(w http.ResponseWriter, r *http.Request) {
		out := map[string]any{"runtime": Runtime()}
		for _, s := range sources {
			out[s.Name] = s.Read()
		}
		w.Header().Set("Content-Type", "application/json")
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		_ = enc.Encode(out)
	}
	mux.HandleFunc("GET /debug/metrics", metricsHandler)
	// The name expvar serves under, for tools that look there.
	mux.HandleFunc("GET /debug/vars", metricsHandler)
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		fmt.Fprintln(w, "Rebound debug server\n  /debug/pprof/   profiles (go tool pprof http://ADDR/debug/pprof/profile?seconds=30)\n  /debug/metrics  runtime and pool metrics as JSON")
	})
	return mux
}

// Histogram summarises a runtime histogram: how many samples, and the
// upper bound of the bucket each quantile falls in.
type Histogram struct {
	Count uint64  `json:"count"`
	P50   float64 `json:"p50"`
	P90   float64 `json:"p90"`
	P99   float64 `json:"p99"`
	Max   float64 `json:"max"`
}

// Runtime reads every metric runtime/metrics supports, by name: numbers as
// they are, histograms summarised.
func Runtime() map[string]any {
	descs := metrics.All()
	samples := make([]metrics.Sample, len(descs))
	for i, d := range descs {
		samples[i].Name = d.Name
	}
	metrics.Read(samples)
	sort.Slice(samples, func(i, j int) bool { return samples[i].Name < samples[j].Name })
	out := make(map[string]any, len(samples))
	for _, s := range samples {
		switch s.Value.Kind() {
		case metrics.KindUint64:
			out[s.Name] = s.Value.Uint64()
		case metrics.KindFloat64:
			out[s.Name] = finite(s.Value.Float64())
		case metrics.KindFloat64Histogram:
			out[s.Name] = summarise(s.Value.Float64Histogram())
		}
	}
	return out
}

func summarise(h *metrics.Float64Histogram) Histogram {
	var total uint64
	for _, c := range h.Counts {
		total += c
	}
	out := Histogram{Count: total}
	if total == 0 {
		return out
	}
	// Counts[i] falls in [Buckets[i], Buckets[i+1]).
	upper := func(i int) float64 {
		if b := h.Buckets[i+1]; !math.IsInf(b, 1) {
			return b
		}
		return finite(h.Buckets[i])
	}
	var seen uint64
	for i, c := range h.Counts {
		if c == 0 {
			continue
		}
		before := seen
		seen += c
		for _, q := range []struct {
			p   float64
			dst *float64
		}{{0.5, &out.P50}, {0.9, &out.P90}, {0.99, &out.P99}} {
			rank := uint64(math.Ceil(q.p * float64(total)))
			if rank > before && rank <= seen {
				*q.dst = upper(i)
			}
		}
		out.Max = upper(i)
	}
	return out
}

// finite keeps JSON encodable: it has no infinities or NaN.
func finite(f float64) float64 {
	if math.IsInf(f, 0) || math.IsNaN(f) {
		return 0
	}
	return f
}
