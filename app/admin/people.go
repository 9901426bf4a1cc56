package admin

import (
	"context"
	"errors"
	"github.com/rebound-returns/rebound/returns"

	"github.com/rebound-returns/rebound/app/apperr"
	"github.com/rebound-returns/rebound/db"
	"github.com/rebound-returns/rebound/ids"
	"github.com/rebound-returns/rebound/onboard"
)

// StaffInput is a person invited to the merchant's staff (onboard's input).
type StaffInput = onboard.StaffInput

// Invited is a new member and the one-time password, shown this once, that
// they change at their first log-in.
type Invited struct {
	Staff           Staff
	OneTimePassword string
}

// StaffChange changes a member's role, disables or re-enables them, or
// both; By is the admin who asks.
type StaffChange struct {
	MerchantID, By, UserID string
	Role                   *returns.Role
	Disabled               *bool
}

// The refusals of staff changes.
var (
	errNoStaff    = apperr.NotFound("not-found", "no such staff member")
	errOwnAccount = apperr.Conflict("own-account", "ask another admin to change your own account")
	errLastAdmin  = apperr.Conflict("last-admin", "the merchant would have no active admin left")
	errNoAPIKey   = apperr.NotFound("not-found", "no such API key, or revoked already")
)

// Staff lists the merchant's staff, a page at a time.
func (s *Service) Staff(ctx context.Context, merchantID string, p Page) (*Paged[Staff], error) {
	rows, err := s.d.Store.StaffOf(ctx, merchantID, p)
	return pageOf(rows, err, staffOf)
}

// Invite adds a member to the merchant's staff with a one-time password.
func (s *Service) Invite(ctx context.Context, merchantID string, in StaffInput) (Invited, error) {
	u, password, err := s.d.Onboarding.InviteStaff(ctx, merchantID, in)
	if err != nil {
		return Invited{}, refusal(err)
	}
	return Invited{Staff: staffOf(u), OneTimePassword: password}, nil
}

// ChangeStaff changes a member of the merchant's staff. An admin may not
// change their own account, and no change may leave the merchant without
// an active admin.
func (s *Service) ChangeStaff(ctx context.Context, ch StaffChange) (Staff, error) {
	if ch.Role == nil && ch.Disabled == nil {
		return Staff{}, apperr.Invalid("role", "send a role, disabled, or both")
	}
	if ch.Role != nil {
		if err := onboard.CheckRole(*ch.Role); err != nil {
			return Staff{}, refusal(err)
		}
	}
	if ch.UserID == ch.By {
		// An admin who demoted or disabled themselves could leave the
		// merchant with nobody to run it.
		return Staff{}, errOwnAccount
	}
	if !ids.Valid(ch.UserID) {
		return Staff{}, errNoStaff
	}
	u, err := s.d.Store.ChangeStaff(ctx, ch.MerchantID, ch.UserID, db.StaffChange{Role: ch.Role, Disabled: ch.Disabled})
	switch {
	case errors.Is(err, db.ErrNotFound):
		return Staff{}, errNoStaff
	case errors.Is(err, db.ErrLastAdmin):
		return Staff{}, errLastAdmin
	case err != nil:
		return Staff{}, err
	}
	return staffOf(u), nil
}

// APIKeys lists the merchant's API keys, a page at a time.
func (s *Service) APIKeys(ctx context.Context, merchantID string, p Page) (*Paged[APIKey], error) {
	rows, err := s.d.Store.APIKeysOf(ctx, merchantID, p)
	return pageOf(rows, err, apiKeyOf)
}

// CreateAPIKey makes a key for the merchant's systems and shows it this
// once; only its hash is kept. by names who made it.
func (s *Service) CreateAPIKey(ctx context.Context, merchantID, name, by string) (APIKey, error) {
	k, secret, err := s.d.Onboarding.NewAPIKey(ctx, merchantID, name, by)
	if err != nil {
		return APIKey{}, refusal(err)
	}
	v := apiKeyOf(k)
	v.Key = secret
	return v, nil
}

// RevokeAPIKey revokes one of the merchant's keys from now on.
func (s *Service) RevokeAPIKey(ctx context.Context, merchantID, id string) error {
	if !ids.Valid(id) {
		return errNoAPIKey
	}
	err := s.d.Store.RevokeAPIKey(ctx, merchantID, id, s.now())
	if errors.Is(err, db.ErrNotFound) {
		return errNoAPIKey
	}
	return err
}
