package workflows_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"go.temporal.io/sdk/temporal"

	"github.com/rebound-returns/rebound/activities"
	"github.com/rebound-returns/rebound/contract"

	"github.com/rebound-returns/rebound/returns"
	"github.com/rebound-returns/rebound/workflows"
)

const (
	minute = time.Minute
	hour   = time.Hour
	day    = 24 * time.Hour
)

func TestShippedOnlineReturnIsApprovedRefundedAndClosed(t *testing.T) {
	t.Parallel()
	f := newFixture(t, options{})
	var verified contract.ActionResult
	f.at(minute, func() { f.update(contract.UpdateVerify, verify, &verified, nil) })
	f.at(hour, func() { f.carrier("ev1", contract.CarrierInTransit) })
	f.at(hour+minute, func() { f.carrier("ev1", contract.CarrierInTransit) }) // a repeat changes nothing
	f.at(2*hour, func() { f.carrier("ev2", contract.CarrierDelivered) })
	f.at(3*hour, func() { f.update(contract.UpdateInspect, allNew, nil, nil) })
	f.at(4*hour, func() { f.env.SignalWorkflow(contract.SignalSettled, nil) })
	res := f.run()

	if verified.Status != returns.AwaitingShipment {
		t.Fatalf("verify answered %s; want awaiting_shipment (auto-approved, label booked)", verified.Status)
	}
	if res.Status != returns.Closed || res.RefundAmount != 4999 {
		t.Fatalf("result %+v; want closed with 4999 refunded", res)
	}
	equalTimeline(t, f.timeline(), returns.Submitted, returns.Approved, returns.AwaitingShipment, returns.InTransit,
		returns.Received, returns.AwaitingInspection, returns.RefundPending, returns.Refunded, returns.AwaitingSettlement, returns.Closed)
	r := f.readModel()
	if r.Status != "closed" || r.TrackingNumber != f.tracking() || !strings.HasSuffix(r.LabelURL, "/v1/returns/"+r.ID+"/label") ||
		r.RefundAmount == nil || *r.RefundAmount != 4999 || r.ReservedAt == nil {
		t.Fatalf("read model %+v", r)
	}
	if acc := r.Lines[0].AcceptedQuantity; acc == nil || *acc != 1 {
		t.Fatalf("inspection not recorded: %+v", r.Lines[0])
	}
	refunds := f.gateway.Refunds()
	if len(refunds) != 1 || refunds[0].Amount != 4999 || refunds[0].Status != "succeeded" {
		t.Fatalf("gateway refunds %+v; want one of 4999", refunds)
	}
	hooks := f.sent.to(webhookURL)
	if len(hooks) != 10 || hooks[0].Secret != "whsec" || !strings.Contains(hooks[len(hooks)-1].Text, `"status":"closed"`) {
		t.Fatalf("merchant webhooks: %d, last %+v; want one signed event per step", len(hooks), hooks[len(hooks)-1])
	}
	var subjects []string
	for _, m := range f.sent.to(shopper) {
		subjects = append(subjects, m.Subject)
	}
	for _, want := range []string{"Your return code", "Your return label", "We have your return", "Your return was inspected", "Your refund is on its way"} {
		if !strings.Contains(strings.Join(subjects, "|"), want) {
			t.Errorf("shopper was not told %q; got %v", want, subjects)
		}
	}
}

