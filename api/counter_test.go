package api

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/rebound-returns/rebound/returns"

	"github.com/rebound-returns/rebound/app/counter"
	"github.com/rebound-returns/rebound/auth"
	"github.com/rebound-returns/rebound/db"
	"github.com/rebound-returns/rebound/db/dbtest"
)

// fakeCounter answers every counter refund with res and err, and keeps the
// request it was given.
type fakeCounter struct {
	res        counter.Result
	err        error
	got        counter.Request
	approval   counter.ApprovalRequest
	resolution counter.ResolutionRequest
}

func (f *fakeCounter) Refund(_ context.Context, req counter.Request) (counter.Result, error) {
	f.got = req
	return f.res, f.err
}

func (f *fakeCounter) Approve(_ context.Context, req counter.ApprovalRequest) (counter.Result, error) {
	f.approval = req
	return f.res, f.err
}

func (f *fakeCounter) Resolve(_ context.Context, req counter.ResolutionRequest) (counter.Result, error) {
	f.resolution = req
	return f.res, f.err
}

// counterOver serves the card routes of shop s with the counter procedure
// replaced by f.
func counterOver(s *shop, f *fakeCounter) http.Handler {
	srv, r := newRouter(wired(Deps{Now: func() time.Time { return time.Unix(0, s.clock.Load()) }}, s.d, startsOnly{}, s.pool))
	srv.counter = f
	srv.routesCards(r.Group("/v1"))
	return r
}

func checkFailed(check string, err error) error { return &counter.CheckError{Check: check, Err: err} }

// Each domain error of the counter procedure is answered as before the use
// case moved out of the handler: status, type, detail, fields, Retry-After,
// and the audit log's outcome and check.
func TestCounterErrorsBecomeProblems(t *testing.T) {
	t.Parallel()
	locked := func(err error) error {
		return &counter.LockedError{Err: err, Until: time.Now().Add(90 * time.Second), Wait: 90 * time.Second}
	}
	workflowRefusal := NewProblem(http.StatusConflict, "invalid-state", "the return has ended")
	cases := []struct {
		err         error
		status      int
		kind        string
		detail      string
		fields      []string
		retryAfter  string
		audit       string // outcome, "" when not audited
		auditDetail string
	}{
		{counter.ErrNotFound, 404, "not-found", "no such return", nil, "", "", ""},
		{&counter.MissingError{Fields: []string{"card_fingerprint", "voucher_no"}}, 422, "validation", "the request has invalid fields",
			[]string{"card_fingerprint", "voucher_no"}, "", "", ""},
		{&counter.MissingError{Fields: []string{"terminal_id"}}, 422, "validation", "terminal_id: is required", []string{"terminal_id"}, "", "", ""},
		{checkFailed("return", counter.ErrNotAtCounter), 409, "invalid-state", "only an in-store return of a card sale is refunded at the counter", nil, "", "failed", `"check":"return"`},
		{checkFailed("return", &counter.StateError{Status: "refunded"}), 409, "invalid-state", "the return is refunded", nil, "", "failed", `"check":"return"`},
		{checkFailed("terminal", counter.ErrUnknownTerminal), 422, "validation", "terminal_id: is not a terminal of this merchant", []string{"terminal_id"}, "", "failed", `"check":"terminal"`},
		{checkFailed("supervisor", counter.ErrSupervisorDenied), 403, "supervisor-denied", "the supervisor's authorisation failed", nil, "", "denied", `"check":"supervisor"`},
		{checkFailed("supervisor", &counter.PersonError{Username: "sup", Err: counter.ErrNoOwnPassword}), 403, "supervisor-denied",
			"sup has not yet chosen their own password", nil, "", "denied", `"check":"supervisor"`},
		{checkFailed("supervisor", &counter.PersonError{Username: "sup", Err: counter.ErrNotSupervisor}), 403, "not-a-supervisor", "sup is not a supervisor", nil, "", "denied", `"check":"supervisor"`},
		{checkFailed("supervisor", locked(counter.ErrSupervisorLocked)), 423, "supervisor-locked", "the supervisor's account is locked after too many failures", nil, "90", "denied", `"check":"supervisor"`},
		{checkFailed("supervisor", auth.ErrBusy), 503, "busy", "too many password checks at once; try again shortly", nil, "1", "failed", `"check":"supervisor"`},
		{checkFailed("sale", counter.ErrSaleUnknown), 409, "invalid-state", "the sale's payment is not known", nil, "", "failed", `"check":"sale"`},
		{checkFailed("sale", counter.ErrSaleUncounted), 503, "unavailable", "the sale's checks could not be counted; try again", nil, "", "failed", `"check":"sale"`},
		{checkFailed("sale", locked(counter.ErrSaleLocked)), 423, "sale-locked", "too many wrong voucher numbers or cards for this sale; try again later", nil, "90", "denied", `"check":"sale"`},
		{checkFailed("voucher", counter.ErrWrongVoucher), 422, "validation", "voucher_no: does not match the voucher number of the sale", []string{"voucher_no"}, "", "failed", `"check":"voucher"`},
		{checkFailed("card", counter.ErrWrongCard), 422, "validation", "card_fingerprint: is not the card the sale was paid with", []string{"card_fingerprint"}, "", "failed", `"check":"card"`},
		{&counter.SendError{Err: workflowRefusal}, 409, "invalid-state", "the return has ended", nil, "", "failed", `"status":409`},
	}
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		s := newShop(t, d, "demo", auth.NewPool(2, time.Second))
		audited := 0
		for _, tc := range cases {
			f := &fakeCounter{res: counter.Result{ReturnID: s.returnID}, err: tc.err}
			s.h = counterOver(s, f)
			rec := s.counter(rightPassword, "000042")
			var p Problem
			if err := json.Unmarshal(rec.Body.Bytes(), &p); err != nil {
				t.Fatalf("%v: %s", tc.err, rec.Body)
			}
			var fields []string
			for _, fe := range p.Errors {
				fields = append(fields, fe.Field)
			}
			if rec.Code != tc.status || p.Status != tc.status || p.Type != "urn:rebound:problem:"+tc.kind || p.Detail != tc.detail ||
				strings.Join(fields, ",") != strings.Join(tc.fields, ",") || rec.Header().Get("Retry-After") != tc.retryAfter ||
				rec.Header().Get("Content-Type") != problemContentType {
				t.Errorf("%v: %d %s (Retry-After %q)", tc.err, rec.Code, rec.Body, rec.Header().Get("Retry-After"))
			}
			log, err := d.Audit.AuditLog(context.Background(), s.merchant.ID, 100)
			if err != nil {
				t.Fatal(err)
			}
			newest := db.AuditEntry{}
			if len(log) > 0 {
				newest = log[0]
			}
			if tc.audit == "" && len(log) != audited {
				t.Errorf("%v: audited %+v", tc.err, newest)
			}
			audited = len(log)
			if tc.audit != "" && (newest.Action != "refund.counter" || newest.ResourceID != s.returnID || newest.Outcome != tc.audit ||
				!strings.Contains(strings.ReplaceAll(string(newest.Detail), " ", ""), tc.auditDetail)) {
				t.Errorf("%v: audit %+v %s; want %s %s", tc.err, newest, newest.Detail, tc.audit, tc.auditDetail)
			}
		}
	})
}

