package cli

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
	sdklog "go.temporal.io/sdk/log"

	"github.com/rebound-returns/rebound/activities"
	"github.com/rebound-returns/rebound/api"
	"github.com/rebound-returns/rebound/app/wire"
	"github.com/rebound-returns/rebound/auth"
	"github.com/rebound-returns/rebound/config"
	"github.com/rebound-returns/rebound/db"
	"github.com/rebound-returns/rebound/historycodec"
	"github.com/rebound-returns/rebound/logging"
	"github.com/rebound-returns/rebound/notify"
	"github.com/rebound-returns/rebound/payments"
	"github.com/rebound-returns/rebound/shipping"
	"github.com/rebound-returns/rebound/tracing"
	"github.com/rebound-returns/rebound/web"
	"github.com/rebound-returns/rebound/worker"
)

// This file builds the parts every long-running subcommand shares.

func newLogger(env *Env) *slog.Logger {
	l := logging.New(env.Stderr, env.Config.LogFormat, env.Config.LogLevel)
	return slog.New(tracing.LogHandler(l.Handler())) // trace ids on lines logged in a span
}

// startTracing exports the process's spans when REBOUND_OTLP_ENDPOINT is
// set; stop sends what is left.
func startTracing(ctx context.Context, cfg *config.Config, service string, log *slog.Logger) (*tracing.Tracing, func(), error) {
	tr, err := tracing.New(ctx, cfg.OTLPEndpoint, service)
	if err != nil {
		return nil, nil, err
	}
	if cfg.OTLPEndpoint != "" {
		log.Info("tracing", "otlp_endpoint", cfg.OTLPEndpoint, "service", service)
	}
	return tr, func() {
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		if err := tr.Shutdown(sctx); err != nil {
			log.Warn("tracing: spans not all sent", "err", err)
		}
	}, nil
}

func openDB(cfg *config.Config, log *slog.Logger) (*db.DB, error) {
	return db.Open(cfg.DatabaseURL, db.Pool{
		MaxOpen:     cfg.DBMaxOpenConns,
		MaxIdle:     cfg.DBMaxIdleConns,
		MaxLifetime: cfg.DBConnMaxLifetime,
	}, log)
}

// temporalClient returns a client that connects on first use, so that the
// API and the worker start (and report not ready) while Temporal is down.
func temporalClient(cfg *config.Config, log *slog.Logger, tr *tracing.Tracing) (client.Client, error) {
	opts := client.Options{
		HostPort:  cfg.TemporalAddress,
		Namespace: cfg.TemporalNamespace,
		Logger:    sdklog.NewStructuredLogger(log.With("component", "temporal-client")),
	}
	if cfg.OTLPEndpoint != "" {
		// Spans go from the client call into workflow tasks and activities
		// (the worker uses this client too).
		ti, err := tr.TemporalInterceptor()
		if err != nil {
			return nil, err
		}
		opts.Interceptors = append(opts.Interceptors, ti)
	}
	if cfg.HistoryCodec != nil {
		opts.DataConverter = historycodec.DataConverter(cfg.HistoryCodec)
		opts.FailureConverter = historycodec.FailureConverter(opts.DataConverter)
	} else {
		log.Warn("workflow history is stored in clear: set REBOUND_HISTORY_KEYS to seal it")
	}
	c, err := client.NewLazyClient(opts)
	if err != nil {
		return nil, fmt.Errorf("temporal client: %w", err)
	}
	return c, nil
}

// readinessChecks are what /readyz asks: the database answers and is
// migrated, Temporal answers, and a worker polls the task queue.
func readinessChecks(d *db.DB, c client.Client) []api.Check {
	return []api.Check{
		{Name: "database", Fn: func(ctx context.Context) error {
			if err := d.Ping(ctx); err != nil {
				return errors.New("database unreachable")
			}
			m, err := db.NewMigrator(d, nil)
			if err != nil {
				return err
			}
			v, err := m.Version(ctx)
			if err != nil {
				return errors.New("schema version unreadable: run rebound migrate")
			}
			if v < m.Latest() {
				return fmt.Errorf("schema at version %d, this binary needs %d: run rebound migrate", v, m.Latest())
			}
			return nil
		}},
		{Name: "temporal", Fn: func(ctx context.Context) error {
			if _, err := c.CheckHealth(ctx, &client.CheckHealthRequest{}); err != nil {
				return errors.New("temporal unreachable")
			}
			return nil
		}},
		{Name: "worker", Fn: func(ctx context.Context) error {
			return worker.CheckPolling(ctx, c)
		}},
	}
}

// listen opens the HTTP listener first, so that a taken port fails the
// start at once and the printed address is the real one.
func listen(addr string) (net.Listener, error) {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("listen on %s: %w", addr, err)
	}
	return l, nil
}

// serveHTTP serves h on l until ctx ends, then drains for at most drain.
func serveHTTP(ctx context.Context, l net.Listener, h http.Handler, cfg *config.Config, log *slog.Logger, drain time.Duration) error {
	srv := api.NewHTTPServer(l.Addr().String(), h, api.ServerTimeouts{
		ReadHeader: cfg.HTTPReadHeaderTimeout,
		Idle:       cfg.HTTPIdleTimeout,
	}, log)
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(l) }()
	select {
	case err := <-errc:
		return fmt.Errorf("http server: %w", err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), drain)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		_ = srv.Close()
		return fmt.Errorf("http drain: %w", err)
	}
	return nil
}