func TestInStoreReturnWithReviewStopsAtRefundPendingForCards(t *testing.T) {
	t.Parallel()
	f := newFixture(t, options{method: returns.MethodInStore, channel: returns.ChannelCardPresent,
		lines: []returns.RequestedLine{{LineID: "socks", Quantity: 3, Reason: "not_as_described"}}})
	var verified, reviewed contract.ActionResult
	f.at(minute, func() { f.update(contract.UpdateVerify, verify, &verified, nil) })
	f.at(hour, func() {
		f.update(contract.UpdateReview, contract.ReviewRequest{Decision: contract.DecisionApprove, Actor: staff}, &reviewed, nil)
	})
	f.at(2*day, func() { f.update(contract.UpdateReceive, contract.ReceiveRequest{Actor: clerk}, nil, nil) })
	f.at(2*day+hour, func() {
		f.update(contract.UpdateInspect, contract.InspectRequest{Actor: clerk, Lines: []returns.InspectedLine{
			{LineID: "socks", AcceptedQuantity: 2, RejectedQuantity: 1, Condition: returns.ConditionOpened, Reason: "worn"},
		}}, nil, nil)
	})
	f.at(3*day, func() {
		if s := f.status(); s != returns.RefundPending {
			t.Errorf("status %s; want refund_pending", s)
		}
		f.env.CancelWorkflow()
	})
	f.env.ExecuteWorkflow(workflows.ReturnWorkflow, f.in)
	if verified.Status != returns.AwaitingReview || reviewed.Status != returns.AwaitingDropoff {
		t.Fatalf("verify → %s, review → %s", verified.Status, reviewed.Status)
	}
	equalTimeline(t, f.timeline(), returns.Submitted, returns.AwaitingReview, returns.Approved, returns.AwaitingDropoff,
		returns.Received, returns.AwaitingInspection, returns.RefundPending)
	r := f.readModel()
	// 2 of 3 socks: 1934 paid, opened 10% = 193.4 → 193, so 1741; the
	// reason (not as described) is the merchant's fault, so shipping (495)
	// comes back too.
	if r.RefundAmount == nil || *r.RefundAmount != 2236 {
		t.Fatalf("refund amount %v; want 2236", r.RefundAmount)
	}
	l := r.Lines[0]
	if l.RejectedQuantity == nil || *l.RejectedQuantity != 1 || l.RejectReason != "worn" {
		t.Fatalf("line %+v", l)
	}
	msgs := f.sent.to(shopper)
	if last := msgs[len(msgs)-1]; !strings.Contains(last.Text, "1 of line socks could not be accepted: worn") {
		t.Fatalf("the shopper was not told why: %q", last.Text)
	}
	if len(f.gateway.Refunds()) != 0 {
		t.Fatal("a card-present return went to the online gateway")
	}
}

func TestDeclinedReview(t *testing.T) {
	t.Parallel()
	f := newFixture(t, options{lines: []returns.RequestedLine{{LineID: "shoes", Quantity: 1, Reason: "not_as_described"}}})
	var noReason error
	f.at(minute, func() { f.update(contract.UpdateVerify, verify, nil, nil) })
	f.at(hour, func() {
		f.update(contract.UpdateReview, contract.ReviewRequest{Decision: contract.DecisionDecline, Actor: staff}, nil, &noReason)
	})
	f.at(2*hour, func() {
		f.update(contract.UpdateReview, contract.ReviewRequest{Decision: contract.DecisionDecline, Reason: "worn shoes", Actor: staff}, nil, nil)
	})
	res := f.run()
	if res.Status != returns.Declined {
		t.Fatalf("status %s", res.Status)
	}
	if !isAppError(noReason, contract.ErrInvalidInput) {
		t.Fatalf("a decline without a reason: %v; want invalid_input", noReason)
	}
	if r := f.readModel(); r.StatusReason != "worn shoes" || r.ReservedAt == nil {
		t.Fatalf("read model %+v", r)
	}
	// A declined return holds nothing: the same units can be returned again.
	taken, err := f.db.Orders.TakenUnits(context.Background(), f.in.OrderID, "other")
	must(t, err)
	if taken["shoes"] != 0 {
		t.Fatalf("a declined return still holds %d shoes", taken["shoes"])
	}
}

func TestIneligibleByPolicy(t *testing.T) {
	t.Parallel()
	for name, o := range map[string]options{
		"non-returnable category": {lines: []returns.RequestedLine{{LineID: "undies", Quantity: 1, Reason: "too_small"}}},
		"outside the window":      {policy: func(p *returns.Policy) { p.WindowDays = 0 }},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, o)
			var verified contract.ActionResult
			f.at(minute, func() { f.update(contract.UpdateVerify, verify, &verified, nil) })
			res := f.run()
			if res.Status != returns.Ineligible || verified.Status != returns.Ineligible {
				t.Fatalf("status %s / %s", res.Status, verified.Status)
			}
			r := f.readModel()
			if r.ReservedAt != nil || !strings.Contains(string(r.ReasonCodes), "code") {
				t.Fatalf("read model %+v (reasons %s)", r, r.ReasonCodes)
			}
		})
	}
}

