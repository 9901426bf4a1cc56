// Package api is Rebound's HTTP interface: a gin router with one file per
// audience, the middleware every request passes (request id, access log,
// panic recovery, metrics, deadlines) and the one place where errors become
// RFC 9457 problem+json answers.
package api

import (
	"log/slog"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"
)

// Deps is what the API needs from the rest of the process.
type Deps struct {
	Logger  *slog.Logger
	Metrics *Metrics
	// Ready lists the checks behind /readyz.
	Ready []Check
	// RequestTimeout bounds ordinary routes.
	RequestTimeout time.Duration
}

type server struct {
	deps Deps
	log  *slog.Logger
}

func init() { gin.SetMode(gin.ReleaseMode) }

// NewHandler builds the router of `rebound api` and `rebound dev`.
func NewHandler(deps Deps) http.Handler {
	s, r := newRouter(deps)
	s.routesOps(r.Group("", deadline(5*time.Second)))
	return r
}

// NewOpsHandler builds a router with only the operations routes (health,
// readiness, metrics), for processes that serve no API, such as the worker.
func NewOpsHandler(deps Deps) http.Handler {
	s, r := newRouter(deps)
	s.routesOps(r.Group("", deadline(5*time.Second)))
	return r
}

func newRouter(deps Deps) (*server, *gin.Engine) {
	if deps.Logger == nil {
		deps.Logger = slog.New(slog.DiscardHandler)
	}
	if deps.Metrics == nil {
		deps.Metrics = NewMetrics()
	}
	if deps.RequestTimeout <= 0 {
		deps.RequestTimeout = 30 * time.Second
	}
	s := &server{deps: deps, log: deps.Logger}

	r := gin.New()
	r.HandleMethodNotAllowed = true
	r.ContextWithFallback = true
	// Rebound sits behind a proxy in production: trust none by default so
	// that X-Forwarded-For cannot be forged to dodge per-address limits.
	_ = r.SetTrustedProxies(nil)
	r.Use(requestID(), accessLog(s.log), recovery(s.log), observe(deps.Metrics))
	r.NoRoute(func(c *gin.Context) {
		writeProblem(c, NewProblem(http.StatusNotFound, "not-found", "no such route"))
	})
	r.NoMethod(func(c *gin.Context) {
		writeProblem(c, NewProblem(http.StatusMethodNotAllowed, "method-not-allowed", "the route does not take this method"))
	})

	return s, r
}

// ServerTimeouts are the connection-level limits of the HTTP server.
type ServerTimeouts struct {
	ReadHeader time.Duration
	Idle       time.Duration
}

// NewHTTPServer wraps h with header-read and idle timeouts. It sets no
// overall read or write timeout: each route sets its own deadline.
func NewHTTPServer(addr string, h http.Handler, t ServerTimeouts, log *slog.Logger) *http.Server {
	return &http.Server{
		Addr:              addr,
		Handler:           h,
		ReadHeaderTimeout: t.ReadHeader,
		IdleTimeout:       t.Idle,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
}
