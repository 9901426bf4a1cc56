package workflows

import (
	"errors"
	"time"

	"github.com/rebound-returns/rebound/contract"
	"github.com/rebound-returns/rebound/returns"

	"github.com/google/uuid"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/rebound-returns/rebound/activities"
)

// RefundWorkflow pays one refund of a return: online through the payment
// gateway, or on the card through the acquirer.
func RefundWorkflow(ctx workflow.Context, in contract.RefundInput) (contract.RefundResult, error) {
	// Refunds started before freezes existed replay without the checks.
	freezes := workflow.GetVersion(ctx, VersionRefundFreeze, workflow.DefaultVersion, 1) >= 1
	// Refunds started before the money rules replay their old steps.
	rules := workflow.GetVersion(ctx, VersionRefundRules, workflow.DefaultVersion, 1) >= 1
	// Refunds started before local steps replay their store steps as
	// regular activities.
	ctx = withLocalSteps(ctx, workflow.GetVersion(ctx, VersionLocalSteps, workflow.DefaultVersion, 1) >= 1)
	if in.Channel == returns.ChannelCardPresent {
		if !rules {
			return cardRefundV1(ctx, in, freezes)
		}
		return cardRefund(ctx, in, freezes)
	}
	return onlineRefund(ctx, in, freezes, rules)
}

// awaitUnfrozen holds a refund before a new attempt while a freeze covers
// it, looking again when the freeze is lifted (a signal) or every
// FreezeRecheck. An attempt already out is never held: it finishes, and its
// reversal too.
func awaitUnfrozen(ctx workflow.Context, in contract.RefundInput) error {
	recheck := in.FreezeRecheck
	if recheck <= 0 {
		recheck = contract.DefaultFreezeRecheck
	}
	lifted := workflow.GetSignalChannel(ctx, contract.SignalFreezeLifted)
	for {
		var st activities.FreezeStatus
		if err := refundStoreStep(ctx, a.Store.CheckFreeze, activities.FreezeQuery{RefundID: in.RefundID}, &st); err != nil {
			return err
		}
		if !st.Frozen {
			return nil
		}
		workflow.GetLogger(ctx).Info("refund held by a freeze", "refund_id", in.RefundID, "freeze_id", st.FreezeID)
		sel := workflow.NewSelector(ctx)
		sel.AddReceive(lifted, func(c workflow.ReceiveChannel, _ bool) { c.Receive(ctx, nil) })
		sel.AddFuture(workflow.NewTimer(ctx, recheck), func(workflow.Future) {})
		sel.Select(ctx)
		// A long freeze must not grow the history without end: the lift's
		// signal wakes the refund at once, the timer is only the fallback.
		recheck = min(recheck*2, maxFreezeRecheck)
	}
}

// maxFreezeRecheck bounds the back-off of a frozen refund's checks: about
// 11 history events every half hour, some 500 a day.
const maxFreezeRecheck = 30 * time.Minute

// onlineRefund sends the refund to the payment gateway with the attempt id
// as Idempotency-Key, so retries after a crash or a lost answer can never
// pay twice, then waits for the outcome by webhook (signal) or by polling.
func onlineRefund(ctx workflow.Context, in contract.RefundInput, freezes, rules bool) (contract.RefundResult, error) {
	if freezes {
		if err := awaitUnfrozen(ctx, in); err != nil {
			return contract.RefundResult{}, err
		}
	}
	attemptID := uuid.NewSHA1(uuid.NameSpaceURL, []byte(in.RefundID+"/attempt/1")).String()
	if rules {
		// Each run (a finance retry starts another) is an attempt of its
		// own, with its own Idempotency-Key: the gateway refunds again only
		// after the money rules let it. An attempt an earlier run left
		// unanswered is resumed with its key instead.
		attemptID = uuid.NewSHA1(uuid.NameSpaceURL, []byte(in.RefundID+"/"+workflow.GetInfo(ctx).WorkflowExecution.ID+"/1")).String()
		var rec activities.Recovery
		if err := refundStoreStep(ctx, a.Store.RecoverAttempts, in.RefundID, &rec); err != nil {
			return contract.RefundResult{}, err
		}
		if rec.Resume != "" {
			attemptID = rec.Resume
		}
	}
	gctx := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: 30 * time.Second,
		RetryPolicy: &temporal.RetryPolicy{
			InitialInterval: 2 * time.Second, BackoffCoefficient: 2, MaximumInterval: 10 * time.Minute,
			NonRetryableErrorTypes: []string{contract.ErrGatewayRejected, activities.ErrRefused},
		},
	})
	results := workflow.GetSignalChannel(ctx, contract.SignalGatewayResult)

	var r activities.GatewayRefundResult
	err := workflow.ExecuteActivity(gctx, a.GatewayRefunds.StartGatewayRefund, activities.GatewayRefundInput{
		RefundID: in.RefundID, AttemptID: attemptID, PaymentID: in.PaymentID, Amount: in.Amount, Currency: in.Currency,
	}).Get(ctx, &r)
	var appErr *temporal.ApplicationError
	switch {
	case err == nil:
	case errors.As(err, &appErr) && appErr.Type() == contract.ErrGatewayRejected:
		r = activities.GatewayRefundResult{Status: returns.RefundStatusFailed, FailureCode: appErr.Message()}
	case isRefused(err):
		r = activities.GatewayRefundResult{Status: returns.RefundStatusFailed, FailureCode: contract.FailRefused}
	default:
		return contract.RefundResult{}, err
	}

	if r.AttemptID != "" {
		// The attempt the gateway was asked about, as the activity recorded
		// it (a replay outside the run's own workflow ID derives another).
		attemptID = r.AttemptID
	}
	poll := time.Minute
	for r.Status == returns.RefundStatusPending {
		sel := workflow.NewSelector(ctx)
		sel.AddReceive(results, func(c workflow.ReceiveChannel, _ bool) {
			var g contract.GatewayResult
			c.Receive(ctx, &g)
			if g.AttemptID == attemptID && g.Status != returns.RefundStatusPending {
				r.Status, r.FailureCode = g.Status, g.FailureCode
			}
		})
		timedOut := false
		sel.AddFuture(workflow.NewTimer(ctx, poll), func(workflow.Future) { timedOut = true })
		sel.Select(ctx)
		if timedOut {
			if err := workflow.ExecuteActivity(gctx, a.GatewayRefunds.CheckGatewayRefund, attemptID).Get(ctx, &r); err != nil {
				return contract.RefundResult{}, err
			}
			poll = min(poll*2, time.Hour)
		}
	}
	if err := refundStoreStep(ctx, a.Store.FinishRefund, activities.FinishRefundInput{
		RefundID: in.RefundID, Status: r.Status, FailureCode: r.FailureCode,
	}, nil); err != nil {
		return contract.RefundResult{}, err
	}
	return contract.RefundResult{Status: r.Status, FailureCode: r.FailureCode}, nil
}

// DeliverWorkflow sends messages queued outside a return's steps (an admin
// told of a locked supervisor), with the retries of the Deliver activity.
func DeliverWorkflow(ctx workflow.Context, in activities.DeliverInput) error {
	return workflow.ExecuteActivity(deliverCtx(ctx), a.Messages.Deliver, in).Get(ctx, nil)
}
