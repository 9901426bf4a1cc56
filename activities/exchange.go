package activities

import (
	"context"
	"errors"
	"fmt"

	"go.temporal.io/sdk/temporal"

	"github.com/rebound-returns/rebound/db"
	"github.com/rebound-returns/rebound/payments"
	"github.com/rebound-returns/rebound/returns"
)

// ExchangeGateway is the part of the payment gateway client the exchanges'
// payments use. Every call names the merchant's gateway account.
type ExchangeGateway interface {
	Authorize(ctx context.Context, idempotencyKey string, r payments.AuthorizeRequest) (payments.Authorization, error)
	Capture(ctx context.Context, idempotencyKey, account, id string, amount int64) (payments.Authorization, error)
	Void(ctx context.Context, idempotencyKey, account, id string) (payments.Authorization, error)
	Charge(ctx context.Context, idempotencyKey string, r payments.ChargeRequest) (payments.Authorization, error)
	GetAuthorization(ctx context.Context, account, id string) (payments.Authorization, error)
}

// ExchangePayments are the activities of an exchange's money at the
// payment gateway: the hold of an instant exchange (AuthorizeHold), its
// capture (CaptureHold) or release (VoidHold), and a price difference the
// shopper pays (ChargeDifference). Each stores its row (db.ExchangePayment)
// before calling, one per return and kind, and calls with the row's id as
// the Idempotency-Key: run again after a crash it reuses the key, and the
// gateway moves the money once. The row records the answer; the gateway's
// webhook (app/events) records the outcome of what was still pending.
type ExchangePayments struct {
	Base
	Gateway ExchangeGateway
}

// Refusals of exchange payments (non-retryable application errors).
const (
	// ErrNoHold: a capture or release of a return without an authorised
	// hold.
	ErrNoHold = "no_hold"
	// ErrExchangePayment: the return has that payment for another amount,
	// or the order was not paid online.
	ErrExchangePayment = "exchange_payment_conflict"
	// ErrGatewayRefused: the gateway refused the call for good (its code is
	// the message and the row's failure code).
	ErrGatewayRefused = "gateway_rejected"
)

// ExchangeMoneyInput names a return's exchange and an amount (minor units
// of Currency): the value to hold or the difference to charge.
type ExchangeMoneyInput struct {
	ReturnID string
	Amount   int64
	Currency string
}

// CaptureHoldInput captures Amount of the return's hold (0: all of it).
type CaptureHoldInput struct {
	ReturnID string
	Amount   int64
}

// VoidHoldInput releases the return's hold.
type VoidHoldInput struct {
	ReturnID string
}

// ExchangePaymentResult is where an exchange payment stands. Status is
// pending until the gateway's answer or webhook decides it; a later
// exchange workflow waits for the webhook's signal (see app/events) or
// asks again.
type ExchangePaymentResult struct {
	ID          string // the row's id, the Idempotency-Key
	Kind        db.ExchangePaymentKind
	Status      returns.RefundStatus // pending, succeeded or failed
	GatewayID   string               // the gateway's id of the hold or charge
	Amount      int64
	FailureCode string
}

// AuthorizeHold holds in.Amount on the card of the return's order's
// payment, for the replacement an instant exchange ships at once.
func (a *ExchangePayments) AuthorizeHold(ctx context.Context, in ExchangeMoneyInput) (ExchangePaymentResult, error) {
	return a.create(ctx, db.ExchangeAuthorize, in)
}

// ChargeDifference takes in.Amount from the card of the return's order's
// payment: the price difference of a dearer replacement.
func (a *ExchangePayments) ChargeDifference(ctx context.Context, in ExchangeMoneyInput) (ExchangePaymentResult, error) {
	return a.create(ctx, db.ExchangeCharge, in)
}

// CaptureHold captures in.Amount (0: all) of the return's hold: the
// original did not arrive in time, or was rejected at inspection.
func (a *ExchangePayments) CaptureHold(ctx context.Context, in CaptureHoldInput) (ExchangePaymentResult, error) {
	return a.onHold(ctx, db.ExchangeCapture, in.ReturnID, in.Amount)
}

// VoidHold releases the return's hold: the original was accepted.
func (a *ExchangePayments) VoidHold(ctx context.Context, in VoidHoldInput) (ExchangePaymentResult, error) {
	return a.onHold(ctx, db.ExchangeRelease, in.ReturnID, 0)
}

