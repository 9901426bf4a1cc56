package events

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"

	"github.com/rebound-returns/rebound/app/apperr"
	"github.com/rebound-returns/rebound/contract"
	"github.com/rebound-returns/rebound/payments"
)

func outcome(reference string) payments.WebhookEvent {
	var ev payments.WebhookEvent
	ev.Refund.Reference, ev.Refund.Status, ev.Refund.FailureCode = reference, "failed", "card_expired"
	return ev
}

// The outcome of one of Rebound's attempts goes to its refund's workflow.
func TestGatewaySignalsTheRefund(t *testing.T) {
	s, st, wf := newService()
	matched, err := s.Gateway(context.Background(), outcome(attemptID))
	want := contract.GatewayResult{AttemptID: attemptID, Status: "failed", FailureCode: "card_expired"}
	if err != nil || !matched || len(wf.gateway) != 1 || wf.gateway[0] != want || wf.gatewayT[0] != "refund/ref1" {
		t.Fatalf("%v %v %v %+v", matched, err, wf.gatewayT, wf.gateway)
	}
	if strings.Join(st.calls, ",") != "AttemptByID,RefundByID ref1" {
		t.Fatalf("calls %v", st.calls)
	}
}

// A refund whose workflow does not take the outcome (it has finished) is
// still matched: the gateway need not send it again; it is logged.
func TestGatewayFinishedRefundIsLogged(t *testing.T) {
	var log bytes.Buffer
	st, wf := newFakeStore(), &fakeWorkflow{err: ErrEnded}
	s := New(Deps{Store: st, Workflow: wf, Log: slog.New(slog.NewTextHandler(&log, nil))})
	if matched, err := s.Gateway(context.Background(), outcome(attemptID)); err != nil || !matched {
		t.Fatalf("%v %v", matched, err)
	}
	if !strings.Contains(log.String(), "gateway event for a finished refund") || !strings.Contains(log.String(), "refund_id=ref1") {
		t.Fatalf("log %q", log.String())
	}
}

// References that name no attempt of Rebound's are not matched and not
// refused; a missing one is refused.
func TestGatewayUnmatchedAndRefused(t *testing.T) {
	for _, ref := range []string{"not-an-id", "3b7c6f3e-4f1a-4d2b-9c3e-1a2b3c4d5e6f"} {
		s, _, wf := newService()
		if matched, err := s.Gateway(context.Background(), outcome(ref)); err != nil || matched || len(wf.gateway) != 0 {
			t.Errorf("%s: %v %v", ref, matched, err)
		}
	}
	s, st, _ := newService()
	_, err := s.Gateway(context.Background(), payments.WebhookEvent{})
	if e := apperr.As(err); !errors.Is(err, apperr.ErrInvalid) || len(e.Fields) != 1 ||
		e.Fields[0] != (apperr.Field{Name: "refund.reference", Reason: "is required"}) || len(st.calls) != 0 {
		t.Fatalf("%v", err)
	}
}

func TestGatewayStoreFailures(t *testing.T) {
	for name, set := range map[string]func(*fakeStore){
		"attempt": func(f *fakeStore) { f.attErr = errStore },
		"refund":  func(f *fakeStore) { f.refundErr = errStore },
	} {
		s, st, wf := newService()
		set(st)
		if matched, err := s.Gateway(context.Background(), outcome(attemptID)); err != errStore || matched || len(wf.gateway) != 0 {
			t.Errorf("%s: %v %v", name, matched, err)
		}
	}
}
