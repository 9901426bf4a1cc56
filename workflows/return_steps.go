package workflows

import (
	"strings"

	"github.com/google/uuid"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/rebound-returns/rebound/activities"
	"github.com/rebound-returns/rebound/contract"
	"github.com/rebound-returns/rebound/returns"
)

// The human steps of a return: each is an Update whose validator refuses a
// step that does not fit the return's state before anything is written.

func stateError(msg string) error {
	return temporal.NewNonRetryableApplicationError(msg, contract.ErrInvalidState, nil)
}

func inputError(msg string) error {
	return temporal.NewNonRetryableApplicationError(msg, contract.ErrInvalidInput, nil)
}

// must refuses a step unless the return is in one of the allowed statuses,
// or is being moved into one (see returnState.moving). Handlers call it again
// under the mutex, where no transition is in flight.
func (s *returnState) must(allowed ...returns.Status) error {
	for _, st := range allowed {
		if s.status == st || (s.moving != "" && s.moving == st) {
			return nil
		}
	}
	return stateError("the return is " + string(s.status))
}

func (s *returnState) validateVerify(contract.VerifyRequest) error {
	return s.must(returns.PendingVerification)
}

// verify runs once the API has checked a code: the return is submitted, the
// policy decides, and the answer tells where it landed.
func (s *returnState) verify(ctx workflow.Context, _ contract.VerifyRequest) (contract.ActionResult, error) {
	err := s.locked(ctx, func() error {
		if s.status != returns.PendingVerification {
			// Expired (or verified) between the validator and now.
			return stateError("the return is " + string(s.status))
		}
		return s.submit(ctx, "code verified")
	})
	return s.result(), err
}

// submit moves a verified return to submitted and lets the policy decide.
// Callers hold the mutex.
func (s *returnState) submit(ctx workflow.Context, note string) error {
	shopper := returns.Actor{Kind: returns.ActorShopper, Name: string(returns.ActorShopper)}
	if s.resolutions {
		note += "; " + chosenNote(s.in.Lines)
	}
	if err := s.transition(ctx, step{to: returns.Submitted, actor: shopper, note: note}); err != nil {
		return err
	}
	return s.decide(ctx)
}

// decide applies the policy to a submitted return: ineligible, approved at
// once, or waiting for review. Callers hold the mutex.
func (s *returnState) decide(ctx workflow.Context) error {
	var ev activities.EvaluateResult
	err := s.storeStep(ctx, stepOptions, a.Store.Evaluate, activities.EvaluateInput{
		ReturnID: s.in.ReturnID, Policy: s.in.Policy, Order: s.in.Order, Lines: s.in.Lines, FiledAt: s.in.FiledAt,
	}, &ev)
	if err != nil {
		return err
	}
	switch {
	case len(ev.Refusals) > 0:
		codes := make([]string, len(ev.Refusals))
		for i, r := range ev.Refusals {
			codes[i] = r.Code
		}
		return s.transition(ctx, step{to: returns.Ineligible, actor: returns.SystemActor, refusals: ev.Refusals,
			note: "refused by the return policy", reason: strings.Join(codes, ", ")})
	case returns.AutoApprove(s.in.Policy, s.in.Lines, ev.Estimate):
		if err := s.transition(ctx, step{to: returns.Approved, actor: returns.SystemActor, note: "approved automatically"}); err != nil {
			return err
		}
		return s.afterApproval(ctx)
	default:
		return s.transition(ctx, step{to: returns.AwaitingReview, actor: returns.SystemActor, note: "waiting for review"})
	}
}

func (s *returnState) validateSendCode(contract.SendCodeRequest) error {
	if s.status.Terminal() {
		return stateError("the return is " + string(s.status))
	}
	return nil
}

// sendCode sends a new code: to verify a pending return, or later to let the
// shopper open the return again on another device.
func (s *returnState) sendCode(ctx workflow.Context, req contract.SendCodeRequest) (activities.SendCodeResult, error) {
	var res activities.SendCodeResult
	err := workflow.ExecuteActivity(codeCtx(ctx), a.Messages.SendCode, activities.SendCodeInput{
		ReturnID: s.in.ReturnID, ClientIP: req.ClientIP,
	}).Get(ctx, &res)
	if err != nil {
		return res, err
	}
	if s.status == returns.PendingVerification && res.ExpiresAt.After(s.codeExpires) {
		s.codeExpires = res.ExpiresAt
	}
	return res, nil
}

func (s *returnState) validateReview(req contract.ReviewRequest) error {
	if err := s.must(returns.AwaitingReview); err != nil {
		return err
	}
	switch {
	case req.Decision != contract.DecisionApprove && req.Decision != contract.DecisionDecline:
		return inputError("decision must be approve or decline")
	case req.Decision == contract.DecisionDecline && strings.TrimSpace(req.Reason) == "":
		return inputError("a decline needs a reason: the shopper is told")
	}
	return nil
}

