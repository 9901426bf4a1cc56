package workflows_test

import (
	"context"
	"errors"
	"log/slog"
	"regexp"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/converter"
	sdklog "go.temporal.io/sdk/log"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"

	"github.com/rebound-returns/rebound/activities"
	"github.com/rebound-returns/rebound/contract"
	"github.com/rebound-returns/rebound/db"
	"github.com/rebound-returns/rebound/otp"
	"github.com/rebound-returns/rebound/returns"
	"github.com/rebound-returns/rebound/shipping"
	"github.com/rebound-returns/rebound/workflows"
)

// Order lookups: a return filed with the token of a verified lookup is
// verified from the start (ReturnInput.VerifiedBy); OrderLookupWorkflow
// sends the lookup's code.

// lkActivityLog records the activities a workflow starts, by name.
type lkActivityLog struct {
	mu    sync.Mutex
	names []string
}

func (l *lkActivityLog) listen(env *testsuite.TestWorkflowEnvironment) {
	env.SetOnActivityStartedListener(func(info *activity.Info, _ context.Context, _ converter.EncodedValues) {
		l.add(info.ActivityType.Name)
	})
	// The store's steps of a return run as local activities.
	env.SetOnLocalActivityStartedListener(func(info *activity.Info, _ context.Context, _ []any) {
		l.add(info.ActivityType.Name)
	})
}

func (l *lkActivityLog) add(name string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.names = append(l.names, name)
}

func (l *lkActivityLog) count(name string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for _, x := range l.names {
		if x == name {
			n++
		}
	}
	return n
}

// lkCodeMessages counts the return code messages sent to the shopper.
func (f *fixture) lkCodeMessages() int {
	n := 0
	for _, m := range f.sent.to(shopper) {
		if m.Subject == "Your return code" {
			n++
		}
	}
	return n
}

func TestVerifiedReturnIsSubmittedAtOnceWithoutACode(t *testing.T) {
	t.Parallel()
	for name, tc := range map[string]struct {
		o    options
		want []returns.Status
	}{
		"auto-approved": {o: options{},
			want: []returns.Status{returns.Submitted, returns.Approved, returns.AwaitingShipment}},
		"for review": {o: options{lines: []returns.RequestedLine{{LineID: "shoes", Quantity: 1, Reason: "not_as_described"}}},
			want: []returns.Status{returns.Submitted, returns.AwaitingReview}},
		"ineligible": {o: options{lines: []returns.RequestedLine{{LineID: "undies", Quantity: 1, Reason: "too_small"}}},
			want: []returns.Status{returns.Submitted, returns.Ineligible}},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, tc.o)
			f.in.VerifiedBy = db.NewID()
			var ran lkActivityLog
			ran.listen(f.env)
			var atOnce returns.Status
			var lateVerify error
			f.at(time.Second, func() {
				atOnce = f.status()
				// There is nothing left to verify.
				f.update(contract.UpdateVerify, verify, nil, &lateVerify)
			})
			f.at(time.Minute, func() {
				if !f.status().Terminal() {
					f.env.CancelWorkflow()
				}
			})
			f.env.ExecuteWorkflow(workflows.ReturnWorkflow, f.in)
			if !f.env.IsWorkflowCompleted() {
				t.Fatal("workflow did not complete")
			}

			final := tc.want[len(tc.want)-1]
			equalTimeline(t, f.timeline(), tc.want...)
			if final.Terminal() {
				var res contract.ReturnResult
				must(t, f.env.GetWorkflowResult(&res))
				if res.Status != final {
					t.Fatalf("result %s; want %s", res.Status, final)
				}
			} else if atOnce != final {
				t.Fatalf("a second after filing the return is %s; want %s", atOnce, final)
			}
			if final != returns.Ineligible && !isAppError(lateVerify, contract.ErrInvalidState) {
				t.Fatalf("verify after a verified filing: %v; want %s", lateVerify, contract.ErrInvalidState)
			}
			if n := ran.count("SendCode"); n != 0 {
				t.Fatalf("SendCode ran %d times for a return verified before filing", n)
			}
			if ran.count("Evaluate") != 1 {
				t.Fatalf("the policy ran %d times; want once", ran.count("Evaluate"))
			}
			if n := f.lkCodeMessages(); n != 0 {
				t.Fatalf("%d code messages sent to the shopper; want none", n)
			}
			if ch, err := f.db.Shoppers.CountCodes(context.Background(), f.in.ReturnID, shopper, f.in.ClientIP, start.Add(-time.Hour)); err != nil ||
				!ch.LastForReturn.IsZero() || ch.ForContact != 0 {
				t.Fatalf("codes stored: %+v, %v; want none", ch, err)
			}
			r := f.readModel()
			if r.Status != string(final) {
				t.Fatalf("read model %s; want %s", r.Status, final)
			}
			// What passes the policy holds its units from the start.
			if reserved := r.ReservedAt != nil; reserved != (final != returns.Ineligible) {
				t.Fatalf("reserved at %v for a return that is %s", r.ReservedAt, final)
			}
			events, err := f.db.Returns.Timeline(context.Background(), f.in.ReturnID)
			must(t, err)
			if events[0].Actor != "shopper" || events[0].Note != "code verified before filing" || !events[0].At.Equal(start) {
				t.Fatalf("first event %+v; want the shopper's submission at the start", events[0])
			}
		})
	}
}

