package workflows

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/rebound-returns/rebound/activities"
	"github.com/rebound-returns/rebound/contract"
	"github.com/rebound-returns/rebound/returns"
)

// The steps of a return's resolutions other than a refund (issue 16): an
// exchange's replacement is held on approval and released if the return
// ends without the goods accepted; lines resolved as store credit are
// issued as credit with the merchant's bonus when the return is refunded,
// and a return that pays nothing back to the payment closes without a
// refund at the gateway or the acquirer. The replacement's shipment and
// any price difference are a later step: the hold stays until then.

// hasResolutions tells whether any line chose other than a refund.
func hasResolutions(lines []returns.RequestedLine) bool {
	r := returns.Resolved(lines)
	return r[returns.ResolutionStoreCredit] > 0 || r[returns.ResolutionExchange] > 0
}

// holdExchanges holds each exchange line's replacement. A variant out of
// stock is noted on the timeline (the merchant sees it), not a failure of
// the approval. Callers hold the mutex.
func (s *returnState) holdExchanges(ctx workflow.Context) error {
	if !s.resolutions || s.holdsTaken {
		return nil
	}
	for _, l := range returns.Exchanges(s.in.Lines) {
		var res activities.StockHoldResult
		err := workflow.ExecuteActivity(stepCtx(ctx), a.Inventory.HoldStock, activities.StockHoldInput{
			MerchantID: s.in.MerchantID, ReturnID: s.in.ReturnID, SKU: l.VariantSKU, Quantity: l.Quantity,
		}).Get(ctx, &res)
		note := fmt.Sprintf("exchange of line %s: %d × %s held for the shopper; %s until the replacement ships (a later step)",
			l.LineID, l.Quantity, l.VariantSKU, returns.ExchangeHeld)
		var appErr *temporal.ApplicationError
		switch {
		case errors.As(err, &appErr) && appErr.Type() == activities.ErrOutOfStock:
			note = fmt.Sprintf("exchange of line %s: %s is out of stock; nothing held", l.LineID, l.VariantSKU)
		case err != nil:
			return err
		default:
			s.held = true
		}
		if err := s.transition(ctx, step{to: s.status, event: activities.EventNote, actor: returns.SystemActor, note: note}); err != nil {
			return err
		}
	}
	s.holdsTaken = true
	return nil
}

// releaseHolds gives back the replacements a return held once it has
// ended without the goods accepted (cancelled, declined, expired,
// rejected at inspection).
func (s *returnState) releaseHolds(ctx workflow.Context) error {
	if !s.held || !slices.Contains([]returns.Status{returns.Cancelled, returns.Declined, returns.Expired, returns.Rejected}, s.status) {
		return nil
	}
	var res activities.StockReleaseResult
	err := workflow.ExecuteActivity(storeCtx(ctx), a.Inventory.ReleaseStock, activities.StockReleaseInput{
		MerchantID: s.in.MerchantID, ReturnID: s.in.ReturnID, Reason: s.status,
	}).Get(ctx, &res)
	if err != nil {
		return err
	}
	s.held = false
	return s.locked(ctx, func() error {
		return s.transition(ctx, step{to: s.status, event: activities.EventNote, actor: returns.SystemActor,
			note: "the exchange's replacement was released: the return is " + string(s.status)})
	})
}