// httpURL is a clickable URL for a listener address.
func httpURL(addr net.Addr) string {
	host, port, _ := net.SplitHostPort(addr.String())
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		host = "127.0.0.1"
	}
	return "http://" + net.JoinHostPort(host, port)
}

// newSender routes messages to SMTP, the SMS provider and webhooks. In dev,
// without SMTP or an SMS provider, messages are only kept in the outbox.
func newSender(cfg *config.Config) notify.Sender {
	// Outside dev a webhook reaches global unicast addresses only, checked
	// as it dials; dev keeps posting to the laptop's own servers.
	hooks := notify.PublicClient(10 * time.Second)
	if cfg.Mode == config.ModeDev {
		hooks = &http.Client{Timeout: 10 * time.Second}
	}
	r := notify.Router{Webhook: notify.NewWebhook(hooks)}
	if cfg.SMTPAddr != "" {
		r.Email = notify.NewSMTP(notify.SMTPConfig{Addr: cfg.SMTPAddr, From: cfg.SMTPFrom, Username: cfg.SMTPUsername, Password: cfg.SMTPPassword})
	} else if cfg.Mode == config.ModeDev {
		r.Email = notify.Discard{}
	}
	if cfg.SMSURL != "" {
		r.SMS = notify.NewSMS(notify.SMSConfig{URL: cfg.SMSURL, Token: cfg.SMSToken})
	} else if cfg.Mode == config.ModeDev {
		r.SMS = notify.Discard{}
	}
	return r
}

// newActivities builds the lifecycle activities.
func newActivities(cfg *config.Config, d *db.DB, c client.Client, log *slog.Logger, reg prometheus.Registerer) activities.Set {
	return activities.New(activities.Deps{
		Signal:        c,
		DB:            d,
		Sender:        newSender(cfg),
		Carrier:       shipping.Simulated{},
		Gateway:       gatewayClient(cfg),
		OTPSecret:     []byte(cfg.OTPSecret),
		KeepSensitive: cfg.Mode == config.ModeDev,
		PublicURL:     cfg.PublicURL,
		Metrics:       activities.NewMetrics(reg),
		Logger:        log,
		Cutoff:        cfg.AcquirerCutoff,
		Card: activities.CardSettings{SendTimeout: cfg.CardSendTimeout, RetryWait: cfg.CardRetryWait,
			ReversalPatience: cfg.ReversalPatience, FateWait: cfg.ReversalFateWait, MaxReversals: cfg.ReversalMaxTries,
			VoidFromSaleTerminal: cfg.VoidFromSaleTerminal},
		Faults:        cfg.Faults,
		SettlementDir: cfg.SettlementDir,
	})
}

// gatewayClient speaks to the payment gateway with each merchant
// account's key.
func gatewayClient(cfg *config.Config) *payments.Client {
	c := payments.NewClient(cfg.GatewayURL, cfg.GatewayAPIKey, nil)
	c.Keys = cfg.GatewayKeys
	return c
}

// workerDeps are the worker's dependencies in `rebound worker` and
// `rebound dev`.
func workerDeps(cfg *config.Config, acts activities.Set, log *slog.Logger) worker.Deps {
	return worker.Deps{Activities: acts, Logger: log, StopTimeout: cfg.WorkerStopTimeout, PickupCron: cfg.SettlementPickup}
}

// acquirerCheck reports whether the worker's acquirer connection is up.
func acquirerCheck(c interface{ Connected() bool }) api.Check {
	return api.Check{Name: "acquirer", Fn: func(context.Context) error {
		if !c.Connected() {
			return errors.New("not connected to the acquirer")
		}
		return nil
	}}
}

// apiDeps are the API's dependencies in `rebound api` and `rebound dev`:
// its use cases built over the store and Temporal (app/wire), and what
// the edge itself needs. onOrder, when set, hears of every new order.
func apiDeps(cfg *config.Config, d *db.DB, c client.Client, log *slog.Logger, m *api.Metrics,
	onOrder func(context.Context, *db.Order)) api.Deps {
	m.Registry.MustRegister(api.NewReturnsCollector(d.Returns))
	var codec converter.PayloadCodec // a nil *Codec would not be a nil interface
	if cfg.HistoryCodec != nil {
		codec = cfg.HistoryCodec
	}
	return api.Deps{
		Logger:         log,
		Metrics:        m,
		Ready:          readinessChecks(d, c),
		RequestTimeout: cfg.HTTPRequestTimeout,
		UseCases: wire.New(wire.Deps{DB: d, Temporal: c, Log: log, Dev: cfg.Mode == config.ModeDev,
			OTPSecret: []byte(cfg.OTPSecret), OnOrder: onOrder,
			Passwords: auth.NewPool(cfg.PasswordHashConcurrency, cfg.PasswordHashWait)}),
		Dev:            cfg.Mode == config.ModeDev,
		MetricsToken:   cfg.MetricsToken,
		CarrierSecret:  cfg.CarrierSecret,
		GatewaySecret:  cfg.GatewayWebhookSecret,
		TrustedProxies: cfg.TrustedProxies,
		Codec:          codec,
	}
}

// withPages puts the portal, the console and the finance dashboard in
// front of the API: they share its address and call it in process. The
// CSRF key is derived from the OTP secret, so no new secret is needed.
func withPages(cfg *config.Config, apiHandler http.Handler, log *slog.Logger) http.Handler {
	return web.Handler(web.Deps{API: apiHandler, Logger: log.With("component", "web"),
		Dev: cfg.Mode == config.ModeDev, Secret: []byte(cfg.OTPSecret)})
}
