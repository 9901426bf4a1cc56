package cli

import (
	"context"
	"errors"
	"github.com/rebound-returns/rebound/returns"
	"log/slog"
	"net/http"

	"github.com/rebound-returns/rebound/config"
	"github.com/rebound-returns/rebound/db"
	"github.com/rebound-returns/rebound/gatewaysim"
	"github.com/rebound-returns/rebound/payments"
)

func gatewayCommand() *command {
	return &command{
		name:    "gateway",
		summary: "run the payment gateway simulator (refunds with idempotency keys, webhooks); `rebound dev` runs one too",
		mode:    config.ModeGateway,
		flags:   []flagVar{{"addr", "REBOUND_GATEWAY_ADDR", "address to listen on"}},
		run: func(ctx context.Context, env *Env, _ []string) error {
			cfg := env.Config
			log := newLogger(env)
			sim := newGatewaySimulator(cfg)
			defer sim.Close()
			l, err := listen(cfg.GatewayAddr)
			if err != nil {
				return err
			}
			log.Info("gateway simulator listening", "addr", l.Addr().String(), "webhooks_to", cfg.GatewayWebhookURL)
			mux := http.NewServeMux()
			mux.Handle("/", sim)
			mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				_, _ = w.Write([]byte(`{"status":"ok"}`))
			})
			return serveHTTP(ctx, l, mux, cfg, log, cfg.ShutdownTimeout)
		},
	}
}

func newGatewaySimulator(cfg *config.Config) *gatewaysim.Simulator {
	return gatewaysim.New(gatewaysim.Config{
		APIKey:        cfg.GatewayAPIKey,
		AccountKeys:   cfg.GatewayKeys,
		WebhookURL:    cfg.GatewayWebhookURL,
		WebhookSecret: cfg.GatewayWebhookSecret,
		SettleDelay:   cfg.GatewaySettleDelay,
		ReportDir:     cfg.SettlementDir,
	})
}

// feedGateway tells the dev simulator of an online sale, as a real gateway
// would know it: under the merchant's slug as its account, so that its
// daily reports land in the merchant's folder of the settlement folder.
func feedGateway(ctx context.Context, sim *gatewaysim.Simulator, d *db.DB, log *slog.Logger, o *db.Order) {
	if o.Payment == nil || o.Payment.Channel != returns.ChannelOnline {
		return
	}
	m, err := d.Merchants.MerchantByID(ctx, o.MerchantID)
	if err != nil {
		log.Warn("gateway simulator not told of the payment: merchant unknown", "order", o.OrderNumber, "err", err)
		return
	}
	err = sim.AddPayment(gatewaysim.Payment{ID: o.Payment.GatewayPaymentID, Amount: o.Payment.Amount, Currency: o.Payment.Currency,
		Account: m.GatewayAccountName()})
	var apiErr *payments.APIError
	if err != nil && !(errors.As(err, &apiErr) && apiErr.Status == 409) {
		log.Warn("gateway simulator did not take the payment", "order", o.OrderNumber, "err", err)
	}
}