// create runs a hold or a charge.
func (a *ExchangePayments) create(ctx context.Context, kind db.ExchangePaymentKind, in ExchangeMoneyInput) (ExchangePaymentResult, error) {
	if in.Amount <= 0 || !returns.ValidCurrency(in.Currency) {
		return ExchangePaymentResult{}, temporal.NewNonRetryableApplicationError(
			fmt.Sprintf("%s of return %s: amount must be > 0 minor units of a valid currency", kind, in.ReturnID), ErrExchangePayment, nil)
	}
	ret, account, paymentID, err := a.paidOnline(ctx, in.ReturnID)
	if err != nil {
		return ExchangePaymentResult{}, err
	}
	row, err := a.prepare(ctx, &db.ExchangePayment{MerchantID: ret.MerchantID, ReturnID: ret.ID, Kind: kind,
		PaymentID: paymentID, Amount: in.Amount, Currency: in.Currency})
	if err != nil || row.State != returns.AttemptSent {
		return exchangeResult(row), err
	}
	req := payments.AuthorizeRequest{Account: account, PaymentID: paymentID, Amount: in.Amount, Currency: in.Currency, Reference: row.ID}
	var au payments.Authorization
	if kind == db.ExchangeCharge {
		au, err = a.Gateway.Charge(ctx, row.ID, payments.ChargeRequest(req))
	} else {
		au, err = a.Gateway.Authorize(ctx, row.ID, req)
	}
	return a.record(ctx, row, au, err)
}

// onHold captures or releases the return's authorised hold.
func (a *ExchangePayments) onHold(ctx context.Context, kind db.ExchangePaymentKind, returnID string, amount int64) (ExchangePaymentResult, error) {
	hold, err := a.DB.ExchangePayments.ExchangePaymentOf(ctx, returnID, db.ExchangeAuthorize)
	if err != nil && !errors.Is(err, db.ErrNotFound) {
		return ExchangePaymentResult{}, err
	}
	if err != nil || hold.State != returns.AttemptApproved || hold.GatewayID == "" {
		return ExchangePaymentResult{}, temporal.NewNonRetryableApplicationError(
			fmt.Sprintf("%s of return %s: the return has no authorised hold", kind, returnID), ErrNoHold, nil)
	}
	switch {
	case amount == 0:
		amount = hold.Amount
	case amount < 0 || amount > hold.Amount:
		return ExchangePaymentResult{}, temporal.NewNonRetryableApplicationError(
			fmt.Sprintf("capture of return %s: %d is not within the hold of %d", returnID, amount, hold.Amount), ErrExchangePayment, nil)
	}
	m, err := a.DB.Merchants.MerchantByID(ctx, hold.MerchantID)
	if err != nil {
		return ExchangePaymentResult{}, err
	}
	row, err := a.prepare(ctx, &db.ExchangePayment{MerchantID: hold.MerchantID, ReturnID: returnID, Kind: kind,
		PaymentID: hold.PaymentID, GatewayID: hold.GatewayID, Amount: amount, Currency: hold.Currency})
	if err != nil || row.State != returns.AttemptSent {
		return exchangeResult(row), err
	}
	var au payments.Authorization
	if kind == db.ExchangeCapture {
		au, err = a.Gateway.Capture(ctx, row.ID, m.GatewayAccountName(), hold.GatewayID, amount)
	} else {
		au, err = a.Gateway.Void(ctx, row.ID, m.GatewayAccountName(), hold.GatewayID)
	}
	return a.record(ctx, row, au, err)
}

// paidOnline is the return, its merchant's gateway account and the
// gateway payment of its order; an order not paid online is refused.
func (a *ExchangePayments) paidOnline(ctx context.Context, returnID string) (*db.Return, string, string, error) {
	ret, err := a.returnByID(ctx, returnID)
	if err != nil {
		return nil, "", "", err
	}
	o, err := a.DB.Orders.OrderByID(ctx, ret.OrderID)
	if err != nil {
		return nil, "", "", err
	}
	if o.Payment == nil || o.Payment.GatewayPaymentID == "" {
		return nil, "", "", temporal.NewNonRetryableApplicationError(
			fmt.Sprintf("return %s: its order was not paid through the gateway", returnID), ErrExchangePayment, nil)
	}
	m, err := a.DB.Merchants.MerchantByID(ctx, ret.MerchantID)
	if err != nil {
		return nil, "", "", err
	}
	return ret, m.GatewayAccountName(), o.Payment.GatewayPaymentID, nil
}

// prepare stores the row (or finds the one a crashed run stored) and marks
// it sent before the call. A row decided already comes back as it is.
func (a *ExchangePayments) prepare(ctx context.Context, p *db.ExchangePayment) (*db.ExchangePayment, error) {
	row, _, err := a.DB.ExchangePayments.PrepareExchangePayment(ctx, p, a.now())
	if errors.Is(err, db.ErrExchangePaymentDiffers) {
		return nil, temporal.NewNonRetryableApplicationError(err.Error(), ErrExchangePayment, err)
	}
	if err != nil {
		return nil, err
	}
	if row.State == returns.AttemptPrepared {
		if _, err := a.DB.ExchangePayments.MoveExchangePayment(ctx, row.ID, returns.AttemptSent, nil); err != nil {
			return nil, err
		}
		row.State = returns.AttemptSent
	}
	return row, nil
}

