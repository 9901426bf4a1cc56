package activities

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"go.temporal.io/sdk/temporal"

	"github.com/rebound-returns/rebound/db"
	"github.com/rebound-returns/rebound/payments"
	"github.com/rebound-returns/rebound/returns"
)

// Evaluate applies the policy to a verified return and, when it passes,
// reserves its quantities — both under a lock on the order, so that two
// returns can never claim the same units.
func (a *Activities) Evaluate(ctx context.Context, in EvaluateInput) (EvaluateResult, error) {
	var out EvaluateResult
	err := a.underOrderLock(ctx, in.ReturnID, func(tx *db.DB, ret *db.Return) error {
		taken, err := tx.TakenUnits(ctx, ret.OrderID, ret.ID)
		if err != nil {
			return err
		}
		out.Refusals = returns.Evaluate(in.Policy, in.Order, in.Lines, taken, in.FiledAt)
		out.Estimate = returns.Estimate(in.Order, in.Lines, taken)
		if len(out.Refusals) > 0 {
			return nil
		}
		return tx.Reserve(ctx, ret.ID, a.now())
	})
	return out, err
}

// underOrderLock runs fn in a transaction holding the lock on the order of
// the return.
func (a *Activities) underOrderLock(ctx context.Context, returnID string, fn func(tx *db.DB, ret *db.Return) error) error {
	ret, err := a.returnByID(ctx, returnID)
	if err != nil {
		return err
	}
	return a.DB.Tx(ctx, func(tx *db.DB) error {
		if err := tx.LockOrder(ctx, ret.OrderID); err != nil {
			return err
		}
		return fn(tx, ret)
	})
}

// PrepareRefund creates the refund of an inspected return: the quote of the
// domain, over the order's refund history, capped at what is still
// refundable — computed and written under the order's lock. A retry returns
// the refund created before.
func (a *Activities) PrepareRefund(ctx context.Context, in PrepareRefundInput) (PrepareRefundResult, error) {
	var out PrepareRefundResult
	err := a.underOrderLock(ctx, in.ReturnID, func(tx *db.DB, ret *db.Return) error {
		if existing, err := tx.RefundByID(ctx, in.RefundID); err == nil {
			return json.Unmarshal(existing.Quote, &out.Quote)
		} else if !errors.Is(err, db.ErrNotFound) {
			return err
		}
		h, err := tx.RefundHistoryOf(ctx, ret.OrderID, ret.ID)
		if err != nil {
			return err
		}
		out.Quote = returns.QuoteRefund(in.Policy, in.Order, in.Lines, in.Inspection, returns.History{
			UnitsRefunded: h.UnitsRefunded, ShippingRefunded: h.ShippingRefunded, Refunded: h.Refunded,
		})
		if out.Quote.Total <= 0 {
			return nil
		}
		quote, err := json.Marshal(out.Quote)
		if err != nil {
			return err
		}
		_, err = tx.CreateRefund(ctx, &db.Refund{
			ID: in.RefundID, ReturnID: ret.ID, OrderID: ret.OrderID, MerchantID: ret.MerchantID, Channel: ret.Channel,
			Amount: out.Quote.Total, ShippingAmount: min(out.Quote.Shipping, out.Quote.Total), Currency: out.Quote.Currency,
			Status: db.RefundPending, Quote: quote,
		})
		return err
	})
	return out, err
}

