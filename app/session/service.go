// Package session is how staff members get in and out: log-in by merchant,
// user name and password under the lock-out, log-out, who-am-I, the
// password change (and the forced one after a one-time password), and the
// lookup of a bearer token or an API key to the principal calling. It
// speaks plain Go (requests, results, apperr refusals) over the small
// interfaces below; the API binds, calls and renders, and keeps the gin
// middleware that admits callers by role.
package session

import (
	"context"
	"github.com/rebound-returns/rebound/returns"
	"log/slog"
	"time"

	"github.com/rebound-returns/rebound/db"
)

// Lifetimes and limits of staff credentials.
const (
	// Life is how long a staff session lasts.
	Life = 12 * time.Hour
	// MaxFailures wrong passwords lock a member for LockoutFor.
	MaxFailures = 10
	LockoutFor  = 30 * time.Minute
	// TokenPrefix starts every staff token, so that it is known at a glance.
	TokenPrefix = "rbs_"
)

// PasswordLockout limits the guesses of a member's password, wherever it is
// checked: log-in, a supervisor's authorisation at the counter, a password
// change. Each try is claimed before the password is hashed.
var PasswordLockout = db.Lockout{Limit: MaxFailures, For: LockoutFor}

// Store is what sessions read and write (app/wire assembles it from db's stores).
type Store interface {
	ClaimPasswordTry(ctx context.Context, userID string, l db.Lockout, now time.Time) (db.Try, error)
	PasswordSucceeded(ctx context.Context, userID string, t db.Try) error
	StaffByID(ctx context.Context, id string) (*db.StaffUser, error)
	StaffByUsername(ctx context.Context, merchantID, username string) (*db.StaffUser, error)
	MerchantBySlug(ctx context.Context, slug string) (*db.Merchant, error)
	MerchantByID(ctx context.Context, id string) (*db.Merchant, error)
	CreateSession(ctx context.Context, s *db.Session) error
	CallerByHash(ctx context.Context, hash string, now time.Time) (*db.Caller, error)
	DeleteSession(ctx context.Context, hash string) error
	EndOtherSessions(ctx context.Context, userID, keepHash string) error
	SetPassword(ctx context.Context, userID, hash string, mustChange bool) error
	APIKeyByHash(ctx context.Context, hash string) (*db.APIKey, error)
}

// Pool runs every password hash, a bounded number at once (*auth.Pool
// behind a small adapter). Each returns auth.ErrBusy when no slot frees up.
type Pool interface {
	// Hold waits for a slot the caller hashes in until Release.
	Hold(ctx context.Context) (Slot, error)
	Hash(ctx context.Context, password string) (string, error)
	// Burn spends the time of one check, so that an unknown user name
	// costs what a known one does.
	Burn(ctx context.Context, password string) error
}

// Slot is a held place in the Pool.
type Slot interface {
	Check(stored, password string) (bool, error)
	Release()
}

// Deps is what a Service is built from.
type Deps struct {
	Store Store
	Pool  Pool
	Log   *slog.Logger
	// Now is the clock (time.Now when nil).
	Now func() time.Time
}

// Service runs the sessions' use cases.
type Service struct{ d Deps }

// New builds a Service.
func New(d Deps) *Service {
	if d.Log == nil {
		d.Log = slog.New(slog.DiscardHandler)
	}
	return &Service{d: d}
}

func (s *Service) now() time.Time {
	if s.d.Now != nil {
		return s.d.Now().UTC()
	}
	return time.Now().UTC()
}

// Principal kinds.
const (
	KindStaff       = db.SessionStaff
	KindShopper     = db.SessionShopper
	KindIntegration = "integration"
)

// Principal is who is calling. Its fields are those of the API's
// principal, in the same order, so that one converts to the other.
type Principal struct {
	Kind       string
	UserID     string
	Username   string
	Role       returns.Role
	MerchantID string // "" for a platform operator
	ReturnID   string // for a shopper: the one return they may see
	// MustChange: the member logged in with a one-time password and may
	// only change it.
	MustChange bool
}

// Event is an entry for the audit log that a step leaves for its caller to
// write (the caller knows the request's origin): who, what, on which
// member (a staff_user id, "" when unknown), and how it ended.
type Event struct {
	Actor   Principal
	Action  string
	UserID  string
	Outcome string
	Detail  map[string]any
}

func event(actor Principal, action, userID, outcome string, detail map[string]any) *Event {
	return &Event{Actor: actor, Action: action, UserID: userID, Outcome: outcome, Detail: detail}
}