// payResolutions issues the credit lines of a refund pending and, when
// nothing goes back to the payment, ends the return: done is true when it
// did (the payment's refund follows as before otherwise).
func (s *returnState) payResolutions(ctx workflow.Context) (done bool, err error) {
	if !s.resolutions {
		return false, nil
	}
	money := func(v int64) string { return returns.Money{Amount: v, Currency: s.in.Order.Currency}.String() }
	if s.credit > 0 && !s.creditIssued {
		err := workflow.ExecuteActivity(creditCtx(ctx), a.Store.IssueReturnCredit, activities.ReturnCreditInput{
			ReturnID: s.in.ReturnID, RefundID: s.refundID,
		}).Get(ctx, nil)
		if err != nil {
			return true, err
		}
		s.creditIssued = true
		note := "store credit of " + money(s.credit+s.bonus) + " issued"
		if s.bonus > 0 {
			note += " (" + money(s.credit) + " and a bonus of " + money(s.bonus) + ")"
		}
		err = s.locked(ctx, func() error {
			return s.transition(ctx, step{to: s.status, event: activities.EventNote, actor: returns.SystemActor, note: note + "; its code was sent to the shopper"})
		})
		if err != nil {
			return true, err
		}
	}
	if s.refundAmount > 0 || (s.credit == 0 && s.exchanged == 0) {
		return false, nil
	}
	return true, s.locked(ctx, func() error {
		if s.status != returns.RefundPending {
			return nil
		}
		note := "nothing goes back to the payment"
		if s.credit > 0 {
			note += ": resolved as store credit of " + money(s.credit+s.bonus)
		}
		if s.exchanged > 0 {
			note += "; the exchange's replacement stays held for its shipment (a later step)"
		}
		if err := s.transition(ctx, step{to: returns.Refunded, actor: returns.SystemActor, note: note}); err != nil {
			return err
		}
		return s.transition(ctx, step{to: returns.Closed, actor: returns.SystemActor, note: "nothing to settle with the payment"})
	})
}

// creditCtx is for issuing credit and sending its code: retried for as
// long as the database or the mail is down, never twice (its dedupe key).
func creditCtx(ctx workflow.Context) workflow.Context {
	return workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: time.Minute,
		RetryPolicy: &temporal.RetryPolicy{
			InitialInterval: time.Second, BackoffCoefficient: 2, MaximumInterval: 5 * time.Minute,
			NonRetryableErrorTypes: []string{contract.ErrInvalidInput},
		},
	})
}

// quoted takes a prepared refund's split: what goes to the payment, as
// credit (with its bonus) and exchanged.
func (s *returnState) quoted(q returns.Quote) {
	s.refundAmount = q.ToPayment()
	s.credit, s.bonus, s.exchanged = q.Credit, q.Bonus, q.Exchanged
}

// inspectedNote says what an inspection settles.
func (s *returnState) inspectedNote(q returns.Quote) string {
	money := func(v int64) string { return returns.Money{Amount: v, Currency: q.Currency}.String() }
	if !s.resolutions {
		return "inspected: refund of " + money(q.Total)
	}
	var parts []string
	if q.ToPayment() > 0 || (q.Credit == 0 && q.Exchanged == 0) {
		parts = append(parts, "refund of "+money(q.ToPayment()))
	}
	if q.Credit > 0 {
		parts = append(parts, "store credit of "+money(q.Credit)+" and a bonus of "+money(q.Bonus))
	}
	if q.Exchanged > 0 {
		parts = append(parts, "exchange of items worth "+money(q.Exchanged))
	}
	return "inspected: " + strings.Join(parts, ", ")
}

// chosenNote tells the timeline what the shopper chose per line.
func chosenNote(lines []returns.RequestedLine) string {
	parts := make([]string, len(lines))
	for i, l := range lines {
		parts[i] = fmt.Sprintf("line %s: %s", l.LineID, l.Resolution.OrRefund())
		if l.Resolution == returns.ResolutionExchange {
			parts[i] += " for " + l.VariantSKU
		}
	}
	return "chosen: " + strings.Join(parts, ", ")
}

// releaseRejectedExchanges releases the holds of a return whose exchange
// lines were all rejected at inspection while other lines were accepted:
// no replacement is owed. Callers hold the mutex.
func (s *returnState) releaseRejectedExchanges(ctx workflow.Context, inspected []returns.InspectedLine) error {
	exchanges := returns.Exchanges(s.in.Lines)
	if !s.held || len(exchanges) == 0 {
		return nil
	}
	for _, l := range exchanges {
		for _, il := range inspected {
			if il.LineID == l.LineID && il.AcceptedQuantity > 0 {
				return nil
			}
		}
	}
	var res activities.StockReleaseResult
	err := workflow.ExecuteActivity(storeCtx(ctx), a.Inventory.ReleaseStock, activities.StockReleaseInput{
		MerchantID: s.in.MerchantID, ReturnID: s.in.ReturnID, Reason: returns.Rejected,
	}).Get(ctx, &res)
	if err != nil {
		return err
	}
	s.held = false
	return s.transition(ctx, step{to: s.status, event: activities.EventNote, actor: returns.SystemActor,
		note: "the exchange's replacement was released: the exchanged items were rejected at inspection"})
}
