package wire

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/rebound-returns/rebound/activities"
	"github.com/rebound-returns/rebound/app/apperr"
	"github.com/rebound-returns/rebound/app/events"
	"github.com/rebound-returns/rebound/app/filing"
	"github.com/rebound-returns/rebound/contract"
	"github.com/rebound-returns/rebound/db"
)

func TestRefusalSpeaksTheUseCasesTerms(t *testing.T) {
	other := errors.New("connection reset")
	cases := []struct {
		name   string
		err    error
		kind   error
		code   string
		detail string
		wait   time.Duration
	}{
		{"a step the state does not allow", temporal.NewApplicationError("the return is closed", contract.ErrInvalidState),
			apperr.ErrState, "", "the return is closed", 0},
		{"bad input, wrapped", fmt.Errorf("update: %w", temporal.NewApplicationError("no such line", contract.ErrInvalidInput)),
			apperr.ErrInvalid, "validation", "no such line", 0},
		{"too many tries, with the wait", temporal.NewApplicationError("slow down", contract.ErrRateLimited, 2.5),
			apperr.ErrLimited, "rate-limited", "slow down", 2500 * time.Millisecond},
		{"too many tries, no wait", temporal.NewApplicationError("slow down", contract.ErrRateLimited),
			apperr.ErrLimited, "rate-limited", "slow down", 0},
		{"a workflow that ended", serviceerror.NewNotFound("workflow not found"),
			apperr.ErrState, "", "the return has ended", 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := Refusal(c.err)
			e := apperr.As(err)
			if e == nil || !errors.Is(err, c.kind) {
				t.Fatalf("%v is not %v", err, c.kind)
			}
			if e.Code != c.code || e.Detail != c.detail || e.Wait != c.wait || len(e.Fields) != 0 {
				t.Fatalf("refusal %+v", e)
			}
		})
	}
	if Refusal(nil) != nil {
		t.Fatal("no error is no refusal")
	}
	if err := Refusal(other); err != other {
		t.Fatalf("another failure stays itself: %v", err)
	}
	if err := Refusal(temporal.NewApplicationError("boom", "SomethingElse")); apperr.As(err) != nil {
		t.Fatalf("an application error of another type is no refusal: %v", err)
	}
}

func TestUpdatesGoToTheReturnsWorkflowAndWait(t *testing.T) {
	ctx := context.Background()
	cases := []struct {
		name string
		call func(ft *fakeTemporal) error
		want string
	}{
		{"counter refund", func(ft *fakeTemporal) error {
			return returnUpdates{flows{ft}}.CounterRefund(ctx, "r1", contract.CounterRefundRequest{})
		}, contract.UpdateCounterRefund},
		{"refund approval", func(ft *fakeTemporal) error {
			return returnUpdates{flows{ft}}.RefundApproval(ctx, "r1", contract.RefundApprovalRequest{})
		}, contract.UpdateRefundApproval},
		{"refund resolution", func(ft *fakeTemporal) error {
			return returnUpdates{flows{ft}}.RefundResolution(ctx, "r1", contract.RefundResolutionRequest{})
		}, contract.UpdateRefundResolution},
		{"finance's resolution", func(ft *fakeTemporal) error {
			return financeWorkflows{flows{ft}}.RefundResolution(ctx, "r1", contract.RefundResolutionRequest{})
		}, contract.UpdateRefundResolution},
		{"verify", func(ft *fakeTemporal) error {
			return shopperWorkflows{flows{ft}}.Verify(ctx, "r1", contract.VerifyRequest{})
		}, contract.UpdateVerify},
		{"send code", func(ft *fakeTemporal) error {
			_, err := shopperWorkflows{flows{ft}}.SendCode(ctx, "r1", contract.SendCodeRequest{})
			return err
		}, contract.UpdateSendCode},
		{"cancel", func(ft *fakeTemporal) error {
			return shopperWorkflows{flows{ft}}.Cancel(ctx, "r1", contract.CancelRequest{})
		}, contract.UpdateCancel},
		{"review", func(ft *fakeTemporal) error {
			return staffSteps{flows{ft}}.Review(ctx, "r1", contract.ReviewRequest{})
		},
			contract.UpdateReview},
		{"receive", func(ft *fakeTemporal) error {
			return staffSteps{flows{ft}}.Receive(ctx, "r1", contract.ReceiveRequest{})
		},
			contract.UpdateReceive},
		{"inspect", func(ft *fakeTemporal) error {
			return staffSteps{flows{ft}}.Inspect(ctx, "r1", contract.InspectRequest{})
		},
			contract.UpdateInspect},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ft := &fakeTemporal{}
			if err := c.call(ft); err != nil {
				t.Fatal(err)
			}
			if len(ft.updates) != 1 {
				t.Fatalf("%d updates", len(ft.updates))
			}
			u := ft.updates[0]
			if u.WorkflowID != contract.ReturnWorkflowID("r1") || u.UpdateName != c.want || u.WaitForStage != client.WorkflowUpdateStageCompleted {
				t.Fatalf("update %+v", u)
			}
			// The workflow's refusal comes back as the use cases' refusal,
			// whether Temporal refused the update or its step did.
			ft = &fakeTemporal{getErr: temporal.NewApplicationError("the return is closed", contract.ErrInvalidState)}
			if err := c.call(ft); !errors.Is(err, apperr.ErrState) {
				t.Fatalf("refused step: %v", err)
			}
			ft = &fakeTemporal{updateErr: serviceerror.NewNotFound("gone")}
			if err := c.call(ft); !errors.Is(err, apperr.ErrState) {
				t.Fatalf("ended workflow: %v", err)
			}
		})
	}
}

