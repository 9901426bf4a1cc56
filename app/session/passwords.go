package session

import (
	"context"

	"github.com/rebound-returns/rebound/db"
)

// TryPassword checks a member's password under the lock-out; log-in, the
// counter's supervisor check and the password change all go through it. It
// first waits for a hashing slot (auth.ErrBusy when none frees up: no try is
// spent), then claims a try (try.Claimed false: the member is locked, the
// password is not looked at), then hashes. The caller that lets the member
// in resets the failures (PasswordSucceeded).
func (s *Service) TryPassword(ctx context.Context, u *db.StaffUser, password string) (ok bool, try db.Try, err error) {
	if u.LockedUntil != nil && s.now().Before(*u.LockedUntil) {
		// Known locked when read: answered without waiting for a slot (the
		// claim below stays the rule for everything read before the lock).
		return false, db.Try{LockedUntil: *u.LockedUntil}, nil
	}
	slot, err := s.d.Pool.Hold(ctx)
	if err != nil {
		return false, try, err
	}
	defer slot.Release()
	try, err = s.d.Store.ClaimPasswordTry(ctx, u.ID, PasswordLockout, s.now())
	if err != nil || !try.Claimed {
		return false, try, err
	}
	ok, err = slot.Check(u.PasswordHash, password)
	slot.Release()
	if err != nil || !ok {
		return false, try, err
	}
	return true, try, nil
}