func TestUnverifiedReturnStillGetsItsFirstCode(t *testing.T) {
	t.Parallel()
	f := newFixture(t, options{})
	var ran lkActivityLog
	ran.listen(f.env)
	var pending returns.Status
	f.at(time.Minute, func() { pending = f.status() })
	res := f.run()
	if pending != returns.PendingVerification {
		t.Fatalf("a minute after filing the return is %s; want pending_verification", pending)
	}
	if n := ran.count("SendCode"); n != 1 {
		t.Fatalf("SendCode ran %d times; want once", n)
	}
	if n := f.lkCodeMessages(); n != 1 {
		t.Fatalf("%d code messages to the shopper; want 1", n)
	}
	// Nobody entered it: nothing was evaluated, and the return expired.
	if ran.count("Evaluate") != 0 || res.Status != returns.Expired {
		t.Fatalf("evaluated %d times, ended %s; want never and expired", ran.count("Evaluate"), res.Status)
	}
	equalTimeline(t, f.timeline(), returns.Expired)
	if r := f.readModel(); r.ReservedAt != nil {
		t.Fatalf("an unverified return holds units: %+v", r)
	}
}

// lkFlakyCarrier refuses the first `fails` bookings, as a carrier whose API
// is down for a few minutes does.
type lkFlakyCarrier struct {
	mu    sync.Mutex
	fails int
	calls int
}

func (c *lkFlakyCarrier) CreateShipment(ctx context.Context, r shipping.ShipmentRequest) (shipping.Shipment, error) {
	c.mu.Lock()
	c.calls++
	down := c.calls <= c.fails
	c.mu.Unlock()
	if down {
		return shipping.Shipment{}, errors.New("carrier unavailable")
	}
	return shipping.Simulated{}.CreateShipment(ctx, r)
}

func lkWithCarrier(c shipping.Carrier) options {
	return options{card: func(_ *testing.T, _ *db.DB, _ *db.Merchant, _ *db.Order, _ *testsuite.TestWorkflowEnvironment, a activities.Set) {
		a.Shipping.Carrier = c
	}}
}

// The code path: a carrier down for longer than one step's retries fails
// the verify update, and the workflow books the label later by itself.
func TestCodeVerifiedReturnBooksTheLabelOnceTheCarrierIsBack(t *testing.T) {
	t.Parallel()
	carrier := &lkFlakyCarrier{fails: 8}
	f := newFixture(t, lkWithCarrier(carrier))
	var verifyFailed error
	f.at(time.Minute, func() { f.update(contract.UpdateVerify, verify, nil, &verifyFailed) })
	f.at(time.Hour, func() {
		if s := f.status(); s != returns.AwaitingShipment {
			t.Errorf("an hour later the return is %s; want awaiting_shipment", s)
		}
		f.env.CancelWorkflow()
	})
	f.env.ExecuteWorkflow(workflows.ReturnWorkflow, f.in)
	if verifyFailed == nil {
		t.Fatal("verify answered success while the carrier was down")
	}
	equalTimeline(t, f.timeline(), returns.Submitted, returns.Approved, returns.AwaitingShipment)
	if r := f.readModel(); r.TrackingNumber == "" {
		t.Fatalf("no label booked: %+v", r)
	}
}

