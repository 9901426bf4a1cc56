package cli

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/rebound-returns/rebound/acquirersim"
	"github.com/rebound-returns/rebound/api"
	"github.com/rebound-returns/rebound/config"
	"github.com/rebound-returns/rebound/contract"
	"github.com/rebound-returns/rebound/db"
	"github.com/rebound-returns/rebound/debugserver"
	"github.com/rebound-returns/rebound/demo"
	"github.com/rebound-returns/rebound/devstack"
	"github.com/rebound-returns/rebound/worker"
)

func devCommand() *command {
	return &command{
		name:    "dev",
		summary: "run the whole platform in one process: embedded Temporal server, database, migrations, API and worker",
		mode:    config.ModeDev,
		flags: []flagVar{
			{"http-addr", "REBOUND_HTTP_ADDR", "address of the HTTP API"},
			{"temporal-address", "REBOUND_TEMPORAL_ADDRESS", "host:port the embedded Temporal server listens on"},
			{"data-dir", "REBOUND_DATA_DIR", "directory of the Temporal state and the default SQLite database"},
			{"database-url", "REBOUND_DATABASE_URL", "database URL (default: SQLite file in the data dir)"},
			{"gateway-addr", "REBOUND_GATEWAY_ADDR", "address of the payment gateway simulator"},
			{"acquirer-addr", "REBOUND_ACQUIRER_ADDR", "host:port of the acquirer simulator's ISO 8583 listener (with --acquirer-external: of the acquirer to connect to)"},
			{"acquirer-admin-addr", "REBOUND_ACQUIRER_ADMIN_ADDR", "address of the acquirer simulator's admin API"},
			{"debug-addr", "REBOUND_DEBUG_ADDR", "loopback address of the debug server (pprof, runtime metrics); none when empty"},
		},
		switches: []flagVar{
			{"acquirer-external", "REBOUND_ACQUIRER_EXTERNAL", "connect to an acquirer already listening on --acquirer-addr instead of starting the simulator"},
		},
		run: runDev,
	}
}

func runDev(ctx context.Context, env *Env, _ []string) error {
	cfg := env.Config
	log := newLogger(env)
	started := time.Now()

	host, port, err := splitHostPort(cfg.TemporalAddress)
	if err != nil {
		return fmt.Errorf("REBOUND_TEMPORAL_ADDRESS: %w", err)
	}
	ts, err := devstack.Start(ctx, devstack.Options{
		DataDir:  cfg.DataDir,
		Host:     host,
		Port:     port,
		Logger:   log,
		LogLevel: cfg.TemporalLogLevel,
	})
	if err != nil {
		return err
	}
	// Stopped last, after everything that talks to it.
	defer stopWithin(log, "temporal server", 3*time.Second, ts.Stop)

	d, err := openDB(cfg, log)
	if err != nil {
		return err
	}
	defer d.Close()
	if _, err := debugserver.Start(ctx, cfg.DebugAddr, log, debugserver.Pool("db", d)); err != nil {
		return err
	}
	version, err := db.Migrate(ctx, d, log)
	if err != nil {
		return err
	}

	seeded, err := demo.Seed(ctx, d, demo.Options{Password: cfg.DemoPassword, APIKey: cfg.DemoAPIKey})
	if err != nil {
		return err
	}

	tr, stopTracing, err := startTracing(ctx, cfg, "rebound-dev", log)
	if err != nil {
		return err
	}
	defer stopTracing()
	c, err := temporalClient(withAddress(cfg, ts.HostPort()), log, tr)
	if err != nil {
		return err
	}
	defer c.Close()

	l, err := listen(cfg.HTTPAddr)
	if err != nil {
		return err
	}
	gl, err := listen(cfg.GatewayAddr)
	if err != nil {
		return err
	}
	// What production configures, dev derives from its own listeners.
	dcfg := *cfg
	if dcfg.PublicURL == "" {
		dcfg.PublicURL = httpURL(l.Addr())
	}
	if dcfg.GatewayURL == "" {
		dcfg.GatewayURL = httpURL(gl.Addr())
	}
	if dcfg.GatewayWebhookURL == "" {
		dcfg.GatewayWebhookURL = dcfg.PublicURL + "/v1/gateway/events"
	}
	gateway := newGatewaySimulator(&dcfg)
	defer gateway.Close()
	// An external acquirer is only connected to: no simulator, no admin,
	// and the demo's card sales are its business.
	external := cfg.AcquirerExternal
	var acquirer *acquirersim.Acquirer
	var al net.Listener
	acquirerLine := fmt.Sprintf("%s   external acquirer (dev starts no simulator and tells it of no sale)", cfg.AcquirerAddr)
	if !external {
		if acquirer, err = startAcquirer(cfg, log); err != nil {
			return fmt.Errorf("%w (to use an acquirer already listening there: rebound dev --acquirer-external --acquirer-addr %s)", err, cfg.AcquirerAddr)
		}
		defer acquirer.Close()
		if al, err = listen(cfg.AcquirerAdminAddr); err != nil {
			return err
		}
		acquirerLine = fmt.Sprintf("%s   ISO 8583 acquirer simulator · admin %s (faults, ledger, settlement)", acquirer.Addr(), httpURL(al.Addr()))
	}
	feed := func(ctx context.Context, o *db.Order) {
		feedGateway(ctx, gateway, d, log, o)
		if acquirer != nil {
			feedAcquirer(ctx, acquirer, d, log, o)
		}
	}
	for _, o := range seeded.Orders {
		feed(ctx, o)
	}

	g, gctx := errgroup.WithContext(ctx)
	metrics := api.NewMetrics()
	acts := newActivities(&dcfg, d, c, log, metrics.Registry)
	posClient, err := newAcquirerClient(gctx, g, cfg, acts.Cards, log)
	if err != nil {
		return err
	}
	acts.Cards.POS = posClient
	deps := apiDeps(&dcfg, d, c, log, metrics, feed)
	deps.Ready = append(deps.Ready, acquirerCheck(posClient))
	deps.Tracer = tr.Provider
	handler := withPages(cfg, api.NewHandler(deps), log)

	g.Go(func() error {
		return worker.Run(gctx, c, workerDeps(cfg, acts, log))
	})
	g.Go(func() error { return serveHTTP(gctx, l, handler, cfg, log, cfg.ShutdownTimeout) })
	g.Go(func() error { return serveHTTP(gctx, gl, gateway, cfg, log, cfg.ShutdownTimeout) })
	if acquirer != nil {
		g.Go(func() error { return serveHTTP(gctx, al, acquirerAdmin(acquirer), cfg, log, cfg.ShutdownTimeout) })
	}

	fmt.Fprintf(env.Stdout, `
Rebound dev is running (started in %s)
  API        %s   health /healthz · readiness /readyz · metrics /metrics · codes sent /v1/dev/outbox
  Pages      %s/console (staff, finance at /console/finance) · %s/r/%s (shoppers' returns portal)
  Temporal   %s   namespace %s · state in %s
  Database   %s   schema version %d
  Worker     polling task queue %q
  Gateway    %s   payment gateway simulator (refunds settle after %s)
  Acquirer   %s
  Settlement %s   files the simulators drop, picked up by the schedule %q (%s)

Demo merchant %q: staff %s, password from REBOUND_DEMO_PASSWORD (%s)
  log-in merchant          %s (user names are unique per merchant)
  API key (X-API-Key)      %s
  carrier webhook secret   %s
  orders                   %s (shopper contact %s)
Press Ctrl-C to stop.

`, time.Since(started).Round(time.Millisecond), dcfg.PublicURL, dcfg.PublicURL, dcfg.PublicURL, seeded.Merchant, ts.HostPort(), cfg.TemporalNamespace,
		ts.DatabaseFile(), describeDatabase(cfg.DatabaseURL), version, contract.TaskQueue,
		dcfg.GatewayURL, cfg.GatewaySettleDelay, acquirerLine,
		describeDir(cfg.SettlementDir), contract.SettlementPickupScheduleID, cfg.SettlementPickup,
		seeded.Merchant, strings.Join(seeded.Staff, ", "), passwordHint(cfg.DemoPassword), seeded.Merchant,
		cfg.DemoAPIKey, cfg.CarrierSecret, orderNumbers(seeded.Orders), demo.ShopperEmail)

	err = g.Wait()
	log.Info("shutting down")
	return err
}

