package staff

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/rebound-returns/rebound/app/apperr"
	"github.com/rebound-returns/rebound/contract"
	"github.com/rebound-returns/rebound/returns"
)

var (
	sup  = returns.Actor{Kind: returns.ActorStaff, Name: "sup", Role: "supervisor"}
	mine = Step{ReturnID: returnID, MerchantID: merchantID, Actor: sup}
)

// refusal is what a test expects of an error: its kind and, for bad
// input, the fields at fault with their reasons ("field: reason").
func refusal(t *testing.T, err error, kind error, fields ...string) {
	t.Helper()
	if !errors.Is(err, kind) {
		t.Fatalf("got %v, want %v", err, kind)
	}
	var got []string
	if e := apperr.As(err); e != nil {
		for _, f := range e.Fields {
			got = append(got, f.Name+": "+f.Reason)
		}
	}
	if strings.Join(got, "; ") != strings.Join(fields, "; ") {
		t.Fatalf("fields %q, want %q", got, fields)
	}
}

// Every step refuses a return that is not the merchant's the same way as
// one that does not exist, and sends nothing.
func TestStepsFindOnlyTheMerchantsReturn(t *testing.T) {
	for name, step := range map[string]Step{
		"another merchant's": {ReturnID: returnID, MerchantID: "m2", Actor: sup},
		"no merchant":        {ReturnID: returnID, Actor: sup},
		"no such return":     {ReturnID: "1b7c6f3e-4f1a-4d2b-9c3e-1a2b3c4d5e6f", MerchantID: merchantID, Actor: sup},
		"not an id":          {ReturnID: "../x", MerchantID: merchantID, Actor: sup},
	} {
		s, _, wf := newService()
		ctx := context.Background()
		_, e1 := s.Review(ctx, Review{Step: step, Decision: contract.DecisionApprove})
		_, e2 := s.Receive(ctx, Receive{Step: step})
		_, e3 := s.Inspect(ctx, Inspection{Step: step})
		for _, err := range []error{e1, e2, e3} {
			if err != errNoSuchReturn {
				t.Errorf("%s: %v", name, err)
			}
		}
		if e := apperr.As(errNoSuchReturn); e.Detail != "no such return" || e.Code != "" {
			t.Errorf("the not-found refusal is %+v", e)
		}
		if len(wf.sent) != 0 {
			t.Errorf("%s: sent %v", name, wf.sent)
		}
	}
}

// A store that fails is the step's failure, not a not-found.
func TestStepsPassOnTheStoresFailure(t *testing.T) {
	s, st, wf := newService()
	st.err = errStore
	if _, err := s.Receive(context.Background(), Receive{Step: mine}); err != errStore || len(wf.sent) != 0 {
		t.Fatalf("%v, sent %v", err, wf.sent)
	}
}

func TestReview(t *testing.T) {
	long := strings.Repeat("x", 501)
	for _, tc := range []struct {
		name             string
		decision, reason string
		fields           []string // refused with these; nil: sent
	}{
		{"approve", contract.DecisionApprove, "", nil},
		{"decline with a reason", contract.DecisionDecline, "worn", nil},
		{"no decision", "", "", []string{"decision: must be approve or decline"}},
		{"another decision", "maybe", "", []string{"decision: must be approve or decline"}},
		{"decline without reason", contract.DecisionDecline, "  ", []string{"reason: is required to decline: the shopper is told"}},
		{"reason too long", contract.DecisionApprove, long, []string{"reason: must be at most 500 characters"}},
	} {
		s, st, wf := newService()
		id, err := s.Review(context.Background(), Review{Step: mine, Decision: tc.decision, Reason: tc.reason})
		if tc.fields != nil {
			refusal(t, err, apperr.ErrInvalid, tc.fields...)
			if len(st.calls) != 0 || len(wf.sent) != 0 {
				t.Errorf("%s: refused input read %v, sent %v", tc.name, st.calls, wf.sent)
			}
			continue
		}
		want := contract.ReviewRequest{Decision: tc.decision, Reason: tc.reason, Actor: sup}
		if err != nil || id != returnID || wf.review != want || strings.Join(wf.sent, ",") != "review "+returnID {
			t.Errorf("%s: %q %v, sent %v %+v", tc.name, id, err, wf.sent, wf.review)
		}
	}
}

