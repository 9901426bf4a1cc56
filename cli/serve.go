package cli

import (
	"context"

	"golang.org/x/sync/errgroup"

	"github.com/rebound-returns/rebound/api"
	"github.com/rebound-returns/rebound/config"
	"github.com/rebound-returns/rebound/debugserver"
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
	cfg := env.Config
	log := newLogger(env)
	d, err := openDB(cfg, log)
	if err != nil {
		return err
	}
	defer d.Close()
	if _, err := debugserver.Start(ctx, cfg.DebugAddr, log, debugserver.Pool("db", d)); err != nil {
		return err
	}
	tr, stop, err := startTracing(ctx, cfg, "rebound-api", log)
	if err != nil {
		return err
	}
	defer stop()
	c, err := temporalClient(cfg, log, tr)
	if err != nil {
		return err
	}
	defer c.Close()
	l, err := listen(cfg.HTTPAddr)
	if err != nil {
		return err
	}
	deps := apiDeps(cfg, d, c, log, api.NewMetrics(), nil)
	deps.Tracer = tr.Provider
	handler := withPages(cfg, api.NewHandler(deps), log)
	log.Info("api listening", "addr", l.Addr().String(), "temporal", cfg.TemporalAddress)
	return serveHTTP(ctx, l, handler, cfg, log, cfg.ShutdownTimeout)
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
	cfg := env.Config
	log := newLogger(env)
	d, err := openDB(cfg, log)
	if err != nil {
		return err
	}
	defer d.Close()
	if _, err := debugserver.Start(ctx, cfg.DebugAddr, log, debugserver.Pool("db", d)); err != nil {
		return err
	}
	tr, stop, err := startTracing(ctx, cfg, "rebound-worker", log)
	if err != nil {
		return err
	}
	defer stop()
	c, err := temporalClient(cfg, log, tr)
	if err != nil {
		return err
	}
	defer c.Close()
	l, err := listen(cfg.HTTPAddr)
	if err != nil {
		return err
	}
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
	g.Go(func() error { return serveHTTP(gctx, l, handler, cfg, log, cfg.ShutdownTimeout) })
	return g.Wait()
}
