package api

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/rebound-returns/rebound/app/apperr"
	"github.com/rebound-returns/rebound/app/staff"
	"github.com/rebound-returns/rebound/auth"
	"github.com/rebound-returns/rebound/db"
	"github.com/rebound-returns/rebound/db/dbtest"
	"github.com/rebound-returns/rebound/returns"
)

// fakeDesk answers every step with the path's return and err, lists with
// page, and keeps what it was given.
type fakeDesk struct {
	err     error
	page    staff.Page
	counts  map[string]int64
	filter  staff.Filter
	limit   int
	review  staff.Review
	receive staff.Receive
	inspect staff.Inspection
}

func (f *fakeDesk) List(_ context.Context, flt staff.Filter, limit int) (staff.Page, error) {
	f.filter, f.limit = flt, limit
	return f.page, f.err
}

func (f *fakeDesk) QueueCounts(context.Context, string) (map[string]int64, error) {
	return f.counts, f.err
}

func (f *fakeDesk) Review(_ context.Context, req staff.Review) (string, error) {
	f.review = req
	return req.ReturnID, f.err
}

func (f *fakeDesk) Receive(_ context.Context, req staff.Receive) (string, error) {
	f.receive = req
	return req.ReturnID, f.err
}

func (f *fakeDesk) Inspect(_ context.Context, req staff.Inspection) (string, error) {
	f.inspect = req
	return req.ReturnID, f.err
}

// deskOver serves the merchant routes of shop s with the staff's use case
// replaced by f.
func deskOver(s *shop, f *fakeDesk) http.Handler {
	srv, r := newRouter(wired(Deps{}, s.d, startsOnly{}, s.pool))
	srv.staff = f
	srv.routesMerchant(r.Group("/v1"))
	return r
}