func (s *returnState) review(ctx workflow.Context, req contract.ReviewRequest) (contract.ActionResult, error) {
	err := s.locked(ctx, func() error {
		if err := s.validateReview(req); err != nil {
			return err
		}
		if req.Decision == contract.DecisionDecline {
			return s.transition(ctx, step{to: returns.Declined, actor: req.Actor, note: req.Reason, reason: req.Reason})
		}
		if err := s.transition(ctx, step{to: returns.Approved, actor: req.Actor, note: req.Reason}); err != nil {
			return err
		}
		return s.afterApproval(ctx)
	})
	return s.result(), err
}

// afterApproval sends the shopper on their way: a label to ship with, or to
// the store.
func (s *returnState) afterApproval(ctx workflow.Context) error {
	if err := s.holdExchanges(ctx); err != nil {
		return err
	}
	if s.in.Method == returns.MethodInStore {
		return s.transition(ctx, step{to: returns.AwaitingDropoff, actor: returns.SystemActor, note: "bring the goods to the store"})
	}
	var sh activities.ShipmentResult
	if err := workflow.ExecuteActivity(stepCtx(ctx), a.Shipping.CreateShipment, activities.ShipmentInput{ReturnID: s.in.ReturnID}).Get(ctx, &sh); err != nil {
		return err
	}
	s.tracking = sh.TrackingNumber
	return s.transition(ctx, step{to: returns.AwaitingShipment, actor: returns.SystemActor,
		note: "label ready: " + sh.Carrier + " " + sh.TrackingNumber, tracking: sh.TrackingNumber, labelURL: sh.LabelURL})
}

func (s *returnState) validateReceive(contract.ReceiveRequest) error {
	return s.must(returns.AwaitingShipment, returns.InTransit, returns.AwaitingDropoff)
}

func (s *returnState) receive(ctx workflow.Context, req contract.ReceiveRequest) (contract.ActionResult, error) {
	err := s.locked(ctx, func() error {
		if err := s.validateReceive(req); err != nil {
			return err
		}
		return s.received(ctx, req.Actor, req.Note)
	})
	return s.result(), err
}

func (s *returnState) received(ctx workflow.Context, actor returns.Actor, note string) error {
	if note == "" {
		note = "goods received"
	}
	if err := s.transition(ctx, step{to: returns.Received, actor: actor, note: note}); err != nil {
		return err
	}
	return s.transition(ctx, step{to: returns.AwaitingInspection, actor: returns.SystemActor})
}

func (s *returnState) validateInspect(req contract.InspectRequest) error {
	if err := s.must(returns.AwaitingInspection); err != nil {
		return err
	}
	if errs := returns.ValidateInspection(s.in.Lines, req.Lines); len(errs) > 0 {
		return inputError(errs[0].Error())
	}
	return nil
}

// inspect records the verdict: nothing accepted rejects the return (the
// shopper is told why); otherwise the refund is created, capped under a lock
// on the order, and the return waits for it.
func (s *returnState) inspect(ctx workflow.Context, req contract.InspectRequest) (contract.ActionResult, error) {
	err := s.locked(ctx, func() error {
		if err := s.validateInspect(req); err != nil {
			return err
		}
		if !returns.Accepted(req.Lines) {
			var why []string
			for _, l := range req.Lines {
				why = append(why, l.Reason)
			}
			return s.transition(ctx, step{to: returns.Rejected, actor: req.Actor, inspection: req.Lines,
				note: "nothing accepted", reason: strings.Join(why, "; ")})
		}
		s.refunds++
		refundID := uuid.NewSHA1(uuid.NameSpaceURL, []byte(contract.RefundWorkflowID(s.in.ReturnID, s.refunds))).String()
		var prep activities.PrepareRefundResult
		err := s.storeStep(ctx, storeOptions, a.Store.PrepareRefund, activities.PrepareRefundInput{
			ReturnID: s.in.ReturnID, RefundID: refundID, Policy: s.in.Policy, Order: s.in.Order,
			Lines: s.in.Lines, Inspection: req.Lines,
		}, &prep)
		if err != nil {
			return err
		}
		s.refundID = refundID
		s.quoted(prep.Quote)
		q := prep.Quote
		if err := s.transition(ctx, step{to: returns.RefundPending, actor: req.Actor, inspection: req.Lines, quote: &q,
			note: s.inspectedNote(q)}); err != nil {
			return err
		}
		return s.releaseRejectedExchanges(ctx, req.Lines)
	})
	return s.result(), err
}

func (s *returnState) validateCancel(contract.CancelRequest) error {
	if !s.status.Cancellable() {
		return stateError("a return that is " + string(s.status) + " cannot be cancelled")
	}
	return nil
}

func (s *returnState) cancel(ctx workflow.Context, req contract.CancelRequest) (contract.ActionResult, error) {
	err := s.locked(ctx, func() error {
		if err := s.validateCancel(req); err != nil {
			return err
		}
		return s.transition(ctx, step{to: returns.Cancelled, actor: req.Actor, note: req.Reason, reason: req.Reason})
	})
	return s.result(), err
}

