package api

import (
	"context"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"

	"github.com/rebound-returns/rebound/app/finance"
	"github.com/rebound-returns/rebound/settlement"
	"github.com/rebound-returns/rebound/workflows"
)

// financeService builds finance's desk over the API's store, the
// settlement importer and the Temporal client; its first pages inside
// other answers are the API's page sizes.
func (s *server) financeService() *finance.Service {
	return finance.New(finance.Deps{Store: s.deps.DB, Importer: &settlement.Importer{DB: s.deps.DB}, Workflow: financeWorkflows{s},
		Now: s.now, PageSize: pageDefault, PageMax: pageMax})
}

// financeWorkflows starts reconciliations and sends finance's resolutions
// to returns' workflows.
type financeWorkflows struct{ s *server }

// StartReconcile starts the file's ReconciliationWorkflow, once per file.
func (w financeWorkflows) StartReconcile(ctx context.Context, fileID string) error {
	_, err := w.s.deps.Temporal.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID: workflows.ReconcileWorkflowID(fileID), TaskQueue: workflows.TaskQueue,
		WorkflowIDReusePolicy: enumspb.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE,
	}, workflows.ReconciliationWorkflow, workflows.ReconcileInput{FileID: fileID})
	return err
}

func (w financeWorkflows) RefundResolution(ctx context.Context, returnID string, req workflows.RefundResolutionRequest) error {
	return w.s.update(ctx, returnID, workflows.UpdateRefundResolution, req, nil)
}
