package activities

import (
	"log/slog"
	"time"

	"github.com/rebound-returns/rebound/db"
	"github.com/rebound-returns/rebound/faultpoint"
	"github.com/rebound-returns/rebound/notify"
	"github.com/rebound-returns/rebound/shipping"
)

// Set is every part, for a worker (or a test) that runs them all. A
// workflow names its activities through a zero Set: its fields are typed
// nil pointers whose methods are named, never called.
type Set struct {
	Messages       *Messages
	Shipping       *Shipping
	Cards          *Cards
	GatewayRefunds *GatewayRefunds
	Settlement     *Settlement
	Store          *Store
	Inventory      *Inventory
	// ExchangePayments hold, capture, release and charge exchanges'
	// money at the gateway.
	ExchangePayments *ExchangePayments
}

// Deps are what the parts need, all together; New hands each part its own.
type Deps struct {
	DB     *db.DB
	Logger *slog.Logger
	// Now is the clock (time.Now when nil).
	Now func() time.Time
	// Metrics count steps, refunds and the acquirer's troubles (nil: none).
	Metrics *Metrics
	// Faults are the fault points a test armed (nil: none).
	Faults *faultpoint.Points

	// Sender delivers messages; OTPSecret keys the HMAC under which codes
	// are stored; KeepSensitive keeps a sent code's message body (dev only,
	// where the outbox is how people read their codes).
	Sender        notify.Sender
	OTPSecret     []byte
	KeepSensitive bool
	// Carrier books shipments; PublicURL is the API's address as shoppers
	// reach it, for the label's link.
	Carrier   shipping.Carrier
	PublicURL string
	// POS sends card messages to the acquirer; Cutoff is its batch cut-off;
	// Card the worker's settings for card messages.
	POS    Acquirer
	Cutoff time.Duration
	Card   CardSettings
	// Gateway is the payment gateway's client, for online refunds.
	Gateway Gateway
	// ExchangeGateway is the client for exchanges' holds and charges; nil
	// means Gateway, when it has those calls (a *payments.Client does).
	ExchangeGateway ExchangeGateway
	// Signal tells returns they were settled; SettlementDir is the
	// settlement folder files are picked up from (see package dropfolder),
	// "" picks up nothing.
	Signal        Signaller
	SettlementDir string
}

// New builds every part from d.
func New(d Deps) Set {
	base := Base{DB: d.DB, Logger: d.Logger, Now: d.Now}
	if d.ExchangeGateway == nil {
		d.ExchangeGateway, _ = d.Gateway.(ExchangeGateway)
	}
	msgs := &Messages{Base: base, Sender: d.Sender, OTPSecret: d.OTPSecret, KeepSensitive: d.KeepSensitive}
	return Set{
		Messages: msgs,
		Shipping: &Shipping{Base: base, Carrier: d.Carrier, PublicURL: d.PublicURL},
		Cards: &Cards{Base: base, POS: d.POS, Cutoff: d.Cutoff, Card: d.Card, Faults: d.Faults,
			Metrics: d.Metrics},
		GatewayRefunds: &GatewayRefunds{Base: base, Gateway: d.Gateway},
		Settlement:     &Settlement{Base: base, Signal: d.Signal, SettlementDir: d.SettlementDir},
		Store:          &Store{Base: base, Metrics: d.Metrics, Faults: d.Faults, Messages: msgs},
		Inventory:      &Inventory{Base: base},

		ExchangePayments: &ExchangePayments{Base: base, Gateway: d.ExchangeGateway},
	}
}

// Parts are the set's parts that are there, to register on a worker.
func (s Set) Parts() []any {
	var out []any
	add := func(there bool, part any) {
		if there {
			out = append(out, part)
		}
	}
	add(s.Messages != nil, s.Messages)
	add(s.Shipping != nil, s.Shipping)
	add(s.Cards != nil, s.Cards)
	add(s.GatewayRefunds != nil, s.GatewayRefunds)
	add(s.Settlement != nil, s.Settlement)
	add(s.Store != nil, s.Store)
	add(s.Inventory != nil, s.Inventory)
	add(s.ExchangePayments != nil, s.ExchangePayments)
	return out
}
