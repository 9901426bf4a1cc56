// Package wire is the composition root of the API's use cases: it builds
// each of them (app/…) from the process's parts — the store, the Temporal
// client, the password pool, the clock — and hands them to the API in one
// struct. It is the one place that assembles each use case's Store from the
// database's stores (stores.go) and that adapts the Temporal client to each
// use case's Workflow, so that the API itself knows neither.
package wire

import (
	"context"
	"log/slog"
	"runtime"
	"time"

	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"

	"github.com/rebound-returns/rebound/app/admin"
	"github.com/rebound-returns/rebound/app/audit"
	"github.com/rebound-returns/rebound/app/catalog"
	"github.com/rebound-returns/rebound/app/counter"
	"github.com/rebound-returns/rebound/app/credit"
	"github.com/rebound-returns/rebound/app/events"
	"github.com/rebound-returns/rebound/app/filing"
	"github.com/rebound-returns/rebound/app/finance"
	"github.com/rebound-returns/rebound/app/freeze"
	"github.com/rebound-returns/rebound/app/idempotency"
	"github.com/rebound-returns/rebound/app/orders"
	"github.com/rebound-returns/rebound/app/outbox"
	"github.com/rebound-returns/rebound/app/session"
	"github.com/rebound-returns/rebound/app/staff"
	"github.com/rebound-returns/rebound/app/views"
	"github.com/rebound-returns/rebound/auth"
	"github.com/rebound-returns/rebound/db"
	"github.com/rebound-returns/rebound/settlement"
)

// What the edge and the use cases must agree on: the shopper's tokens
// (which the API recognises and filing hands out) and the page sizes of
// lists (which the API reads from ?limit= and finance's answers embed).
const (
	ShopperPrefix      = "rbr_"
	ShopperSessionLife = 30 * 24 * time.Hour
	PageSize           = 50
	PageMax            = 200
)

// Temporal is the part of the Temporal client the use cases use.
type Temporal interface {
	ExecuteWorkflow(ctx context.Context, options client.StartWorkflowOptions, workflow any, args ...any) (client.WorkflowRun, error)
	UpdateWorkflow(ctx context.Context, options client.UpdateWorkflowOptions) (client.WorkflowUpdateHandle, error)
	SignalWorkflow(ctx context.Context, workflowID, runID, signalName string, arg any) error
	DescribeWorkflowExecution(ctx context.Context, workflowID, runID string) (*workflowservice.DescribeWorkflowExecutionResponse, error)
}

// Deps are the parts the use cases are built from.
type Deps struct {
	// DB is the database; nil in tests whose use cases never reach it.
	DB       *db.DB
	Temporal Temporal
	// Passwords runs every password hash, a bounded number at once (nil:
	// DefaultPasswordPool).
	Passwords *auth.Pool
	Log       *slog.Logger
	// Now is the clock (time.Now when nil); the use cases see it in UTC.
	Now func() time.Time
	// Dev: `rebound dev`, where onboarding shows what it sent.
	Dev bool
	// OTPSecret keys the HMAC of one-time codes.
	OTPSecret []byte
	// OnOrder, when set, hears of every new order (dev feeds its simulators).
	OnOrder func(ctx context.Context, o *db.Order)
}

// UseCases are the API's use cases, built.
type UseCases struct {
	Counter *counter.Service
	Staff   *staff.Service
	Orders  *orders.Service
	Events  *events.Service
	Filing  *filing.Service
	Finance *finance.Service
	Admin   *admin.Service
	Session *session.Service
	Freezes *freeze.Service
	Audit   *audit.Log
	// AuditViewer shows the audit log to admins and operators.
	AuditViewer *audit.Viewer
	Idempotency *idempotency.Keys
	Outbox      *outbox.Service
	// Views reads a return as its page shows it.
	Views *views.Service
	// Credit is store credit: redemptions, reversals, balances, lists.
	Credit *credit.Service
	// Catalog is the merchant's catalog and the inventory holds of
	// exchanges.
	Catalog *catalog.Service
}

