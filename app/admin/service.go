// Package admin is how merchants are brought onto Rebound and run: an
// operator onboards a merchant; the merchant's admin keeps its return
// policy, terminals, webhook endpoints, API keys and staff. It speaks plain
// Go (inputs, views, app/apperr refusals) over the small interfaces below;
// the API binds, calls one method and renders. The checks of people and
// keys themselves are package onboard's, shared with `rebound admin`.
package admin

import (
	"context"
	"net"
	"time"

	"github.com/rebound-returns/rebound/db"
	"github.com/rebound-returns/rebound/onboard"
)

// Store is what the use cases read and write (DB satisfies it over db's stores).
type Store interface {
	MerchantsPage(ctx context.Context, p db.Page) (*db.Paged[db.Merchant], error)
	MerchantByID(ctx context.Context, id string) (*db.Merchant, error)
	SetPolicy(ctx context.Context, merchantID string, policy db.JSON) error
	TerminalsPage(ctx context.Context, merchantID string, p db.Page) (*db.Paged[db.Terminal], error)
	WebhookEndpointsPage(ctx context.Context, merchantID string, p db.Page) (*db.Paged[db.WebhookEndpoint], error)
	WebhookEndpoint(ctx context.Context, id string) (*db.WebhookEndpoint, error)
	CreateWebhookEndpoint(ctx context.Context, w *db.WebhookEndpoint) error
	QueueOutbox(ctx context.Context, m *db.OutboxMessage) error
	OutboxByIDs(ctx context.Context, ids []string) ([]db.OutboxMessage, error)
	StaffOf(ctx context.Context, merchantID string, p db.Page) (*db.Paged[db.StaffUser], error)
	ChangeStaff(ctx context.Context, merchantID, userID string, ch db.StaffChange) (*db.StaffUser, error)
	APIKeysOf(ctx context.Context, merchantID string, p db.Page) (*db.Paged[db.APIKey], error)
	RevokeAPIKey(ctx context.Context, merchantID, id string, at time.Time) error
	// InTx runs fn in one transaction.
	InTx(ctx context.Context, fn func(tx TerminalTx) error) error
}

// TerminalTx is what registering a terminal does inside its transaction:
// the store is made with the terminal when it is new.
type TerminalTx interface {
	StoreByCode(ctx context.Context, merchantID, code string) (*db.Store, error)
	CreateStore(ctx context.Context, s *db.Store) error
	CreateTerminal(ctx context.Context, t *db.Terminal) error
}

// Onboarding creates merchants, staff and API keys with package onboard's
// checks; its refusals are *onboard.InvalidError (DB satisfies it).
type Onboarding interface {
	CreateMerchant(ctx context.Context, in onboard.MerchantInput, by string) (*onboard.Onboarded, error)
	InviteStaff(ctx context.Context, merchantID string, in onboard.StaffInput) (*db.StaffUser, string, error)
	NewAPIKey(ctx context.Context, merchantID, name, by string) (*db.APIKey, string, error)
}

// Delivery hands queued outbox messages to the workflow that sends them
// with retries; the run's Get returns once it is done.
type Delivery interface {
	Deliver(ctx context.Context, outboxIDs []string) (Run, error)
}

// Run is a started delivery (client.WorkflowRun satisfies it).
type Run interface {
	Get(ctx context.Context, valuePtr any) error
}

// Resolver looks up a webhook host's addresses (net.DefaultResolver).
type Resolver interface {
	LookupIPAddr(ctx context.Context, host string) ([]net.IPAddr, error)
}

// Deps is what a Service is built from.
type Deps struct {
	Store      Store
	Onboarding Onboarding
	Delivery   Delivery
	// Resolver checks that webhook endpoints are public; nil is
	// net.DefaultResolver.
	Resolver Resolver
	// Dev lets webhook endpoints be plain http on any address (a developer's
	// own machine); outside dev they must be https on the internet.
	Dev bool
	Now func() time.Time
	// TestWait bounds how long a webhook's test send is waited for; zero
	// is DefaultTestWait.
	TestWait time.Duration
}

// DefaultTestWait is how long a webhook's test send is waited for before
// the answer tells how far it got.
const DefaultTestWait = 20 * time.Second

// Service runs onboarding and the merchant's administration.
type Service struct{ d Deps }

// New builds the service.
func New(d Deps) *Service {
	if d.Resolver == nil {
		d.Resolver = net.DefaultResolver
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.TestWait <= 0 {
		d.TestWait = DefaultTestWait
	}
	return &Service{d: d}
}

func (s *Service) now() time.Time { return s.d.Now().UTC() }
