package session

import (
	"context"
	"errors"
	"github.com/rebound-returns/rebound/returns"
	"strings"
	"time"

	"github.com/rebound-returns/rebound/app/apperr"
	"github.com/rebound-returns/rebound/auth"
	"github.com/rebound-returns/rebound/db"
)

// LoginRequest names the merchant (its slug) the member belongs to: user
// names are unique per merchant. A platform operator names none.
type LoginRequest struct {
	Merchant, Username, Password string
}

// Login is a new session: the bearer token (shown once), who it is for and
// until when.
type Login struct {
	Token     string
	Username  string
	Role      returns.Role
	Merchant  string // the merchant's slug; "" for an operator
	ExpiresAt time.Time
	// MustChange: the password was a one-time one; only its change is let
	// through until then.
	MustChange bool
}

// LogIn exchanges a user name and password for a bearer token. Unknown
// names and wrong passwords get the same answer in the same time; ten
// failures lock the account for half an hour (tries are counted before the
// password is checked, so guesses sent at once cannot race past the limit).
// The event, when not nil, is for the audit log, whatever the error.
func (s *Service) LogIn(ctx context.Context, req LoginRequest) (Login, *Event, error) {
	var bad []apperr.Field
	if strings.TrimSpace(req.Username) == "" {
		bad = append(bad, apperr.Field{Name: "username", Reason: "is required"})
	}
	if req.Password == "" {
		bad = append(bad, apperr.Field{Name: "password", Reason: "is required"})
	}
	if err := apperr.InvalidFields(bad...); err != nil {
		return Login{}, nil, err
	}
	now := s.now()
	u, err := s.staffOfLogin(ctx, req.Merchant, req.Username)
	if errors.Is(err, db.ErrNotFound) {
		// An unknown name costs a hash too, in the same pool.
		if err := s.d.Pool.Burn(ctx, req.Password); err != nil {
			return Login{}, nil, err
		}
		ev := event(Principal{Username: strings.ToLower(req.Username)}, "auth.login", "", db.OutcomeFailed, map[string]any{"why": "unknown user"})
		return Login{}, ev, errBadCredentials()
	}
	if err != nil {
		return Login{}, nil, err
	}
	who := Principal{Username: u.Username, Role: u.Role}
	if u.MerchantID != nil {
		who.MerchantID = *u.MerchantID
	}
	ok, try, err := s.TryPassword(ctx, u, req.Password)
	if err != nil {
		return Login{}, nil, err
	}
	if !try.Claimed {
		return Login{}, event(who, "auth.login", u.ID, db.OutcomeDenied, map[string]any{"why": "locked"}), errLocked(try.LockedUntil.Sub(s.now()))
	}
	if !ok || u.Disabled {
		return Login{}, event(who, "auth.login", u.ID, db.OutcomeFailed, map[string]any{"locked": try.Locks}), errBadCredentials()
	}
	if err := s.d.Store.PasswordSucceeded(ctx, u.ID, try); err != nil {
		return Login{}, nil, err
	}
	out, err := s.open(ctx, u, now)
	if err != nil {
		return Login{}, nil, err
	}
	return out, event(who, "auth.login", u.ID, db.OutcomeSuccess, nil), nil
}

// open starts a session for u and names its merchant; a merchant that
// cannot be read is left unnamed (the session stands).
func (s *Service) open(ctx context.Context, u *db.StaffUser, now time.Time) (Login, error) {
	token, err := auth.NewToken(TokenPrefix)
	if err != nil {
		return Login{}, err
	}
	sess := &db.Session{TokenHash: auth.HashToken(token), Kind: db.SessionStaff, StaffUserID: &u.ID,
		MerchantID: u.MerchantID, Role: u.Role, ExpiresAt: now.Add(Life)}
	if err := s.d.Store.CreateSession(ctx, sess); err != nil {
		return Login{}, err
	}
	out := Login{Token: token, Username: u.Username, Role: u.Role, ExpiresAt: sess.ExpiresAt, MustChange: u.MustChangePassword}
	if u.MerchantID != nil {
		if m, err := s.d.Store.MerchantByID(ctx, *u.MerchantID); err == nil {
			out.Merchant = m.Slug
		}
	}
	return out, nil
}

// staffOfLogin finds the member a log-in names: by user name within the
// merchant of the slug, or among platform operators when there is none. An
// unknown merchant is no different from an unknown user.
func (s *Service) staffOfLogin(ctx context.Context, merchantSlug, username string) (*db.StaffUser, error) {
	merchantID := ""
	if slug := strings.TrimSpace(merchantSlug); slug != "" {
		m, err := s.d.Store.MerchantBySlug(ctx, strings.ToLower(slug))
		if err != nil {
			return nil, err
		}
		merchantID = m.ID
	}
	return s.d.Store.StaffByUsername(ctx, merchantID, username)
}