// DefaultPasswordPool is the password-hashing pool of Deps that name none:
// twice as many slots as CPUs, callers waiting up to two seconds.
func DefaultPasswordPool() *auth.Pool { return auth.NewPool(2*runtime.NumCPU(), 2*time.Second) }

// New builds every use case over d.
func New(d Deps) UseCases {
	if d.Log == nil {
		d.Log = slog.New(slog.DiscardHandler)
	}
	if d.Passwords == nil {
		d.Passwords = DefaultPasswordPool()
	}
	if d.DB == nil {
		d.DB = &db.DB{}
	}
	clock := d.Now
	now := func() time.Time {
		if clock != nil {
			return clock().UTC()
		}
		return time.Now().UTC()
	}
	t := flows{d.Temporal}
	sessions := session.New(session.Deps{Store: sessionStore{d.DB.Staff, d.DB.Merchants}, Pool: hashPool{d.Passwords}, Log: d.Log, Now: now})
	mail := outbox.New(outbox.Deps{Store: d.DB.Outbox, Delivery: mailDelivery{delivery{t}}, Log: d.Log})
	uc := UseCases{
		Counter: counter.New(counter.Deps{Store: counterStore{d.DB.Returns, d.DB.Orders, d.DB.Refunds, d.DB.Staff, d.DB.Merchants}, Passwords: staffPasswords{sessions, d.Passwords}, Workflow: returnUpdates{t},
			Admins: adminMail{mail}, Log: d.Log, Now: now, PasswordLimit: session.MaxFailures}),
		Staff:  staff.New(staff.Deps{Store: d.DB.Returns, Workflow: staffSteps{t}}),
		Orders: orders.New(orders.Deps{Store: d.DB.Orders, Created: d.OnOrder}),
		Events: events.New(events.Deps{Store: eventStore{d.DB.Returns, d.DB.Refunds}, Exchanges: d.DB.ExchangePayments, Workflow: eventSignals{t}, Log: d.Log}),
		Filing: filing.New(filing.Deps{Store: filingStore{d.DB.Returns, d.DB.Orders, d.DB.Refunds, d.DB.Catalog, d.DB.Shoppers, d.DB.Staff, d.DB.Merchants}, Workflow: shopperWorkflows{t}, Labels: simLabels{d.DB}, Log: d.Log,
			OTPSecret: d.OTPSecret, ShopperPrefix: ShopperPrefix, SessionLife: ShopperSessionLife, Now: now}),
		Finance: finance.New(finance.Deps{Store: financeStore{d.DB.Finance, d.DB.Refunds, d.DB.Settlement, d.DB.Returns, d.DB.Merchants}, Importer: &settlement.Importer{DB: d.DB}, Workflow: financeWorkflows{t},
			Now: now, PageSize: PageSize, PageMax: PageMax}),
		Admin: admin.New(admin.Deps{Store: admin.NewDB(d.DB, d.Passwords), Onboarding: admin.NewDB(d.DB, d.Passwords), Delivery: delivery{t},
			Dev: d.Dev, Now: now}),
		Session:     sessions,
		Freezes:     freeze.New(freeze.Deps{Store: freezeStore{d.DB.Freezes, d.DB.Merchants}, Workflow: freezeSignals{t}, Admins: adminMail{mail}, Log: d.Log, Now: now}),
		Audit:       audit.New(d.DB.Audit),
		AuditViewer: audit.NewViewer(auditReader{d.DB.Audit, d.DB.Merchants}),
		Idempotency: idempotency.New(idempotency.Deps{Store: idempotencyStore{d.DB.Idempotency, d.DB.Returns, d.DB.Staff}, ShopperPrefix: ShopperPrefix, SessionLife: ShopperSessionLife, Now: now}),
		Outbox:      mail,
		Views:       views.New(views.Deps{Store: d.DB.Returns}),
		Credit: credit.New(credit.Deps{Store: creditStore{d.DB.Credits, d.DB.Shoppers, d.DB.Merchants}, Delivery: mailDelivery{delivery{t}},
			Log: d.Log, Now: now, PageSize: PageSize, PageMax: PageMax, CountCap: views.CountCap}),
		Catalog: catalog.New(catalog.Deps{Store: d.DB.Catalog}),
	}
	return uc
}