func (s *returnState) result() contract.ActionResult {
	return contract.ActionResult{Status: s.status, Seq: s.seq}
}

// onCarrierEvent moves a shipped return along its tracking events; a repeated
// event changes nothing.
func (s *returnState) onCarrierEvent(ctx workflow.Context, ev contract.CarrierEvent) (err error) {
	if s.carrierSeen[ev.EventID] || ev.TrackingNumber != s.tracking {
		return nil
	}
	defer func() {
		// Seen only once it is handled: a failed one may come again.
		if err == nil {
			s.carrierSeen[ev.EventID] = true
		}
	}()
	carrier := returns.Actor{Kind: returns.ActorCarrier, Name: string(returns.ActorCarrier)}
	switch ev.Event {
	case contract.CarrierInTransit:
		if s.status == returns.AwaitingShipment {
			return s.transition(ctx, step{to: returns.InTransit, actor: carrier, note: "parcel on its way"})
		}
	case contract.CarrierDelivered:
		if s.status == returns.AwaitingShipment || s.status == returns.InTransit {
			return s.received(ctx, carrier, "parcel delivered to the merchant")
		}
	case contract.CarrierException:
		if s.status == returns.AwaitingShipment || s.status == returns.InTransit {
			return s.transition(ctx, step{to: s.status, event: activities.EventCarrierException, actor: carrier,
				note: "the carrier reported a problem with the parcel"})
		}
	}
	return nil
}

// refund pays an inspected return. Online payments go through the payment
// gateway at once; a card refund at the counter waits for the counter
// procedure, and one without the card (a shipped return) above the
// merchant's threshold for a supervisor's approval. Each payment runs in a
// child RefundWorkflow that outlives this one if it must.
func (s *returnState) refund(ctx workflow.Context) error {
	if done, err := s.payResolutions(ctx); done || err != nil {
		return err
	}
	if s.refundAmount <= 0 {
		return s.locked(ctx, func() error {
			return s.transition(ctx, step{to: returns.RefundFailed, actor: returns.SystemActor,
				note: "nothing is left to refund on the order", reason: returns.RefusedNothingLeft})
		})
	}
	if s.in.Channel != returns.ChannelOnline {
		if !s.payNow && s.in.Method == returns.MethodShip && s.refundAmount <= s.in.Policy.RemoteRefundApprovalLimit {
			s.payNow = true
		}
		if err := workflow.Await(ctx, func() bool { return s.status != returns.RefundPending || s.payNow }); err != nil {
			return err
		}
		if s.status != returns.RefundPending {
			return nil
		}
		// Returns filed before card refunds existed waited here for good;
		// they and every later one take the card path from this point.
		if workflow.GetVersion(ctx, versionCardRefunds, workflow.DefaultVersion, 1) == workflow.DefaultVersion {
			return workflow.Await(ctx, func() bool { return s.status != returns.RefundPending })
		}
	}
	s.runs++
	s.payNow = false
	s.childRunning = true
	defer func() { s.childRunning = false }()
	cctx := workflow.WithChildOptions(ctx, workflow.ChildWorkflowOptions{
		WorkflowID:        contract.RefundWorkflowID(s.in.ReturnID, s.runs),
		ParentClosePolicy: enumspb.PARENT_CLOSE_POLICY_ABANDON,
	})
	var res contract.RefundResult
	if err := workflow.ExecuteChildWorkflow(cctx, RefundWorkflow, contract.RefundInput{
		ReturnID: s.in.ReturnID, RefundID: s.refundID, Channel: s.in.Channel, PaymentID: s.in.PaymentID,
		Amount: s.refundAmount, Currency: s.in.Order.Currency, AuthorisedBy: s.authorisedBy,
		SendTimeout: s.in.CardSendTimeout, RetryWait: s.in.CardRetryWait,
	}).Get(ctx, &res); err != nil {
		// The refund's own workflow failed (terminated, a bug): finance
		// looks at it rather than the return ending in error.
		workflow.GetLogger(ctx).Error("refund workflow failed", "return_id", s.in.ReturnID, "error", err)
		res = contract.RefundResult{Status: returns.RefundStatusFailed, FailureCode: "refund_workflow_failed"}
	}
	return s.locked(ctx, func() error {
		if res.Status == returns.RefundStatusSucceeded {
			return s.transition(ctx, step{to: returns.Refunded, actor: returns.SystemActor,
				note: "refunded " + returns.Money{Amount: s.refundAmount, Currency: s.in.Order.Currency}.String()})
		}
		note := "the payment gateway refused the refund"
		if s.in.Channel != returns.ChannelOnline {
			note = "the card refund did not go through: " + res.FailureCode
		}
		return s.transition(ctx, step{to: returns.RefundFailed, actor: returns.SystemActor, note: note, reason: res.FailureCode})
	})
}

// versionCardRefunds marks the change that made card refunds run.
const versionCardRefunds = "card-refunds"
