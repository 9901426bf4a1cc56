// Package api is Rebound's HTTP interface: a gin router with one file per
// audience, the middleware every request passes (request id, access log,
// panic recovery, metrics, deadlines) and the one place where errors become
// RFC 9457 problem+json answers.
package api

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"
	"go.opentelemetry.io/otel/trace"
	"go.temporal.io/sdk/converter"

	"github.com/rebound-returns/rebound/app/counter"
	"github.com/rebound-returns/rebound/app/wire"
)

// Deps is what the API needs from the rest of the process.
type Deps struct {
	Logger  *slog.Logger
	Metrics *Metrics
	// Ready lists the checks behind /readyz.
	Ready []Check
	// RequestTimeout bounds ordinary routes; UploadTimeout the routes that
	// stream large bodies (settlement files, exports).
	RequestTimeout time.Duration
	UploadTimeout  time.Duration

	// UseCases are the use cases the handlers call, built by app/wire
	// over the store and the Temporal client.
	UseCases wire.UseCases
	// Dev enables the dev outbox (GET /v1/dev/outbox).
	Dev bool
	// MetricsToken is the bearer token GET /metrics asks for; when empty
	// the metrics are open in dev and off (404) elsewhere.
	MetricsToken string
	// CarrierSecret signs carrier events; GatewaySecret the gateway's.
	CarrierSecret string
	GatewaySecret string
	// TrustedProxies are the proxies whose X-Forwarded-For is believed.
	TrustedProxies []string
	// Codec, when set, opens sealed workflow history for operators (the
	// Temporal UI's codec endpoint).
	Codec converter.PayloadCodec
	// Tracer, when set, opens a span for each request (the Temporal
	// client's interceptor carries it into workflows and activities).
	Tracer trace.TracerProvider
	// Now is the clock of the edge's own records (time.Now when nil); the
	// use cases have theirs from wire.Deps.
	Now func() time.Time
}

type server struct {
	deps Deps
	log  *slog.Logger
	// The use cases (app/…) the handlers call.
	counter counterProcedure
	staff   staffDesk
	orders  orderBook
	events  eventIntake
	filing  filingProcedure
	finance financeDesk
	admin   administration
	session sessions
	freezes freezes
	views   returnViews
	credit  creditDesk
	catalog catalogBook
	// What the edge records: the audit log, idempotency keys, the dev outbox.
	auditLog    auditLog
	auditViewer auditViewer
	idem        idempotencyKeys
	outbox      devOutbox
}

// counterProcedure is the counter refund and the steps of card refunds
// that went otherwise (*counter.Service).
type counterProcedure interface {
	Refund(ctx context.Context, req counter.Request) (counter.Result, error)
	Approve(ctx context.Context, req counter.ApprovalRequest) (counter.Result, error)
	Resolve(ctx context.Context, req counter.ResolutionRequest) (counter.Result, error)
}

func (s *server) now() time.Time {
	if s.deps.Now != nil {
		return s.deps.Now().UTC()
	}
	return time.Now().UTC()
}

func init() { gin.SetMode(gin.ReleaseMode) }

// NewHandler builds the router of `rebound api` and `rebound dev`.
func NewHandler(deps Deps) http.Handler {
	s, r := newRouter(deps)
	s.routes(r)
	return r
}

// routes registers every route of the API on r.
func (s *server) routes(r *gin.Engine) {
	s.routesOps(r.Group("", deadline(5*time.Second)))
	v1 := r.Group("/v1", deadline(s.deps.RequestTimeout))
	s.routesIntegration(v1)
	s.routesCatalog(v1)
	s.routesShopper(v1)
	s.routesAuth(v1)
	s.routesMerchant(v1)
	s.routesMerchantAdmin(v1)
	s.routesAdmin(v1)
	s.routesAuditLog(v1)
	s.routesFreezes(v1)
	s.routesCards(r.Group("/v1"))
	s.routesFinance(r.Group("/v1"))
	s.routesCodec(v1)
	s.routesCarrier(v1)
	s.routesGateway(v1)
	s.routesCredit(v1)
	if s.deps.Dev {
		s.routesDev(v1)
	}
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
	if deps.UploadTimeout <= 0 {
		deps.UploadTimeout = 30 * time.Minute
	}
	s := &server{deps: deps, log: deps.Logger}
	s.useCases(deps.UseCases)

	r := gin.New()
	r.HandleMethodNotAllowed = true
	r.ContextWithFallback = true
	// Only the configured proxies' X-Forwarded-For is believed, so that it
	// cannot be forged to dodge per-address limits (none by default).
	if err := r.SetTrustedProxies(deps.TrustedProxies); err != nil {
		_ = r.SetTrustedProxies(nil)
	}
	if deps.Tracer != nil {
		r.Use(traceRequests(deps.Tracer))
	}
	r.Use(requestID(), accessLog(s.log), recovery(s.log), observe(deps.Metrics), securityHeaders(), inputHygiene())
	r.NoRoute(func(c *gin.Context) {
		writeProblem(c, NewProblem(http.StatusNotFound, "not-found", "no such route"))
	})
	r.NoMethod(func(c *gin.Context) {
		writeProblem(c, NewProblem(http.StatusMethodNotAllowed, "method-not-allowed", "the route does not take this method"))
	})
	return s, r
}

// handle adapts a handler that returns an error to gin; errors become
// problems in one place.
func (s *server) handle(h func(c *gin.Context) error) gin.HandlerFunc {
	return func(c *gin.Context) {
		if err := h(c); err != nil {
			fail(c, s.log, err)
		}
	}
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
