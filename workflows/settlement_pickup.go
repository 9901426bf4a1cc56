package workflows

import (
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/rebound-returns/rebound/activities"
)

// SettlementPickupScheduleID is the Temporal Schedule that runs
// SettlementPickupWorkflow daily.
const SettlementPickupScheduleID = "settlement-pickup"

// SettlementPickupWorkflowID is the id of the pickup workflow the schedule
// starts (the schedule appends the time of each run).
const SettlementPickupWorkflowID = "settlement-pickup"

// PickupInput starts a pickup; it needs nothing yet.
type PickupInput struct{}

// PickupResult counts what a pickup did with the files it found.
type PickupResult struct {
	Imported   int `json:"imported"`
	Duplicates int `json:"duplicates"` // content imported before: moved, nothing changed
	Refused    int `json:"refused"`
	// Failed files could not be dealt with this time (the database was
	// down, say) and wait in their folder for the next pickup; or were
	// imported but their reconciliation could not be started.
	Failed int `json:"failed"`
	// Reconciling are the files whose reconciliation this pickup started
	// (not those started before, by an upload or an earlier pickup).
	Reconciling []string `json:"reconciling,omitempty"`
}

// SettlementPickupWorkflow imports every file waiting in the settlement
// folder, one at a time, and starts the reconciliation of each new one as
// an abandoned child (the same workflow an upload starts, under the same
// id, so a reconciliation is never started twice). A file that fails
// after its retries is counted and left for the next pickup; the others go
// on.
func SettlementPickupWorkflow(ctx workflow.Context, _ PickupInput) (PickupResult, error) {
	log := workflow.GetLogger(ctx)
	retry := &temporal.RetryPolicy{InitialInterval: time.Second, MaximumInterval: time.Minute, MaximumAttempts: 8}
	list := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{StartToCloseTimeout: time.Minute, RetryPolicy: retry})
	// An import heartbeats as it reads; a large file takes minutes.
	imports := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: time.Hour, HeartbeatTimeout: time.Minute, RetryPolicy: retry,
	})
	var res PickupResult
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
		WorkflowID:            ReconcileWorkflowID(fileID),
		TaskQueue:             TaskQueue,
		ParentClosePolicy:     enumspb.PARENT_CLOSE_POLICY_ABANDON,
		WorkflowIDReusePolicy: enumspb.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE,
	})
	err := workflow.ExecuteChildWorkflow(cctx, ReconciliationWorkflow, ReconcileInput{FileID: fileID}).
		GetChildWorkflowExecution().Get(ctx, nil)
	if temporal.IsWorkflowExecutionAlreadyStartedError(err) {
		return false, nil
	}
	return err == nil, err
}
