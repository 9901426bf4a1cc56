package workflows

import (
	"fmt"
	"time"

	"github.com/rebound-returns/rebound/contract"
	"github.com/rebound-returns/rebound/returns"

	"github.com/google/uuid"
	"go.temporal.io/sdk/workflow"

	"github.com/rebound-returns/rebound/activities"
)

// cardRefundV1 is how card refunds ran before the money rules
// (VersionRefundRules): kept for their histories.
//
// It paid a card refund on the acquirer, exactly once. Each attempt
// is stored with its STAN before its message leaves, and its send activity
// runs once (no automatic retry): the attempt row decides what happened. An
// unknown outcome is reversed (0400, repeated as 0401 with back-off) before
// any new attempt; a reversal never acknowledged is escalated to finance and
// stops the refund.
func cardRefundV1(ctx workflow.Context, in contract.RefundInput, freezes bool) (contract.RefundResult, error) {
	sendTimeout := in.SendTimeout
	if sendTimeout <= 0 {
		sendTimeout = contract.DefaultCardSendTimeout
	}
	once := cardOnce(ctx, sendTimeout)
	store := storeCtx(ctx)
	runID := workflow.GetInfo(ctx).WorkflowExecution.ID
	wait := in.RetryWait
	if wait <= 0 {
		wait = contract.DefaultCardRetryWait
	}

	for n := 1; n <= maxCardAttempts; n++ {
		var att activities.CardAttempt
		attemptID := uuid.NewSHA1(uuid.NameSpaceURL, []byte(fmt.Sprintf("%s/%s/%d", in.RefundID, runID, n))).String()
		if freezes {
			if err := awaitUnfrozen(ctx, in); err != nil {
				return contract.RefundResult{}, err
			}
		}
		if err := workflow.ExecuteActivity(store, a.Cards.PrepareCardAttempt, activities.CardAttemptInput{
			RefundID: in.RefundID, AttemptID: attemptID, AuthorisedBy: in.AuthorisedBy,
		}).Get(ctx, &att); err != nil {
			return contract.RefundResult{}, err
		}
		out, err := sendAttemptV1(ctx, once, store, att.AttemptID, wait)
		if err != nil {
			return contract.RefundResult{}, err
		}
		switch out.State {
		case activities.CardApproved:
			return finishCard(ctx, in, returns.RefundStatusSucceeded, "")
		case activities.CardDeclined:
			return finishCard(ctx, in, returns.RefundStatusFailed, out.ResponseCode)
		case activities.CardNotSent:
			return finishCard(ctx, in, returns.RefundStatusFailed, contract.FailUnreachable)
		}
		reversed, err := reverseV1(ctx, once, store, att.AttemptID, wait)
		if err != nil {
			return contract.RefundResult{}, err
		}
		if !reversed {
			return finishCard(ctx, in, returns.RefundStatusFailed, contract.FailReversalUnconfirmed)
		}
	}
	return finishCard(ctx, in, returns.RefundStatusFailed, contract.FailNoAnswer)
}

// sendAttemptV1 (cardRefundV1's) sends an attempt, waiting while the acquirer cannot be reached
// at all (nothing left, so nothing to reverse). If the send activity itself
// fails (a worker lost mid-send, a timeout), the attempt row says what
// happened: still prepared means the message never left.
func sendAttemptV1(ctx, once, store workflow.Context, attemptID string, first time.Duration) (activities.CardOutcome, error) {
	wait := first
	deadline := workflow.Now(ctx).Add(notSentFor)
	for {
		var out activities.CardOutcome
		if err := workflow.ExecuteActivity(once, a.Cards.SendCardAttempt, attemptID).Get(ctx, &out); err != nil {
			if err := workflow.ExecuteActivity(store, a.Cards.SettleLostAttempt, attemptID).Get(ctx, &out); err != nil {
				return out, err
			}
		}
		if out.State != activities.CardNotSent || !workflow.Now(ctx).Before(deadline) {
			return out, nil
		}
		if err := workflow.Sleep(ctx, wait); err != nil {
			return out, err
		}
		wait = min(wait*2, 12*first)
	}
}

// reverseV1 (cardRefundV1's) reverses an attempt with an unknown outcome until the acquirer
// acknowledges (true), or escalates it to finance after maxReversals (false).
func reverseV1(ctx, once, store workflow.Context, attemptID string, first time.Duration) (bool, error) {
	wait := first
	for try := 0; try < maxReversals; try++ {
		var out activities.ReversalOutcome
		err := workflow.ExecuteActivity(once, a.Cards.ReverseCardAttempt, activities.ReversalInput{AttemptID: attemptID, Repeat: try > 0}).Get(ctx, &out)
		if err == nil && out.Acknowledged {
			return true, nil
		}
		if err := workflow.Sleep(ctx, wait); err != nil {
			return false, err
		}
		wait = min(wait*2, 12*first)
	}
	return false, workflow.ExecuteActivity(store, a.Cards.EscalateAttempt, attemptID).Get(ctx, nil)
}
