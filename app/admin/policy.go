package admin

import (
	"context"
	"errors"

	"github.com/rebound-returns/rebound/app/apperr"
	"github.com/rebound-returns/rebound/db"
	"github.com/rebound-returns/rebound/returns"
)

// MaxPolicySize bounds a policy, in bytes of JSON: it is copied into every
// return filed under it and into its workflow's input.
const MaxPolicySize = 16 << 10

// ErrPolicyTooLarge refuses a policy of more than MaxPolicySize bytes.
var ErrPolicyTooLarge = errors.New("a policy is at most 16 KiB of JSON")

// PolicyView is the merchant's return policy as returns filed now get it
// (defaults filled in), with the reasons a shopper may give.
type PolicyView struct {
	Merchant, Currency string
	Policy             returns.Policy
	Reasons            []string
}

// Policy shows the merchant's return policy. Every role may read it; the
// counter needs it too.
func (s *Service) Policy(ctx context.Context, merchantID string) (PolicyView, error) {
	m, err := s.d.Store.MerchantByID(ctx, merchantID)
	if err != nil {
		return PolicyView{}, err
	}
	p, err := returns.ParsePolicy(m.Policy)
	if err != nil {
		return PolicyView{}, err
	}
	return PolicyView{Merchant: m.Slug, Currency: m.Currency, Policy: p, Reasons: returns.Reasons}, nil
}

// PolicyChange is a new policy as sent: Size is its length in bytes, and
// Decode fills the policy it is given (defaults set) from it.
type PolicyChange struct {
	MerchantID string
	Size       int
	Decode     func(into any) error
}

// SetPolicy replaces the merchant's policy after checking it; returns filed
// afterwards get it, running ones keep the one they were filed under. The
// size is checked before anything is decoded.
func (s *Service) SetPolicy(ctx context.Context, ch PolicyChange) (PolicyView, error) {
	if ch.Size > MaxPolicySize {
		return PolicyView{}, ErrPolicyTooLarge
	}
	p := returns.DefaultPolicy() // what the body leaves out keeps its default
	if err := ch.Decode(&p); err != nil {
		return PolicyView{}, err
	}
	if errs := p.Validate(); len(errs) > 0 {
		fields := make([]apperr.Field, len(errs))
		for i, e := range errs {
			fields[i] = apperr.Field{Name: e.Field, Reason: e.Message}
		}
		return PolicyView{}, apperr.InvalidFields(fields...)
	}
	pj, err := db.ToJSON(p)
	if err != nil {
		return PolicyView{}, err
	}
	if err := s.d.Store.SetPolicy(ctx, ch.MerchantID, pj); err != nil {
		return PolicyView{}, err
	}
	return PolicyView{Policy: p, Reasons: returns.Reasons}, nil
}
