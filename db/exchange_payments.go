package db

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/rebound-returns/rebound/returns"
)

// The money movements of exchanges at the payment gateway: the hold of an
// instant exchange (a card authorisation for the replacement's value), its
// capture or its release, and the charge of a price difference. Each is a
// row made before the gateway is called, one per return and kind; its id is
// the Idempotency-Key of the call, so a worker that crashed after the call
// and runs again sends the same key and the gateway answers the first call.
// Its state moves as a refund attempt's online one does: prepared → sent →
// approved | declined, once, from the gateway's answer or its webhook.

// ExchangePaymentKind is what an exchange payment asks of the gateway.
type ExchangePaymentKind string

const (
	// ExchangeAuthorize holds the replacement's value on the shopper's card.
	ExchangeAuthorize ExchangePaymentKind = "authorize"
	// ExchangeCapture takes (part of) the held amount.
	ExchangeCapture ExchangePaymentKind = "capture"
	// ExchangeRelease voids the hold, nothing captured.
	ExchangeRelease ExchangePaymentKind = "release"
	// ExchangeCharge takes a price difference at once.
	ExchangeCharge ExchangePaymentKind = "charge"
)

// ExchangePayment is one money movement of a return's exchange at the
// gateway.
type ExchangePayment struct {
	ID         string
	MerchantID string
	ReturnID   string
	Kind       ExchangePaymentKind
	// PaymentID is the order's gateway payment whose card is used.
	PaymentID string
	// GatewayID is the gateway's id of the hold or charge: the return's
	// hold for a capture or a release, its own for the others once the
	// gateway answered. GatewayStatus is the gateway's last word on it.
	GatewayID     string
	GatewayStatus string
	Amount        int64
	Currency      string
	State         returns.AttemptState // prepared, sent, approved or declined
	FailureCode   string
	CreatedAt     time.Time
	UpdatedAt     time.Time
	FinishedAt    *time.Time
}

func (ExchangePayment) TableName() string { return "exchange_payments" }

// ErrExchangePaymentDiffers: the return has a payment of that kind for
// another amount, currency or hold already.
var ErrExchangePaymentDiffers = errors.New("the exchange has that payment for another amount")

// exchangeMoves are the states an exchange payment may move to, by the
// state it is in.
var exchangeMoves = map[returns.AttemptState][]returns.AttemptState{
	returns.AttemptPrepared: {returns.AttemptSent, returns.AttemptApproved, returns.AttemptDeclined},
	returns.AttemptSent:     {returns.AttemptSent, returns.AttemptApproved, returns.AttemptDeclined},
}

// PrepareExchangePayment stores p, prepared, unless the return has a
// payment of its kind already: then it answers that one as it stands (a
// retried activity gets the same id, the same Idempotency-Key), or
// ErrExchangePaymentDiffers when p asks for another amount, currency or
// hold. created says whether this call stored p.
func (d ExchangePayments) PrepareExchangePayment(ctx context.Context, p *ExchangePayment, now time.Time) (out *ExchangePayment, created bool, err error) {
	for try := 0; try < 2; try++ {
		prior, err := d.ExchangePaymentOf(ctx, p.ReturnID, p.Kind)
		if err == nil {
			if prior.Amount != p.Amount || prior.Currency != p.Currency || prior.PaymentID != p.PaymentID ||
				(p.GatewayID != "" && prior.GatewayID != p.GatewayID && prior.State != returns.AttemptPrepared) {
				return nil, false, fmt.Errorf("%s of return %s: %w", p.Kind, p.ReturnID, ErrExchangePaymentDiffers)
			}
			return prior, false, nil
		}
		if !errors.Is(err, ErrNotFound) {
			return nil, false, err
		}
		row := *p
		if row.ID == "" {
			row.ID = NewID()
		}
		row.State, row.CreatedAt, row.UpdatedAt, row.FinishedAt = returns.AttemptPrepared, now.UTC(), now.UTC(), nil
		err = translate(d.with(ctx).Create(&row).Error)
		if errors.Is(err, ErrConflict) {
			continue // another call stored it first: answer that one
		}
		if err != nil {
			return nil, false, fmt.Errorf("%s of return %s: %w", p.Kind, p.ReturnID, err)
		}
		return &row, true, nil
	}
	return nil, false, fmt.Errorf("%s of return %s: %w", p.Kind, p.ReturnID, ErrConflict)
}

// ExchangePaymentOf is the return's payment of kind; ErrNotFound if none.
func (d ExchangePayments) ExchangePaymentOf(ctx context.Context, returnID string, kind ExchangePaymentKind) (*ExchangePayment, error) {
	var p ExchangePayment
	if err := d.with(ctx).Where("return_id = ? AND kind = ?", returnID, kind).Take(&p).Error; err != nil {
		return nil, fmt.Errorf("%s of return %s: %w", kind, returnID, translate(err))
	}
	return &p, nil
}

// ExchangePaymentByID is one exchange payment; ErrNotFound if none.
func (d ExchangePayments) ExchangePaymentByID(ctx context.Context, id string) (*ExchangePayment, error) {
	var p ExchangePayment
	if err := d.with(ctx).Where("id = ?", id).Take(&p).Error; err != nil {
		return nil, fmt.Errorf("exchange payment %s: %w", id, translate(err))
	}
	return &p, nil
}

// MoveExchangePayment moves payment id to state to, setting the other
// columns in set (gateway_id, gateway_status, failure_code), if it may move
// there from where it is: a decided payment (approved, declined) never
// moves again, so a late answer or a repeated webhook changes nothing. It
// reports whether it moved.
func (d ExchangePayments) MoveExchangePayment(ctx context.Context, id string, to returns.AttemptState, set map[string]any) (bool, error) {
	from := movesInto(exchangeMoves, to)
	if len(from) == 0 {
		return false, fmt.Errorf("exchange payment %s: no state moves to %s", id, to)
	}
	cols := map[string]any{}
	for k, v := range set {
		cols[k] = v
	}
	now := time.Now().UTC()
	cols["state"], cols["updated_at"] = to, now
	if to == returns.AttemptApproved || to == returns.AttemptDeclined {
		cols["finished_at"] = now
	}
	res := d.with(ctx).Model(&ExchangePayment{}).Where("id = ? AND state IN ?", id, from).Updates(cols)
	if res.Error != nil {
		return false, fmt.Errorf("exchange payment %s: %w", id, res.Error)
	}
	return res.RowsAffected == 1, nil
}
