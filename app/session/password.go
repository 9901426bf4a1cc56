package session

import (
	"context"
	"github.com/rebound-returns/rebound/returns"
	"strings"

	"github.com/rebound-returns/rebound/app/apperr"
	"github.com/rebound-returns/rebound/auth"
	"github.com/rebound-returns/rebound/db"
)

// PasswordChange is a member's new password, with the current one as proof
// and the token of the session asking (which stays open).
type PasswordChange struct {
	Current, New string
	Token        string
}

// ChangePassword replaces the caller's password, checking the current one
// (guesses count towards the log-in lock-out); a one-time password stops
// being one, and every other session of the member ends. The event, when
// not nil, is for the audit log, whatever the error.
func (s *Service) ChangePassword(ctx context.Context, p Principal, req PasswordChange) (*Event, error) {
	if err := checkNewPassword(p.Username, req); err != nil {
		return nil, err
	}
	u, err := s.d.Store.StaffByID(ctx, p.UserID)
	if err != nil {
		return nil, err
	}
	ok, try, err := s.TryPassword(ctx, u, req.Current)
	if err != nil {
		return nil, err
	}
	if !try.Claimed {
		return event(p, "auth.password", u.ID, db.OutcomeDenied, map[string]any{"why": "locked"}), errLocked(try.LockedUntil.Sub(s.now()))
	}
	if !ok {
		return event(p, "auth.password", u.ID, db.OutcomeFailed, map[string]any{"why": "wrong current password", "locked": try.Locks}),
			apperr.Invalid("current_password", "is not your current password")
	}
	// Setting the password clears the failures.
	hash, err := s.d.Pool.Hash(ctx, req.New)
	if err != nil {
		return nil, err
	}
	if err := s.d.Store.SetPassword(ctx, u.ID, hash, false); err != nil {
		return nil, err
	}
	// Whoever else logged in with the old password is out.
	if err := s.d.Store.EndOtherSessions(ctx, u.ID, auth.HashToken(req.Token)); err != nil {
		return nil, err
	}
	return event(p, "auth.password", u.ID, db.OutcomeSuccess, nil), nil
}

// checkNewPassword refuses a missing current password and a new one that is
// too short, too long, the same or holding the user name.
func checkNewPassword(username string, req PasswordChange) error {
	var bad []apperr.Field
	if req.Current == "" {
		bad = append(bad, apperr.Field{Name: "current_password", Reason: "is required"})
	}
	newPassword := func(reason string) { bad = append(bad, apperr.Field{Name: "new_password", Reason: reason}) }
	switch {
	case len(req.New) < 12:
		newPassword("must be at least 12 characters")
	case len(req.New) > 256:
		newPassword("must be at most 256 characters")
	case req.New == req.Current:
		newPassword("must differ from the current one")
	case strings.Contains(strings.ToLower(req.New), username):
		newPassword("must not contain your user name")
	}
	return apperr.InvalidFields(bad...)
}

// LogOut ends the session of token: it stops working at once.
func (s *Service) LogOut(ctx context.Context, p Principal, token string) (*Event, error) {
	if err := s.d.Store.DeleteSession(ctx, auth.HashToken(token)); err != nil {
		return nil, err
	}
	return event(p, "auth.logout", p.UserID, db.OutcomeSuccess, nil), nil
}

// Me is who a session is for.
type Me struct {
	Username string
	Role     returns.Role
	// Merchant is the merchant's slug, MerchantName its name ("" for an
	// operator).
	Merchant, MerchantName string
	MustChange             bool
}

// WhoAmI describes the caller's session: who, which role, which merchant.
func (s *Service) WhoAmI(ctx context.Context, p Principal) (Me, error) {
	me := Me{Username: p.Username, Role: p.Role, MustChange: p.MustChange}
	if p.MerchantID != "" {
		m, err := s.d.Store.MerchantByID(ctx, p.MerchantID)
		if err != nil {
			return Me{}, err
		}
		me.Merchant, me.MerchantName = m.Slug, m.Name
	}
	return me, nil
}