func TestSendCodeAnswersTheWorkflowsResult(t *testing.T) {
	exp := time.Date(2026, 3, 1, 9, 10, 0, 0, time.UTC)
	ft := &fakeTemporal{result: activities.SendCodeResult{ExpiresAt: exp}}
	res, err := shopperWorkflows{flows{ft}}.SendCode(context.Background(), "r1", contract.SendCodeRequest{ClientIP: "10.0.0.1"})
	if err != nil || !res.ExpiresAt.Equal(exp) {
		t.Fatalf("%+v %v", res, err)
	}
}

func TestStartsAreOncePerID(t *testing.T) {
	ctx := context.Background()
	ft := &fakeTemporal{}
	if err := (shopperWorkflows{flows{ft}}).StartReturn(ctx, contract.ReturnInput{ReturnID: "r1"}); err != nil {
		t.Fatal(err)
	}
	if err := (financeWorkflows{flows{ft}}).StartReconcile(ctx, "f1"); err != nil {
		t.Fatal(err)
	}
	if _, err := (shopperWorkflows{flows{ft}}).SendLookupCode(ctx, activities.LookupCodeInput{LookupID: "l1"}); err != nil {
		t.Fatal(err)
	}
	want := []string{contract.ReturnWorkflowID("r1"), contract.ReconcileWorkflowID("f1"), contract.LookupWorkflowID("l1")}
	for i, o := range ft.starts {
		if o.ID != want[i] || o.TaskQueue != contract.TaskQueue || o.WorkflowIDReusePolicy != enumspb.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE {
			t.Fatalf("start %d: %+v", i, o)
		}
	}
	if in := ft.started[1].(contract.ReconcileInput); in.FileID != "f1" {
		t.Fatalf("reconcile input %+v", in)
	}
	boom := errors.New("temporal down")
	if err := (shopperWorkflows{flows{&fakeTemporal{startErr: boom}}}).StartReturn(ctx, contract.ReturnInput{}); !errors.Is(err, boom) {
		t.Fatalf("start: %v", err)
	}
	if err := (financeWorkflows{flows{&fakeTemporal{startErr: boom}}}).StartReconcile(ctx, "f1"); !errors.Is(err, boom) {
		t.Fatalf("reconcile: %v", err)
	}
}

func TestReturnStarted(t *testing.T) {
	boom := errors.New("temporal down")
	cases := []struct {
		name    string
		err     error
		started bool
		wantErr error
	}{
		{"found", nil, true, nil},
		{"not found", serviceerror.NewNotFound("no"), false, nil},
		{"unknown", boom, false, boom},
	}
	for _, c := range cases {
		ft := &fakeTemporal{describeErr: c.err}
		started, err := shopperWorkflows{flows{ft}}.ReturnStarted(context.Background(), "r1")
		if started != c.started || !errors.Is(err, c.wantErr) || ft.describe[0] != contract.ReturnWorkflowID("r1") {
			t.Errorf("%s: %v %v", c.name, started, err)
		}
	}
}

func TestSendLookupCode(t *testing.T) {
	boom := errors.New("activity failed")
	cases := []struct {
		name     string
		ft       *fakeTemporal
		kind     error
		notSent  bool
		startErr bool
	}{
		{"the workflow refused", &fakeTemporal{runErr: temporal.NewApplicationError("slow down", contract.ErrRateLimited, 30.0)},
			apperr.ErrLimited, false, false},
		{"the code did not go", &fakeTemporal{runErr: boom}, boom, true, false},
		{"not started", &fakeTemporal{startErr: boom}, boom, false, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := shopperWorkflows{flows{c.ft}}.SendLookupCode(context.Background(), activities.LookupCodeInput{LookupID: "l1"})
			if !errors.Is(err, c.kind) || errors.Is(err, filing.ErrNotSent) != c.notSent {
				t.Fatalf("err %v", err)
			}
			if c.startErr && err != boom {
				t.Fatalf("a failed start is its own error: %v", err)
			}
		})
	}
}