// A refund with an outcome is 200 with the return; a frozen or pending one
// 202; every one is audited as sent, and the service is given the path's
// return, the clerk and the fields as sent.
func TestCounterAnswersWithTheReturn(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		s := newShop(t, d, "demo", auth.NewPool(2, time.Second))
		for outcome, status := range map[counter.Outcome]int{counter.Settled: 200, counter.Frozen: 202, counter.Pending: 202} {
			f := &fakeCounter{res: counter.Result{ReturnID: s.returnID, Sent: true, Outcome: outcome}}
			s.h = counterOver(s, f)
			rec := s.counter(rightPassword, "000042")
			var v struct{ ID, Status string }
			if rec.Code != status || json.Unmarshal(rec.Body.Bytes(), &v) != nil || v.ID != s.returnID || v.Status != "refund_pending" {
				t.Fatalf("outcome %v: %d %s", outcome, rec.Code, rec.Body)
			}
			want := counter.Request{ReturnID: s.returnID, MerchantID: s.merchant.ID, Clerk: returns.Actor{Kind: returns.ActorStaff, Name: "clerk", Role: "clerk"},
				TerminalID: "dP000001", SupervisorUsername: "sup", SupervisorPassword: rightPassword, VoucherNo: "000042", CardFingerprint: "fp_0000001"}
			if f.got != want {
				t.Fatalf("the service was given %+v", f.got)
			}
			log, err := d.Audit.AuditLog(context.Background(), s.merchant.ID, 1)
			if err != nil || len(log) != 1 || log[0].Outcome != db.OutcomeSuccess || log[0].Action != "refund.counter" {
				t.Fatalf("audit %+v, %v", log, err)
			}
		}
	})
}

