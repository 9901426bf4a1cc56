package session

import (
	"context"
	"errors"
	"fmt"

	"github.com/rebound-returns/rebound/auth"
	"github.com/rebound-returns/rebound/db"
)

// Authenticate resolves a bearer token ("" when none was sent) to the staff
// member or shopper it was given to. A disabled member's token no longer
// works; a staff member's role and one-time password are read afresh.
func (s *Service) Authenticate(ctx context.Context, token string) (Principal, error) {
	if token == "" {
		return Principal{}, errNoSession()
	}
	// One statement for the session and its member, read afresh on every
	// request: a log-out or a disabled member stops the token at once.
	caller, err := s.d.Store.CallerByHash(ctx, auth.HashToken(token), s.now())
	if errors.Is(err, db.ErrNotFound) {
		return Principal{}, errNoSession()
	}
	if err != nil {
		return Principal{}, err
	}
	sess := &caller.Session
	p := Principal{Kind: sess.Kind, Role: sess.Role}
	if sess.MerchantID != nil {
		p.MerchantID = *sess.MerchantID
	}
	if sess.Kind == db.SessionShopper {
		p.ReturnID = *sess.ReturnID
		return p, nil
	}
	u := caller.Staff
	if u == nil {
		// The member is gone: what reading them by id answered.
		return Principal{}, fmt.Errorf("staff user: %w", db.ErrNotFound)
	}
	if u.Disabled {
		return Principal{}, errNoSession()
	}
	p.UserID, p.Username, p.Role, p.MustChange = u.ID, u.Username, u.Role, u.MustChangePassword
	return p, nil
}

// APIKey resolves a merchant's API key ("" when none was sent) to the
// merchant's systems calling.
func (s *Service) APIKey(ctx context.Context, key string) (Principal, error) {
	if key == "" {
		return Principal{}, errNoAPIKey()
	}
	k, err := s.d.Store.APIKeyByHash(ctx, auth.HashToken(key))
	if errors.Is(err, db.ErrNotFound) {
		return Principal{}, errBadAPIKey()
	}
	if err != nil {
		return Principal{}, err
	}
	return Principal{Kind: KindIntegration, MerchantID: k.MerchantID, Username: "api-key:" + k.Prefix}, nil
}