// Each refusal of the staff's steps is answered as before the steps moved
// out of the handlers (status, type, detail, fields), and audited with its
// outcome; the step is given the path's return, the member and the body.
func TestStaffStepsOverTheUseCase(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		s := newShop(t, d, "demo", auth.NewPool(2, time.Second))
		sup := dbtest.StaffToken(t, d, s.merchant.ID, "sup2", "supervisor")
		refused := NewProblem(http.StatusConflict, "invalid-state", "the return is received")
		for _, tc := range []struct {
			step, action string
			body         any
			err          error
			status       int
			kind, detail string
			fields       string
			outcome      string
		}{
			{"review", "return.review", map[string]string{"decision": "approve"}, nil, 200, "", "", "", "success"},
			{"review", "return.review", map[string]string{"decision": "maybe"}, apperr.Invalid("decision", "must be approve or decline"),
				422, "validation", "decision: must be approve or decline", "decision", "failed"},
			{"review", "return.review", map[string]string{"decision": "decline"}, apperr.Invalid("reason", "is required to decline: the shopper is told"),
				422, "validation", "reason: is required to decline: the shopper is told", "reason", "failed"},
			{"review", "return.review", map[string]string{"decision": "approve"}, apperr.NotFound("", "no such return"),
				404, "not-found", "no such return", "", "denied"},
			{"receive", "return.receive", map[string]string{"note": "ok"}, nil, 200, "", "", "", "success"},
			{"receive", "return.receive", map[string]string{}, apperr.Invalid("note", "must be at most 500 characters"),
				422, "validation", "note: must be at most 500 characters", "note", "failed"},
			{"receive", "return.receive", map[string]string{}, refused, 409, "invalid-state", "the return is received", "", "failed"},
			{"inspection", "return.inspect", map[string]any{"lines": []map[string]any{{"line_id": "1", "accepted_quantity": 1, "condition": "new"}}},
				nil, 200, "", "", "", "success"},
			{"inspection", "return.inspect", map[string]any{"lines": []any{}},
				apperr.Invalid("lines[0].condition", "must be new, opened or damaged"), 422, "validation",
				"lines[0].condition: must be new, opened or damaged", "lines[0].condition", "failed"},
			{"inspection", "return.inspect", map[string]any{"lines": []any{}},
				apperr.InvalidFields(apperr.Field{Name: "lines", Reason: "a"}, apperr.Field{Name: "lines[0].line_id", Reason: "b"}), 422, "validation",
				"the request has invalid fields", "lines,lines[0].line_id", "failed"},
		} {
			f := &fakeDesk{err: tc.err}
			s.h = deskOver(s, f)
			rec := s.post("/v1/merchant/returns/"+s.returnID+"/"+tc.step, tc.body, "Authorization", "Bearer "+sup)
			if tc.err == nil {
				var v struct{ ID, Status string }
				if rec.Code != 200 || json.Unmarshal(rec.Body.Bytes(), &v) != nil || v.ID != s.returnID || v.Status != "refund_pending" {
					t.Fatalf("%s: %d %s", tc.step, rec.Code, rec.Body)
				}
			} else {
				p := problemOf(t, rec)
				if rec.Code != tc.status || p.Type != "urn:rebound:problem:"+tc.kind || p.Detail != tc.detail || fieldsOf(p) != tc.fields {
					t.Fatalf("%s %v: %d %s", tc.step, tc.err, rec.Code, rec.Body)
				}
			}
			step := staff.Step{ReturnID: s.returnID, MerchantID: s.merchant.ID,
				Actor: returns.Actor{Kind: returns.ActorStaff, Name: "sup2", Role: "supervisor"}}
			switch tc.step {
			case "review":
				if want := (staff.Review{Step: step, Decision: tc.body.(map[string]string)["decision"]}); f.review != want {
					t.Fatalf("the use case was given %+v", f.review)
				}
			case "receive":
				if want := (staff.Receive{Step: step, Note: tc.body.(map[string]string)["note"]}); f.receive != want {
					t.Fatalf("the use case was given %+v", f.receive)
				}
			case "inspection":
				if f.inspect.Step != step || tc.err == nil && (len(f.inspect.Lines) != 1 ||
					f.inspect.Lines[0] != (returns.InspectedLine{LineID: "1", AcceptedQuantity: 1, Condition: "new"})) {
					t.Fatalf("the use case was given %+v", f.inspect)
				}
			}
			log, err := d.Audit.AuditLog(context.Background(), s.merchant.ID, 1)
			if err != nil || len(log) != 1 || log[0].Action != tc.action || log[0].Outcome != tc.outcome || log[0].ResourceID != s.returnID {
				t.Fatalf("%s %v: audit %+v, %v", tc.step, tc.err, log, err)
			}
			var detail map[string]any
			_ = json.Unmarshal(log[0].Detail, &detail)
			if tc.err != nil && (detail["status"] != float64(tc.status) || detail["detail"] != tc.detail) {
				t.Fatalf("%s %v: audit detail %s", tc.step, tc.err, log[0].Detail)
			}
		}
		// A clerk may not review: refused before the use case.
		f := &fakeDesk{}
		s.h = deskOver(s, f)
		if rec := s.post("/v1/merchant/returns/"+s.returnID+"/review", map[string]string{"decision": "approve"},
			"Authorization", "Bearer "+s.clerk); rec.Code != http.StatusForbidden || f.review.ReturnID != "" {
			t.Fatalf("a clerk's review: %d %s", rec.Code, rec.Body)
		}
		// An admin may do everything a supervisor may: a new merchant's
		// first member can approve the returns its policy sends to review.
		admin := dbtest.StaffToken(t, d, s.merchant.ID, "ada", "admin")
		if rec := s.post("/v1/merchant/returns/"+s.returnID+"/review", map[string]string{"decision": "approve"},
			"Authorization", "Bearer "+admin); rec.Code != http.StatusOK || f.review.Actor.Role != returns.RoleAdmin {
			t.Fatalf("an admin's review: %d %s", rec.Code, rec.Body)
		}
	})
}

