package workflows

import (
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/rebound-returns/rebound/activities"
	"github.com/rebound-returns/rebound/contract"
	"github.com/rebound-returns/rebound/returns"
)

// a names the activities for ExecuteActivity, part by part: each field is a
// typed nil pointer (a.Cards is a nil *activities.Cards) whose methods are
// only named, never called, so a renamed activity is a compile error.
var a activities.Set

// ReturnWorkflow runs one return from filing to its end: verification,
// policy, review, shipping or drop-off, inspection, refund and settlement,
// with every deadline of the merchant's policy.
func ReturnWorkflow(ctx workflow.Context, in contract.ReturnInput) (contract.ReturnResult, error) {
	s := &returnState{in: in, status: returns.PendingVerification, enteredAt: workflow.Now(ctx), carrierSeen: map[string]bool{}}
	s.localSteps = workflow.GetVersion(ctx, VersionLocalSteps, workflow.DefaultVersion, 1) >= 1
	if hasResolutions(in.Lines) {
		s.resolutions = workflow.GetVersion(ctx, VersionResolutions, workflow.DefaultVersion, 1) >= 1
	}
	if err := s.setup(ctx); err != nil {
		return contract.ReturnResult{}, err
	}
	return s.run(ctx)
}

type returnState struct {
	in        contract.ReturnInput
	status    returns.Status
	seq       int64
	enteredAt time.Time
	mu        workflow.Mutex
	// moving is the status a transition is recording right now. The read
	// model shows it as soon as the write commits, before this workflow
	// hears back, so a validator judges an update against it as well: a
	// clerk who sees "awaiting inspection" is not refused for "received".
	// The handler then waits for the mutex and checks the settled status.
	moving returns.Status
	// localSteps: the store's steps run as local activities (storeStep).
	localSteps bool
	// resolutions: the return's lines choose credit or exchanges, from
	// VersionResolutions on (resolution_steps.go). holdsTaken: the
	// exchanges' holds were asked for; held: one is held. credit and bonus
	// are the refund's credit part, exchanged the value exchanged;
	// creditIssued: the credit is issued.
	resolutions, holdsTaken, held, creditIssued bool
	credit, bonus, exchanged                    int64

	codeExpires  time.Time
	tracking     string
	refundAmount int64
	refundID     string
	refunds      int
	// runs counts RefundWorkflow children; payNow lets the next one start;
	// authorisedBy is who let it.
	runs         int
	payNow       bool
	childRunning bool
	authorisedBy string
	attention    string
	settled      bool
	carrierSeen  map[string]bool
	deliveries   int
}

func (s *returnState) setup(ctx workflow.Context) error {
	s.mu = workflow.NewMutex(ctx)
	if err := workflow.SetQueryHandler(ctx, contract.QueryStatus, func() (contract.StatusView, error) {
		return contract.StatusView{Status: s.status, Seq: s.seq, Attention: s.attention}, nil
	}); err != nil {
		return err
	}
	updates := []struct {
		name      string
		handler   any
		validator any
	}{
		{contract.UpdateVerify, s.verify, s.validateVerify},
		{contract.UpdateSendCode, s.sendCode, s.validateSendCode},
		{contract.UpdateReview, s.review, s.validateReview},
		{contract.UpdateReceive, s.receive, s.validateReceive},
		{contract.UpdateInspect, s.inspect, s.validateInspect},
		{contract.UpdateCancel, s.cancel, s.validateCancel},
		{contract.UpdateCounterRefund, s.counterRefund, s.validateCounterRefund},
		{contract.UpdateRefundApproval, s.refundApproval, s.validateRefundApproval},
		{contract.UpdateRefundResolution, s.refundResolution, s.validateRefundResolution},
	}
	for _, u := range updates {
		if err := workflow.SetUpdateHandlerWithOptions(ctx, u.name, u.handler, workflow.UpdateHandlerOptions{Validator: u.validator}); err != nil {
			return err
		}
	}
	carrier := workflow.GetSignalChannel(ctx, contract.SignalCarrierEvent)
	settled := workflow.GetSignalChannel(ctx, contract.SignalSettled)
	workflow.Go(ctx, func(ctx workflow.Context) {
		for {
			var ev contract.CarrierEvent
			carrier.Receive(ctx, &ev)
			s.locked(ctx, func() error { return s.onCarrierEvent(ctx, ev) })
		}
	})
	workflow.Go(ctx, func(ctx workflow.Context) {
		settled.Receive(ctx, nil)
		s.settled = true
	})
	return nil
}

