package db

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Lock-outs count guesses of a secret — a staff member's password, a card
// sale's voucher number and card — on what the secret belongs to. A try is
// claimed in the database before the secret is checked, by one conditional
// UPDATE: tries arriving at once are each counted, none is checked once the
// limit is reached, and the try that reaches it locks the subject. A
// success resets the count; it never lifts a lock that later tries set.

// Lockout is a limit of tries and how long reaching it locks.
type Lockout struct {
	Limit int
	For   time.Duration
}

// Try is the outcome of claiming a try.
type Try struct {
	// Claimed: the secret may be checked. When false, the subject is
	// locked until LockedUntil.
	Claimed     bool
	LockedUntil time.Time
	// Locks: this try is the limit's last; the subject is locked unless
	// the try succeeds.
	Locks bool
	// n is the count this try made, which Succeeded compares against.
	n int
}

// ErrLockoutSubject means the subject of a lock-out does not exist.
var ErrLockoutSubject = errors.New("no such lock-out subject")

// lockTarget names the columns a lock-out is kept in.
type lockTarget struct{ table, count, until string }

var (
	staffLockout = lockTarget{"staff_users", "failed_logins", "locked_until"}
	saleLockout  = lockTarget{"payments", "counter_failures", "counter_locked_until"}
)

// ClaimPasswordTry claims one check of a staff member's password: log-in,
// a supervisor's authorisation at the counter and a password change share
// it.
func (d Staff) ClaimPasswordTry(ctx context.Context, userID string, l Lockout, now time.Time) (Try, error) {
	return d.claimTry(ctx, staffLockout, userID, l, now)
}

// PasswordSucceeded resets the failures of the member whose try t was
// checked and found right.
func (d Staff) PasswordSucceeded(ctx context.Context, userID string, t Try) error {
	return d.succeeded(ctx, staffLockout, userID, t)
}

// ClaimCounterTry claims one check of a card sale's voucher number and card
// fingerprint at the counter; paymentID is the sale's payment.
func (d Staff) ClaimCounterTry(ctx context.Context, paymentID string, l Lockout, now time.Time) (Try, error) {
	return d.claimTry(ctx, saleLockout, paymentID, l, now)
}

// CounterSucceeded resets the sale's counter failures after try t passed.
func (d Staff) CounterSucceeded(ctx context.Context, paymentID string, t Try) error {
	return d.succeeded(ctx, saleLockout, paymentID, t)
}

func (d *conn) claimTry(ctx context.Context, lt lockTarget, id string, l Lockout, now time.Time) (Try, error) {
	now = now.UTC()
	// A lock that has run out starts a new count.
	next := fmt.Sprintf("CASE WHEN %[2]s IS NOT NULL AND %[2]s <= ? THEN 1 ELSE %[1]s + 1 END", lt.count, lt.until)
	lockEnd := "?"
	if d.dialect == Postgres {
		lockEnd = "CAST(? AS timestamptz)"
	}
	q := fmt.Sprintf(`UPDATE %[1]s SET %[2]s = %[4]s,
		%[3]s = CASE WHEN %[4]s >= ? THEN %[5]s ELSE NULL END
		WHERE id = ? AND (%[3]s IS NULL OR %[3]s <= ?)
		RETURNING %[2]s AS n`, lt.table, lt.count, lt.until, next, lockEnd)
	var claimed []struct{ N int }
	err := d.with(ctx).Raw(q, now, now, l.Limit, now.Add(l.For), id, now).Scan(&claimed).Error
	if err != nil {
		return Try{}, fmt.Errorf("claim a try on %s %s: %w", lt.table, id, err)
	}
	if len(claimed) == 1 {
		n := claimed[0].N
		return Try{Claimed: true, Locks: n >= l.Limit, n: n}, nil
	}
	var locked []struct{ Until time.Time }
	q = fmt.Sprintf("SELECT %[1]s AS until FROM %[2]s WHERE id = ? AND %[1]s IS NOT NULL", lt.until, lt.table)
	if err := d.with(ctx).Raw(q, id).Scan(&locked).Error; err != nil {
		return Try{}, fmt.Errorf("read the lock of %s %s: %w", lt.table, id, err)
	}
	if len(locked) != 1 {
		return Try{}, fmt.Errorf("claim a try on %s %s: %w", lt.table, id, ErrLockoutSubject)
	}
	return Try{LockedUntil: locked[0].Until}, nil
}

// succeeded clears the count; a lock stays unless this try itself set it
// (no try was claimed after it).
func (d *conn) succeeded(ctx context.Context, lt lockTarget, id string, t Try) error {
	q := fmt.Sprintf("UPDATE %[1]s SET %[2]s = 0, %[3]s = NULL WHERE id = ? AND (%[3]s IS NULL OR %[2]s = ?)",
		lt.table, lt.count, lt.until)
	if err := d.with(ctx).Exec(q, id, t.n).Error; err != nil {
		return fmt.Errorf("reset the tries of %s %s: %w", lt.table, id, err)
	}
	return nil
}
