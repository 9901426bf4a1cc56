package api

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/rebound-returns/rebound/app/apperr"
	"github.com/rebound-returns/rebound/app/freeze"
	"github.com/rebound-returns/rebound/auth"
	"github.com/rebound-returns/rebound/db"
	"github.com/rebound-returns/rebound/db/dbtest"
)

// fakeFreezes answers every step with its fields and keeps what it was
// given; List reads the page it is given, as the service does.
type fakeFreezes struct {
	view    freeze.View
	lifted  freeze.Lifted
	listed  freeze.Listed
	err     error
	req     freeze.Request
	caller  freeze.Caller
	id      string
	listReq freeze.ListRequest
}

func (f *fakeFreezes) Place(_ context.Context, req freeze.Request) (freeze.View, error) {
	f.req = req
	return f.view, f.err
}

func (f *fakeFreezes) Lift(_ context.Context, c freeze.Caller, id string) (freeze.Lifted, error) {
	f.caller, f.id = c, id
	return f.lifted, f.err
}

func (f *fakeFreezes) List(_ context.Context, req freeze.ListRequest) (freeze.Page, *freeze.Listed, error) {
	f.listReq = req
	if f.err != nil {
		return freeze.Page{}, nil, f.err
	}
	p, err := req.Page()
	if err != nil {
		return freeze.Page{}, nil, err
	}
	return p, &f.listed, nil
}

// freezesOver serves the freeze routes of shop s with the service
// replaced by f; it answers the tokens of the merchant's admin and of an
// operator.
func freezesOver(t *testing.T, s *shop, f *fakeFreezes) (adminToken, opToken string) {
	srv, r := newRouter(wired(Deps{Now: func() time.Time { return time.Unix(0, s.clock.Load()) }}, s.d, startsOnly{}, s.pool))
	srv.freezes = f
	srv.routesFreezes(r.Group("/v1"))
	s.h = r
	return dbtest.StaffToken(t, s.d, s.merchant.ID, "boss", "admin"), dbtest.StaffToken(t, s.d, "", "op", "operator")
}

var storeFreeze = freeze.View{ID: "0b7c6f3e-4f1a-4d2b-9c3e-1a2b3c4d5e6f", Merchant: "demo", Scope: "store", StoreCode: "main", Reason: "fraud",
	CreatedBy: "boss", CreatedAt: time.Date(2026, 12, 3, 7, 0, 0, 0, time.UTC), Active: true}

const storeFreezeJSON = `{"id":"0b7c6f3e-4f1a-4d2b-9c3e-1a2b3c4d5e6f","merchant":"demo","scope":"store","store_code":"main","reason":"fraud",` +
	`"created_by":"boss","by_operator":false,"created_at":"2026-12-03T07:00:00Z","active":true}`

// Each refusal of a freeze is answered as before the use case moved out of
// the handler, and audited with its outcome as before (auditedAs).
func TestFreezeRefusalsBecomeTheSameProblems(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		s := newShop(t, d, "demo", auth.NewPool(2, time.Second))
		f := &fakeFreezes{}
		admin, _ := freezesOver(t, s, f)
		noFreeze := "no such freeze in force that you may lift (an operator's freeze is lifted by an operator)"
		cases := []struct {
			path    string
			err     error
			want    answer
			outcome string
		}{
			{"/v1/merchant/freezes", apperr.InvalidFields(
				apperr.Field{Name: "reason", Reason: "is required (at most 500 characters): admins and the audit log are told"},
				apperr.Field{Name: "terminal_id", Reason: "freeze a store or a terminal, not both"}),
				answer{422, "validation", "the request has invalid fields",
					"reason: is required (at most 500 characters): admins and the audit log are told; terminal_id: freeze a store or a terminal, not both", ""}, "failed"},
			{"/v1/merchant/freezes", apperr.Invalid("merchant", "only operators name a merchant"),
				answer{422, "validation", "merchant: only operators name a merchant", "merchant: only operators name a merchant", ""}, "failed"},
			{"/v1/merchant/freezes/x/lift", apperr.NotFound("not-found", noFreeze), answer{404, "not-found", noFreeze, "", ""}, "denied"},
		}
		for i, c := range cases {
			f.err = c.err
			checkAnswer(t, s.post(c.path, map[string]string{"reason": "r"}, "Authorization", "Bearer "+admin), c.want)
			log, err := d.Audit.AuditLog(context.Background(), s.merchant.ID, 10)
			if err != nil || len(log) != i+1 || log[0].ResourceType != "freeze" || log[0].Outcome != c.outcome {
				t.Fatalf("%v: audit %+v, %v", c.err, log, err)
			}
		}
	})
}

// Placing, lifting and listing give the service the caller and the fields
// as sent, and answer the same JSON as before.
func TestFreezeStepsAnswer(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		s := newShop(t, d, "demo", auth.NewPool(2, time.Second))
		f := &fakeFreezes{view: storeFreeze, lifted: freeze.Lifted{Freeze: storeFreeze, Released: 2},
			listed: freeze.Listed{Items: []freeze.View{storeFreeze}, Total: 1}}
		admin, op := freezesOver(t, s, f)
		rec := s.post("/v1/admin/freezes", map[string]string{"merchant": "demo", "store_code": "main", "terminal_id": "t", "reason": " fraud "},
			"Authorization", "Bearer "+op)
		if rec.Code != 201 || rec.Body.String() != storeFreezeJSON {
			t.Fatalf("place: %d %s", rec.Code, rec.Body)
		}
		if want := (freeze.Request{Caller: freeze.Caller{Username: "op", Role: "operator"}, Merchant: "demo", StoreCode: "main", TerminalID: "t",
			Reason: " fraud "}); f.req != want {
			t.Fatalf("the service was given %+v", f.req)
		}
		rec = s.post("/v1/merchant/freezes/"+storeFreeze.ID+"/lift", nil, "Authorization", "Bearer "+admin)
		if rec.Code != 200 || rec.Body.String() != `{"freeze":`+storeFreezeJSON+`,"refunds_released":2}` {
			t.Fatalf("lift: %d %s", rec.Code, rec.Body)
		}
		if f.id != storeFreeze.ID || f.caller != (freeze.Caller{Username: "boss", Role: "admin", MerchantID: s.merchant.ID}) {
			t.Fatalf("lift was given %q by %+v", f.id, f.caller)
		}
		log, _ := d.Audit.AuditLog(context.Background(), s.merchant.ID, 10)
		if len(log) != 1 || log[0].Action != "refunds.unfreeze" || log[0].ResourceID != storeFreeze.ID || log[0].Outcome != "success" {
			t.Fatalf("audit %+v", log)
		}
		get := func(path string) *httptest.ResponseRecorder {
			req := httptest.NewRequest(http.MethodGet, path, nil)
			req.Header.Set("Authorization", "Bearer "+op)
			rec := httptest.NewRecorder()
			s.h.ServeHTTP(rec, req)
			return rec
		}
		rec = get("/v1/admin/freezes?merchant=demo&active=true&limit=5")
		if rec.Code != 200 || rec.Body.String() != `{"items":[`+storeFreezeJSON+`],"next_cursor":null,"next":null,"total":1,"total_capped":false}` {
			t.Fatalf("list: %d %s", rec.Code, rec.Body)
		}
		if r := f.listReq; r.Caller.Role != "operator" || r.Merchant != "demo" || !r.Active {
			t.Fatalf("list was given %+v", r)
		}
		checkAnswer(t, get("/v1/admin/freezes?limit=0"), answer{422, "validation", "limit: must be from 1 to 200", "limit: must be from 1 to 200", ""})
	})
}