func (s *returnState) run(ctx workflow.Context) (contract.ReturnResult, error) {
	// A return filed after its order's lookup was verified needs no code.
	// (Returns started before VerifiedBy existed have it empty, so their
	// histories replay down the code path as before.)
	if s.in.VerifiedBy != "" {
		// What fails after the return is submitted (the policy's decision, a
		// label) is taken up again by the main loop, as after a verify.
		for s.status == returns.PendingVerification {
			err := s.locked(ctx, func() error { return s.submit(ctx, "code verified before filing") })
			if err == nil || s.status != returns.PendingVerification {
				break
			}
			workflow.GetLogger(ctx).Warn("verified return not submitted yet", "return_id", s.in.ReturnID, "error", err)
			if err := workflow.Sleep(ctx, time.Minute); err != nil {
				return contract.ReturnResult{}, err
			}
		}
	} else if err := s.firstCode(ctx); err != nil {
		return contract.ReturnResult{}, err
	}
	p := s.in.Policy
	for !s.status.Terminal() {
		var err error
		switch st := s.status; st {
		case returns.PendingVerification:
			err = s.awaitVerification(ctx)
		case returns.AwaitingReview:
			err = s.waitIn(ctx, st,
				milestone{p.ReviewSLA.D() / 2, s.remind("a return is waiting for review")},
				milestone{p.ReviewSLA.D(), s.escalate(contract.AttentionReviewOverdue, "review is overdue")})
		case returns.AwaitingShipment:
			err = s.waitIn(ctx, st, milestone{p.ShipWithin.D(), s.expire("not shipped in time")})
		case returns.AwaitingDropoff:
			err = s.waitIn(ctx, st, milestone{p.DropoffWithin.D(), s.expire("not brought to the store in time")})
		case returns.AwaitingInspection:
			err = s.waitIn(ctx, st,
				milestone{p.InspectionSLA.D() / 2, s.remind("a return is waiting for inspection")},
				milestone{p.InspectionSLA.D(), s.escalate(contract.AttentionInspectionOverdue, "inspection is overdue")})
		case returns.RefundPending:
			err = s.refund(ctx)
		case returns.Refunded:
			err = s.locked(ctx, func() error {
				if s.status != returns.Refunded {
					return nil // finance closed it meanwhile
				}
				return s.transition(ctx, step{to: returns.AwaitingSettlement, actor: returns.SystemActor})
			})
		case returns.AwaitingSettlement:
			err = s.awaitSettlement(ctx)
		case returns.Submitted, returns.Approved, returns.Received:
			err = s.resume(ctx, st)
		default:
			// Statuses that people move on from (in transit, refund failed).
			err = workflow.Await(ctx, func() bool { return s.status != st })
		}
		if err != nil {
			return contract.ReturnResult{}, err
		}
	}
	if err := s.releaseHolds(ctx); err != nil {
		return contract.ReturnResult{}, err
	}
	// Let running updates answer and notifications go out before ending.
	if err := workflow.Await(ctx, func() bool { return workflow.AllHandlersFinished(ctx) && s.deliveries == 0 }); err != nil {
		return contract.ReturnResult{}, err
	}
	return contract.ReturnResult{Status: s.status, RefundAmount: s.refundAmount}, nil
}

