package counter

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/rebound-returns/rebound/contract"
	"github.com/rebound-returns/rebound/returns"
)

var supervisor = returns.Actor{Kind: returns.ActorStaff, Name: "sup", Role: "supervisor"}

func TestApprove(t *testing.T) {
	long := strings.Repeat("x", 501)
	for _, tc := range []struct {
		name           string
		req            ApprovalRequest
		field, reason  string // of the *InvalidError, if any
		want           error
		workflowFailed bool
	}{
		{name: "approve", req: ApprovalRequest{Decision: "approve"}},
		{name: "decline with a note", req: ApprovalRequest{Decision: "decline", Note: "card not shown"}},
		{name: "approve with the longest note", req: ApprovalRequest{Decision: "approve", Note: long[:500]}},
		{name: "no decision", req: ApprovalRequest{}, want: ErrInvalid, field: "decision", reason: "must be approve or decline"},
		{name: "another decision", req: ApprovalRequest{Decision: "maybe"}, want: ErrInvalid, field: "decision", reason: "must be approve or decline"},
		{name: "decline without a note", req: ApprovalRequest{Decision: "decline", Note: "  "}, want: ErrInvalid, field: "note", reason: "is required to decline"},
		{name: "note too long", req: ApprovalRequest{Decision: "approve", Note: long}, want: ErrInvalid, field: "note", reason: "must be at most 500 characters"},
		{name: "another merchant's return", req: ApprovalRequest{Decision: "approve", MerchantID: "m2"}, want: ErrNotFound},
		{name: "not an id", req: ApprovalRequest{Decision: "approve", ReturnID: "x"}, want: ErrNotFound},
		{name: "workflow refuses", req: ApprovalRequest{Decision: "approve"}, want: errStore, workflowFailed: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld()
			if tc.workflowFailed {
				w.workflow.err = errStore
			}
			req := tc.req
			req.Supervisor = supervisor
			if req.ReturnID == "" {
				req.ReturnID = returnID
			}
			if req.MerchantID == "" {
				req.MerchantID = merchantID
			}
			res, err := w.svc.Approve(context.Background(), req)
			checkStep(t, res, err, tc.want, tc.field, tc.reason, tc.workflowFailed)
			sent := len(w.workflow.approvals)
			if tc.want == nil || tc.workflowFailed {
				want := contract.RefundApprovalRequest{Decision: req.Decision, Note: req.Note, Actor: supervisor}
				if sent != 1 || w.workflow.approvals[0] != want {
					t.Fatalf("sent %+v", w.workflow.approvals)
				}
			} else if sent != 0 {
				t.Fatalf("refused yet sent %+v", w.workflow.approvals)
			}
		})
	}
}

func TestResolve(t *testing.T) {
	finance := returns.Actor{Kind: returns.ActorStaff, Name: "fin", Role: "finance"}
	for _, tc := range []struct {
		name           string
		req            ResolutionRequest
		field, reason  string
		want           error
		workflowFailed bool
	}{
		{name: "retry", req: ResolutionRequest{Action: "retry", Note: "gateway back"}},
		{name: "mark refunded", req: ResolutionRequest{Action: "mark_refunded", Note: "paid by bank transfer"}},
		{name: "store credit", req: ResolutionRequest{Action: "store_credit", Note: "shopper agreed"}},
		{name: "another action", req: ResolutionRequest{Action: "refund", Note: "x"}, want: ErrInvalid, field: "action", reason: "must be retry, mark_refunded or store_credit"},
		{name: "no note", req: ResolutionRequest{Action: "retry", Note: " "}, want: ErrInvalid, field: "note", reason: "is required (at most 500 characters): say why"},
		{name: "note too long", req: ResolutionRequest{Action: "retry", Note: strings.Repeat("x", 501)}, want: ErrInvalid, field: "note", reason: "is required (at most 500 characters): say why"},
		{name: "another merchant's return", req: ResolutionRequest{Action: "retry", Note: "x", MerchantID: "m2"}, want: ErrNotFound},
		{name: "workflow refuses", req: ResolutionRequest{Action: "retry", Note: "x"}, want: errStore, workflowFailed: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld()
			if tc.workflowFailed {
				w.workflow.err = errStore
			}
			req := tc.req
			req.Actor, req.ReturnID = finance, returnID
			if req.MerchantID == "" {
				req.MerchantID = merchantID
			}
			res, err := w.svc.Resolve(context.Background(), req)
			checkStep(t, res, err, tc.want, tc.field, tc.reason, tc.workflowFailed)
			sent := len(w.workflow.resolutions)
			if tc.want == nil || tc.workflowFailed {
				want := contract.RefundResolutionRequest{Action: req.Action, Note: req.Note, Actor: finance}
				if sent != 1 || w.workflow.resolutions[0] != want {
					t.Fatalf("sent %+v", w.workflow.resolutions)
				}
			} else if sent != 0 {
				t.Fatalf("refused yet sent %+v", w.workflow.resolutions)
			}
		})
	}
}

func checkStep(t *testing.T, res Result, err, want error, field, reason string, workflowFailed bool) {
	t.Helper()
	if !errors.Is(err, want) || (want == nil) != (err == nil) {
		t.Fatalf("err %v; want %v", err, want)
	}
	if field != "" {
		var ie *InvalidError
		if !errors.As(err, &ie) || ie.Field != field || ie.Reason != reason || ie.Error() != field+" "+reason {
			t.Fatalf("invalid %+v; want %s %s", ie, field, reason)
		}
	}
	if workflowFailed {
		var se *SendError
		if !errors.As(err, &se) || res.Sent || res.ReturnID != returnID {
			t.Fatalf("%+v, %v", res, err)
		}
	}
	if want == nil && (!res.Sent || res.ReturnID != returnID) {
		t.Fatalf("result %+v", res)
	}
}
