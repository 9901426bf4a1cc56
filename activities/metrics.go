package activities

import (
	"github.com/prometheus/client_golang/prometheus"
)

// Metrics are what the lifecycle activities count.
type Metrics struct {
	Transitions   *prometheus.CounterVec
	RefundAmounts *prometheus.HistogramVec
	TimeToRefund  prometheus.Histogram
	// ReversalsNotSent counts reversals that could not leave (the acquirer
	// unreachable); UnreadableAnswers answers from the acquirer that could
	// not be read; LateAnswers answers that came after their message gave
	// up waiting, by what they contradicted.
	ReversalsNotSent  prometheus.Counter
	UnreadableAnswers prometheus.Counter
	LateAnswers       *prometheus.CounterVec
}

// NewMetrics registers the lifecycle metrics on reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		Transitions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "rebound", Name: "return_transitions_total",
			Help: "Return steps recorded, by the status they led to.",
		}, []string{"status"}),
		RefundAmounts: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: "rebound", Name: "refund_amount_minor_units",
			Help:    "Amounts of refunds paid, in minor units of their currency.",
			Buckets: prometheus.ExponentialBuckets(100, 4, 9),
		}, []string{"currency"}),
		TimeToRefund: prometheus.NewHistogram(prometheus.HistogramOpts{
			Namespace: "rebound", Name: "return_time_to_refund_seconds",
			Help:    "Time from filing a return to its refund being paid.",
			Buckets: []float64{60, 600, 3600, 6 * 3600, 86400, 3 * 86400, 7 * 86400, 14 * 86400, 30 * 86400},
		}),
		ReversalsNotSent: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: "rebound", Name: "acquirer_reversals_not_sent_total",
			Help: "Reversals that could not be sent because the acquirer was unreachable.",
		}),
		UnreadableAnswers: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: "rebound", Name: "acquirer_unreadable_answers_total",
			Help: "Messages from the acquirer that could not be read.",
		}),
		LateAnswers: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "rebound", Name: "acquirer_late_answers_total",
			Help: "Answers that came after their message gave up waiting, by what Rebound made of them.",
		}, []string{"kind"}),
	}
	if reg != nil {
		reg.MustRegister(m.Transitions, m.RefundAmounts, m.TimeToRefund, m.ReversalsNotSent, m.UnreadableAnswers, m.LateAnswers)
	}
	return m
}