// record writes the gateway's answer (or its refusal for good) on the row.
func (a *ExchangePayments) record(ctx context.Context, row *db.ExchangePayment, au payments.Authorization, callErr error) (ExchangePaymentResult, error) {
	if callErr != nil {
		var apiErr *payments.APIError
		if payments.IsFinalRefusal(callErr) && errors.As(callErr, &apiErr) {
			if _, err := a.DB.ExchangePayments.MoveExchangePayment(ctx, row.ID, returns.AttemptDeclined, map[string]any{"failure_code": apiErr.Code}); err != nil {
				return ExchangePaymentResult{}, err
			}
			return ExchangePaymentResult{}, temporal.NewNonRetryableApplicationError(apiErr.Code, ErrGatewayRefused, nil)
		}
		return ExchangePaymentResult{}, fmt.Errorf("exchange %s of return %s: %w", row.Kind, row.ReturnID, callErr)
	}
	to := ExchangeState(row.Kind, au)
	set := map[string]any{"gateway_id": au.ID, "gateway_status": au.Status, "failure_code": au.FailureCode}
	moved, err := a.DB.ExchangePayments.MoveExchangePayment(ctx, row.ID, to, set)
	if err != nil {
		return ExchangePaymentResult{}, err
	}
	if !moved {
		// Decided meanwhile (the webhook came first): the row says how.
		if row, err = a.DB.ExchangePayments.ExchangePaymentByID(ctx, row.ID); err != nil {
			return ExchangePaymentResult{}, err
		}
		return exchangeResult(row), nil
	}
	row.State, row.GatewayID, row.GatewayStatus, row.FailureCode = to, au.ID, au.Status, au.FailureCode
	return exchangeResult(row), nil
}

// ExchangeState is the state the gateway's word on a hold or charge (an
// answer, a look-up or a webhook) puts an exchange payment of kind in: a
// capture is done only once the hold is captured, a release once it is
// voided; a hold once authorised (whatever happened to it since), a
// charge once captured.
func ExchangeState(kind db.ExchangePaymentKind, au payments.Authorization) returns.AttemptState {
	done := au.Outcome() == payments.OutcomeDone
	switch kind {
	case db.ExchangeCapture, db.ExchangeCharge:
		done = au.Status == payments.StatusCaptured
	case db.ExchangeRelease:
		done = au.Status == payments.StatusVoided
	case db.ExchangeAuthorize:
		done = au.Status != payments.StatusPending && au.Status != payments.StatusFailed
	}
	switch {
	case done:
		return returns.AttemptApproved
	case au.Status == payments.StatusFailed:
		return returns.AttemptDeclined
	}
	return returns.AttemptSent
}

// CheckExchangePayment asks the gateway where a sent exchange payment
// stands (its webhook may be lost) and records the answer; a decided one,
// or a hold or charge the gateway never answered (run its activity again:
// the same key), is answered from its row.
func (a *ExchangePayments) CheckExchangePayment(ctx context.Context, id string) (ExchangePaymentResult, error) {
	row, err := a.DB.ExchangePayments.ExchangePaymentByID(ctx, id)
	if errors.Is(err, db.ErrNotFound) {
		return ExchangePaymentResult{}, temporal.NewNonRetryableApplicationError("exchange payment "+id+" does not exist", ErrNotFound, err)
	}
	if err != nil || row.State != returns.AttemptSent || row.GatewayID == "" {
		return exchangeResult(row), err
	}
	m, err := a.DB.Merchants.MerchantByID(ctx, row.MerchantID)
	if err != nil {
		return ExchangePaymentResult{}, err
	}
	au, err := a.Gateway.GetAuthorization(ctx, m.GatewayAccountName(), row.GatewayID)
	if err != nil {
		return ExchangePaymentResult{}, fmt.Errorf("exchange %s of return %s: %w", row.Kind, row.ReturnID, err)
	}
	return a.record(ctx, row, au, nil)
}

// exchangeResult is a row's outcome.
func exchangeResult(row *db.ExchangePayment) ExchangePaymentResult {
	if row == nil {
		return ExchangePaymentResult{}
	}
	res := ExchangePaymentResult{ID: row.ID, Kind: row.Kind, Status: returns.RefundStatusPending, GatewayID: row.GatewayID,
		Amount: row.Amount, FailureCode: row.FailureCode}
	switch row.State {
	case returns.AttemptApproved:
		res.Status = returns.RefundStatusSucceeded
	case returns.AttemptDeclined:
		res.Status = returns.RefundStatusFailed
	}
	return res
}