// The task list answers the use case's page as before: the filter's
// refusals first, then the page's; the summaries' form; the cursor of the
// last return when more follow.
func TestStaffListOverTheUseCase(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		s := newShop(t, d, "demo", auth.NewPool(2, time.Second))
		get := func(f *fakeDesk, query string) *httptest.ResponseRecorder {
			req := httptest.NewRequest(http.MethodGet, "/v1/merchant/returns"+query, nil)
			req.Header.Set("Authorization", "Bearer "+s.clerk)
			rec := httptest.NewRecorder()
			deskOver(s, f).ServeHTTP(rec, req)
			return rec
		}
		for query, want := range map[string]string{
			"?status=received,lost":                    "status: lost is not a status",
			"?queue=later":                             "queue: must be one of " + strings.Join(db.Queues(), ", "),
			"?attention=yes":                           "attention: must be true or false",
			"?status=lost&limit=0":                     "status: lost is not a status",
			"?limit=0":                                 "limit: must be from 1 to 200",
			"?attention=true&cursor=x":                 "cursor: is not a cursor from this list",
			"?queue=" + db.QueueInspect + "&limit=500": "limit: must be from 1 to 200",
		} {
			rec := get(&fakeDesk{}, query)
			if p := problemOf(t, rec); rec.Code != 422 || p.Detail != want {
				t.Errorf("%s: %d %s", query, rec.Code, rec.Body)
			}
		}
		at := time.Date(2026, 12, 1, 8, 0, 0, 0, time.FixedZone("CET", 3600))
		amount := int64(1990)
		f := &fakeDesk{page: staff.Page{More: true, Total: 7, Items: []staff.Summary{
			{ID: s.returnID, OrderNumber: "S-1", Status: "received", Method: "mail", Channel: "online", Currency: "EUR",
				RefundAmount: &amount, CreatedAt: at, UpdatedAt: at.Add(time.Hour)}}}}
		rec := get(f, "?status=received&queue="+db.QueueInspect+"&attention=true&limit=1")
		var page struct {
			Items      []map[string]any
			NextCursor *string `json:"next_cursor"`
			Total      int64
		}
		if rec.Code != 200 || json.Unmarshal(rec.Body.Bytes(), &page) != nil || page.Total != 7 || page.NextCursor == nil || len(page.Items) != 1 {
			t.Fatalf("%d %s", rec.Code, rec.Body)
		}
		want := `{"id":"` + s.returnID + `","order_number":"S-1","status":"received","method":"mail","channel":"online",` +
			`"refund_amount":1990,"currency":"EUR","created_at":"2026-12-01T08:00:00+01:00","updated_at":"2026-12-01T09:00:00+01:00"}`
		if !strings.Contains(rec.Body.String(), want) {
			t.Fatalf("summary %s", rec.Body)
		}
		wantFilter := staff.Filter{MerchantID: s.merchant.ID, Statuses: []string{"received"}, Queue: db.QueueInspect, Attention: true}
		if f.limit != 1 || strings.Join(f.filter.Statuses, ",") != "received" || f.filter.Queue != wantFilter.Queue ||
			!f.filter.Attention || f.filter.MerchantID != wantFilter.MerchantID || f.filter.Before != "" {
			t.Fatalf("the use case was given %+v %d", f.filter, f.limit)
		}
		// The next page names the last return as its cursor.
		f2 := &fakeDesk{}
		if rec := get(f2, "?cursor="+*page.NextCursor); rec.Code != 200 || f2.filter.Before != s.returnID || f2.limit != pageDefault ||
			!strings.Contains(rec.Body.String(), `"items":[]`) || !strings.Contains(rec.Body.String(), `"next_cursor":null`) {
			t.Fatalf("next page: %d %s, filter %+v", rec.Code, rec.Body, f2.filter)
		}
		// The queue counts.
		req := httptest.NewRequest(http.MethodGet, "/v1/merchant/returns/queues", nil)
		req.Header.Set("Authorization", "Bearer "+s.clerk)
		rec = httptest.NewRecorder()
		deskOver(s, &fakeDesk{counts: map[string]int64{db.QueueReview: 3}}).ServeHTTP(rec, req)
		if rec.Code != 200 || rec.Body.String() != `{"queues":{"`+db.QueueReview+`":3}}` {
			t.Fatalf("queues: %d %s", rec.Code, rec.Body)
		}
	})
}

// The staff's routes over the real use case and store: another merchant's
// return is not found and the step is refused before the workflow; a bad
// filter is refused before any read.
func TestStaffStepsOverTheRealUseCase(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		s := newShop(t, d, "demo", auth.NewPool(2, time.Second))
		other := newShop(t, d, "other", auth.NewPool(2, time.Second))
		rec := other.post("/v1/merchant/returns/"+s.returnID+"/receive", map[string]string{}, "Authorization", "Bearer "+other.clerk)
		if p := problemOf(t, rec); rec.Code != 404 || p.Type != "urn:rebound:problem:not-found" || p.Detail != "no such return" {
			t.Fatalf("another merchant's return: %d %s", rec.Code, rec.Body)
		}
		rec = s.post("/v1/merchant/returns/"+s.returnID+"/inspection", map[string]any{"lines": []map[string]any{{"line_id": "1", "condition": "soggy"}}},
			"Authorization", "Bearer "+s.clerk)
		if p := problemOf(t, rec); rec.Code != 422 || p.Detail != "lines[0].condition: must be new, opened or damaged" {
			t.Fatalf("a bad condition: %d %s", rec.Code, rec.Body)
		}
	})
}

func fieldsOf(p Problem) string {
	var fields []string
	for _, fe := range p.Errors {
		fields = append(fields, fe.Field)
	}
	return strings.Join(fields, ",")
}
