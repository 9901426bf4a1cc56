// Package api is Rebound's HTTP interface: a gin router with one file per
// audience, the middleware every request passes (request id, access log,
// panic recovery, metrics, deadlines) and the one place where errors become
// RFC 9457 problem+json answers.
package api

import (
	"context"
	"go.temporal.io/sdk/converter"
	"log/slog"
	"net/http"
	"runtime"
	"time"

	"github.com/gin-gonic/gin"
	"go.opentelemetry.io/otel/trace"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"

	"github.com/rebound-returns/rebound/app/counter"
	"github.com/rebound-returns/rebound/auth"
	"github.com/rebound-returns/rebound/db"
)

// Temporal is the part of the Temporal client the API uses.
type Temporal interface {
	ExecuteWorkflow(ctx context.Context, options client.StartWorkflowOptions, workflow any, args ...any) (client.WorkflowRun, error)
	UpdateWorkflow(ctx context.Context, options client.UpdateWorkflowOptions) (client.WorkflowUpdateHandle, error)
	SignalWorkflow(ctx context.Context, workflowID, runID, signalName string, arg any) error
	DescribeWorkflowExecution(ctx context.Context, workflowID, runID string) (*workflowservice.DescribeWorkflowExecutionResponse, error)
}

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

	DB       *db.DB
	Temporal Temporal
	// Dev enables the dev outbox (GET /v1/dev/outbox).
	Dev bool
	// MetricsToken is the bearer token GET /metrics asks for; when empty
	// the metrics are open in dev and off (404) elsewhere.
	MetricsToken string
	// OTPSecret keys the HMAC of one-time codes.
	OTPSecret []byte
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
	// OnOrder, when set, hears of every new order (dev feeds its simulators).
	OnOrder func(ctx context.Context, o *db.Order)
	// Now is the clock (time.Now when nil).
	Now func() time.Time
	// Passwords runs every password hash the API computes, a bounded number
	// at once (nil: DefaultPasswordPool).
	Passwords *auth.Pool
}

// DefaultPasswordPool is the password-hashing pool of a Deps that names
// none: twice as many slots as CPUs, callers waiting up to two seconds.
func DefaultPasswordPool() *auth.Pool { return auth.NewPool(2*runtime.NumCPU(), 2*time.Second) }

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
	s.routesOps(r.Group("", deadline(5*time.Second)))
	v1 := r.Group("/v1", deadline(s.deps.RequestTimeout))
	s.routesIntegration(v1)
	s.routesShopper(v1)
	s.routesAuth(v1)
	s.routesMerchant(v1)
	s.routesMerchantAdmin(v1)
	s.routesAdmin(v1)
	s.routesFreezes(v1)
	s.routesCards(r.Group("/v1"))
	s.routesFinance(r.Group("/v1"))
	s.routesCodec(v1)
	s.routesCarrier(v1)
	s.routesGateway(v1)
	if s.deps.Dev {
		s.routesDev(v1)
	}
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
	if deps.UploadTimeout <= 0 {
		deps.UploadTimeout = 30 * time.Minute
	}
	if deps.Passwords == nil {
		deps.Passwords = DefaultPasswordPool()
	}
	s := &server{deps: deps, log: deps.Logger}
	s.counter = s.counterService()
	s.staff, s.orders, s.events = s.staffService(), s.ordersService(), s.eventsService()
	s.filing = s.filingService()
	s.finance = s.financeService()
	s.admin = s.adminService()
	s.session, s.freezes = s.sessionService(), s.freezeService()
	s.views = s.viewsService()

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
