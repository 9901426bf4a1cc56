package workflows

import (
	"errors"
	"fmt"
	"time"

	"github.com/rebound-returns/rebound/contract"
	"github.com/rebound-returns/rebound/returns"

	"github.com/google/uuid"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/rebound-returns/rebound/activities"
)

// Limits of a card refund.
const (
	// maxCardAttempts bounds the attempts of one run: each needs every
	// earlier one declined or reversed first.
	maxCardAttempts = 3
	// maxReversals bounds 0400/0401 repeats before finance is called in.
	maxReversals = 6
	// notSentFor is how long an attempt waits for the acquirer to be
	// reachable at all before the refund fails.
	notSentFor = 30 * time.Minute
)

// cardOnce is for the activities that talk to the acquirer: each runs
// once (no automatic retry; the attempt row decides what happened), on the
// card task queue. Replaying a history that scheduled them on TaskQueue
// is safe (Temporal matches a scheduled activity by id and type, not by
// queue), and the returns worker still serves what was queued there.
func cardOnce(ctx workflow.Context, timeout time.Duration) workflow.Context {
	return workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		TaskQueue:           contract.CardTaskQueue,
		StartToCloseTimeout: timeout,
		RetryPolicy:         &temporal.RetryPolicy{MaximumAttempts: 1},
	})
}

// cardRefund pays a card refund on the acquirer, exactly once. Each attempt
// is stored with its STAN and RRN before its message leaves, under the
// money rules (an earlier attempt must have cleared, the payment must have
// the amount left); its send activity runs once (no automatic retry): the
// attempt row decides what happened. A refused void goes on as a refund; a
// decline that may pass (91, 96) is tried again after a wait; an unknown
// outcome is reversed (0400, repeated as 0401 with its own STAN) before any
// new attempt. Only reversals that left count as tries; while the acquirer
// cannot be reached at all they are repeated with back-off for the worker's
// patience (hours); a 25 is believed only once the original has had its
// time to arrive. A reversal never acknowledged is escalated to finance,
// who end it with evidence, as the settlement file does.
func cardRefund(ctx workflow.Context, in contract.RefundInput, freezes bool) (contract.RefundResult, error) {
	store := storeCtx(ctx)
	var set activities.CardSettings
	if err := workflow.ExecuteActivity(store, a.Cards.CardSettings).Get(ctx, &set); err != nil {
		return contract.RefundResult{}, err
	}
	once := cardOnce(ctx, set.SendTimeout)
	// What an earlier run left (it failed or was terminated) is settled
	// before anything new goes.
	var rec activities.Recovery
	if err := refundStoreStep(ctx, a.Store.RecoverAttempts, in.RefundID, &rec); err != nil {
		return contract.RefundResult{}, err
	}
	for _, id := range rec.Reverse {
		switch outcome, err := reverse(ctx, once, store, id, set); {
		case err != nil:
			return contract.RefundResult{}, err
		case outcome == activities.ReversalPaid:
			return finishCard(ctx, in, returns.RefundStatusSucceeded, "")
		case outcome != activities.ReversalCleared:
			return finishCard(ctx, in, returns.RefundStatusFailed, contract.FailReversalUnconfirmed)
		}
	}
	runID := workflow.GetInfo(ctx).WorkflowExecution.ID
	asRefund, cleared := false, 0
	for n := 1; ; n++ {
		attemptID := uuid.NewSHA1(uuid.NameSpaceURL, []byte(fmt.Sprintf("%s/%s/%d", in.RefundID, runID, n))).String()
		if freezes {
			if err := awaitUnfrozen(ctx, in); err != nil {
				return contract.RefundResult{}, err
			}
		}
		var att activities.CardAttempt
		err := workflow.ExecuteActivity(store, a.Cards.PrepareCardAttempt, activities.CardAttemptInput{
			RefundID: in.RefundID, AttemptID: attemptID, AuthorisedBy: in.AuthorisedBy, AsRefund: asRefund,
		}).Get(ctx, &att)
		if isRefused(err) {
			return finishCard(ctx, in, returns.RefundStatusFailed, contract.FailRefused)
		}
		if err != nil {
			return contract.RefundResult{}, err
		}
		out, err := sendAttempt(ctx, once, store, in, att.AttemptID, set, freezes)
		if err != nil {
			return contract.RefundResult{}, err
		}
		switch out.State {
		case activities.CardApproved:
			return finishCard(ctx, in, returns.RefundStatusSucceeded, "")
		case activities.CardNotSent:
			return finishCard(ctx, in, returns.RefundStatusFailed, contract.FailUnreachable)
		case activities.CardDeclined:
			switch {
			case out.AsRefund && !asRefund:
				asRefund = true // the void refused: pay it as a refund
				continue
			case out.Retry && cleared+1 < maxCardAttempts:
				cleared++
				if err := workflow.Sleep(ctx, set.RetryWait); err != nil {
					return contract.RefundResult{}, err
				}
				continue
			}
			return finishCard(ctx, in, returns.RefundStatusFailed, out.ResponseCode)
		}
		switch outcome, err := reverse(ctx, once, store, att.AttemptID, set); {
		case err != nil:
			return contract.RefundResult{}, err
		case outcome == activities.ReversalPaid:
			return finishCard(ctx, in, returns.RefundStatusSucceeded, "")
		case outcome != activities.ReversalCleared:
			return finishCard(ctx, in, returns.RefundStatusFailed, contract.FailReversalUnconfirmed)
		}
		if cleared++; cleared >= maxCardAttempts {
			return finishCard(ctx, in, returns.RefundStatusFailed, contract.FailNoAnswer)
		}
	}
}

