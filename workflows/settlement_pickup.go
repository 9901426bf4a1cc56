package workflows

import (
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/rebound-returns/rebound/activities"
	"github.com/rebound-returns/rebound/contract"
)

// SettlementPickupWorkflow imports every file waiting in the settlement
// folder, one at a time, and starts the reconciliation of each new one as
// an abandoned child (the same workflow an upload starts, under the same
// id, so a reconciliation is never started twice). A file that fails
// after its retries is counted and left for the next pickup; the others go
// on.
func SettlementPickupWorkflow(ctx workflow.Context, _ contract.PickupInput) (contract.PickupResult, error) {
	log := workflow.GetLogger(ctx)
	retry := &temporal.RetryPolicy{InitialInterval: time.Second, MaximumInterval: time.Minute, MaximumAttempts: 8}
	list := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{StartToCloseTimeout: time.Minute, RetryPolicy: retry})
	// An import heartbeats as it reads; a large file takes minutes.
	imports := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: time.Hour, HeartbeatTimeout: time.Minute, RetryPolicy: retry,
	})
	var res contract.PickupResult
	var files []activities.DroppedFile
	if err := workflow.ExecuteActivity(list, a.Settlement.ListDroppedFiles).Get(ctx, &files); err != nil {
		return res, err
	}
	for _, f := range files {
		var picked activities.PickedFile
		if err := workflow.ExecuteActivity(imports, a.Settlement.ImportDroppedFile, f).Get(ctx, &picked); err != nil {
			log.Error("settlement file not picked up", "folder", f.Folder, "file", f.Name, "error", err)
			res.Failed++
			continue
		}
		switch {
		case picked.Refused:
			res.Refused++
		case picked.Duplicate:
			res.Duplicates++
		default:
			res.Imported++
		}
		if !picked.Reconcile {
			continue
		}
		started, err := startReconciliation(ctx, picked.FileID)
		if err != nil {
			log.Error("reconciliation not started", "file_id", picked.FileID, "error", err)
			res.Failed++
			continue
		}
		if started {
			res.Reconciling = append(res.Reconciling, picked.FileID)
		}
	}
	return res, nil
}

// startReconciliation starts a file's ReconciliationWorkflow as a child
// that outlives the pickup, and waits until it has started. One started
// before (by an upload, or an earlier file) is fine: it answers false.
func startReconciliation(ctx workflow.Context, fileID string) (bool, error) {
	cctx := workflow.WithChildOptions(ctx, workflow.ChildWorkflowOptions{
		WorkflowID:            contract.ReconcileWorkflowID(fileID),
		TaskQueue:             contract.TaskQueue,
		ParentClosePolicy:     enumspb.PARENT_CLOSE_POLICY_ABANDON,
		WorkflowIDReusePolicy: enumspb.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE,
	})
	err := workflow.ExecuteChildWorkflow(cctx, ReconciliationWorkflow, contract.ReconcileInput{FileID: fileID}).
		GetChildWorkflowExecution().Get(ctx, nil)
	if temporal.IsWorkflowExecutionAlreadyStartedError(err) {
		return false, nil
	}
	return err == nil, err
}