// describeDir names a folder absolutely ("none" when unset).
func describeDir(dir string) string {
	if dir == "" {
		return "none"
	}
	if abs, err := filepath.Abs(dir); err == nil {
		return abs
	}
	return dir
}

// passwordHint shows the demo password only when it is the default.
func passwordHint(p string) string {
	if p == "rebound-demo" {
		return "default: rebound-demo"
	}
	return "as set"
}

func orderNumbers(os []*db.Order) string {
	var ns []string
	for _, o := range os {
		ns = append(ns, o.OrderNumber+" ("+string(o.Payment.Channel)+")")
	}
	return strings.Join(ns, ", ")
}

// withAddress returns a copy of cfg whose Temporal address is hostPort.
func withAddress(cfg *config.Config, hostPort string) *config.Config {
	c := *cfg
	c.TemporalAddress = hostPort
	return &c
}

func splitHostPort(hp string) (string, int, error) {
	host, p, err := net.SplitHostPort(hp)
	if err != nil {
		return "", 0, err
	}
	port, err := strconv.Atoi(p)
	if err != nil {
		return "", 0, fmt.Errorf("bad port %q", p)
	}
	if host == "" {
		host = "127.0.0.1"
	}
	return host, port, nil
}

// describeDatabase names the database without its password.
func describeDatabase(raw string) string {
	t, err := db.ParseURL(raw)
	if err != nil {
		return "?"
	}
	if t.Dialect == db.SQLite {
		abs, err := filepath.Abs(t.Path)
		if err != nil {
			abs = t.Path
		}
		return "sqlite " + abs
	}
	u, err := url.Parse(raw)
	if err != nil {
		return "postgres"
	}
	return u.Redacted()
}

// stopWithin runs stop but gives up waiting after d, so that one slow part
// cannot hold the process past its shutdown budget.
func stopWithin(log *slog.Logger, what string, d time.Duration, stop func() error) {
	done := make(chan error, 1)
	go func() { done <- stop() }()
	select {
	case err := <-done:
		if err != nil {
			log.Warn("stop failed", "part", what, "err", err)
		}
	case <-time.After(d):
		log.Warn("stop took too long; leaving it", "part", what, "after", d)
	}
}
