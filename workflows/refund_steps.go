package workflows

import (
	"strings"

	"go.temporal.io/sdk/workflow"

	"github.com/rebound-returns/rebound/activities"
	"github.com/rebound-returns/rebound/contract"
	"github.com/rebound-returns/rebound/returns"
)

// The human steps around a card refund: the counter procedure, a
// supervisor's approval of a refund without the card, and finance's
// resolution of a refund that failed.

func (s *returnState) validateCounterRefund(req contract.CounterRefundRequest) error {
	if err := s.must(returns.RefundPending); err != nil {
		return err
	}
	switch {
	case s.in.Channel != returns.ChannelCardPresent || s.in.Method != returns.MethodInStore:
		return stateError("only an in-store return of a card sale is refunded at the counter")
	case s.payNow || s.childRunning:
		return stateError("the refund is already on its way")
	case req.AuthorisedBy == "" || req.TerminalID == "":
		return inputError("a supervisor and a terminal are required")
	}
	return nil
}

func (s *returnState) counterRefund(ctx workflow.Context, req contract.CounterRefundRequest) (contract.ActionResult, error) {
	err := s.locked(ctx, func() error {
		if err := s.validateCounterRefund(req); err != nil {
			return err
		}
		s.authorisedBy = req.AuthorisedBy
		s.payNow = true
		return s.transition(ctx, step{to: s.status, event: activities.EventNote, actor: req.Actor,
			note: "counter refund authorised by " + req.AuthorisedBy + " at terminal " + req.TerminalID})
	})
	return s.result(), err
}

func (s *returnState) validateRefundApproval(req contract.RefundApprovalRequest) error {
	if err := s.must(returns.RefundPending); err != nil {
		return err
	}
	switch {
	case s.in.Channel != returns.ChannelCardPresent || s.in.Method != returns.MethodShip:
		return stateError("only a card refund without the card needs approval")
	case s.payNow || s.childRunning:
		return stateError("the refund is already on its way")
	case req.Decision != contract.DecisionApprove && req.Decision != contract.DecisionDecline:
		return inputError("decision must be approve or decline")
	case req.Decision == contract.DecisionDecline && strings.TrimSpace(req.Note) == "":
		return inputError("a decline needs a note")
	}
	return nil
}

func (s *returnState) refundApproval(ctx workflow.Context, req contract.RefundApprovalRequest) (contract.ActionResult, error) {
	err := s.locked(ctx, func() error {
		if err := s.validateRefundApproval(req); err != nil {
			return err
		}
		if req.Decision == contract.DecisionDecline {
			return s.transition(ctx, step{to: returns.RefundFailed, actor: req.Actor,
				note: "refund without the card declined: " + req.Note, reason: "not_approved"})
		}
		s.authorisedBy = req.Actor.Name
		s.payNow = true
		return s.transition(ctx, step{to: s.status, event: activities.EventNote, actor: req.Actor,
			note: "refund without the card approved " + req.Note})
	})
	return s.result(), err
}

func (s *returnState) validateRefundResolution(req contract.RefundResolutionRequest) error {
	if err := s.must(returns.RefundFailed); err != nil {
		return err
	}
	switch req.Action {
	case contract.ResolveRetry, contract.ResolveMarkRefunded, contract.ResolveStoreCredit:
	default:
		return inputError("action must be retry, mark_refunded or store_credit")
	}
	if req.Action == contract.ResolveStoreCredit && s.creditIssued {
		// The ledger holds one credit per return: its credit lines took it.
		return stateError("this return's credit lines were issued as store credit already: retry the refund or mark it refunded")
	}
	return nil
}

// refundResolution carries out finance's decision on a failed refund.
func (s *returnState) refundResolution(ctx workflow.Context, req contract.RefundResolutionRequest) (contract.ActionResult, error) {
	err := s.locked(ctx, func() error {
		if err := s.validateRefundResolution(req); err != nil {
			return err
		}
		in := activities.ResolveRefundInput{ReturnID: s.in.ReturnID, RefundID: s.refundID, Action: req.Action,
			Note: req.Note, By: req.Actor.Name, Amount: s.refundAmount, Currency: s.in.Order.Currency}
		var out activities.ResolveRefundResult
		if err := workflow.ExecuteActivity(storeCtx(ctx), a.Store.ResolveRefund, in).Get(ctx, &out); err != nil {
			return err
		}
		if out.RefundID != "" {
			s.refundID, s.refundAmount = out.RefundID, out.Amount
		}
		note := strings.TrimSpace(req.Note)
		switch {
		case out.PaidBy != "":
			// An attempt had paid it (its workflow failed after): that is
			// the refund; nothing is sent again, the settlement file closes it.
			return s.transition(ctx, step{to: returns.Refunded, actor: req.Actor,
				note: "the refund had been paid by an earlier attempt; nothing sent again: " + note})
		case req.Action == contract.ResolveRetry:
			s.authorisedBy = req.Actor.Name
			s.payNow = true
			return s.transition(ctx, step{to: returns.RefundPending, actor: req.Actor, note: "retry: " + note})
		case req.Action == contract.ResolveMarkRefunded:
			if err := s.transition(ctx, step{to: returns.Refunded, actor: req.Actor, note: "marked refunded: " + note}); err != nil {
				return err
			}
			return s.transition(ctx, step{to: returns.Closed, actor: req.Actor, note: "paid outside Rebound"})
		default:
			return s.transition(ctx, step{to: returns.Closed, actor: req.Actor,
				note: "store credit of " + returns.Money{Amount: s.refundAmount, Currency: s.in.Order.Currency}.String() + " issued"})
		}
	})
	return s.result(), err
}
