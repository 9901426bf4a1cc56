package api

import (
	"context"
	_ "embed"
	"net/http"
	"sync"
	"time"

	"github.com/gin-gonic/gin"
)

// Check is one dependency readiness depends on.
type Check struct {
	Name string
	// Fn returns nil when the dependency is usable. Its error text is shown
	// in /readyz, so it must not hold secrets.
	Fn func(ctx context.Context) error
}

type checkResult struct {
	Status string `json:"status"`
	Error  string `json:"error,omitempty"`
}

type readiness struct {
	Status string                 `json:"status"`
	Checks map[string]checkResult `json:"checks"`
	Down   []string               `json:"down,omitempty"`
}

func (s *server) routesOps(r gin.IRoutes) {
	r.GET("/healthz", func(c *gin.Context) {
		c.JSON(http.StatusOK, gin.H{"status": "ok"})
	})
	r.GET("/readyz", s.readyz)
	r.GET("/metrics", s.metricsGuard, gin.WrapH(s.deps.Metrics.Handler()))
	r.GET("/openapi.yaml", func(c *gin.Context) { c.Data(http.StatusOK, "application/yaml", openAPISpec) })
}

// openAPISpec describes every route; a test holds it to the router.
//
//go:embed openapi.yaml
var openAPISpec []byte

// readyz runs every check at once, each bounded to a few seconds, and
// answers 503 naming what is down.
func (s *server) readyz(c *gin.Context) {
	ctx, cancel := context.WithTimeout(c.Request.Context(), 3*time.Second)
	defer cancel()
	results := make([]checkResult, len(s.deps.Ready))
	var wg sync.WaitGroup
	for i, chk := range s.deps.Ready {
		wg.Go(func() {
			if err := chk.Fn(ctx); err != nil {
				results[i] = checkResult{Status: "down", Error: err.Error()}
				return
			}
			results[i] = checkResult{Status: "up"}
		})
	}
	wg.Wait()
	out := readiness{Status: "ready", Checks: map[string]checkResult{}}
	for i, chk := range s.deps.Ready {
		out.Checks[chk.Name] = results[i]
		if results[i].Status != "up" {
			out.Down = append(out.Down, chk.Name)
		}
	}
	status := http.StatusOK
	if len(out.Down) > 0 {
		out.Status = "unavailable"
		status = http.StatusServiceUnavailable
	}
	c.Header("Cache-Control", "no-store")
	c.JSON(status, out)
}
