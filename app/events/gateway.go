package events

import (
	"context"
	"errors"

	"github.com/rebound-returns/rebound/contract"
	"github.com/rebound-returns/rebound/returns"

	"github.com/rebound-returns/rebound/app/apperr"
	"github.com/rebound-returns/rebound/db"
	"github.com/rebound-returns/rebound/ids"
	"github.com/rebound-returns/rebound/payments"
)

// Gateway hands the gateway's outcome of a refund to the refund's
// workflow (an event of a hold or a charge is recorded: see exchange); it answers whether the event names an attempt of Rebound's
// (an unknown reference is not refused: the gateway need not send it
// again). A refund whose workflow has finished only logs.
func (s *Service) Gateway(ctx context.Context, ev payments.WebhookEvent) (matched bool, err error) {
	if payments.IsAuthorizationEvent(ev.Type) {
		return s.exchange(ctx, ev)
	}
	if ev.Refund.Reference == "" {
		return false, apperr.Invalid("refund.reference", "is required")
	}
	if !ids.Valid(ev.Refund.Reference) {
		return false, nil
	}
	att, err := s.d.Store.AttemptByID(ctx, ev.Refund.Reference)
	if errors.Is(err, db.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	ref, err := s.d.Store.RefundByID(ctx, att.RefundID)
	if err != nil {
		return false, err
	}
	err = s.d.Workflow.GatewayResult(ctx, ref.WorkflowID,
		contract.GatewayResult{AttemptID: att.ID, Status: returns.RefundStatus(ev.Refund.Status), FailureCode: ev.Refund.FailureCode})
	if err != nil {
		s.d.Log.Info("gateway event for a finished refund", "refund_id", ref.ID)
	}
	return true, nil
}
