package cli

import (
	"context"
	"crypto/tls"
	"fmt"
	"github.com/rebound-returns/rebound/returns"
	"log/slog"
	"net/http"

	"golang.org/x/sync/errgroup"

	"github.com/rebound-returns/rebound/acquirersim"
	"github.com/rebound-returns/rebound/activities"
	"github.com/rebound-returns/rebound/config"
	"github.com/rebound-returns/rebound/db"
	"github.com/rebound-returns/rebound/pos"
)

func acquirerCommand() *command {
	return &command{
		name:    "acquirer",
		summary: "run the acquirer host simulator (ISO 8583 on REBOUND_ACQUIRER_ADDR, admin HTTP on REBOUND_ACQUIRER_ADMIN_ADDR); `rebound dev` runs one too",
		mode:    config.ModeAcquirer,
		flags: []flagVar{
			{"addr", "REBOUND_ACQUIRER_ADDR", "ISO 8583 address to listen on"},
			{"admin-addr", "REBOUND_ACQUIRER_ADMIN_ADDR", "admin HTTP address"},
		},
		run: func(ctx context.Context, env *Env, _ []string) error {
			cfg := env.Config
			log := newLogger(env)
			sim, err := startAcquirer(cfg, log)
			if err != nil {
				return err
			}
			defer sim.Close()
			l, err := listen(cfg.AcquirerAdminAddr)
			if err != nil {
				return err
			}
			log.Info("acquirer simulator listening", "iso8583", sim.Addr(), "admin", l.Addr().String())
			return serveHTTP(ctx, l, acquirerAdmin(sim), cfg, log, cfg.ShutdownTimeout)
		},
	}
}

func startAcquirer(cfg *config.Config, log *slog.Logger) (*acquirersim.Acquirer, error) {
	sim := acquirersim.New(acquirersim.Config{Cutoff: cfg.AcquirerCutoff, SettlementDir: cfg.SettlementDir,
		Logger: log.With("component", "acquirer-simulator")})
	if err := sim.Start(cfg.AcquirerAddr); err != nil {
		return nil, fmt.Errorf("acquirer simulator on %s: %w", cfg.AcquirerAddr, err)
	}
	return sim, nil
}

// acquirerAdmin is the simulator's admin API with a health route.
func acquirerAdmin(sim *acquirersim.Acquirer) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/admin/", sim.AdminHandler())
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"status":"ok"}`))
	})
	return mux
}

// newAcquirerClient connects the worker to the acquirer; late answers are
// recorded on their attempts. It keeps reconnecting in the background.
func newAcquirerClient(ctx context.Context, g *errgroup.Group, cfg *config.Config, cards *activities.Cards, log *slog.Logger) (*pos.Client, error) {
	var tlsConfig *tls.Config
	if cfg.AcquirerTLS {
		var err error
		tlsConfig, err = pos.TLSFiles{CA: cfg.AcquirerCAFile, Cert: cfg.AcquirerCertFile, Key: cfg.AcquirerKeyFile,
			ServerName: cfg.AcquirerServerName}.ClientTLS()
		if err != nil {
			return nil, err
		}
	}
	onUnreadable := func(string, string) {}
	if cards.Metrics != nil {
		onUnreadable = func(string, string) { cards.Metrics.UnreadableAnswers.Inc() }
	}
	c, err := pos.NewClient(pos.ClientConfig{
		Addr: cfg.AcquirerAddr, TLS: tlsConfig, SendTimeout: cfg.AcquirerTimeout,
		OnLate:       activities.LateResponses{DB: cards.DB, Logger: log, Metrics: cards.Metrics}.Record,
		OnUnreadable: onUnreadable,
		Logger:       log.With("component", "acquirer-client"),
	})
	if err != nil {
		return nil, err
	}
	g.Go(func() error {
		if err := c.Connect(ctx); err != nil && ctx.Err() == nil {
			log.Warn("acquirer not reachable yet; retrying in the background", "err", err)
		}
		<-ctx.Done()
		return c.Close()
	})
	return c, nil
}

// feedAcquirer tells the dev simulator of a card sale and its terminals, as
// a real acquirer would know them.
func feedAcquirer(ctx context.Context, sim *acquirersim.Acquirer, d *db.DB, log *slog.Logger, o *db.Order) {
	if o.Payment == nil || o.Payment.Channel != returns.ChannelCardPresent {
		return
	}
	m, err := d.Merchants.MerchantByID(ctx, o.MerchantID)
	if err != nil {
		return
	}
	terminals, err := d.Merchants.Terminals(ctx, m.ID)
	if err == nil {
		for _, t := range terminals {
			sim.AddTerminal(t.TerminalID, m.AcquirerMerchantID)
		}
	}
	p := o.Payment
	at := o.PlacedAt
	if p.SaleAt != nil {
		at = *p.SaleAt // the sale's own DE7, as the acquirer has it
	}
	err = sim.AddSale(acquirersim.Sale{TerminalID: p.TerminalID, MerchantID: m.AcquirerMerchantID, STAN: p.STAN, RRN: p.RRN,
		ApprovalCode: p.ApprovalCode, MaskedPAN: p.MaskedPAN, Currency: p.Currency, Amount: p.Amount, At: at, Batch: p.Batch})
	if err != nil {
		log.Warn("acquirer simulator did not take the sale", "order", o.OrderNumber, "err", err)
	}
}
