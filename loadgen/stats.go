package loadgen

import (
	"math"
	"slices"
	"sync"
	"time"
)

// Summary is what a report says of one series of durations, in
// milliseconds: the percentiles are nearest-rank over the whole sorted
// sample (a load run keeps every sample; they are few enough).
type Summary struct {
	Count int     `json:"count"`
	P50   float64 `json:"p50_ms"`
	P95   float64 `json:"p95_ms"`
	P99   float64 `json:"p99_ms"`
	Max   float64 `json:"max_ms"`
	Mean  float64 `json:"mean_ms"`
}

// summarize sorts sample and summarises it.
func summarize(sample []time.Duration) Summary {
	if len(sample) == 0 {
		return Summary{}
	}
	s := slices.Clone(sample)
	slices.Sort(s)
	var sum time.Duration
	for _, d := range s {
		sum += d
	}
	ms := func(d time.Duration) float64 { return math.Round(float64(d)/1e3) / 1e3 }
	return Summary{Count: len(s), P50: ms(percentile(s, 50)), P95: ms(percentile(s, 95)), P99: ms(percentile(s, 99)),
		Max: ms(s[len(s)-1]), Mean: ms(sum / time.Duration(len(s)))}
}

// percentile is the nearest-rank p-th percentile of sorted.
func percentile(sorted []time.Duration, p float64) time.Duration {
	rank := int(math.Ceil(p / 100 * float64(len(sorted))))
	return sorted[min(max(rank, 1), len(sorted))-1]
}

// recorder collects named series of durations and counts of errors by
// kind, from many goroutines.
type recorder struct {
	mu      sync.Mutex
	series  map[string][]time.Duration
	errors  map[string]int
	retries map[string]int
}

func newRecorder() *recorder {
	return &recorder{series: map[string][]time.Duration{}, errors: map[string]int{}, retries: map[string]int{}}
}

// retried counts a call sent again, by why.
func (r *recorder) retried(why string) {
	r.mu.Lock()
	r.retries[why]++
	r.mu.Unlock()
}

func (r *recorder) retryCounts() map[string]int {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.retries) == 0 {
		return nil
	}
	out := make(map[string]int, len(r.retries))
	for k, n := range r.retries {
		out[k] = n
	}
	return out
}

func (r *recorder) add(name string, d time.Duration) {
	r.mu.Lock()
	r.series[name] = append(r.series[name], d)
	r.mu.Unlock()
}

func (r *recorder) fail(kind string) {
	r.mu.Lock()
	r.errors[kind]++
	r.mu.Unlock()
}

// summaries summarises every series.
func (r *recorder) summaries() map[string]Summary {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make(map[string]Summary, len(r.series))
	for k, s := range r.series {
		out[k] = summarize(s)
	}
	return out
}

func (r *recorder) errorCounts() map[string]int {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make(map[string]int, len(r.errors))
	for k, n := range r.errors {
		out[k] = n
	}
	return out
}