func TestUnverifiedReturnExpiresAndANewCodeMovesTheDeadline(t *testing.T) {
	t.Parallel()
	f := newFixture(t, options{})
	res := f.run()
	if res.Status != returns.Expired {
		t.Fatalf("status %s; want expired", res.Status)
	}
	equalTimeline(t, f.timeline(), returns.Expired)

	g := newFixture(t, options{})
	var resendTooSoon error
	g.at(10*time.Second, func() {
		g.env.UpdateWorkflow(contract.UpdateSendCode, "", &updateRecorder{t: t, rejectedOrFailed: &resendTooSoon}, contract.SendCodeRequest{ClientIP: "192.0.2.1"})
	})
	g.at(8*minute, func() {
		g.env.UpdateWorkflow(contract.UpdateSendCode, "", &updateRecorder{t: t}, contract.SendCodeRequest{ClientIP: "192.0.2.1"})
	})
	// Past the first code's ten minutes, within the second's.
	g.at(15*minute, func() { g.update(contract.UpdateVerify, verify, nil, nil) })
	res = g.run()
	// Verified with the second code, the return went on (and, never
	// shipped, expired on its ship-by date much later).
	if tl := g.timeline(); tl[0] != "submitted" || g.readModel().StatusReason != "not shipped in time" {
		t.Fatalf("timeline %v, reason %q; want verified after a second code", tl, g.readModel().StatusReason)
	}
	if !isAppError(resendTooSoon, contract.ErrRateLimited) {
		t.Fatalf("a second code within a minute: %v; want rate_limited", resendTooSoon)
	}
	if n := len(g.sent.to(shopper)); n < 2 {
		t.Fatalf("%d messages to the shopper; want the first code and the second", n)
	}
}

func TestShipByAndDropoffDeadlinesExpire(t *testing.T) {
	t.Parallel()
	for method, note := range map[returns.Method]string{returns.MethodShip: "not shipped in time", returns.MethodInStore: "not brought to the store in time"} {
		t.Run(string(method), func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, options{method: method})
			f.at(minute, func() { f.update(contract.UpdateVerify, verify, nil, nil) })
			f.at(13*day, func() {
				if s := f.status(); s == returns.Expired {
					t.Error("expired before the deadline")
				}
			})
			res := f.run()
			if res.Status != returns.Expired {
				t.Fatalf("status %s", res.Status)
			}
			if r := f.readModel(); r.StatusReason != note {
				t.Fatalf("reason %q; want %q", r.StatusReason, note)
			}
			if d := f.env.Now().Sub(f.in.FiledAt); d < 14*day || d > 15*day {
				t.Fatalf("expired after %s; want 14 days", d)
			}
		})
	}
}

func TestReviewRemindsThenEscalatesButNeverExpires(t *testing.T) {
	t.Parallel()
	f := newFixture(t, options{lines: []returns.RequestedLine{{LineID: "shoes", Quantity: 1, Reason: "not_as_described"}}})
	f.at(minute, func() { f.update(contract.UpdateVerify, verify, nil, nil) })
	f.at(3*day, func() {
		r := f.readModel()
		if r.Status != "awaiting_review" || r.Attention != contract.AttentionReviewOverdue {
			t.Errorf("after 3 days: %s, attention %q", r.Status, r.Attention)
		}
		f.update(contract.UpdateCancel, contract.CancelRequest{Actor: staff, Reason: "customer called"}, nil, nil)
	})
	res := f.run()
	if res.Status != returns.Cancelled {
		t.Fatalf("status %s", res.Status)
	}
	var subjects []string
	for _, m := range f.sent.to(supervisor) {
		subjects = append(subjects, m.Subject)
	}
	if len(subjects) != 2 || !strings.HasPrefix(subjects[0], "Reminder") || !strings.HasPrefix(subjects[1], "Overdue") {
		t.Fatalf("supervisor got %v; want a reminder then an escalation", subjects)
	}
	if f.readModel().Attention != "" {
		t.Fatal("the flag stayed after the return moved on")
	}
}

func TestInspectionEscalates(t *testing.T) {
	t.Parallel()
	f := newFixture(t, options{method: returns.MethodInStore})
	f.at(minute, func() { f.update(contract.UpdateVerify, verify, nil, nil) })
	f.at(hour, func() { f.update(contract.UpdateReceive, contract.ReceiveRequest{Actor: clerk}, nil, nil) })
	f.at(4*day, func() {
		if a := f.readModel().Attention; a != contract.AttentionInspectionOverdue {
			t.Errorf("attention %q", a)
		}
		f.update(contract.UpdateInspect, contract.InspectRequest{Actor: clerk, Lines: []returns.InspectedLine{
			{LineID: "shoes", RejectedQuantity: 1, Reason: "not the item sold"}}}, nil, nil)
	})
	res := f.run()
	if res.Status != returns.Rejected {
		t.Fatalf("status %s; want rejected", res.Status)
	}
	r := f.readModel()
	if r.StatusReason != "not the item sold" || r.RefundAmount != nil {
		t.Fatalf("read model %+v", r)
	}
	msgs := f.sent.to(shopper)
	if !strings.Contains(msgs[len(msgs)-1].Text, "not the item sold") {
		t.Fatalf("shopper not told why: %q", msgs[len(msgs)-1].Text)
	}
}

