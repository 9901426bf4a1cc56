package workflows

import (
	"go.temporal.io/sdk/workflow"

	"github.com/rebound-returns/rebound/activities"
)

// OrderLookupWorkflow sends the code that opens an order to a shopper
// before they file a return (the portal's "find your order"). It is one
// activity long: the code is made, stored as an HMAC and sent inside it,
// and the history holds only the lookup's id and expiry.
func OrderLookupWorkflow(ctx workflow.Context, in activities.LookupCodeInput) (activities.LookupCodeResult, error) {
	var res activities.LookupCodeResult
	err := workflow.ExecuteActivity(codeCtx(ctx), a.Messages.SendLookupCode, in).Get(ctx, &res)
	return res, err
}