func TestReceive(t *testing.T) {
	s, _, wf := newService()
	id, err := s.Receive(context.Background(), Receive{Step: mine, Note: "box dented"})
	if err != nil || id != returnID || wf.receive != (contract.ReceiveRequest{Actor: sup, Note: "box dented"}) {
		t.Fatalf("%q %v %+v", id, err, wf.receive)
	}
	_, err = s.Receive(context.Background(), Receive{Step: mine, Note: strings.Repeat("x", 501)})
	refusal(t, err, apperr.ErrInvalid, "note: must be at most 500 characters")
	if len(wf.sent) != 1 {
		t.Fatalf("sent %v", wf.sent)
	}
}

func TestInspect(t *testing.T) {
	good := []returns.InspectedLine{{LineID: "1", AcceptedQuantity: 1, RejectedQuantity: 1, Condition: "opened", Reason: "stained"}}
	for _, tc := range []struct {
		name   string
		lines  []returns.InspectedLine
		read   bool     // the return was read
		fields []string // refused with these; nil: sent
	}{
		{"every unit accounted for", good, true, nil},
		{"a condition there is not", []returns.InspectedLine{{LineID: "1", AcceptedQuantity: 2}, {LineID: "1", Condition: "soggy"}}, false,
			[]string{"lines[1].condition: must be new, opened or damaged"}},
		{"not the requested lines", []returns.InspectedLine{{LineID: "9", AcceptedQuantity: 1}}, true, fieldsOf("9")},
	} {
		s, st, wf := newService()
		id, err := s.Inspect(context.Background(), Inspection{Step: mine, Lines: tc.lines})
		if read := len(st.calls) == 1; read != tc.read {
			t.Errorf("%s: read %v", tc.name, st.calls)
		}
		if tc.fields != nil {
			refusal(t, err, apperr.ErrInvalid, tc.fields...)
			if len(wf.sent) != 0 {
				t.Errorf("%s: sent %v", tc.name, wf.sent)
			}
			continue
		}
		if err != nil || id != returnID || len(wf.inspect.Lines) != 1 || wf.inspect.Lines[0] != good[0] || wf.inspect.Actor != sup {
			t.Errorf("%s: %q %v %+v", tc.name, id, err, wf.inspect)
		}
	}
}

// fieldsOf is what returns.ValidateInspection says of one unit of lineID
// against the fake's return (line 1, two units), as "field: reason".
func fieldsOf(lineID string) []string {
	errs := returns.ValidateInspection([]returns.RequestedLine{{LineID: "1", Quantity: 2, Reason: "too_small"}},
		[]returns.InspectedLine{{LineID: lineID, AcceptedQuantity: 1}})
	out := make([]string, len(errs))
	for i, e := range errs {
		out[i] = e.Field + ": " + e.Message
	}
	return out
}

// The workflow's refusal is the step's answer as it is (the API has
// already made it a problem).
func TestStepsAnswerTheWorkflowsRefusal(t *testing.T) {
	refused := errors.New("the return is refunded")
	s, _, wf := newService()
	wf.err = refused
	ctx := context.Background()
	_, e1 := s.Review(ctx, Review{Step: mine, Decision: contract.DecisionApprove})
	_, e2 := s.Receive(ctx, Receive{Step: mine})
	_, e3 := s.Inspect(ctx, Inspection{Step: mine, Lines: []returns.InspectedLine{{LineID: "1", AcceptedQuantity: 2, Condition: "new"}}})
	for i, err := range []error{e1, e2, e3} {
		if err != refused {
			t.Errorf("step %d: %v", i, err)
		}
	}
}