func TestCancelFromEachAllowedStateAndNotAfter(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name   string
		opts   options
		before func(f *fixture)
		ok     bool
	}{
		{"awaiting_review", options{lines: []returns.RequestedLine{{LineID: "shoes", Quantity: 1, Reason: "not_as_described"}}}, nil, true},
		{"awaiting_shipment", options{}, nil, true},
		{"awaiting_dropoff", options{method: returns.MethodInStore}, nil, true},
		{"in_transit", options{}, func(f *fixture) { f.carrier("e1", contract.CarrierInTransit) }, false},
		{"awaiting_inspection", options{method: returns.MethodInStore}, func(f *fixture) {
			f.update(contract.UpdateReceive, contract.ReceiveRequest{Actor: clerk}, nil, nil)
		}, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, tc.opts)
			var refused error
			f.at(minute, func() { f.update(contract.UpdateVerify, verify, nil, nil) })
			if tc.before != nil {
				f.at(hour, func() { tc.before(f) })
			}
			f.at(2*hour, func() {
				if s := f.status(); string(s) != tc.name {
					t.Errorf("status %s before cancel; want %s", s, tc.name)
				}
				f.update(contract.UpdateCancel, contract.CancelRequest{Actor: buyer}, nil, &refused)
			})
			f.at(3*hour, func() {
				if !tc.ok {
					f.env.CancelWorkflow()
				}
			})
			f.env.ExecuteWorkflow(workflows.ReturnWorkflow, f.in)
			if tc.ok {
				if refused != nil || f.readModel().Status != "cancelled" {
					t.Fatalf("cancel refused (%v) or not recorded (%s)", refused, f.readModel().Status)
				}
				taken, err := f.db.Orders.TakenUnits(context.Background(), f.in.OrderID, "other")
				must(t, err)
				if len(taken) != 0 {
					t.Fatalf("a cancelled return still holds %v", taken)
				}
				return
			}
			if !isAppError(refused, contract.ErrInvalidState) || f.readModel().Status != tc.name {
				t.Fatalf("cancel from %s: %v, status %s; want invalid_state and no change", tc.name, refused, f.readModel().Status)
			}
		})
	}
}

func TestOnlineRefundFailure(t *testing.T) {
	t.Parallel()
	f := newFixture(t, options{method: returns.MethodInStore, paymentID: "pay_fail_1"})
	f.at(minute, func() { f.update(contract.UpdateVerify, verify, nil, nil) })
	f.at(hour, func() { f.update(contract.UpdateReceive, contract.ReceiveRequest{Actor: clerk}, nil, nil) })
	f.at(2*hour, func() { f.update(contract.UpdateInspect, allNew, nil, nil) })
	f.at(3*day, func() {
		if s := f.status(); s != returns.RefundFailed {
			t.Errorf("status %s; want refund_failed", s)
		}
		f.env.CancelWorkflow()
	})
	f.env.ExecuteWorkflow(workflows.ReturnWorkflow, f.in)
	r := f.readModel()
	if r.Status != "refund_failed" || r.StatusReason != "card_closed" {
		t.Fatalf("read model %s (%q)", r.Status, r.StatusReason)
	}
	refunds, err := f.db.Refunds.RefundsOfReturn(context.Background(), f.in.ReturnID)
	must(t, err)
	if len(refunds) != 1 || refunds[0].Status != returns.RefundStatusFailed || refunds[0].FailureCode != "card_closed" {
		t.Fatalf("refunds %+v", refunds)
	}
}

