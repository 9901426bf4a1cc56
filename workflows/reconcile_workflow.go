package workflows

import (
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/rebound-returns/rebound/activities"
	"github.com/rebound-returns/rebound/contract"
)

// ReconciliationWorkflow reconciles one imported settlement file: it
// matches the file's rows against Rebound's refund attempts set-wise in the
// database, tells every settled return (in pages, from a heartbeating
// activity) so that it closes, and turns every discrepancy into a finance
// work item.
func ReconciliationWorkflow(ctx workflow.Context, in contract.ReconcileInput) (activities.ReconcileResult, error) {
	retry := &temporal.RetryPolicy{InitialInterval: time.Second, MaximumInterval: time.Minute}
	// Matching a large file is a few long statements.
	match := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{StartToCloseTimeout: 30 * time.Minute, RetryPolicy: retry})
	// Signalling heartbeats after each page.
	pages := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: 30 * time.Minute, HeartbeatTimeout: time.Minute, RetryPolicy: retry,
	})
	var res activities.ReconcileResult
	if err := workflow.ExecuteActivity(match, a.Settlement.MatchSettlement, in.FileID).Get(ctx, &res); err != nil {
		return res, err
	}
	if err := workflow.ExecuteActivity(pages, a.Settlement.SettleReturns, activities.SettlePage{FileID: in.FileID}).Get(ctx, nil); err != nil {
		return res, err
	}
	err := workflow.ExecuteActivity(match, a.Settlement.FinishReconciliation, in.FileID).Get(ctx, nil)
	return res, err
}