// isRefused tells an activity error of the money rules.
func isRefused(err error) bool {
	var appErr *temporal.ApplicationError
	return errors.As(err, &appErr) && appErr.Type() == activities.ErrRefused
}

// sendAttempt sends an attempt, waiting while the acquirer cannot be reached
// at all (nothing left, so nothing to reverse); a freeze that began
// meanwhile holds the next send. If the send activity itself fails (a
// worker lost mid-send, a timeout), the attempt row says what happened:
// still prepared means the message never left.
func sendAttempt(ctx, once, store workflow.Context, in contract.RefundInput, attemptID string, set activities.CardSettings, freezes bool) (activities.CardOutcome, error) {
	wait := set.RetryWait
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
		wait = min(wait*2, 12*set.RetryWait)
		if freezes {
			if err := awaitUnfrozen(ctx, in); err != nil {
				return out, err
			}
		}
	}
}

// reverse reverses an attempt with an unknown outcome until it is cleared
// (acknowledged, or settled so by evidence) or known to have paid, or
// escalates it to finance: after set.MaxReversals reversals that left
// unacknowledged, after set.ReversalPatience without reaching the acquirer
// at all, or at once when the acquirer will not reverse it. It answers
// ReversalCleared, ReversalPaid or Escalated.
func reverse(ctx, once, store workflow.Context, attemptID string, set activities.CardSettings) (string, error) {
	wait := set.RetryWait
	tries, afterFate := 0, false
	var unreachableSince time.Time
	for {
		var out activities.ReversalOutcome
		if err := workflow.ExecuteActivity(once, a.Cards.ReverseCardAttempt,
			activities.ReversalInput{AttemptID: attemptID, AfterFateWait: afterFate}).Get(ctx, &out); err != nil {
			out.State = activities.ReversalUnanswered // it may have left: a try
		}
		escalate := false
		switch out.State {
		case activities.ReversalCleared, activities.ReversalPaid:
			return out.State, nil
		case activities.ReversalRefused:
			escalate = true
		case activities.ReversalNotFound:
			// The original may still be on its way: give it its time,
			// then ask again; a 25 then is believed.
			afterFate = true
			if err := workflow.Sleep(ctx, set.FateWait); err != nil {
				return "", err
			}
			continue
		case activities.ReversalNotSent:
			if unreachableSince.IsZero() {
				unreachableSince = workflow.Now(ctx)
			}
			escalate = workflow.Now(ctx).Sub(unreachableSince) >= set.ReversalPatience
		default:
			unreachableSince = time.Time{}
			tries++
			escalate = tries >= set.MaxReversals
		}
		if escalate {
			var after activities.ReversalOutcome
			if err := workflow.ExecuteActivity(store, a.Cards.EscalateAttempt, attemptID).Get(ctx, &after); err != nil {
				return "", err
			}
			if after.State == activities.ReversalPaid || after.State == activities.ReversalCleared {
				return after.State, nil // evidence came first
			}
			return activities.Escalated, nil
		}
		if err := workflow.Sleep(ctx, wait); err != nil {
			return "", err
		}
		wait = min(wait*2, 12*set.RetryWait)
	}
}

func finishCard(ctx workflow.Context, in contract.RefundInput, status returns.RefundStatus, code string) (contract.RefundResult, error) {
	err := refundStoreStep(ctx, a.Store.FinishRefund, activities.FinishRefundInput{
		RefundID: in.RefundID, Status: status, FailureCode: code,
	}, nil)
	return contract.RefundResult{Status: status, FailureCode: code}, err
}
