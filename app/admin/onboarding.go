package admin

import (
	"context"
	"errors"

	"github.com/rebound-returns/rebound/app/apperr"
	"github.com/rebound-returns/rebound/onboard"
)

// MerchantInput is a new merchant and its first admin (onboard's input).
type MerchantInput = onboard.MerchantInput

// Onboarded is what a new merchant starts with: its first admin's one-time
// password and its first API key, shown this once.
type Onboarded struct {
	Merchant        Merchant
	AdminID         string
	AdminUsername   string
	OneTimePassword string
	APIKey          APIKey
}

// Onboard brings a merchant onto Rebound with its first admin and API key;
// by names the operator.
func (s *Service) Onboard(ctx context.Context, in MerchantInput, by string) (Onboarded, error) {
	out, err := s.d.Onboarding.CreateMerchant(ctx, in, by)
	if err != nil {
		return Onboarded{}, refusal(err)
	}
	key := apiKeyOf(out.APIKey)
	key.Key = out.APIKeySecret
	return Onboarded{Merchant: merchantOf(out.Merchant), AdminID: out.Admin.ID, AdminUsername: out.Admin.Username,
		OneTimePassword: out.OneTimePassword, APIKey: key}, nil
}

// Merchants lists the merchants, a page at a time.
func (s *Service) Merchants(ctx context.Context, p Page) (*Paged[Merchant], error) {
	rows, err := s.d.Store.MerchantsPage(ctx, p)
	return pageOf(rows, err, merchantOf)
}

// refusal turns onboarding's field-by-field refusal into the use case's:
// a name that is taken is a conflict (naming every field at fault), any
// other bad field is invalid input. Other errors pass unchanged.
func refusal(err error) error {
	var inv *onboard.InvalidError
	if !errors.As(err, &inv) {
		return err
	}
	fields := make([]apperr.Field, 0, len(inv.Fields))
	for _, f := range inv.Fields {
		fields = append(fields, apperr.Field{Name: f.Field, Reason: f.Message})
	}
	for _, f := range fields {
		if f.Reason == "is taken" {
			return &apperr.Error{Kind: apperr.ErrConflict, Code: "conflict", Detail: f.Name + " is taken", Fields: fields}
		}
	}
	return apperr.InvalidFields(fields...)
}