// The verified path: the same carrier failure must not end the workflow
// and leave the return approved with no label and nothing to act on it;
// the workflow books the label once the carrier is back. (Found by this
// test on cef518f, where run() returned submit()'s error; fixed in
// 1c051b6.)
func TestVerifiedReturnBooksTheLabelOnceTheCarrierIsBack(t *testing.T) {
	t.Parallel()
	carrier := &lkFlakyCarrier{fails: 8}
	f := newFixture(t, lkWithCarrier(carrier))
	f.in.VerifiedBy = db.NewID()
	f.at(time.Hour, func() {
		if s := f.status(); s != returns.AwaitingShipment {
			t.Errorf("an hour later the return is %s; want awaiting_shipment", s)
		}
		f.env.CancelWorkflow()
	})
	f.env.ExecuteWorkflow(workflows.ReturnWorkflow, f.in)
	var canceled *temporal.CanceledError
	if err := f.env.GetWorkflowError(); err != nil && !errors.As(err, &canceled) {
		t.Fatalf("the workflow of a return verified before filing failed with the carrier down for a few minutes: %v"+
			" (the return stays %s with no workflow)", err, f.readModel().Status)
	}
	equalTimeline(t, f.timeline(), returns.Submitted, returns.Approved, returns.AwaitingShipment)
	if r := f.readModel(); r.TrackingNumber == "" {
		t.Fatalf("no label booked: %+v", r)
	}
}

var lkCodeRe = regexp.MustCompile(`code is (\d{6})`)

func TestOrderLookupWorkflowSendsTheCodeAndAnswersTheActivitysResult(t *testing.T) {
	t.Parallel()
	f := newFixture(t, options{})
	f.env.RegisterWorkflow(workflows.OrderLookupWorkflow)
	in := activities.LookupCodeInput{LookupID: db.NewID(), MerchantID: f.merchant.ID, OrderID: f.in.OrderID,
		Contact: shopper, ContactKind: "email", ClientIP: "192.0.2.1", VerifyWithin: 10 * time.Minute}
	f.env.ExecuteWorkflow(workflows.OrderLookupWorkflow, in)
	if !f.env.IsWorkflowCompleted() {
		t.Fatal("workflow did not complete")
	}
	must(t, f.env.GetWorkflowError())
	var res activities.LookupCodeResult
	must(t, f.env.GetWorkflowResult(&res))
	if res.LookupID != in.LookupID || !res.ExpiresAt.Equal(start.Add(10*time.Minute)) {
		t.Fatalf("result %+v; want lookup %s expiring at %v", res, in.LookupID, start.Add(10*time.Minute))
	}
	msgs := f.sent.to(shopper)
	if len(msgs) != 1 {
		t.Fatalf("%d messages to the shopper; want the code", len(msgs))
	}
	mm := lkCodeRe.FindStringSubmatch(msgs[0].Text)
	if mm == nil {
		t.Fatalf("no code in %q", msgs[0].Text)
	}
	l, err := f.db.Shoppers.LookupByID(context.Background(), in.LookupID)
	must(t, err)
	if l.OrderID != f.in.OrderID || !l.ExpiresAt.Equal(res.ExpiresAt) || !otp.Matches([]byte("test secret"), l.ID, mm[1], l.CodeHMAC) {
		t.Fatalf("stored lookup %+v; want the HMAC of the code sent", l)
	}
}

func lkEnv() *testsuite.TestWorkflowEnvironment {
	var suite testsuite.WorkflowTestSuite
	suite.SetLogger(sdklog.NewStructuredLogger(slog.New(slog.DiscardHandler)))
	env := suite.NewTestWorkflowEnvironment()
	env.RegisterWorkflow(workflows.OrderLookupWorkflow)
	return env
}

