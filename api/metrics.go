package api

import (
	"context"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/rebound-returns/rebound/returns"
)

// Metrics is the Prometheus registry behind GET /metrics with the API's own
// collectors; other packages register theirs on Registry.
type Metrics struct {
	Registry     *prometheus.Registry
	httpDuration *prometheus.HistogramVec
}

// NewMetrics makes a registry with the Go runtime and process collectors and
// the HTTP latency histogram.
func NewMetrics() *Metrics {
	reg := prometheus.NewRegistry()
	reg.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	)
	m := &Metrics{
		Registry: reg,
		httpDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: "rebound",
			Name:      "http_request_duration_seconds",
			Help:      "Latency of HTTP requests by route pattern, method and status code.",
			Buckets:   []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
		}, []string{"route", "method", "status"}),
	}
	reg.MustRegister(m.httpDuration)
	return m
}

// Handler serves the registry in the Prometheus text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.Registry, promhttp.HandlerOpts{Registry: m.Registry})
}

// ReturnsCollector reports returns by status from the read model at each
// scrape.
type ReturnsCollector struct {
	db   StatusCounts
	desc *prometheus.Desc
}

// StatusCounts counts the returns in each status (*db.DB).
type StatusCounts interface {
	CountByStatus(ctx context.Context) (map[string]int64, error)
}

// NewReturnsCollector counts d's returns by status.
func NewReturnsCollector(d StatusCounts) *ReturnsCollector {
	return &ReturnsCollector{db: d, desc: prometheus.NewDesc("rebound_returns",
		"Returns in the read model, by status.", []string{"status"}, nil)}
}

// Describe implements prometheus.Collector.
func (rc *ReturnsCollector) Describe(ch chan<- *prometheus.Desc) { ch <- rc.desc }

// Collect implements prometheus.Collector.
func (rc *ReturnsCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	counts, err := rc.db.CountByStatus(ctx)
	if err != nil {
		ch <- prometheus.NewInvalidMetric(rc.desc, err)
		return
	}
	for _, st := range returns.Statuses() {
		ch <- prometheus.MustNewConstMetric(rc.desc, prometheus.GaugeValue, float64(counts[string(st)]), string(st))
	}
}
