package wire

import (
	"context"
	"errors"
	"fmt"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/rebound-returns/rebound/activities"
	"github.com/rebound-returns/rebound/app/admin"
	"github.com/rebound-returns/rebound/app/apperr"
	"github.com/rebound-returns/rebound/app/events"
	"github.com/rebound-returns/rebound/app/filing"
	"github.com/rebound-returns/rebound/contract"
	"github.com/rebound-returns/rebound/workflows"
)

// flows is the Temporal client as the use cases' adapters use it.
type flows struct{ t Temporal }

// update sends an update to a return's workflow and waits until its step
// is recorded; the workflow's refusal comes back as a refusal (Refusal).
// step sends a person's step to a return's workflow and waits until it is
// recorded; its answer is not needed (callers show the return as stored).
func (f flows) step(ctx context.Context, returnID, name string, arg any) error {
	var res contract.ActionResult
	return f.update(ctx, returnID, name, arg, &res)
}

func (f flows) update(ctx context.Context, returnID, name string, arg, result any) error {
	h, err := f.t.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{
		WorkflowID:   contract.ReturnWorkflowID(returnID),
		UpdateName:   name,
		Args:         []any{arg},
		WaitForStage: client.WorkflowUpdateStageCompleted,
	})
	if err == nil {
		err = h.Get(ctx, result)
	}
	return Refusal(err)
}

// start starts a workflow once: a second start under its id is refused.
func (f flows) start(ctx context.Context, id string, workflow any, arg any) (client.WorkflowRun, error) {
	return f.t.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: id, TaskQueue: contract.TaskQueue,
		WorkflowIDReusePolicy: enumspb.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE}, workflow, arg)
}

// Refusal turns what Temporal answers into the use cases' refusals: a
// step the return's state does not allow (409), bad input (422), too many
// tries (429, with the wait the workflow gives), a workflow that has
// ended (409). Any other error is returned as it is.
func Refusal(err error) error {
	if err == nil {
		return nil
	}
	var ae *temporal.ApplicationError
	if errors.As(err, &ae) {
		switch ae.Type() {
		case contract.ErrInvalidState:
			return apperr.State(ae.Message())
		case contract.ErrInvalidInput:
			// A refusal of the whole request, naming no field.
			return &apperr.Error{Kind: apperr.ErrInvalid, Code: "validation", Detail: ae.Message()}
		case contract.ErrRateLimited:
			var secs float64
			var wait time.Duration
			if ae.HasDetails() && ae.Details(&secs) == nil {
				wait = time.Duration(secs * float64(time.Second))
			}
			return apperr.Limited("rate-limited", ae.Message(), wait)
		}
	}
	var nf *serviceerror.NotFound
	if errors.As(err, &nf) {
		return apperr.State("the return has ended")
	}
	return err
}

// returnUpdates sends the counter's updates to a return's workflow.
type returnUpdates struct{ f flows }

func (u returnUpdates) CounterRefund(ctx context.Context, returnID string, req contract.CounterRefundRequest) error {
	return u.f.step(ctx, returnID, contract.UpdateCounterRefund, req)
}

func (u returnUpdates) RefundApproval(ctx context.Context, returnID string, req contract.RefundApprovalRequest) error {
	return u.f.step(ctx, returnID, contract.UpdateRefundApproval, req)
}

func (u returnUpdates) RefundResolution(ctx context.Context, returnID string, req contract.RefundResolutionRequest) error {
	return u.f.step(ctx, returnID, contract.UpdateRefundResolution, req)
}

// shopperWorkflows starts the return's and the lookup's workflows and
// sends the shopper's updates to a return's.
type shopperWorkflows struct{ f flows }

func (w shopperWorkflows) StartReturn(ctx context.Context, in contract.ReturnInput) error {
	_, err := w.f.start(ctx, contract.ReturnWorkflowID(in.ReturnID), workflows.ReturnWorkflow, in)
	return err
}

func (w shopperWorkflows) ReturnStarted(ctx context.Context, returnID string) (bool, error) {
	_, err := w.f.t.DescribeWorkflowExecution(ctx, contract.ReturnWorkflowID(returnID), "")
	if errors.As(err, new(*serviceerror.NotFound)) {
		return false, nil
	}
	return err == nil, err
}