func TestSettlementOverdueIsFlaggedForFinance(t *testing.T) {
	t.Parallel()
	f := newFixture(t, options{method: returns.MethodInStore})
	f.at(minute, func() { f.update(contract.UpdateVerify, verify, nil, nil) })
	f.at(hour, func() { f.update(contract.UpdateReceive, contract.ReceiveRequest{Actor: clerk}, nil, nil) })
	f.at(2*hour, func() { f.update(contract.UpdateInspect, allNew, nil, nil) })
	f.at(7*day, func() {
		if a := f.readModel().Attention; a != contract.AttentionSettlementOverdue {
			t.Errorf("attention %q after 7 days", a)
		}
		f.env.SignalWorkflow(contract.SignalSettled, nil)
	})
	res := f.run()
	if res.Status != returns.Closed {
		t.Fatalf("status %s", res.Status)
	}
	if msgs := f.sent.to(finance); len(msgs) != 1 || !strings.Contains(msgs[0].Subject, "not settled") {
		t.Fatalf("finance got %v", msgs)
	}
}

func TestCarrierExceptionIsNotedAndBadInspectionRefused(t *testing.T) {
	t.Parallel()
	f := newFixture(t, options{})
	var bad error
	f.at(minute, func() { f.update(contract.UpdateVerify, verify, nil, nil) })
	f.at(hour, func() { f.carrier("x1", contract.CarrierException) })
	f.at(2*hour, func() {
		f.update(contract.UpdateReceive, contract.ReceiveRequest{Actor: clerk, Note: "parcel at the desk"}, nil, nil)
	})
	f.at(3*hour, func() {
		f.update(contract.UpdateInspect, contract.InspectRequest{Actor: clerk, Lines: []returns.InspectedLine{
			{LineID: "shoes", AcceptedQuantity: 2, Condition: returns.ConditionNew}}}, nil, &bad)
	})
	f.at(4*hour, func() { f.update(contract.UpdateInspect, allNew, nil, nil) })
	f.at(5*hour, func() { f.env.SignalWorkflow(contract.SignalSettled, nil) })
	res := f.run()
	if res.Status != returns.Closed {
		t.Fatalf("status %s", res.Status)
	}
	if !isAppError(bad, contract.ErrInvalidInput) {
		t.Fatalf("an inspection of 2 out of 1: %v; want invalid_input", bad)
	}
	equalTimeline(t, f.timeline(), returns.Submitted, returns.Approved, returns.AwaitingShipment, returns.AwaitingShipment,
		returns.Received, returns.AwaitingInspection, returns.RefundPending, returns.Refunded, returns.AwaitingSettlement, returns.Closed)
}

func isAppError(err error, kind string) bool {
	var ae *temporal.ApplicationError
	return errors.As(err, &ae) && ae.Type() == kind
}

// TestInspectionSentAsTheReadModelShowsAwaitingInspection is the race CI
// found: the parcel's delivery writes "received" then "awaiting
// inspection"; a clerk who sees the second in the read model and inspects
// before the workflow has heard that the write committed was refused with
// "the return is received". The update now lands in that gap on purpose.
func TestInspectionSentAsTheReadModelShowsAwaitingInspection(t *testing.T) {
	t.Parallel()
	f := newFixture(t, options{})
	var inspected contract.ActionResult
	var refused error
	sent := false
	f.env.OnActivity(f.acts.Store.RecordTransition, mock.Anything, mock.Anything).Return(
		func(ctx context.Context, in activities.TransitionInput) (activities.TransitionResult, error) {
			out, err := f.acts.Store.RecordTransition(ctx, in)
			if err == nil && in.Status == returns.AwaitingInspection && !sent {
				sent = true
				if got := f.readModel().Status; got != string(returns.AwaitingInspection) {
					t.Errorf("read model %s before the workflow heard back", got)
				}
				f.update(contract.UpdateInspect, allNew, &inspected, &refused)
			}
			return out, err
		})
	f.at(minute, func() { f.update(contract.UpdateVerify, verify, nil, nil) })
	f.at(hour, func() { f.carrier("ev1", contract.CarrierDelivered) })
	f.at(2*hour, func() { f.env.SignalWorkflow(contract.SignalSettled, nil) })
	f.env.ExecuteWorkflow(workflows.ReturnWorkflow, f.in)
	if !sent {
		t.Fatal("the inspection was never sent")
	}
	if refused != nil {
		t.Fatalf("the inspection was refused: %v", refused)
	}
	res := f.result()
	if inspected.Status != returns.RefundPending || res.Status != returns.Closed {
		t.Fatalf("inspection answered %s, return ended %s", inspected.Status, res.Status)
	}
	equalTimeline(t, f.timeline(), returns.Submitted, returns.Approved, returns.AwaitingShipment,
		returns.Received, returns.AwaitingInspection, returns.RefundPending, returns.Refunded, returns.AwaitingSettlement, returns.Closed)
}