// StartGatewayRefund sends an online refund attempt to the payment gateway.
// The attempt is stored first under the money rules (db.CreateAttempt), and
// marked sent before the call; its id is the Idempotency-Key, so however
// often this runs the gateway pays once. The attempt row records each
// answer.
func (a *Activities) StartGatewayRefund(ctx context.Context, in GatewayRefundInput) (GatewayRefundResult, error) {
	now := a.now()
	att, err := a.DB.CreateAttempt(ctx, &db.RefundAttempt{ID: in.AttemptID, RefundID: in.RefundID, Kind: db.AttemptOnline, Amount: in.Amount}, now)
	if errors.Is(err, db.ErrAttemptBlocked) || errors.Is(err, db.ErrExceedsPayment) {
		return GatewayRefundResult{}, temporal.NewNonRetryableApplicationError(err.Error(), ErrRefused, nil)
	}
	if err != nil {
		return GatewayRefundResult{}, err
	}
	switch {
	case att.State == db.AttemptPrepared:
		if _, err := a.DB.MoveAttempt(ctx, att.ID, db.AttemptSent, map[string]any{"transmitted_at": now}); err != nil {
			return GatewayRefundResult{}, err
		}
	case att.State != db.AttemptSent:
		return gatewayResult(att), nil // decided before this retry
	}
	if err := a.DB.SetRefund(ctx, in.RefundID, map[string]any{"workflow_id": workflowID(ctx)}); err != nil {
		return GatewayRefundResult{}, err
	}
	account, err := a.gatewayAccount(ctx, in.RefundID)
	if err != nil {
		return GatewayRefundResult{}, err
	}
	r, err := a.Gateway.CreateRefund(ctx, in.AttemptID, payments.RefundRequest{Account: account,
		PaymentID: in.PaymentID, Amount: in.Amount, Currency: in.Currency, Reference: in.AttemptID,
	})
	if err != nil {
		var apiErr *payments.APIError
		if payments.IsPermanent(err) && errors.As(err, &apiErr) {
			if _, serr := a.DB.MoveAttempt(ctx, att.ID, db.AttemptDeclined, map[string]any{"failure_code": apiErr.Code}); serr != nil {
				return GatewayRefundResult{}, serr
			}
			return GatewayRefundResult{}, temporal.NewNonRetryableApplicationError(apiErr.Code, "gateway_rejected", nil)
		}
		return GatewayRefundResult{}, fmt.Errorf("gateway refund: %w", err)
	}
	return a.recordGateway(ctx, att, r)
}

// gatewayAccount is the gateway account of the merchant a refund is of: its
// own, or its slug.
func (a *Activities) gatewayAccount(ctx context.Context, refundID string) (string, error) {
	ref, err := a.DB.RefundByID(ctx, refundID)
	if err != nil {
		return "", err
	}
	m, err := a.DB.MerchantByID(ctx, ref.MerchantID)
	if err != nil {
		return "", err
	}
	return m.GatewayAccountName(), nil
}

// gatewayResult is an online attempt's outcome as its row tells it.
func gatewayResult(att *db.RefundAttempt) GatewayRefundResult {
	res := GatewayRefundResult{AttemptID: att.ID, Status: RefundPending, GatewayRefundID: att.GatewayRefundID, FailureCode: att.FailureCode}
	switch att.State {
	case db.AttemptApproved:
		res.Status = RefundSucceeded
	case db.AttemptDeclined:
		res.Status = RefundFailed
	}
	return res
}

// CheckGatewayRefund asks the gateway where an attempt stands.
func (a *Activities) CheckGatewayRefund(ctx context.Context, attemptID string) (GatewayRefundResult, error) {
	att, err := a.DB.AttemptByID(ctx, attemptID)
	if err != nil {
		return GatewayRefundResult{}, err
	}
	if att.State != db.AttemptSent {
		return gatewayResult(att), nil
	}
	account, err := a.gatewayAccount(ctx, att.RefundID)
	if err != nil {
		return GatewayRefundResult{}, err
	}
	r, err := a.Gateway.GetAccountRefund(ctx, account, att.GatewayRefundID)
	if err != nil {
		return GatewayRefundResult{}, fmt.Errorf("gateway refund %s: %w", att.GatewayRefundID, err)
	}
	return a.recordGateway(ctx, att, r)
}