// SendLookupCode runs the lookup's workflow and waits for its end: the
// workflow's refusal is its refusal, any other failure filing.ErrNotSent.
func (w shopperWorkflows) SendLookupCode(ctx context.Context, in activities.LookupCodeInput) (activities.LookupCodeResult, error) {
	var res activities.LookupCodeResult
	run, err := w.f.start(ctx, contract.LookupWorkflowID(in.LookupID), workflows.OrderLookupWorkflow, in)
	if err != nil {
		return res, err
	}
	if err := run.Get(ctx, &res); err != nil {
		if r := Refusal(err); apperr.As(r) != nil {
			return res, r
		}
		return res, fmt.Errorf("%w: %w", filing.ErrNotSent, err)
	}
	return res, nil
}

func (w shopperWorkflows) Verify(ctx context.Context, returnID string, req contract.VerifyRequest) error {
	return w.f.step(ctx, returnID, contract.UpdateVerify, req)
}

func (w shopperWorkflows) SendCode(ctx context.Context, returnID string, req contract.SendCodeRequest) (activities.SendCodeResult, error) {
	var res activities.SendCodeResult
	err := w.f.update(ctx, returnID, contract.UpdateSendCode, req, &res)
	return res, err
}

func (w shopperWorkflows) Cancel(ctx context.Context, returnID string, req contract.CancelRequest) error {
	return w.f.step(ctx, returnID, contract.UpdateCancel, req)
}

// staffSteps sends the staff's steps to a return's workflow.
type staffSteps struct{ f flows }

func (w staffSteps) Review(ctx context.Context, returnID string, req contract.ReviewRequest) error {
	return w.f.step(ctx, returnID, contract.UpdateReview, req)
}

func (w staffSteps) Receive(ctx context.Context, returnID string, req contract.ReceiveRequest) error {
	return w.f.step(ctx, returnID, contract.UpdateReceive, req)
}

func (w staffSteps) Inspect(ctx context.Context, returnID string, req contract.InspectRequest) error {
	return w.f.step(ctx, returnID, contract.UpdateInspect, req)
}

// eventSignals signals the carriers' and gateway's events to the
// workflows; a workflow Temporal no longer has is events.ErrEnded.
type eventSignals struct{ f flows }

func (e eventSignals) CarrierEvent(ctx context.Context, returnID string, ev contract.CarrierEvent) error {
	return ended(e.f.t.SignalWorkflow(ctx, contract.ReturnWorkflowID(returnID), "", contract.SignalCarrierEvent, ev))
}

func (e eventSignals) GatewayResult(ctx context.Context, workflowID string, res contract.GatewayResult) error {
	return ended(e.f.t.SignalWorkflow(ctx, workflowID, "", contract.SignalGatewayResult, res))
}

func ended(err error) error {
	var nf *serviceerror.NotFound
	if errors.As(err, &nf) {
		return events.ErrEnded
	}
	return err
}

// financeWorkflows starts reconciliations and sends finance's resolutions
// to returns' workflows.
type financeWorkflows struct{ f flows }

// StartReconcile starts the file's ReconciliationWorkflow, once per file.
func (w financeWorkflows) StartReconcile(ctx context.Context, fileID string) error {
	_, err := w.f.start(ctx, contract.ReconcileWorkflowID(fileID), workflows.ReconciliationWorkflow, contract.ReconcileInput{FileID: fileID})
	return err
}

func (w financeWorkflows) RefundResolution(ctx context.Context, returnID string, req contract.RefundResolutionRequest) error {
	return w.f.update(ctx, returnID, contract.UpdateRefundResolution, req, nil)
}

// freezeSignals wakes refunds' workflows waiting on a lifted freeze.
type freezeSignals struct{ f flows }

func (s freezeSignals) FreezeLifted(ctx context.Context, workflowID string) error {
	return s.f.t.SignalWorkflow(ctx, workflowID, "", contract.SignalFreezeLifted, nil)
}

// delivery hands queued messages to a small workflow that sends them with
// retries (admin's invitations, the admins' mail).
type delivery struct{ f flows }

func (d delivery) run(ctx context.Context, ids []string) (client.WorkflowRun, error) {
	return d.f.t.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: "deliver/" + ids[0], TaskQueue: contract.TaskQueue},
		workflows.DeliverWorkflow, activities.DeliverInput{OutboxIDs: ids})
}

// Deliver is admin.Delivery: the caller may wait for the run.
func (d delivery) Deliver(ctx context.Context, ids []string) (admin.Run, error) {
	run, err := d.run(ctx, ids)
	if err != nil {
		return nil, err
	}
	return run, nil
}

// mailDelivery is outbox.Delivery: the admins' mail is not waited for.
type mailDelivery struct{ d delivery }

func (m mailDelivery) Deliver(ctx context.Context, ids []string) error {
	_, err := m.d.run(ctx, ids)
	return err
}
