package api

import (
	"net/http"
	"strings"
	"testing"
)

const testMetricsToken = "metrics-token-for-tests"

// Issue 13, finding 9: /metrics was public. Outside dev it now answers
// only the bearer of REBOUND_METRICS_TOKEN, and nobody when none is set.
func TestMetricsNeedTheirTokenOutsideDev(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		deps   Deps
		header []string
		want   int
	}{
		{"no token configured, outside dev", Deps{}, nil, http.StatusNotFound},
		{"no token configured, outside dev, a guess", Deps{}, []string{"Authorization", "Bearer x"}, http.StatusNotFound},
		{"no token configured, dev", Deps{Dev: true}, nil, http.StatusOK},
		{"token, none sent", Deps{MetricsToken: testMetricsToken}, nil, http.StatusUnauthorized},
		{"token, wrong one", Deps{MetricsToken: testMetricsToken}, []string{"Authorization", "Bearer " + testMetricsToken + "x"}, http.StatusUnauthorized},
		{"token, not bearer", Deps{MetricsToken: testMetricsToken}, []string{"Authorization", testMetricsToken}, http.StatusUnauthorized},
		{"token, dev, none sent", Deps{Dev: true, MetricsToken: testMetricsToken}, nil, http.StatusUnauthorized},
		{"token, right one", Deps{MetricsToken: testMetricsToken}, []string{"Authorization", "Bearer " + testMetricsToken}, http.StatusOK},
	} {
		for _, h := range map[string]http.Handler{"api": NewHandler(tc.deps), "ops": NewOpsHandler(tc.deps)} {
			w := get(t, h, "/metrics", tc.header...)
			if w.Code != tc.want {
				t.Errorf("%s: %d, want %d", tc.name, w.Code, tc.want)
			}
			if tc.want != http.StatusOK && strings.Contains(w.Body.String(), "go_goroutines") {
				t.Errorf("%s: the metrics leak in a refusal", tc.name)
			}
		}
	}
}
