package api

import (
	"context"
	"errors"

	"go.temporal.io/api/serviceerror"

	"github.com/rebound-returns/rebound/app/events"
	"github.com/rebound-returns/rebound/app/orders"
	"github.com/rebound-returns/rebound/app/staff"
	"github.com/rebound-returns/rebound/workflows"
)

// The staff's steps and lists (app/staff), the merchant's orders
// (app/orders) and the carriers' and gateway's events (app/events), built
// over the API's store and Temporal client.

func (s *server) staffService() *staff.Service {
	return staff.New(staff.Deps{Store: s.deps.DB, Workflow: staffSteps{s}})
}

func (s *server) ordersService() *orders.Service {
	return orders.New(orders.Deps{Store: s.deps.DB, Created: s.deps.OnOrder})
}

func (s *server) eventsService() *events.Service {
	return events.New(events.Deps{Store: s.deps.DB, Workflow: eventSignals{s}, Log: s.log})
}

// staffSteps sends the staff's steps to a return's workflow; its refusal
// comes back as the problem update makes of it.
type staffSteps struct{ s *server }

func (w staffSteps) Review(ctx context.Context, returnID string, req workflows.ReviewRequest) error {
	var res workflows.ActionResult
	return w.s.update(ctx, returnID, workflows.UpdateReview, req, &res)
}

func (w staffSteps) Receive(ctx context.Context, returnID string, req workflows.ReceiveRequest) error {
	var res workflows.ActionResult
	return w.s.update(ctx, returnID, workflows.UpdateReceive, req, &res)
}

func (w staffSteps) Inspect(ctx context.Context, returnID string, req workflows.InspectRequest) error {
	var res workflows.ActionResult
	return w.s.update(ctx, returnID, workflows.UpdateInspect, req, &res)
}

// eventSignals signals the events to the workflows; a workflow Temporal
// no longer has is events.ErrEnded.
type eventSignals struct{ s *server }

func (e eventSignals) CarrierEvent(ctx context.Context, returnID string, ev workflows.CarrierEvent) error {
	return ended(e.s.deps.Temporal.SignalWorkflow(ctx, workflows.ReturnWorkflowID(returnID), "", workflows.SignalCarrierEvent, ev))
}

func (e eventSignals) GatewayResult(ctx context.Context, workflowID string, res workflows.GatewayResult) error {
	return ended(e.s.deps.Temporal.SignalWorkflow(ctx, workflowID, "", workflows.SignalGatewayResult, res))
}

func ended(err error) error {
	var nf *serviceerror.NotFound
	if errors.As(err, &nf) {
		return events.ErrEnded
	}
	return err
}
