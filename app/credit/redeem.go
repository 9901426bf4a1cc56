package credit

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/rebound-returns/rebound/app/apperr"
	"github.com/rebound-returns/rebound/auth"
	"github.com/rebound-returns/rebound/db"
	"github.com/rebound-returns/rebound/ids"
	"github.com/rebound-returns/rebound/returns"
)

// RedeemRequest is what the merchant's checkout takes from a credit.
type RedeemRequest struct {
	Code           string `json:"code"`
	Amount         int64  `json:"amount"`
	Currency       string `json:"currency"`
	OrderReference string `json:"order_reference"`
	// IdempotencyKey (the request's header) makes the redemption once.
	IdempotencyKey string `json:"-"`
}

// Redemption is a redemption (or a reversal of one) and the credit's
// balance after it. Replayed says it was made before by the same request.
type Redemption struct {
	ID             string    `json:"id"`
	CreditID       string    `json:"credit_id"`
	Amount         int64     `json:"amount"`
	Currency       string    `json:"currency"`
	Balance        int64     `json:"balance"`
	OrderReference string    `json:"order_reference,omitempty"`
	Reverses       *string   `json:"reverses,omitempty"`
	CreatedAt      time.Time `json:"created_at"`
	Replayed       bool      `json:"-"`
}

func redemptionOf(r db.Redeemed) Redemption {
	amount := r.Entry.Amount
	if amount < 0 {
		amount = -amount
	}
	return Redemption{ID: r.Entry.ID, CreditID: r.Entry.CreditID, Amount: amount, Currency: r.Entry.Currency, Balance: r.Credit.Balance,
		OrderReference: r.Entry.OrderReference, Reverses: r.Entry.Reverses, CreatedAt: r.Entry.CreatedAt.UTC(), Replayed: r.Replayed}
}

// MaxOrderReference bounds the merchant's order reference.
const MaxOrderReference = 100

// errNoCredit is the answer to a code that names no credit of the caller's
// merchant, whether or not it names another merchant's.
var errNoCredit = apperr.NotFound("credit-not-found", "no store credit has this code")

// Redeem takes req.Amount from the merchant's credit with the code, once
// per Idempotency-Key; a partial redemption leaves the rest. Too little left
// is refused naming the amount, with what is left.
func (s *Service) Redeem(ctx context.Context, c Caller, req RedeemRequest) (Redemption, error) {
	var bad []apperr.Field
	if req.IdempotencyKey == "" {
		bad = append(bad, apperr.Field{Name: "Idempotency-Key", Reason: "is required: a redemption must not be made twice"})
	}
	if strings.TrimSpace(req.Code) == "" {
		bad = append(bad, apperr.Field{Name: "code", Reason: "is required"})
	}
	if req.Amount <= 0 {
		bad = append(bad, apperr.Field{Name: "amount", Reason: "must be a positive amount in minor units"})
	}
	if !returns.ValidCurrency(req.Currency) {
		bad = append(bad, apperr.Field{Name: "currency", Reason: "must be an ISO 4217 code"})
	}
	if len(req.OrderReference) > MaxOrderReference {
		bad = append(bad, apperr.Field{Name: "order_reference", Reason: "must be at most 100 characters"})
	}
	if err := apperr.InvalidFields(bad...); err != nil {
		return Redemption{}, err
	}
	hash := auth.HashCreditCode(req.Code)
	res, err := s.d.Store.RedeemCredit(ctx, db.Redemption{MerchantID: c.MerchantID, CodeHash: hash, Amount: req.Amount,
		Currency: req.Currency, OrderReference: req.OrderReference, Actor: c.Actor, Reference: "redemption/" + req.IdempotencyKey, At: s.now()})
	switch {
	case errors.Is(err, db.ErrNotFound):
		return Redemption{}, errNoCredit
	case errors.Is(err, db.ErrCreditInsufficient):
		return Redemption{}, apperr.Invalid("amount", "exceeds what is left of the credit ("+
			returns.Money{Amount: res.Credit.Balance, Currency: res.Credit.Currency}.String()+")")
	case errors.Is(err, db.ErrCreditCurrency):
		return Redemption{}, apperr.Invalid("currency", "is not the credit's currency ("+res.Credit.Currency+")")
	case errors.Is(err, db.ErrCreditExpired):
		return Redemption{}, apperr.Conflict("credit-expired", "the store credit has expired")
	case err != nil:
		return Redemption{}, err
	}
	if res.Replayed && (res.Entry.Amount != -req.Amount || res.Entry.Currency != req.Currency || res.Credit.CodeHash != hash ||
		res.Entry.OrderReference != req.OrderReference) {
		return Redemption{}, apperr.Conflict("idempotency-key-reused", "this Idempotency-Key made another redemption")
	}
	return redemptionOf(res), nil
}

var errNoRedemption = apperr.NotFound("redemption-not-found", "no redemption of yours has this id")

// Reverse puts a redemption of the merchant back on its credit, once:
// reversing it again answers the first reversal.
func (s *Service) Reverse(ctx context.Context, c Caller, redemptionID string) (Redemption, error) {
	if !ids.Valid(redemptionID) {
		return Redemption{}, errNoRedemption
	}
	res, _, err := s.d.Store.ReverseRedemption(ctx, c.MerchantID, redemptionID, c.Actor, s.now())
	switch {
	case errors.Is(err, db.ErrNotFound), errors.Is(err, db.ErrNotRedemption):
		return Redemption{}, errNoRedemption
	case err != nil:
		return Redemption{}, err
	}
	return redemptionOf(res), nil
}