// resume finishes a step an update began but could not complete (the
// carrier or the database unreachable for long): the return never stays in
// a passing status. A failure waits a minute and tries again.
func (s *returnState) resume(ctx workflow.Context, st returns.Status) error {
	err := s.locked(ctx, func() error {
		if s.status != st {
			return nil
		}
		switch st {
		case returns.Submitted:
			return s.decide(ctx)
		case returns.Approved:
			return s.afterApproval(ctx)
		default:
			return s.transition(ctx, step{to: returns.AwaitingInspection, actor: returns.SystemActor})
		}
	})
	if err != nil {
		workflow.GetLogger(ctx).Warn("step not finished; trying again", "return_id", s.in.ReturnID, "status", st, "error", err)
		return workflow.Sleep(ctx, time.Minute)
	}
	return nil
}

// locked runs fn while holding the return's mutex, so that updates, signals
// and timers never interleave their steps.
func (s *returnState) locked(ctx workflow.Context, fn func() error) error {
	if err := s.mu.Lock(ctx); err != nil {
		return err
	}
	defer s.mu.Unlock()
	return fn()
}

// milestone runs do once, after the return has been in a status for `after`.
type milestone struct {
	after time.Duration
	do    func(ctx workflow.Context) error
}

// waitIn waits while the return stays in st, running each milestone in turn
// when its time comes (and the return is still in st).
func (s *returnState) waitIn(ctx workflow.Context, st returns.Status, ms ...milestone) error {
	entered := s.enteredAt
	for _, m := range ms {
		if d := entered.Add(m.after).Sub(workflow.Now(ctx)); d > 0 {
			moved, err := workflow.AwaitWithTimeout(ctx, d, func() bool { return s.status != st })
			if err != nil || moved {
				return err
			}
		}
		err := s.locked(ctx, func() error {
			if s.status != st {
				return nil
			}
			return m.do(ctx)
		})
		if err != nil || s.status != st {
			return err
		}
	}
	return workflow.Await(ctx, func() bool { return s.status != st })
}

func (s *returnState) remind(note string) func(workflow.Context) error {
	return func(ctx workflow.Context) error {
		return s.transition(ctx, step{to: s.status, event: activities.EventReminder, actor: returns.SystemActor, note: note})
	}
}

func (s *returnState) escalate(flag, note string) func(workflow.Context) error {
	return func(ctx workflow.Context) error {
		s.attention = flag
		return s.transition(ctx, step{to: s.status, event: activities.EventEscalation, actor: returns.SystemActor, note: note, attention: flag})
	}
}

func (s *returnState) expire(note string) func(workflow.Context) error {
	return func(ctx workflow.Context) error {
		return s.transition(ctx, step{to: returns.Expired, actor: returns.SystemActor, note: note, reason: note})
	}
}

// step is one transition to record.
type step struct {
	to         returns.Status
	event      string
	actor      returns.Actor
	note       string
	reason     string
	refusals   []returns.Refusal
	tracking   string
	labelURL   string
	inspection []returns.InspectedLine
	quote      *returns.Quote
	attention  string
}

// transition records a step in the read model (with its timeline event and
// notifications) and only then moves the workflow's own state. Callers hold
// the mutex.
func (s *returnState) transition(ctx workflow.Context, st step) error {
	if st.to != s.status && !s.status.CanBecome(st.to) {
		return temporal.NewNonRetryableApplicationError("cannot move from "+string(s.status)+" to "+string(st.to), contract.ErrInvalidState, nil)
	}
	if st.event == "" {
		st.event = activities.EventStatus
	}
	in := activities.TransitionInput{
		ReturnID: s.in.ReturnID, Seq: s.seq + 1, Status: st.to, Event: st.event, Actor: st.actor,
		Note: st.note, At: workflow.Now(ctx), Refusals: st.refusals, StatusReason: st.reason,
		TrackingNumber: st.tracking, LabelURL: st.labelURL, Inspection: st.inspection, Quote: st.quote,
		Attention: st.attention, ClearAttention: st.to != s.status && s.attention != "",
	}
	var out activities.TransitionResult
	s.moving = st.to
	err := s.storeStep(ctx, storeOptions, a.Store.RecordTransition, in, &out)
	s.moving = ""
	if err != nil {
		return err
	}
	s.seq++
	if st.to != s.status {
		s.status = st.to
		s.enteredAt = in.At
		if st.event == activities.EventStatus {
			s.attention = ""
		}
	}
	s.deliver(ctx, out.OutboxIDs)
	return nil
}