// recordGateway records the gateway's word on a sent attempt.
func (a *Activities) recordGateway(ctx context.Context, att *db.RefundAttempt, r payments.Refund) (GatewayRefundResult, error) {
	to := db.AttemptSent
	switch r.Status {
	case payments.StatusSucceeded:
		to = db.AttemptApproved
	case payments.StatusFailed:
		to = db.AttemptDeclined
	}
	moved, err := a.DB.MoveAttempt(ctx, att.ID, to, map[string]any{"gateway_refund_id": r.ID, "failure_code": r.FailureCode})
	if err != nil {
		return GatewayRefundResult{}, err
	}
	if !moved {
		// Decided meanwhile (the webhook came first): the row says how.
		if att, err = a.DB.AttemptByID(ctx, att.ID); err != nil {
			return GatewayRefundResult{}, err
		}
		return gatewayResult(att), nil
	}
	att.State, att.GatewayRefundID, att.FailureCode = to, r.ID, r.FailureCode
	return gatewayResult(att), nil
}

// FinishRefund records a refund's outcome and counts a paid one. A failed
// refund becomes a finance work item; an attempt that never left is closed
// as declined so that it blocks nothing.
func (a *Activities) FinishRefund(ctx context.Context, in FinishRefundInput) error {
	if err := a.Faults.Hit(ctx, FaultFinishRefund); err != nil {
		return temporal.NewNonRetryableApplicationError(err.Error(), "fault_injected", err)
	}
	ref, err := a.DB.RefundByID(ctx, in.RefundID)
	if err != nil {
		return err
	}
	now := a.now()
	if err := a.DB.FinishRefund(ctx, in.RefundID, in.Status, in.FailureCode, now); err != nil {
		return err
	}
	attempts, err := a.DB.AttemptsOfRefund(ctx, in.RefundID)
	if err != nil {
		return err
	}
	for _, att := range attempts {
		var err error
		switch {
		case att.Kind == db.AttemptOnline && (att.State == db.AttemptPrepared || att.State == db.AttemptSent):
			// The gateway's webhook may have decided it: the attempt says so.
			to := db.AttemptDeclined
			if in.Status == RefundSucceeded {
				to = db.AttemptApproved
			}
			if att.State == db.AttemptPrepared && to == db.AttemptApproved {
				break // never sent: it paid nothing
			}
			_, err = a.DB.MoveAttempt(ctx, att.ID, to, map[string]any{"failure_code": in.FailureCode})
		case att.State == db.AttemptPrepared:
			_, err = a.DB.MoveAttempt(ctx, att.ID, db.AttemptDeclined, map[string]any{"response_code": "not_sent"})
		}
		if err != nil {
			return err
		}
	}
	if in.Status == RefundFailed {
		err := a.DB.OpenWorkItem(ctx, &db.WorkItem{DedupeKey: "refund-failed/" + ref.ID + "/" + workflowID(ctx), MerchantID: ref.MerchantID,
			Kind: "refund_failed", ReturnID: &ref.ReturnID, RefundID: &ref.ID,
			Summary: fmt.Sprintf("refund of %s failed (%s): retry, mark refunded or give store credit",
				returns.Money{Amount: ref.Amount, Currency: ref.Currency}, in.FailureCode)})
		if err != nil {
			return err
		}
	}
	if ref.Status == db.RefundPending && in.Status == RefundSucceeded && a.Metrics != nil {
		a.Metrics.RefundAmounts.WithLabelValues(ref.Currency).Observe(float64(ref.Amount))
		if ret, err := a.returnByID(ctx, ref.ReturnID); err == nil {
			a.Metrics.TimeToRefund.Observe(now.Sub(ret.CreatedAt).Seconds())
		}
	}
	return nil
}

// CreateShipment books the carrier for a return that is shipped back; the
// carrier is idempotent on the return id.
func (a *Activities) CreateShipment(ctx context.Context, in ShipmentInput) (ShipmentResult, error) {
	ret, err := a.returnByID(ctx, in.ReturnID)
	if err != nil {
		return ShipmentResult{}, err
	}
	req, err := a.shipmentRequest(ctx, ret)
	if err != nil {
		return ShipmentResult{}, err
	}
	sh, err := a.Carrier.CreateShipment(ctx, req)
	if err != nil {
		return ShipmentResult{}, fmt.Errorf("book carrier: %w", err)
	}
	return ShipmentResult{Carrier: sh.Carrier, TrackingNumber: sh.TrackingNumber,
		LabelURL: a.PublicURL + "/v1/returns/" + ret.ID + "/label"}, nil
}
