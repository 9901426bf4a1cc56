package cli

import (
	"context"
	"log/slog"
	"net"

	"go.temporal.io/sdk/client"
	"golang.org/x/sync/errgroup"

	"github.com/rebound-returns/rebound/api"
	"github.com/rebound-returns/rebound/config"
	"github.com/rebound-returns/rebound/db"
	"github.com/rebound-returns/rebound/debugserver"
	"github.com/rebound-returns/rebound/tracing"
	"github.com/rebound-returns/rebound/worker"
)

func apiCommand() *command {
	return &command{
		name:    "api",
		summary: "serve the HTTP API against an external Temporal cluster and database",
		mode:    config.ModeAPI,
		flags:   []flagVar{{"http-addr", "REBOUND_HTTP_ADDR", "address of the HTTP API"}},
		run:     runAPI,
	}
}

func runAPI(ctx context.Context, env *Env, _ []string) error {
	p, err := startProcess(ctx, env, "rebound-api")
	if err != nil {
		return err
	}
	defer p.close()
	cfg, log := env.Config, p.log
	deps := apiDeps(cfg, p.db, p.temporal, log, api.NewMetrics(), nil)
	deps.Tracer = p.tracing.Provider
	handler := withPages(cfg, api.NewHandler(deps), log)
	log.Info("api listening", "addr", p.listener.Addr().String(), "temporal", cfg.TemporalAddress)
	return serveHTTP(ctx, p.listener, handler, cfg, log, cfg.ShutdownTimeout)
}

func workerCommand() *command {
	return &command{
		name:    "worker",
		summary: "run the Temporal worker; it serves /healthz, /readyz and /metrics on REBOUND_HTTP_ADDR",
		mode:    config.ModeWorker,
		flags:   []flagVar{{"http-addr", "REBOUND_HTTP_ADDR", "address of the health and metrics endpoints"}},
		run:     runWorker,
	}
}

func runWorker(ctx context.Context, env *Env, _ []string) error {
	p, err := startProcess(ctx, env, "rebound-worker")
	if err != nil {
		return err
	}
	defer p.close()
	cfg, log, d, c := env.Config, p.log, p.db, p.temporal
	metrics := api.NewMetrics()
	acts := newActivities(cfg, d, c, log, metrics.Registry)
	g, gctx := errgroup.WithContext(ctx)
	posClient, err := newAcquirerClient(gctx, g, cfg, acts.Cards, log)
	if err != nil {
		return err
	}
	acts.Cards.POS = posClient
	ready := append(readinessChecks(d, c), acquirerCheck(posClient))
	handler := api.NewOpsHandler(api.Deps{Logger: log, Metrics: metrics, Ready: ready, MetricsToken: cfg.MetricsToken})
	g.Go(func() error {
		return worker.Run(gctx, c, workerDeps(cfg, acts, log))
	})
	g.Go(func() error { return serveHTTP(gctx, p.listener, handler, cfg, log, cfg.ShutdownTimeout) })
	return g.Wait()
}

// process is what `rebound api` and `rebound worker` both start from, in
// this order: the database, the debug server, tracing, the Temporal client
// and the HTTP listener.
type process struct {
	log      *slog.Logger
	db       *db.DB
	tracing  *tracing.Tracing
	temporal client.Client
	listener net.Listener
	closers  []func()
}

func startProcess(ctx context.Context, env *Env, service string) (_ *process, err error) {
	cfg := env.Config
	p := &process{log: newLogger(env)}
	defer func() {
		if err != nil {
			p.close()
		}
	}()
	if p.db, err = openDB(cfg, p.log); err != nil {
		return nil, err
	}
	p.closers = append(p.closers, func() { _ = p.db.Close() })
	if _, err = debugserver.Start(ctx, cfg.DebugAddr, p.log, debugserver.Pool("db", p.db)); err != nil {
		return nil, err
	}
	var stop func()
	if p.tracing, stop, err = startTracing(ctx, cfg, service, p.log); err != nil {
		return nil, err
	}
	p.closers = append(p.closers, stop)
	if p.temporal, err = temporalClient(cfg, p.log, p.tracing); err != nil {
		return nil, err
	}
	p.closers = append(p.closers, p.temporal.Close)
	if p.listener, err = listen(cfg.HTTPAddr); err != nil {
		return nil, err
	}
	return p, nil
}

// close ends what startProcess started, last first (serving closes the
// listener).
func (p *process) close() {
	for i := len(p.closers) - 1; i >= 0; i-- {
		p.closers[i]()
	}
}