// deliver sends queued notifications in the background: an update answers
// once its step is recorded, not once the e-mail is out.
func (s *returnState) deliver(ctx workflow.Context, ids []string) {
	if len(ids) == 0 {
		return
	}
	s.deliveries++
	workflow.Go(ctx, func(ctx workflow.Context) {
		defer func() { s.deliveries-- }()
		err := workflow.ExecuteActivity(deliverCtx(ctx), a.Messages.Deliver, activities.DeliverInput{OutboxIDs: ids}).Get(ctx, nil)
		if err != nil {
			workflow.GetLogger(ctx).Error("notifications not delivered", "return_id", s.in.ReturnID, "error", err)
		}
	})
}

// storeCtx is for the database work of a step: quick, so a worker lost in
// the middle of it is noticed within seconds, and retried for as long as
// the database is down.
var storeOptions = workflow.ActivityOptions{
	StartToCloseTimeout: 10 * time.Second,
	RetryPolicy: &temporal.RetryPolicy{
		InitialInterval: time.Second, BackoffCoefficient: 2, MaximumInterval: time.Minute,
		NonRetryableErrorTypes: []string{contract.ErrInvalidInput, contract.ErrRateLimited},
	},
}

func storeCtx(ctx workflow.Context) workflow.Context {
	return workflow.WithActivityOptions(ctx, storeOptions)
}

// stepOptions are for the work inside a person's step (policy, carrier):
// an update should not hang for hours on it; the main loop finishes the
// step later instead.
var stepOptions = workflow.ActivityOptions{
	StartToCloseTimeout: 30 * time.Second,
	RetryPolicy: &temporal.RetryPolicy{
		InitialInterval: time.Second, BackoffCoefficient: 2, MaximumInterval: 30 * time.Second, MaximumAttempts: 6,
		NonRetryableErrorTypes: []string{contract.ErrInvalidInput},
	},
}

func stepCtx(ctx workflow.Context) workflow.Context {
	return workflow.WithActivityOptions(ctx, stepOptions)
}

// storeStep runs one of the store's steps (activity, with in, into out)
// under opts: from VersionLocalSteps on (local) as a local activity — the
// worker running the workflow writes the rows itself, retried as a regular
// one would be, its result recorded as a marker — and as a regular activity
// in histories from before. The steps are short transactions, idempotent
// under retry (ApplyTransition's, the policy's evaluation, the money
// rules' recording of a refund and its outcome).
func storeStep(ctx workflow.Context, local bool, opts workflow.ActivityOptions, activity, in, out any) error {
	if !local {
		return workflow.ExecuteActivity(workflow.WithActivityOptions(ctx, opts), activity, in).Get(ctx, out)
	}
	lctx := workflow.WithLocalActivityOptions(ctx, workflow.LocalActivityOptions{
		StartToCloseTimeout: opts.StartToCloseTimeout, RetryPolicy: opts.RetryPolicy,
	})
	return workflow.ExecuteLocalActivity(lctx, activity, in).Get(ctx, out)
}

// storeStep is a return's store step (storeStep), local if the return is
// from VersionLocalSteps on.
func (s *returnState) storeStep(ctx workflow.Context, opts workflow.ActivityOptions, activity, in, out any) error {
	return storeStep(ctx, s.localSteps, opts, activity, in, out)
}

// A refund's run carries whether its store steps are local in its context
// (withLocalSteps), so that the steps deep in its paths need no parameter.
type localStepsKey struct{}

