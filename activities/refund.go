package activities

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"go.temporal.io/sdk/temporal"

	"github.com/rebound-returns/rebound/db"
	"github.com/rebound-returns/rebound/pos"
	"github.com/rebound-returns/rebound/returns"
)

// Evaluate applies the policy to a verified return and, when it passes,
// reserves its quantities — both under a lock on the order, so that two
// returns can never claim the same units.
func (a *Store) Evaluate(ctx context.Context, in EvaluateInput) (EvaluateResult, error) {
	var out EvaluateResult
	err := a.underOrderLock(ctx, in.ReturnID, func(tx *db.DB, ret *db.Return) error {
		taken, err := tx.Orders.TakenUnits(ctx, ret.OrderID, ret.ID)
		if err != nil {
			return err
		}
		out.Refusals = returns.Evaluate(in.Policy, in.Order, in.Lines, taken, in.FiledAt)
		out.Estimate = returns.Estimate(in.Order, in.Lines, taken)
		if len(out.Refusals) > 0 {
			return nil
		}
		return tx.Returns.Reserve(ctx, ret.ID, a.now())
	})
	return out, err
}

// underOrderLock runs fn in a transaction holding the lock on the order of
// the return.
func (a *Store) underOrderLock(ctx context.Context, returnID string, fn func(tx *db.DB, ret *db.Return) error) error {
	ret, err := a.returnByID(ctx, returnID)
	if err != nil {
		return err
	}
	return a.DB.Tx(ctx, func(tx *db.DB) error {
		if err := tx.Orders.LockOrder(ctx, ret.OrderID); err != nil {
			return err
		}
		return fn(tx, ret)
	})
}

// PrepareRefund creates the refund of an inspected return: the quote of the
// domain, over the order's refund history, capped at what is still
// refundable — computed and written under the order's lock. A retry returns
// the refund created before.
func (a *Store) PrepareRefund(ctx context.Context, in PrepareRefundInput) (PrepareRefundResult, error) {
	var out PrepareRefundResult
	err := a.underOrderLock(ctx, in.ReturnID, func(tx *db.DB, ret *db.Return) error {
		if existing, err := tx.Refunds.RefundByID(ctx, in.RefundID); err == nil {
			return json.Unmarshal(existing.Quote, &out.Quote)
		} else if !errors.Is(err, db.ErrNotFound) {
			return err
		}
		h, err := tx.Refunds.RefundHistoryOf(ctx, ret.OrderID, ret.ID)
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
		_, err = tx.Refunds.CreateRefund(ctx, &db.Refund{
			ID: in.RefundID, ReturnID: ret.ID, OrderID: ret.OrderID, MerchantID: ret.MerchantID, Channel: ret.Channel,
			Amount: out.Quote.ToPayment(), ShippingAmount: min(out.Quote.Shipping, out.Quote.Total),
			CreditAmount: out.Quote.Credit, CreditBonus: out.Quote.Bonus, Currency: out.Quote.Currency,
			Status: returns.RefundStatusPending, Quote: quote,
		})
		return err
	})
	return out, err
}

// FinishRefund records a refund's outcome and counts a paid one. A failed
// refund becomes a finance work item; an attempt that never left is closed
// as declined so that it blocks nothing.
func (a *Store) FinishRefund(ctx context.Context, in FinishRefundInput) error {
	if err := a.Faults.Hit(ctx, FaultFinishRefund); err != nil {
		return temporal.NewNonRetryableApplicationError(err.Error(), "fault_injected", err)
	}
	ref, err := a.DB.Refunds.RefundByID(ctx, in.RefundID)
	if err != nil {
		return err
	}
	now := a.now()
	if err := a.DB.Refunds.FinishRefund(ctx, in.RefundID, in.Status, in.FailureCode, now); err != nil {
		return err
	}
	attempts, err := a.DB.Refunds.AttemptsOfRefund(ctx, in.RefundID)
	if err != nil {
		return err
	}
	for _, att := range attempts {
		var err error
		switch {
		case att.Kind == returns.AttemptOnline && (att.State == returns.AttemptPrepared || att.State == returns.AttemptSent):
			// The gateway's webhook may have decided it: the attempt says so.
			to := returns.AttemptDeclined
			if in.Status == returns.RefundStatusSucceeded {
				to = returns.AttemptApproved
			}
			if att.State == returns.AttemptPrepared && to == returns.AttemptApproved {
				break // never sent: it paid nothing
			}
			_, err = a.DB.Refunds.MoveAttempt(ctx, att.ID, to, map[string]any{"failure_code": in.FailureCode})
		case att.State == returns.AttemptPrepared:
			_, err = a.DB.Refunds.MoveAttempt(ctx, att.ID, returns.AttemptDeclined, map[string]any{"response_code": "not_sent"})
		}
		if err != nil {
			return err
		}
	}
	if in.Status == returns.RefundStatusFailed {
		err := a.DB.Finance.OpenWorkItem(ctx, &db.WorkItem{DedupeKey: "refund-failed/" + ref.ID + "/" + workflowID(ctx), MerchantID: ref.MerchantID,
			Kind: "refund_failed", ReturnID: &ref.ReturnID, RefundID: &ref.ID,
			Summary: fmt.Sprintf("refund of %s failed (%s): retry, mark refunded or give store credit",
				returns.Money{Amount: ref.Amount, Currency: ref.Currency}, in.FailureCode)})
		if err != nil {
			return err
		}
	}
	if ref.Status == returns.RefundStatusPending && in.Status == returns.RefundStatusSucceeded && a.Metrics != nil {
		a.Metrics.RefundAmounts.WithLabelValues(ref.Currency).Observe(float64(ref.Amount))
		if ret, err := a.returnByID(ctx, ref.ReturnID); err == nil {
			a.Metrics.TimeToRefund.Observe(now.Sub(ret.CreatedAt).Seconds())
		}
	}
	return nil
}

// RecoverAttempts takes up what an earlier run of a refund left (its
// workflow failed or was terminated mid-way): a card attempt that never
// left is declined; one that may have left is unknown, to be reversed
// before anything new goes; an online one is resumed with its own
// Idempotency-Key, so the gateway answers for it rather than pay again.
func (a *Store) RecoverAttempts(ctx context.Context, refundID string) (Recovery, error) {
	attempts, err := a.DB.Refunds.AttemptsOfRefund(ctx, refundID)
	if err != nil {
		return Recovery{}, err
	}
	var out Recovery
	for _, att := range attempts {
		switch {
		case att.Kind == returns.AttemptOnline && (att.State == returns.AttemptPrepared || att.State == returns.AttemptSent):
			out.Resume = att.ID
		case att.State == returns.AttemptPrepared:
			if _, err := a.DB.Refunds.MoveAttempt(ctx, att.ID, returns.AttemptDeclined, map[string]any{"response_code": "not_sent"}); err != nil {
				return Recovery{}, err
			}
		case att.State == returns.AttemptSent:
			if _, err := a.unknown(ctx, att.ID, "left by a run that ended (workflow failed or terminated)", pos.ReasonLost); err != nil {
				return Recovery{}, err
			}
			out.Reverse = append(out.Reverse, att.ID)
		case att.State == returns.AttemptUnknown || att.State == returns.AttemptReversalPending:
			out.Reverse = append(out.Reverse, att.ID)
		}
	}
	return out, nil
}
