// Package counter is the counter procedure, the first use case of Rebound's
// application layer: a clerk refunds an in-store return of a card sale to
// the card it was paid with, once the terminal, a supervisor's password, the
// voucher number from the sale's slip and the card itself are checked. It
// speaks plain Go (Request, Result, domain errors) and depends only on the
// small interfaces below; the API binds, calls Refund and renders. The two
// steps of a card refund that went otherwise (a supervisor's approval
// without the card, finance's resolution of a failed refund) are here too.
package counter

import (
	"context"
	"errors"
	"log/slog"
	"sort"
	"strings"
	"time"

	"github.com/rebound-returns/rebound/contract"
	"github.com/rebound-returns/rebound/db"
	"github.com/rebound-returns/rebound/ids"
	"github.com/rebound-returns/rebound/returns"
)

// Store is what the procedure reads and writes (app/wire assembles it from db's stores).
type Store interface {
	ReturnByID(ctx context.Context, id string) (*db.Return, error)
	TerminalByID(ctx context.Context, terminalID string) (*db.Terminal, error)
	OrderByID(ctx context.Context, id string) (*db.Order, error)
	StaffByUsername(ctx context.Context, merchantID, username string) (*db.StaffUser, error)
	PasswordSucceeded(ctx context.Context, userID string, t db.Try) error
	ClaimCounterTry(ctx context.Context, paymentID string, l db.Lockout, now time.Time) (db.Try, error)
	CounterSucceeded(ctx context.Context, paymentID string, t db.Try) error
	RefundsOfReturn(ctx context.Context, returnID string) ([]db.Refund, error)
}

// Passwords checks a member's password under the log-in lock-out (Try), and
// spends the time of a check on a refusal (Burn). Both return
// auth.ErrBusy when no hashing slot frees up.
type Passwords interface {
	Try(ctx context.Context, u *db.StaffUser, password string) (ok bool, try db.Try, err error)
	Burn(ctx context.Context, password string) error
}

// Workflow sends the steps to the return's workflow and waits until each is
// recorded (workflows.UpdateCounterRefund, UpdateRefundApproval,
// UpdateRefundResolution).
type Workflow interface {
	CounterRefund(ctx context.Context, returnID string, req contract.CounterRefundRequest) error
	RefundApproval(ctx context.Context, returnID string, req contract.RefundApprovalRequest) error
	RefundResolution(ctx context.Context, returnID string, req contract.RefundResolutionRequest) error
}

// Admins tells a merchant's admins of a lock-out; failures are the
// teller's to log.
type Admins interface {
	Tell(ctx context.Context, merchantID, subject, text string)
}

// Deps is what a Service is built from.
type Deps struct {
	Store     Store
	Passwords Passwords
	Workflow  Workflow
	Admins    Admins
	Log       *slog.Logger
	// PasswordLimit is how many failed authorisations lock a supervisor
	// (the log-in lock-out Passwords.Try counts against), for the admins'
	// message.
	PasswordLimit int
	// Now is the clock (time.Now when nil).
	Now func() time.Time
	// Wait bounds how long Refund waits for the refund's outcome (DefaultWait
	// when zero); Tick is how often it looks (200 ms when zero).
	Wait, Tick time.Duration
}

// DefaultWait is how long the counter waits for the acquirer before it
// answers that the refund will finish on its own.
const DefaultWait = 30 * time.Second

// Counter tries of a sale's voucher number and card: they are counted on
// the sale, whose secrets they guess, whichever return, terminal or clerk
// sends them.
const (
	MaxFailures = 5
	LockoutFor  = 30 * time.Minute
)

var saleLockout = db.Lockout{Limit: MaxFailures, For: LockoutFor}

// Service runs the counter procedure.
type Service struct{ d Deps }

// New builds a Service.
func New(d Deps) *Service {
	if d.Log == nil {
		d.Log = slog.New(slog.DiscardHandler)
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.Wait <= 0 {
		d.Wait = DefaultWait
	}
	if d.Tick <= 0 {
		d.Tick = 200 * time.Millisecond
	}
	return &Service{d: d}
}

// Request is one counter refund as the clerk sends it.
type Request struct {
	ReturnID string
	// MerchantID is the clerk's merchant: another merchant's return is
	// ErrNotFound.
	MerchantID string
	// Clerk is who sends it.
	Clerk returns.Actor

	TerminalID         string
	SupervisorUsername string
	SupervisorPassword string
	VoucherNo          string
	CardFingerprint    string
}

// Outcome is where the refund stands when Refund returns.
type Outcome int

const (
	// Pending: the acquirer has not answered within the wait; the refund
	// finishes on its own.
	Pending Outcome = iota
	// Settled: the refund has an outcome (refunded or failed).
	Settled
	// Frozen: a freeze of the merchant's refunds holds it.
	Frozen
)

// Result is what Refund did.
type Result struct {
	ReturnID string
	// Sent: the workflow took the refund (every check passed).
	Sent    bool
	Outcome Outcome
}

// Refund checks the request, sends the refund to the return's workflow and
// waits (up to Deps.Wait) for its outcome. A failed check is a *CheckError
// wrapping the domain error; the workflow's refusal a *SendError.
func (s *Service) Refund(ctx context.Context, req Request) (Result, error) {
	if err := req.validate(); err != nil {
		return Result{}, err
	}
	r, err := s.returnOf(ctx, req.ReturnID, req.MerchantID)
	if err != nil {
		return Result{}, err
	}
	if err := s.check(ctx, r, req); err != nil {
		return Result{ReturnID: r.ID}, err
	}
	err = s.d.Workflow.CounterRefund(ctx, r.ID, contract.CounterRefundRequest{
		Actor: req.Clerk, AuthorisedBy: strings.ToLower(req.SupervisorUsername), TerminalID: req.TerminalID})
	if err != nil {
		return Result{ReturnID: r.ID}, &SendError{err}
	}
	out, err := s.await(ctx, r.ID)
	return Result{ReturnID: r.ID, Sent: true, Outcome: out}, err
}

func (req Request) validate() error {
	var missing []string
	for field, v := range map[string]string{"terminal_id": req.TerminalID, "supervisor_username": req.SupervisorUsername,
		"supervisor_password": req.SupervisorPassword, "voucher_no": req.VoucherNo, "card_fingerprint": req.CardFingerprint} {
		if strings.TrimSpace(v) == "" {
			missing = append(missing, field)
		}
	}
	if len(missing) > 0 {
		sort.Strings(missing)
		return &MissingError{Fields: missing}
	}
	return nil
}

// returnOf reads the return if it is one of the caller's merchant.
func (s *Service) returnOf(ctx context.Context, returnID, merchantID string) (*db.Return, error) {
	if !ids.Valid(returnID) {
		return nil, ErrNotFound
	}
	r, err := s.d.Store.ReturnByID(ctx, returnID)
	if err != nil {
		if errors.Is(err, db.ErrNotFound) {
			return nil, ErrNotFound
		}
		return nil, err
	}
	if merchantID == "" || r.MerchantID != merchantID {
		return nil, ErrNotFound
	}
	return r, nil
}

func (s *Service) now() time.Time { return s.d.Now().UTC() }
