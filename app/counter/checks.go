package counter

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"strings"

	"github.com/rebound-returns/rebound/auth"
	"github.com/rebound-returns/rebound/db"
	"github.com/rebound-returns/rebound/returns"
)

// check runs the checks of the counter procedure in order and returns the
// first that fails, as a *CheckError.
func (s *Service) check(ctx context.Context, r *db.Return, req Request) error {
	failed := func(check string, err error) error { return &CheckError{Check: check, Err: err} }
	if r.Method != returns.MethodInStore || r.Channel != returns.ChannelCardPresent {
		return failed("return", ErrNotAtCounter)
	}
	if r.Status != string(returns.RefundPending) {
		return failed("return", &StateError{Status: r.Status})
	}
	t, err := s.d.Store.TerminalByID(ctx, req.TerminalID)
	if err != nil || t.MerchantID != r.MerchantID {
		return failed("terminal", ErrUnknownTerminal)
	}
	if err := s.checkSupervisor(ctx, r.MerchantID, req.SupervisorUsername, req.SupervisorPassword); err != nil {
		return failed("supervisor", err)
	}
	order, err := s.d.Store.OrderByID(ctx, r.OrderID)
	if err != nil || order.Payment == nil {
		return failed("sale", ErrSaleUnknown)
	}
	return s.checkSale(ctx, r, order, req)
}

// checkSupervisor checks that a supervisor of the merchant, or an admin
// (who may do everything a supervisor may), authorises with their password. Tries count towards the same lock-out as log-ins, claimed
// before the password is hashed; when it locks, the merchant's admins are
// told.
func (s *Service) checkSupervisor(ctx context.Context, merchantID, username, password string) error {
	refuse := func(err error) error {
		// Every refusal costs the time of a check, in the same pool.
		if berr := s.d.Passwords.Burn(ctx, password); errors.Is(berr, auth.ErrBusy) {
			return auth.ErrBusy
		}
		return err
	}
	// Only the merchant's own members are looked up: another merchant's
	// member of the same name is neither found nor counted against.
	u, err := s.d.Store.StaffByUsername(ctx, merchantID, username)
	if err != nil || u.MerchantID == nil || *u.MerchantID != merchantID || u.Disabled {
		return refuse(ErrSupervisorDenied)
	}
	if u.MustChangePassword {
		// A one-time password was handed over: it authorises nothing.
		return refuse(&PersonError{Username: u.Username, Err: ErrNoOwnPassword})
	}
	if !u.Role.Covers(returns.RoleSupervisor) {
		return refuse(&PersonError{Username: u.Username, Err: ErrNotSupervisor})
	}
	ok, try, err := s.d.Passwords.Try(ctx, u, password)
	if errors.Is(err, auth.ErrBusy) {
		return auth.ErrBusy
	}
	if err != nil {
		s.d.Log.Error("supervisor password not checked", "err", err)
		return ErrSupervisorDenied
	}
	if !try.Claimed {
		return &LockedError{Err: ErrSupervisorLocked, Until: try.LockedUntil, Wait: try.LockedUntil.Sub(s.now())}
	}
	if ok {
		if err := s.d.Store.PasswordSucceeded(ctx, u.ID, try); err != nil {
			s.d.Log.Error("supervisor success not recorded", "err", err)
		}
		return nil
	}
	if try.Locks {
		s.d.Admins.Tell(ctx, merchantID, "Supervisor account locked",
			fmt.Sprintf("The account of supervisor %s was locked after %d failed authorisations at the counter.", u.Username, s.d.PasswordLimit))
	}
	return ErrSupervisorDenied
}

// checkSale checks the voucher number from the sale's slip and the card's
// fingerprint, after claiming a try on the sale.
func (s *Service) checkSale(ctx context.Context, r *db.Return, order *db.Order, req Request) error {
	sale := order.Payment
	failed := func(check string, err error) error { return &CheckError{Check: check, Err: err} }
	try, err := s.d.Store.ClaimCounterTry(ctx, sale.ID, saleLockout, s.now())
	if err != nil {
		s.d.Log.Error("counter try not claimed", "err", err)
		return failed("sale", ErrSaleUncounted)
	}
	if !try.Claimed {
		return failed("sale", &LockedError{Err: ErrSaleLocked, Until: try.LockedUntil, Wait: try.LockedUntil.Sub(s.now())})
	}
	var wrong error
	switch {
	case strings.TrimSpace(req.VoucherNo) != sale.STAN:
		wrong = failed("voucher", ErrWrongVoucher)
	case subtle.ConstantTimeCompare([]byte(req.CardFingerprint), []byte(sale.CardFingerprint)) != 1:
		wrong = failed("card", ErrWrongCard)
	}
	if wrong == nil {
		if err := s.d.Store.CounterSucceeded(ctx, sale.ID, try); err != nil {
			s.d.Log.Error("counter success not recorded", "err", err)
		}
		return nil
	}
	if try.Locks {
		s.d.Admins.Tell(ctx, r.MerchantID, "Counter refund locked",
			fmt.Sprintf("Counter refunds of order %s were locked for %s after %d wrong voucher numbers or cards.",
				order.OrderNumber, LockoutFor, MaxFailures))
	}
	return wrong
}
