package counter

import (
	"errors"
	"time"
)

// The ways the counter procedure refuses, in its own terms. The API maps
// each to an answer in one table (api/errors.go); nothing here knows HTTP.
var (
	// ErrNotFound: no such return, or not one of the caller's merchant.
	ErrNotFound = errors.New("no such return")
	// ErrInvalid is what an *InvalidError is: a field with a value the
	// step does not take.
	ErrInvalid = errors.New("invalid field")
	// ErrMissing is what a *MissingError is: required fields left empty.
	ErrMissing = errors.New("required fields are missing")
	// ErrNotAtCounter: only an in-store return of a card sale is refunded
	// at the counter.
	ErrNotAtCounter = errors.New("not an in-store return of a card sale")
	// ErrWrongState is what a *StateError is: the return does not wait for
	// its refund.
	ErrWrongState = errors.New("the return does not wait for a refund")
	// ErrUnknownTerminal: the terminal is not one of the merchant's.
	ErrUnknownTerminal = errors.New("not a terminal of this merchant")
	// ErrSupervisorDenied: the supervisor's authorisation failed (unknown
	// name, disabled, wrong password).
	ErrSupervisorDenied = errors.New("the supervisor's authorisation failed")
	// ErrNoOwnPassword is what a *PersonError is when the supervisor still
	// has the one-time password they were handed.
	ErrNoOwnPassword = errors.New("the supervisor has not chosen their own password")
	// ErrNotSupervisor is what a *PersonError is when the member who
	// authorises is not a supervisor.
	ErrNotSupervisor = errors.New("not a supervisor")
	// ErrSupervisorLocked is what a *LockedError is when the supervisor's
	// account is locked.
	ErrSupervisorLocked = errors.New("the supervisor's account is locked")
	// ErrSaleUnknown: the sale's payment is not known.
	ErrSaleUnknown = errors.New("the sale's payment is not known")
	// ErrSaleUncounted: the try on the sale could not be counted.
	ErrSaleUncounted = errors.New("the sale's checks could not be counted")
	// ErrSaleLocked is what a *LockedError is when the sale is locked after
	// too many wrong voucher numbers or cards.
	ErrSaleLocked = errors.New("the sale is locked")
	// ErrWrongVoucher: the voucher number is not the sale's.
	ErrWrongVoucher = errors.New("the voucher number does not match the sale")
	// ErrWrongCard: the card is not the one the sale was paid with.
	ErrWrongCard = errors.New("not the card the sale was paid with")
)

// MissingError names the required fields left empty (their JSON names),
// sorted by name.
type MissingError struct{ Fields []string }

func (e *MissingError) Error() string { return ErrMissing.Error() }
func (e *MissingError) Unwrap() error { return ErrMissing }

// InvalidError names a field (its JSON name) and what is wrong with it.
type InvalidError struct{ Field, Reason string }

func (e *InvalidError) Error() string { return e.Field + " " + e.Reason }
func (e *InvalidError) Unwrap() error { return ErrInvalid }

// StateError says which status the return is in instead of refund_pending.
type StateError struct{ Status string }

func (e *StateError) Error() string { return "the return is " + e.Status }
func (e *StateError) Unwrap() error { return ErrWrongState }

// PersonError is a refusal about a named member (ErrNoOwnPassword,
// ErrNotSupervisor).
type PersonError struct {
	Username string
	Err      error
}

func (e *PersonError) Error() string { return e.Username + ": " + e.Err.Error() }
func (e *PersonError) Unwrap() error { return e.Err }

// LockedError is a lock-out (ErrSupervisorLocked, ErrSaleLocked): Until is
// when it ends, Wait how long that was from the check (RetryAfter).
type LockedError struct {
	Err   error
	Until time.Time
	Wait  time.Duration
}

func (e *LockedError) Error() string             { return e.Err.Error() + " until " + e.Until.Format(time.RFC3339) }
func (e *LockedError) Unwrap() error             { return e.Err }
func (e *LockedError) RetryAfter() time.Duration { return e.Wait }

// CheckError is a refusal by one of the counter's checks ("return",
// "terminal", "supervisor", "sale", "voucher", "card"): the audit log
// records which, never the secret that was tried.
type CheckError struct {
	Check string
	Err   error
}

func (e *CheckError) Error() string { return "counter check " + e.Check + ": " + e.Err.Error() }
func (e *CheckError) Unwrap() error { return e.Err }

// SendError is the workflow's refusal of (or failure to take) the counter
// refund once every check passed.
type SendError struct{ Err error }

func (e *SendError) Error() string { return "send counter refund: " + e.Err.Error() }
func (e *SendError) Unwrap() error { return e.Err }
