package workflows_test

import (
	"context"
	"errors"
	"testing"

	"github.com/stretchr/testify/mock"
	"go.temporal.io/sdk/temporal"

	"github.com/rebound-returns/rebound/contract"
	"github.com/rebound-returns/rebound/workflows"
)

// The daily expiry run is its one activity, retried until it gets through;
// it reports how many credits expired.
func TestCreditExpiryRunsItsActivityUntilItGetsThrough(t *testing.T) {
	env := pickupEnv(t)
	env.RegisterWorkflow(workflows.CreditExpiryWorkflow)
	calls := 0
	env.OnActivity(acts.Store.ExpireCredits, mock.Anything).Return(func(context.Context) (int, error) {
		calls++
		if calls == 1 {
			return 0, temporal.NewApplicationError("database down", "unavailable")
		}
		return 3, nil
	})
	env.ExecuteWorkflow(workflows.CreditExpiryWorkflow, contract.CreditExpiryInput{})
	var res contract.CreditExpiryResult
	if err := errors.Join(env.GetWorkflowError(), env.GetWorkflowResult(&res)); err != nil {
		t.Fatal(err)
	}
	if res.Expired != 3 || calls != 2 {
		t.Fatalf("result %+v after %d calls", res, calls)
	}
}
