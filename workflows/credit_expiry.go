package workflows

import (
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/rebound-returns/rebound/contract"
)

// CreditExpiryWorkflow expires what is left of every store credit past its
// date (the merchant's policy's credit_validity_days from its issue): one
// activity, retried, idempotent. A Temporal Schedule runs it daily
// (worker.EnsureCreditExpirySchedule).
func CreditExpiryWorkflow(ctx workflow.Context, _ contract.CreditExpiryInput) (contract.CreditExpiryResult, error) {
	ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: 30 * time.Minute,
		RetryPolicy:         &temporal.RetryPolicy{InitialInterval: time.Second, MaximumInterval: time.Minute, MaximumAttempts: 10},
	})
	var res contract.CreditExpiryResult
	err := workflow.ExecuteActivity(ctx, a.Store.ExpireCredits).Get(ctx, &res.Expired)
	return res, err
}