func TestOrderLookupWorkflowRetriesASendAndAnswersItsResult(t *testing.T) {
	t.Parallel()
	env := lkEnv()
	in := activities.LookupCodeInput{LookupID: "lk-1", MerchantID: "m-1", OrderID: "o-1", Contact: shopper,
		ContactKind: "email", ClientIP: "192.0.2.1", VerifyWithin: 10 * time.Minute}
	want := activities.LookupCodeResult{LookupID: "lk-1", ExpiresAt: start.Add(10 * time.Minute)}
	var mu sync.Mutex
	var seen []activities.LookupCodeInput
	env.OnActivity(acts.Messages.SendLookupCode, mock.Anything, mock.Anything).Return(
		func(_ context.Context, got activities.LookupCodeInput) (activities.LookupCodeResult, error) {
			mu.Lock()
			defer mu.Unlock()
			seen = append(seen, got)
			if len(seen) == 1 {
				return activities.LookupCodeResult{}, errors.New("connection reset")
			}
			return want, nil
		})
	env.ExecuteWorkflow(workflows.OrderLookupWorkflow, in)
	must(t, env.GetWorkflowError())
	var res activities.LookupCodeResult
	must(t, env.GetWorkflowResult(&res))
	if res.LookupID != want.LookupID || !res.ExpiresAt.Equal(want.ExpiresAt) {
		t.Fatalf("result %+v; want the activity's %+v", res, want)
	}
	if len(seen) != 2 || !slices.Equal([]activities.LookupCodeInput{in, in}, seen) {
		t.Fatalf("activity inputs %+v; want the workflow's input twice (a retry)", seen)
	}
}

func TestOrderLookupWorkflowEndsOnTheRateLimit(t *testing.T) {
	t.Parallel()
	env := lkEnv()
	calls := 0
	env.OnActivity(acts.Messages.SendLookupCode, mock.Anything, mock.Anything).Return(
		func(context.Context, activities.LookupCodeInput) (activities.LookupCodeResult, error) {
			calls++
			return activities.LookupCodeResult{}, temporal.NewNonRetryableApplicationError("too many codes for this contact", contract.ErrRateLimited, nil)
		})
	env.ExecuteWorkflow(workflows.OrderLookupWorkflow, activities.LookupCodeInput{LookupID: "lk-2", Contact: shopper, VerifyWithin: time.Minute})
	if err := env.GetWorkflowError(); !isAppError(err, contract.ErrRateLimited) {
		t.Fatalf("workflow error %v; want %s", err, contract.ErrRateLimited)
	}
	if calls != 1 {
		t.Fatalf("the refused send ran %d times; want once", calls)
	}
}

// A new return records its transitions and its policy's decision as local
// activities (VersionLocalSteps): no server round trip for each step. (The
// replay test holds returns from before to regular activities.)
func TestAReturnsStoreStepsRunAsLocalActivities(t *testing.T) {
	t.Parallel()
	f := newFixture(t, options{})
	f.in.VerifiedBy = db.NewID()
	var regular, local lkActivityLog
	f.env.SetOnActivityStartedListener(func(info *activity.Info, _ context.Context, _ converter.EncodedValues) {
		regular.add(info.ActivityType.Name)
	})
	f.env.SetOnLocalActivityStartedListener(func(info *activity.Info, _ context.Context, _ []any) {
		local.add(info.ActivityType.Name)
	})
	f.at(time.Minute, func() { f.env.CancelWorkflow() })
	f.env.ExecuteWorkflow(workflows.ReturnWorkflow, f.in)
	equalTimeline(t, f.timeline(), returns.Submitted, returns.Approved, returns.AwaitingShipment)
	if n := local.count("RecordTransition"); n != 3 {
		t.Errorf("RecordTransition ran %d times as a local activity; want 3 (submitted, approved, awaiting shipment)", n)
	}
	if n := local.count("Evaluate"); n != 1 {
		t.Errorf("Evaluate ran %d times as a local activity; want once", n)
	}
	if n := regular.count("RecordTransition") + regular.count("Evaluate"); n != 0 {
		t.Errorf("%d store steps went through the server; want none", n)
	}
	if regular.count("CreateShipment") != 1 {
		t.Errorf("the label is booked by a regular activity (the carrier may be slow): ran %d times", regular.count("CreateShipment"))
	}
}