func TestSignals(t *testing.T) {
	ctx := context.Background()
	ft := &fakeTemporal{}
	e := eventSignals{flows{ft}}
	if err := e.CarrierEvent(ctx, "r1", contract.CarrierEvent{}); err != nil {
		t.Fatal(err)
	}
	if err := e.GatewayResult(ctx, "refund/x", contract.GatewayResult{}); err != nil {
		t.Fatal(err)
	}
	if err := (freezeSignals{flows{ft}}).FreezeLifted(ctx, "refund/y"); err != nil {
		t.Fatal(err)
	}
	want := []string{contract.ReturnWorkflowID("r1") + " " + contract.SignalCarrierEvent,
		"refund/x " + contract.SignalGatewayResult, "refund/y " + contract.SignalFreezeLifted}
	if fmt.Sprint(ft.signals) != fmt.Sprint(want) {
		t.Fatalf("signals %q, want %q", ft.signals, want)
	}
	gone := eventSignals{flows{&fakeTemporal{signalErr: serviceerror.NewNotFound("gone")}}}
	if err := gone.CarrierEvent(ctx, "r1", contract.CarrierEvent{}); !errors.Is(err, events.ErrEnded) {
		t.Fatalf("carrier: %v", err)
	}
	if err := gone.GatewayResult(ctx, "w", contract.GatewayResult{}); !errors.Is(err, events.ErrEnded) {
		t.Fatalf("gateway: %v", err)
	}
	boom := errors.New("down")
	if err := (eventSignals{flows{&fakeTemporal{signalErr: boom}}}).CarrierEvent(ctx, "r1", contract.CarrierEvent{}); err != boom {
		t.Fatalf("other: %v", err)
	}
}

func TestDeliveryStartsOneRunPerBatch(t *testing.T) {
	ctx := context.Background()
	ft := &fakeTemporal{}
	run, err := delivery{flows{ft}}.Deliver(ctx, []string{"ob1", "ob2"})
	if err != nil || run == nil {
		t.Fatalf("%v %v", run, err)
	}
	if err := (mailDelivery{delivery{flows{ft}}}).Deliver(ctx, []string{"ob3"}); err != nil {
		t.Fatal(err)
	}
	if ft.starts[0].ID != "deliver/ob1" || ft.starts[1].ID != "deliver/ob3" || ft.starts[0].TaskQueue != contract.TaskQueue {
		t.Fatalf("starts %+v", ft.starts)
	}
	if in := ft.started[0].(activities.DeliverInput); fmt.Sprint(in.OutboxIDs) != "[ob1 ob2]" {
		t.Fatalf("input %+v", in)
	}
	boom := errors.New("down")
	if run, err := (delivery{flows{&fakeTemporal{startErr: boom}}}).Deliver(ctx, []string{"ob1"}); run != nil || err != boom {
		t.Fatalf("%v %v", run, err)
	}
	if err := (mailDelivery{delivery{flows{&fakeTemporal{startErr: boom}}}}).Deliver(ctx, []string{"ob1"}); err != boom {
		t.Fatal(err)
	}
}

func TestNewBuildsEveryUseCase(t *testing.T) {
	uc := New(Deps{DB: &db.DB{}, Temporal: &fakeTemporal{}})
	if uc.Counter == nil || uc.Staff == nil || uc.Orders == nil || uc.Events == nil || uc.Filing == nil || uc.Finance == nil ||
		uc.Admin == nil || uc.Session == nil || uc.Freezes == nil || uc.Audit == nil || uc.Idempotency == nil || uc.Outbox == nil ||
		uc.Views == nil {
		t.Fatalf("%+v", uc)
	}
}

func TestPasswordsAndMailAdapters(t *testing.T) {
	pool := DefaultPasswordPool()
	if err := (staffPasswords{pool: pool}).Burn(context.Background(), "x"); err != nil {
		t.Fatal(err)
	}
	slot, err := hashPool{pool}.Hold(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	slot.Release()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	full := hashPool{DefaultPasswordPool()}
	var held []interface{ Release() }
	defer func() {
		for _, s := range held {
			s.Release()
		}
	}()
	for {
		s, err := full.Hold(ctx)
		if err != nil {
			if s != nil {
				t.Fatal("a refused hold is no slot")
			}
			break
		}
		held = append(held, s)
	}
}