func withLocalSteps(ctx workflow.Context, local bool) workflow.Context {
	return workflow.WithValue(ctx, localStepsKey{}, local)
}

// refundStoreStep is a refund's store step (storeStep).
func refundStoreStep(ctx workflow.Context, activity, in, out any) error {
	local, _ := ctx.Value(localStepsKey{}).(bool)
	return storeStep(ctx, local, storeOptions, activity, in, out)
}

func deliverCtx(ctx workflow.Context) workflow.Context {
	return workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: 2 * time.Minute,
		RetryPolicy: &temporal.RetryPolicy{
			InitialInterval: 5 * time.Second, BackoffCoefficient: 2, MaximumInterval: 10 * time.Minute, MaximumAttempts: 20,
		},
	})
}

// codeCtx: a code that cannot be sent after a few tries is better asked
// for again by the shopper than retried for hours.
func codeCtx(ctx workflow.Context) workflow.Context {
	return workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: 30 * time.Second,
		RetryPolicy: &temporal.RetryPolicy{
			InitialInterval: time.Second, BackoffCoefficient: 2, MaximumAttempts: 3,
			NonRetryableErrorTypes: []string{contract.ErrRateLimited},
		},
	})
}

func (s *returnState) firstCode(ctx workflow.Context) error {
	var res activities.SendCodeResult
	err := workflow.ExecuteActivity(codeCtx(ctx), a.Messages.SendCode, activities.SendCodeInput{
		ReturnID: s.in.ReturnID, ClientIP: s.in.ClientIP, First: true,
	}).Get(ctx, &res)
	if err != nil {
		// The shopper can ask for another code; the return expires if not.
		workflow.GetLogger(ctx).Warn("first code not sent", "return_id", s.in.ReturnID, "error", err)
		res.ExpiresAt = workflow.Now(ctx).Add(s.in.Policy.VerifyWithin.D())
	}
	s.codeExpires = res.ExpiresAt
	return nil
}

// awaitVerification waits for the code until the newest one expires; a new
// code moves the deadline.
func (s *returnState) awaitVerification(ctx workflow.Context) error {
	for s.status == returns.PendingVerification {
		deadline := s.codeExpires
		d := deadline.Sub(workflow.Now(ctx))
		if d > 0 {
			if _, err := workflow.AwaitWithTimeout(ctx, d, func() bool {
				return s.status != returns.PendingVerification || !s.codeExpires.Equal(deadline)
			}); err != nil {
				return err
			}
			continue
		}
		err := s.locked(ctx, func() error {
			if s.status != returns.PendingVerification || workflow.Now(ctx).Before(s.codeExpires) {
				return nil
			}
			return s.transition(ctx, step{to: returns.Expired, actor: returns.SystemActor, note: "not verified in time", reason: "not verified in time"})
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// awaitSettlement waits for reconciliation to match the refund, flagging it
// for finance once overdue.
func (s *returnState) awaitSettlement(ctx workflow.Context) error {
	overdue := s.enteredAt.Add(s.in.Policy.SettlementOverdue.D())
	if d := overdue.Sub(workflow.Now(ctx)); d > 0 {
		if _, err := workflow.AwaitWithTimeout(ctx, d, func() bool { return s.settled }); err != nil {
			return err
		}
	}
	if !s.settled {
		err := s.locked(ctx, func() error {
			s.attention = contract.AttentionSettlementOverdue
			return s.transition(ctx, step{to: s.status, event: activities.EventSettlementOverdue, actor: returns.SystemActor,
				note: "the refund has not appeared in settlement", attention: contract.AttentionSettlementOverdue})
		})
		if err != nil {
			return err
		}
		if err := workflow.Await(ctx, func() bool { return s.settled }); err != nil {
			return err
		}
	}
	return s.locked(ctx, func() error {
		if s.status != returns.AwaitingSettlement {
			return nil
		}
		return s.transition(ctx, step{to: returns.Closed, actor: returns.SystemActor, note: "refund matched in settlement"})
	})
}
