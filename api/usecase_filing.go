package api

import (
	"context"
	"errors"
	"fmt"

	"github.com/gin-gonic/gin"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"

	"github.com/rebound-returns/rebound/activities"
	"github.com/rebound-returns/rebound/app/filing"
	"github.com/rebound-returns/rebound/db"
	"github.com/rebound-returns/rebound/workflows"
)

// filingService builds the shopper's steps over the API's store, Temporal
// client and clock.
func (s *server) filingService() *filing.Service {
	return filing.New(filing.Deps{Store: s.deps.DB, Workflow: shopperWorkflows{s}, Labels: simLabels{s}, Log: s.log,
		OTPSecret: s.deps.OTPSecret, ShopperPrefix: prefixShopper, SessionLife: shopperSessionLife, Now: s.now})
}

// shopperWorkflows starts the return's and the lookup's workflows and
// sends the shopper's updates to a return's.
type shopperWorkflows struct{ s *server }

func (w shopperWorkflows) StartReturn(ctx context.Context, in workflows.ReturnInput) error {
	_, err := w.s.deps.Temporal.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID: workflows.ReturnWorkflowID(in.ReturnID), TaskQueue: workflows.TaskQueue,
		WorkflowIDReusePolicy: enumspb.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE,
	}, workflows.ReturnWorkflow, in)
	return err
}

func (w shopperWorkflows) ReturnStarted(ctx context.Context, returnID string) (bool, error) {
	_, err := w.s.deps.Temporal.DescribeWorkflowExecution(ctx, workflows.ReturnWorkflowID(returnID), "")
	if errors.As(err, new(*serviceerror.NotFound)) {
		return false, nil
	}
	return err == nil, err
}

// SendLookupCode runs the lookup's workflow and waits for its end: the
// workflow's refusal is its problem, any other failure filing.ErrNotSent.
func (w shopperWorkflows) SendLookupCode(ctx context.Context, in activities.LookupCodeInput) (activities.LookupCodeResult, error) {
	var res activities.LookupCodeResult
	run, err := w.s.deps.Temporal.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID: workflows.LookupWorkflowID(in.LookupID), TaskQueue: workflows.TaskQueue,
		WorkflowIDReusePolicy: enumspb.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE,
	}, workflows.OrderLookupWorkflow, in)
	if err != nil {
		return res, err
	}
	if err := run.Get(ctx, &res); err != nil {
		if p := workflowProblem(err); errors.As(p, new(*Problem)) {
			return res, p
		}
		return res, fmt.Errorf("%w: %w", filing.ErrNotSent, err)
	}
	return res, nil
}

func (w shopperWorkflows) Verify(ctx context.Context, returnID string, req workflows.VerifyRequest) error {
	var res workflows.ActionResult
	return w.s.update(ctx, returnID, workflows.UpdateVerify, req, &res)
}

func (w shopperWorkflows) SendCode(ctx context.Context, returnID string, req workflows.SendCodeRequest) (activities.SendCodeResult, error) {
	var res activities.SendCodeResult
	err := w.s.update(ctx, returnID, workflows.UpdateSendCode, req, &res)
	return res, err
}

func (w shopperWorkflows) Cancel(ctx context.Context, returnID string, req workflows.CancelRequest) error {
	var res workflows.ActionResult
	return w.s.update(ctx, returnID, workflows.UpdateCancel, req, &res)
}

// simLabels renders labels of the simulated carrier.
type simLabels struct{ s *server }

func (l simLabels) Label(ctx context.Context, r *db.Return) ([]byte, error) {
	return activities.Label(ctx, l.s.deps.DB, r, "rebound-sim")
}

// visibleReturn reads the return of the path if the caller may see it;
// anyone else gets the same 404 as for a return that does not exist. The
// merchant's steps (merchant.go) read their return here until they move
// to a use case of their own.
func (s *server) visibleReturn(c *gin.Context) (*db.Return, error) {
	return filing.ReturnOf(c.Request.Context(), s.deps.DB, c.Param("id"), principalOf(c).canSee)
}

// shopperSession opens a return to the shopper who proved it theirs (the
// replay of a filing, idempotency.go, hands out a new one).
func (s *server) shopperSession(ctx context.Context, r *db.Return) (string, *db.Session, error) {
	return filing.OpenSession(ctx, s.deps.DB, prefixShopper, s.now().Add(shopperSessionLife), r.ID, r.MerchantID)
}