// A caller who goes away after the refund was sent is answered 499 and the
// refund is audited as sent.
func TestCounterCallerGoneIsAuditedAsSent(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		s := newShop(t, d, "demo", auth.NewPool(2, time.Second))
		s.h = counterOver(s, &fakeCounter{res: counter.Result{ReturnID: s.returnID, Sent: true}, err: context.Canceled})
		if rec := s.counter(rightPassword, "000042"); rec.Code != 499 {
			t.Fatalf("%d %s", rec.Code, rec.Body)
		}
		log, err := d.Audit.AuditLog(context.Background(), s.merchant.ID, 1)
		if err != nil || len(log) != 1 || log[0].Outcome != db.OutcomeSuccess {
			t.Fatalf("audit %+v, %v", log, err)
		}
	})
}

// Errors that are no domain error are left to the rest of fail().
func TestDomainProblemIgnoresOtherErrors(t *testing.T) {
	for _, err := range []error{nil, errors.New("x"), context.Canceled, NewProblem(409, "invalid-state", "x")} {
		if p := domainProblem(err); p != nil {
			t.Errorf("%v: %+v", err, p)
		}
	}
}

// A supervisor's approval and finance's resolution: the fields reach the
// procedure as sent, its errors are answered from the table, and the audit
// log records each step as before (a return not theirs: denied, 404).
func TestRefundStepsOverTheProcedure(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		s := newShop(t, d, "demo", auth.NewPool(2, time.Second))
		sup := dbtest.StaffToken(t, d, s.merchant.ID, "sup2", "supervisor")
		fin := dbtest.StaffToken(t, d, s.merchant.ID, "fin", "finance")
		for _, tc := range []struct {
			path, token, action string
			body                map[string]string
			err                 error
			status              int
			field, outcome      string
			auditStatus         float64
		}{
			{"refund-approval", sup, "refund.approval", map[string]string{"decision": "approve"}, nil, 200, "", "success", 0},
			{"refund-approval", sup, "refund.approval", map[string]string{"decision": "maybe"},
				&counter.InvalidError{Field: "decision", Reason: "must be approve or decline"}, 422, "decision", "failed", 422},
			{"refund-approval", sup, "refund.approval", map[string]string{"decision": "approve"}, counter.ErrNotFound, 404, "", "denied", 404},
			{"refund-resolution", fin, "refund.resolution", map[string]string{"action": "retry", "note": "why"}, nil, 200, "", "success", 0},
			{"refund-resolution", fin, "refund.resolution", map[string]string{"action": "retry", "note": "why"},
				&counter.SendError{Err: NewProblem(http.StatusConflict, "invalid-state", "no failed refund")}, 409, "", "failed", 409},
		} {
			f := &fakeCounter{res: counter.Result{ReturnID: s.returnID, Sent: tc.err == nil}, err: tc.err}
			s.h = counterOver(s, f)
			prefix := "/v1/merchant/returns/"
			if tc.path == "refund-resolution" {
				prefix = "/v1/finance/returns/"
			}
			rec := s.post(prefix+s.returnID+"/"+tc.path, tc.body, "Authorization", "Bearer "+tc.token)
			if rec.Code != tc.status || tc.field != "" && !strings.Contains(rec.Body.String(), `"field":"`+tc.field+`"`) {
				t.Fatalf("%s %v: %d %s", tc.path, tc.err, rec.Code, rec.Body)
			}
			wantApproval := counter.ApprovalRequest{ReturnID: s.returnID, MerchantID: s.merchant.ID,
				Supervisor: returns.Actor{Kind: returns.ActorStaff, Name: "sup2", Role: "supervisor"}, Decision: tc.body["decision"]}
			wantResolution := counter.ResolutionRequest{ReturnID: s.returnID, MerchantID: s.merchant.ID,
				Actor: returns.Actor{Kind: returns.ActorStaff, Name: "fin", Role: "finance"}, Action: tc.body["action"], Note: tc.body["note"]}
			if tc.path == "refund-approval" && f.approval != wantApproval || tc.path == "refund-resolution" && f.resolution != wantResolution {
				t.Fatalf("the procedure was given %+v / %+v", f.approval, f.resolution)
			}
			log, err := d.Audit.AuditLog(context.Background(), s.merchant.ID, 1)
			if err != nil || len(log) != 1 || log[0].Action != tc.action || log[0].Outcome != tc.outcome || log[0].ResourceID != s.returnID {
				t.Fatalf("%s %v: audit %+v, %v", tc.path, tc.err, log, err)
			}
			var detail map[string]any
			_ = json.Unmarshal(log[0].Detail, &detail)
			if tc.auditStatus != 0 && detail["status"] != tc.auditStatus {
				t.Fatalf("%s %v: audit detail %s", tc.path, tc.err, log[0].Detail)
			}
		}
	})
}
