package api

import (
	"crypto/subtle"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"
)

// metricsGuard keeps /metrics from the public: with a token configured the
// caller must present it as a bearer token; without one the metrics are
// open in dev only and not found elsewhere.
func (s *server) metricsGuard(c *gin.Context) {
	want := s.deps.MetricsToken
	if want == "" {
		if !s.deps.Dev {
			fail(c, s.log, NewProblem(http.StatusNotFound, "not-found", "no such route"))
			c.Abort()
		}
		return
	}
	got, ok := strings.CutPrefix(c.GetHeader("Authorization"), "Bearer ")
	if !ok || subtle.ConstantTimeCompare([]byte(got), []byte(want)) != 1 {
		c.Header("WWW-Authenticate", `Bearer realm="metrics"`)
		fail(c, s.log, NewProblem(http.StatusUnauthorized, "unauthorized", "the metrics need their bearer token (REBOUND_METRICS_TOKEN)"))
		c.Abort()
	}
}
