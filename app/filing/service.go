// Package filing is what a shopper does before and around a return: find
// their order and prove it theirs with a code (an order lookup), file a
// return (verified at once through a lookup, or verified afterwards with a
// code sent to the order's contact), ask for a new code, fetch the label and
// cancel. Until a code is verified a shopper learns nothing of an order but
// whether it matched, and every unverified try counts against the caps of
// the otp rules. It speaks plain Go and depends on the small interfaces
// below; the API binds, calls a method and renders.
package filing

import (
	"context"
	"log/slog"
	"time"

	"github.com/rebound-returns/rebound/activities"
	"github.com/rebound-returns/rebound/contract"
	"github.com/rebound-returns/rebound/db"
)

// Store is what filing reads and writes (app/wire assembles it from db's stores).
type Store interface {
	MerchantBySlug(ctx context.Context, slug string) (*db.Merchant, error)
	MerchantByID(ctx context.Context, id string) (*db.Merchant, error)
	OrderByNumber(ctx context.Context, merchantID, orderNumber string) (*db.Order, error)
	OrderByID(ctx context.Context, id string) (*db.Order, error)
	TakenUnits(ctx context.Context, orderID, exceptReturnID string) (map[string]int, error)
	ReturnByID(ctx context.Context, id string) (*db.Return, error)
	CreateReturn(ctx context.Context, r *db.Return) error
	DeleteUnstartedReturn(ctx context.Context, id string) error
	CreateSession(ctx context.Context, s *db.Session) error
	RecordTry(ctx context.Context, t *db.ShopperTry, since time.Time) (db.TryCounts, error)
	CountCodes(ctx context.Context, returnID, contact, clientIP string, since time.Time) (db.CodeCounts, error)
	CheckCode(ctx context.Context, returnID string, now time.Time, maxTries int, match func(challengeID, codeHMAC string) bool) (db.CodeCheck, string, error)
	ClaimLookupFiling(ctx context.Context, lookupID string, max int) (bool, error)
	CheckLookupCode(ctx context.Context, id string, now time.Time, maxTries int, match func(id, codeHMAC string) bool,
		tokenHash string, tokenExpires time.Time) (db.CodeCheck, error)
	LookupByID(ctx context.Context, id string) (*db.OrderLookup, error)
	LookupByToken(ctx context.Context, hash string, now time.Time) (*db.OrderLookup, error)
	VariantBySKU(ctx context.Context, merchantID, sku string) (*db.CatalogVariant, error)
	RefundHistoryOf(ctx context.Context, orderID, exceptReturnID string) (db.RefundHistory, error)
}

// Workflow starts the return's and the lookup's workflows and sends the
// shopper's steps to a return's workflow, waiting until each is recorded.
type Workflow interface {
	// StartReturn starts workflows.ReturnWorkflow for in (the ID is the
	// return's; a duplicate is refused).
	StartReturn(ctx context.Context, in contract.ReturnInput) error
	// ReturnStarted says whether the return's workflow exists: false only
	// when it certainly does not; an error when that cannot be told.
	ReturnStarted(ctx context.Context, returnID string) (bool, error)
	// SendLookupCode runs workflows.OrderLookupWorkflow to its end. A run
	// that failed otherwise than by the workflow's refusal is ErrNotSent.
	SendLookupCode(ctx context.Context, in activities.LookupCodeInput) (activities.LookupCodeResult, error)
	Verify(ctx context.Context, returnID string, req contract.VerifyRequest) error
	SendCode(ctx context.Context, returnID string, req contract.SendCodeRequest) (activities.SendCodeResult, error)
	Cancel(ctx context.Context, returnID string, req contract.CancelRequest) error
}

// Labels renders the label of a shipped return.
type Labels interface {
	Label(ctx context.Context, r *db.Return) ([]byte, error)
}

// Deps is what a Service is built from.
type Deps struct {
	Store    Store
	Workflow Workflow
	Labels   Labels
	Log      *slog.Logger
	// OTPSecret keys the HMAC of one-time codes.
	OTPSecret []byte
	// ShopperPrefix and SessionLife make the shopper's token that opens a
	// return (the API authenticates it).
	ShopperPrefix string
	SessionLife   time.Duration
	// Now is the clock of the rules: windows, expiries (time.Now when nil).
	Now func() time.Time
	// Clock and Sleep time the waits: the least time of an unverified try
	// that found nothing, and the wait for a filed return to leave
	// pending_verification (time.Now and a timer when nil).
	Clock func() time.Time
	Sleep func(ctx context.Context, d time.Duration)
	// AwaitFor bounds that wait (10 s when zero), Tick is how often it
	// looks (50 ms when zero).
	AwaitFor, Tick time.Duration
}

// The time rules of filing.
const (
	// Floor is the least time an unverified filing or lookup that found
	// nothing takes, so that "no such order" and "wrong line" take as long.
	Floor = 150 * time.Millisecond
	// FilingsPerLookup caps the returns one order access token files.
	FilingsPerLookup = 5
	// PrefixOrderAccess starts an order access token.
	PrefixOrderAccess = "rbo_"
	// OrderAccessLife is how long a verified lookup opens its order.
	OrderAccessLife = 30 * time.Minute
	// startWithin bounds the start of a return's workflow, lookupWithin
	// the sending of a lookup's code: both outlive the request.
	startWithin  = 15 * time.Second
	lookupWithin = 30 * time.Second
)

// Service runs the shopper's steps.
type Service struct{ d Deps }

// New builds a Service.
func New(d Deps) *Service {
	if d.Log == nil {
		d.Log = slog.New(slog.DiscardHandler)
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.Clock == nil {
		d.Clock = time.Now
	}
	if d.Sleep == nil {
		d.Sleep = sleep
	}
	if d.AwaitFor <= 0 {
		d.AwaitFor = 10 * time.Second
	}
	if d.Tick <= 0 {
		d.Tick = 50 * time.Millisecond
	}
	return &Service{d: d}
}

func (s *Service) now() time.Time { return s.d.Now().UTC() }

// sleep waits d or until ctx ends.
func sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}

// atLeast waits until start+floor has passed (or ctx ends).
func (s *Service) atLeast(ctx context.Context, start time.Time, floor time.Duration) {
	if left := start.Add(floor).Sub(s.d.Clock()); left > 0 {
		s.d.Sleep(ctx, left)
	}
}
