package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/rebound-returns/rebound/returns"

	"github.com/rebound-returns/rebound/app/apperr"
	"github.com/rebound-returns/rebound/app/finance"
	"github.com/rebound-returns/rebound/db"
	"github.com/rebound-returns/rebound/db/dbtest"
)

// fakeFinance answers every use case with err (when set) or the canned
// answers, and keeps what it was given.
type fakeFinance struct {
	err error

	caller     finance.Caller
	refundQ    finance.RefundQuery
	summaryQ   finance.SummaryQuery
	workQ      finance.WorkItemQuery
	reconQ     finance.ReconciliationQuery
	id         string
	resolution finance.Resolution
	upload     finance.Upload
	body       string

	page    finance.RefundPage
	export  [][]finance.Refund
	cut     error // what ExportRefunds fails with after the batches
	summary finance.Summary
	detail  finance.RefundDetail
	items   finance.WorkItemPage
	item    finance.WorkItem
	imp     finance.Import
	recon   finance.Reconciliation
}

func (f *fakeFinance) Summary(_ context.Context, c finance.Caller, q finance.SummaryQuery) (finance.Summary, error) {
	f.caller, f.summaryQ = c, q
	return f.summary, f.err
}

func (f *fakeFinance) RefundFilter(_ context.Context, c finance.Caller, q finance.RefundQuery) (finance.RefundFilter, error) {
	f.caller, f.refundQ = c, q
	return finance.RefundFilter{}, f.err
}

func (f *fakeFinance) Refunds(context.Context, finance.RefundFilter) (finance.RefundPage, error) {
	return f.page, nil
}

func (f *fakeFinance) ExportRefunds(_ context.Context, _ finance.RefundFilter, write func([]finance.Refund) error) error {
	for _, b := range f.export {
		if err := write(b); err != nil {
			return err
		}
	}
	return f.cut
}

func (f *fakeFinance) Refund(_ context.Context, c finance.Caller, id string) (finance.RefundDetail, error) {
	f.caller, f.id = c, id
	return f.detail, f.err
}

func (f *fakeFinance) WorkItems(_ context.Context, c finance.Caller, q finance.WorkItemQuery) (finance.WorkItemPage, error) {
	f.caller, f.workQ = c, q
	return f.items, f.err
}

func (f *fakeFinance) ResolveWorkItem(_ context.Context, c finance.Caller, id string, r finance.Resolution) (finance.WorkItem, error) {
	f.caller, f.id, f.resolution = c, id, r
	return f.item, f.err
}

func (f *fakeFinance) ResolveAttempt(_ context.Context, c finance.Caller, id string, r finance.Resolution) (finance.RefundDetail, error) {
	f.caller, f.id, f.resolution = c, id, r
	return f.detail, f.err
}

// ImportSettlement opens the upload as the service does, once the caller
// may import.
func (f *fakeFinance) ImportSettlement(_ context.Context, c finance.Caller, open func() (finance.Upload, error)) (finance.Import, error) {
	f.caller = c
	if f.err != nil {
		return finance.Import{}, f.err
	}
	up, err := open()
	if err != nil {
		return finance.Import{}, err
	}
	b, _ := io.ReadAll(up.Body)
	f.upload, f.body = up, string(b)
	return f.imp, nil
}

func (f *fakeFinance) Settlements(_ context.Context, c finance.Caller, _ finance.SettlementQuery) (finance.SettlementPage, error) {
	f.caller = c
	return finance.SettlementPage{}, f.err
}

func (f *fakeFinance) Reconciliation(_ context.Context, c finance.Caller, q finance.ReconciliationQuery) (finance.Reconciliation, error) {
	f.caller, f.reconQ = c, q
	return f.recon, f.err
}

// financeDesks is finance's routes over a fake, with a finance member's
// and an operator's tokens.
type financeDesks struct {
	t        *testing.T
	d        *db.DB
	merchant string
	fin, op  string
	f        *fakeFinance
	h        http.Handler
}

func newFinanceDesks(t *testing.T, d *db.DB) *financeDesks {
	m := &db.Merchant{Slug: "fin", Name: "fin", Policy: db.JSON(`{"window_days":30}`)}
	must(t, d.Merchants.CreateMerchant(context.Background(), m))
	fd := &financeDesks{t: t, d: d, merchant: m.ID, f: &fakeFinance{},
		fin: dbtest.StaffToken(t, d, m.ID, "fin", "finance"), op: dbtest.StaffToken(t, d, "", "op", "operator")}
	srv, r := newRouter(wired(Deps{}, d, startsOnly{}, nil))
	srv.finance = fd.f
	srv.routesFinance(r.Group("/v1"))
	fd.h = r
	return fd
}

func (fd *financeDesks) do(method, path, token, ctype string, body []byte, header ...string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, path, bytes.NewReader(body))
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	rec := httptest.NewRecorder()
	fd.h.ServeHTTP(rec, req)
	return rec
}

func (fd *financeDesks) get(path, token string, header ...string) *httptest.ResponseRecorder {
	return fd.do(http.MethodGet, path, token, "", nil, header...)
}

func (fd *financeDesks) post(path, token string, body any) *httptest.ResponseRecorder {
	b, _ := json.Marshal(body)
	return fd.do(http.MethodPost, path, token, "application/json", b)
}

// problemOf is the answer's problem without what differs by request.
func problemOf(t *testing.T, rec *httptest.ResponseRecorder) Problem {
	t.Helper()
	var p Problem
	if err := json.Unmarshal(rec.Body.Bytes(), &p); err != nil || rec.Header().Get("Content-Type") != problemContentType {
		t.Fatalf("not a problem: %d %s", rec.Code, rec.Body)
	}
	p.Instance, p.RequestID = "", ""
	return p
}

// Each refusal app/finance makes is answered with the problem the handlers
// built before the use cases moved out of them (the right-hand side is
// built the old way), and audited as before.
func TestFinanceRefusalsBecomeTheSameProblems(t *testing.T) {
	t.Parallel()
	malformed := NewProblem(http.StatusUnprocessableEntity, "malformed-file", "the file is not a settlement file of this kind; line 1: x")
	malformed.Errors = []FieldError{{"file:line 1", "x"}, {"file:line 2", "y"}}
	cases := []struct {
		name, method, path string
		err                error
		want               *Problem
		audit              string // action and outcome, "" when not audited
	}{
		{"scope", "GET", "/v1/finance/refunds", apperr.Invalid("merchant", "only operators choose a merchant"),
			Invalid(FieldError{"merchant", "only operators choose a merchant"}), ""},
		{"filter", "GET", "/v1/finance/refunds", apperr.InvalidFields(apperr.Field{Name: "channel", Reason: "must be card_present or online"},
			apperr.Field{Name: "limit", Reason: "must be from 1 to 200"}),
			Invalid(FieldError{"channel", "must be card_present or online"}, FieldError{"limit", "must be from 1 to 200"}), ""},
		{"summary", "GET", "/v1/finance/refunds/summary", apperr.Invalid("from", "must be a date such as 2026-11-26"),
			Invalid(FieldError{"from", "must be a date such as 2026-11-26"}), ""},
		{"refund", "GET", "/v1/finance/refunds/" + someID, apperr.NotFound("", "no such refund"),
			NewProblem(http.StatusNotFound, "not-found", "no such refund"), ""},
		{"work items", "GET", "/v1/finance/work-items", apperr.Invalid("merchant", "operators name the merchant"),
			Invalid(FieldError{"merchant", "operators name the merchant"}), ""},
		{"work item", "POST", "/v1/finance/work-items/" + someID + "/resolve", apperr.NotFound("", "no such work item"),
			NewProblem(http.StatusNotFound, "not-found", "no such work item"), "work_item.resolve denied"},
		{"resolved", "POST", "/v1/finance/work-items/" + someID + "/resolve", apperr.Conflict("resolved", "the work item is resolved already"),
			NewProblem(http.StatusConflict, "resolved", "the work item is resolved already"), "work_item.resolve failed"},
		{"not in doubt", "POST", "/v1/finance/work-items/" + someID + "/resolve", apperr.State("attempt 2 is approved: it is not in doubt"),
			NewProblem(http.StatusConflict, "invalid-state", "attempt 2 is approved: it is not in doubt"), "work_item.resolve failed"},
		{"attempt", "POST", "/v1/finance/attempts/" + someID + "/resolution", apperr.NotFound("", "no such attempt"),
			NewProblem(http.StatusNotFound, "not-found", "no such attempt"), "attempt.resolution denied"},
		{"evidence", "POST", "/v1/finance/attempts/" + someID + "/resolution", apperr.Invalid("note", "is required (at most 500 characters): the evidence"),
			Invalid(FieldError{"note", "is required (at most 500 characters): the evidence"}), "attempt.resolution failed"},
		{"workflow", "POST", "/v1/finance/attempts/" + someID + "/resolution", NewProblem(http.StatusConflict, "invalid-state", "the return has ended"),
			NewProblem(http.StatusConflict, "invalid-state", "the return has ended"), "attempt.resolution failed"},
		{"no merchant", "POST", "/v1/finance/settlements", apperr.Forbidden("", "settlement files belong to a merchant: log in as its finance or admin"),
			NewProblem(http.StatusForbidden, "forbidden", "settlement files belong to a merchant: log in as its finance or admin"), "settlement.import denied"},
		{"malformed", "POST", "/v1/finance/settlements", &apperr.Error{Kind: apperr.ErrInvalid, Code: "malformed-file", Detail: malformed.Detail,
			Fields: []apperr.Field{{Name: "file:line 1", Reason: "x"}, {Name: "file:line 2", Reason: "y"}}}, malformed, "settlement.import failed"},
		{"malformed, one line", "POST", "/v1/finance/settlements", &apperr.Error{Kind: apperr.ErrInvalid, Code: "malformed-file", Detail: "bad",
			Fields: []apperr.Field{{Name: "file:line 1", Reason: "x"}}},
			&Problem{Type: "urn:rebound:problem:malformed-file", Title: "Unprocessable Entity", Status: 422, Detail: "bad", Errors: []FieldError{{"file:line 1", "x"}}},
			"settlement.import failed"},
		{"reconciliation", "GET", "/v1/finance/reconciliations/" + someID, apperr.NotFound("", "no such reconciliation"),
			NewProblem(http.StatusNotFound, "not-found", "no such reconciliation"), ""},
		{"discrepancies", "GET", "/v1/finance/reconciliations/" + someID, apperr.InvalidFields(apperr.Field{Name: "after_line", Reason: "must be a line number"}),
			Invalid(FieldError{"after_line", "must be a line number"}), ""},
	}
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		fd := newFinanceDesks(t, d)
		for _, tc := range cases {
			fd.f.err = tc.err
			rec := fd.do(tc.method, tc.path, fd.fin, "application/json", []byte(`{"resolution":"x","note":"y"}`))
			if got := problemOf(t, rec); rec.Code != tc.want.Status || !reflect.DeepEqual(got, *tc.want) {
				t.Errorf("%s: %d %+v\nwant %+v", tc.name, rec.Code, got, *tc.want)
			}
			if tc.audit == "" {
				continue
			}
			log, err := d.Audit.AuditLog(context.Background(), fd.merchant, 1)
			must(t, err)
			if len(log) != 1 {
				t.Fatalf("%s: not audited", tc.name)
			}
			var detail struct {
				Status int
				Detail string
			}
			_ = json.Unmarshal(log[0].Detail, &detail)
			if log[0].Action+" "+log[0].Outcome != tc.audit || detail.Status != tc.want.Status || detail.Detail != tc.want.Detail {
				t.Errorf("%s: audit %+v %s", tc.name, log[0], log[0].Detail)
			}
		}
	})
}

// The handlers give the use cases the request as sent: who asks, the
// query's values as text with their defaults, the page the edge read
// (its fields at fault as found), the path's id and the body.
func TestFinanceHandlersGiveTheRequest(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		fd := newFinanceDesks(t, d)
		f := fd.f
		fin := finance.Caller{MerchantID: fd.merchant, Staff: returns.Actor{Kind: returns.ActorStaff, Name: "fin", Role: "finance"}}
		op := finance.Caller{Staff: returns.Actor{Kind: returns.ActorStaff, Name: "op", Role: "operator"}}

		fd.get("/v1/finance/refunds", fd.fin)
		if want := (finance.RefundQuery{Sort: finance.SortNewest, Page: finance.Page[finance.RefundCursor]{Limit: pageDefault}}); !reflect.DeepEqual(f.refundQ, want) || f.caller != fin {
			t.Fatalf("defaults: %+v %+v", f.refundQ, f.caller)
		}
		at := time.Date(2026, 11, 30, 10, 0, 0, 0, time.UTC)
		cur := encodeCursor(&refundCursor{CreatedAt: at, Amount: 5, ID: someID})
		fd.get("/v1/finance/refunds?merchant=shop&status=pending,failed&channel=online&sort=&from=a&to=b&min_amount=1&max_amount=2&limit=7&cursor="+cur, fd.op)
		want := finance.RefundQuery{Merchant: "shop", Status: "pending,failed", Channel: "online", From: "a", To: "b", MinAmount: "1", MaxAmount: "2",
			Page: finance.Page[finance.RefundCursor]{Limit: 7, After: &finance.RefundCursor{CreatedAt: at, Amount: 5, ID: someID}}}
		if !reflect.DeepEqual(f.refundQ, want) || f.caller != op {
			t.Fatalf("every field: %+v", f.refundQ)
		}
		fd.get("/v1/finance/refunds?limit=0&cursor=nope", fd.fin)
		wantBad := []apperr.Field{{Name: "limit", Reason: "must be from 1 to 200"}, {Name: "cursor", Reason: "is not a cursor from this list"}}
		if !reflect.DeepEqual(f.refundQ.Page.Bad, wantBad) || f.refundQ.Page.After != nil {
			t.Fatalf("bad page: %+v", f.refundQ.Page)
		}

		fd.get("/v1/finance/refunds/summary?merchant=shop&from=a&to=b", fd.fin)
		if f.summaryQ != (finance.SummaryQuery{Merchant: "shop", From: "a", To: "b"}) {
			t.Fatalf("summary: %+v", f.summaryQ)
		}
		fd.get("/v1/finance/refunds/"+someID, fd.fin)
		if f.id != someID {
			t.Fatalf("refund id %q", f.id)
		}

		fd.get("/v1/finance/work-items", fd.fin)
		if want := (finance.WorkItemQuery{Status: finance.OpenItems, Page: finance.Page[finance.WorkItemCursor]{Limit: pageDefault}}); !reflect.DeepEqual(f.workQ, want) {
			t.Fatalf("work items defaults: %+v", f.workQ)
		}
		wcur := encodeCursor(&workItemCursor{CreatedAt: at, ID: someID})
		fd.get("/v1/finance/work-items?merchant=shop&status=&file=f&limit=3&cursor="+wcur, fd.op)
		wantW := finance.WorkItemQuery{Merchant: "shop", File: "f", Page: finance.Page[finance.WorkItemCursor]{Limit: 3, After: &finance.WorkItemCursor{CreatedAt: at, ID: someID}}}
		if !reflect.DeepEqual(f.workQ, wantW) {
			t.Fatalf("work items: %+v", f.workQ)
		}
		fd.get("/v1/finance/work-items?cursor="+encodeCursor(&workItemCursor{ID: someID}), fd.fin)
		if !reflect.DeepEqual(f.workQ.Page.Bad, []apperr.Field{{Name: "cursor", Reason: "is not a cursor from this list"}}) {
			t.Fatalf("a cursor without its time: %+v", f.workQ.Page)
		}

		fd.post("/v1/finance/work-items/"+someID+"/resolve", fd.fin, map[string]string{"resolution": "other", "note": "n"})
		if f.id != someID || f.resolution != (finance.Resolution{Resolution: "other", Note: "n"}) {
			t.Fatalf("resolve: %q %+v", f.id, f.resolution)
		}
		fd.post("/v1/finance/attempts/a1/resolution", fd.fin, map[string]string{"resolution": "confirmed_reversed", "note": "e"})
		if f.id != "a1" || f.resolution != (finance.Resolution{Resolution: "confirmed_reversed", Note: "e"}) {
			t.Fatalf("attempt: %q %+v", f.id, f.resolution)
		}

		for query, want := range map[string]finance.ReconciliationQuery{
			"":                            {FileID: someID, Limit: pageDefault},
			"?after_line=4&limit=9&all=1": {FileID: someID, AfterLine: 4, Limit: 9},
			"?all=true&limit=200":         {FileID: someID, Limit: 200, All: true},
			"?after_line=-1&limit=0":      {FileID: someID, Bad: []apperr.Field{{Name: "after_line", Reason: "must be a line number"}}},
			"?limit=201":                  {FileID: someID, Bad: []apperr.Field{{Name: "limit", Reason: "must be from 1 to 200"}}},
		} {
			fd.get("/v1/finance/reconciliations/"+someID+query, fd.fin)
			if !reflect.DeepEqual(f.reconQ, want) {
				t.Fatalf("reconciliation %s: %+v", query, f.reconQ)
			}
		}
	})
}

// A page of refunds renders its items, the next page's cursor (the
// service's, encoded at the edge) and the total; an export streams every
// batch as CSV, and a failure after the header ends the body short.
func TestFinanceRendersRefunds(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		fd := newFinanceDesks(t, d)
		at := time.Date(2026, 11, 30, 10, 0, 0, 0, time.UTC)
		r := finance.Refund{ID: someID, ReturnID: "ret", Merchant: "fin", OrderNumber: "S-1", Channel: "online", Amount: 1250, Shipping: 5,
			Currency: "EUR", Status: "succeeded", Attempts: 1, CreatedAt: at, FinishedAt: &at}
		fd.f.page = finance.RefundPage{Items: []finance.Refund{r}, Next: &finance.RefundCursor{CreatedAt: at, Amount: 1250, ID: someID}, Total: db.CountCap + 1}
		rec := fd.get("/v1/finance/refunds?limit=1", fd.fin)
		cur := encodeCursor(&refundCursor{CreatedAt: at, Amount: 1250, ID: someID})
		want := `{"items":[{"id":"` + someID + `","return_id":"ret","merchant":"fin","order_number":"S-1","channel":"online","amount":1250,` +
			`"shipping":5,"currency":"EUR","status":"succeeded","attempts":1,"created_at":"2026-11-30T10:00:00Z","finished_at":"2026-11-30T10:00:00Z"}],` +
			`"next_cursor":"` + cur + `","next":"/v1/finance/refunds?cursor=` + cur + `\u0026limit=1","total":` + fmt.Sprint(db.CountCap) + `,"total_capped":true}`
		if rec.Code != 200 || rec.Body.String() != want {
			t.Fatalf("%d %s\nwant %s", rec.Code, rec.Body, want)
		}
		fd.f.page = finance.RefundPage{}
		if rec := fd.get("/v1/finance/refunds", fd.fin); rec.Body.String() != `{"items":[],"next_cursor":null,"next":null,"total":0,"total_capped":false}` {
			t.Fatalf("empty: %s", rec.Body)
		}

		fd.f.export = [][]finance.Refund{{r, r}, {r}}
		rec = fd.get("/v1/finance/refunds", fd.fin, "Accept", "text/csv")
		lines := strings.Split(strings.TrimSpace(rec.Body.String()), "\n")
		row := someID + ",ret,fin,S-1,online,1250,5,EUR,succeeded,,,1,2026-11-30T10:00:00Z,2026-11-30T10:00:00Z"
		if rec.Code != 200 || rec.Header().Get("Content-Type") != "text/csv; charset=utf-8" || len(lines) != 4 ||
			lines[0] != strings.Join(refundCSVHeader, ",") || strings.TrimSpace(lines[3]) != row {
			t.Fatalf("export %d %q", rec.Code, lines)
		}
		fd.f.cut = errors.New("store down")
		rec = fd.get("/v1/finance/refunds", fd.fin, "Accept", "text/csv")
		if rec.Code != 200 || strings.Count(rec.Body.String(), "\n") != 4 || strings.Contains(rec.Body.String(), "problem") {
			t.Fatalf("cut short: %d %s", rec.Code, rec.Body)
		}
	})
}

// The other answers render the service's views as before: the summary,
// a refund with its attempts, work items, an import and a reconciliation
// with the links to what follows.
func TestFinanceRendersViews(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		fd := newFinanceDesks(t, d)
		f := fd.f
		at := time.Date(2026, 11, 30, 10, 0, 0, 0, time.UTC)

		f.summary = finance.Summary{Rows: []finance.SummaryRow{{Day: "2026-11-30", Status: "failed", Channel: "online", Currency: "EUR", Count: 1, Amount: 9}},
			Totals: []finance.Total{{Status: "failed", Currency: "EUR", Count: 1, Amount: 9}}}
		check(t, fd.get("/v1/finance/refunds/summary", fd.fin), 200, `{"rows":[{"day":"2026-11-30","status":"failed","channel":"online",`+
			`"currency":"EUR","count":1,"amount":9}],"totals":[{"status":"failed","currency":"EUR","count":1,"amount":9}]}`)
		f.summary = finance.Summary{}
		check(t, fd.get("/v1/finance/refunds/summary", fd.fin), 200, `{"rows":[],"totals":[]}`)

		f.detail = finance.RefundDetail{ID: someID, ReturnID: "ret", Channel: "card_present", Amount: 10, Currency: "EUR", Status: "pending",
			CreatedAt: at, Attempts: []finance.Attempt{{ID: "a1", N: 1, Kind: "refund", State: "unknown", Amount: 10, STAN: "000001",
				AnswerFields: json.RawMessage(`{ "de44": "x" }`), CreatedAt: at}}}
		wantDetail := `{"amount":10,"attempts":[{"id":"a1","n":1,"kind":"refund","state":"unknown","amount":10,"stan":"000001",` +
			`"answer_fields":{"de44":"x"},"settled":false,"created_at":"2026-11-30T10:00:00Z"}],"authorised_by":"","channel":"card_present",` +
			`"created_at":"2026-11-30T10:00:00Z","currency":"EUR","failure_code":"","finished_at":null,"id":"` + someID + `","return_id":"ret",` +
			`"shipping":0,"status":"pending"}`
		check(t, fd.get("/v1/finance/refunds/"+someID, fd.fin), 200, wantDetail)
		check(t, fd.post("/v1/finance/attempts/a1/resolution", fd.fin, map[string]string{}), 200, wantDetail)

		line := int64(3)
		wi := finance.WorkItem{ID: someID, Kind: "other", Status: "open", Summary: "s", Line: &line, CreatedAt: at}
		wantItem := `{"id":"` + someID + `","kind":"other","status":"open","summary":"s","line":3,"created_at":"2026-11-30T10:00:00Z"}`
		f.items = finance.WorkItemPage{Items: []finance.WorkItem{wi}, Total: 1}
		check(t, fd.get("/v1/finance/work-items", fd.fin), 200, `{"items":[`+wantItem+`],"next_cursor":null,"next":null,"total":1,"total_capped":false}`)
		f.item = wi
		check(t, fd.post("/v1/finance/work-items/"+someID+"/resolve", fd.fin, map[string]string{}), 200, wantItem)

		file := finance.File{ID: someID, Source: "acquirer", Filename: "s.csv", Status: "importing", Rows: 2}
		wantFile := `{"id":"` + someID + `","source":"acquirer","filename":"s.csv","status":"importing","rows":2,"bad_rows":0,"size_bytes":0,` +
			`"matched":0,"already_matched":0,"unexpected_at_acquirer":0,"amount_mismatch":0,"missing_at_acquirer":0,"ignored":0}`
		f.recon = finance.Reconciliation{File: file, Discrepancies: []finance.Discrepancy{{Line: 4, Result: "unexpected_at_acquirer", Amount: 5,
			Currency: "EUR", TransactionDay: "2026-11-30"}}, MoreDiscrepancies: true, Missing: []finance.Missing{{AttemptID: "a1", MatchKey: "k", Amount: 7}},
			MissingTotal: 1, WorkItems: []finance.WorkItem{wi}, WorkItemsTotal: 2, MoreWorkItems: true, BadRows: []finance.LineError{{Line: 2, Message: "m"}}}
		check(t, fd.get("/v1/finance/reconciliations/"+someID+"?limit=1", fd.fin), 200, `{"bad_rows":[{"field":"file:line 2","message":"m"}],`+
			`"discrepancies":[{"line":4,"result":"unexpected_at_acquirer","transaction_date":"2026-11-30","amount":5,"currency":"EUR"}],`+
			`"discrepancies_next":"/v1/finance/reconciliations/`+someID+`?after_line=4\u0026limit=1","file":`+wantFile+`,"id":"`+someID+`",`+
			`"missing_at_acquirer":[{"attempt_id":"a1","match_key":"k","amount":7}],"missing_at_acquirer_total":1,"work_items":[`+wantItem+`],`+
			`"work_items_next":"/v1/finance/work-items?file=`+someID+`\u0026status=all","work_items_total":2}`)
		f.recon = finance.Reconciliation{File: file}
		check(t, fd.get("/v1/finance/reconciliations/"+someID, fd.fin), 200, `{"bad_rows":[],"discrepancies":[],"discrepancies_next":null,"file":`+wantFile+
			`,"id":"`+someID+`","missing_at_acquirer":[],"missing_at_acquirer_total":0,"work_items":[],"work_items_next":null,"work_items_total":0}`)
	})
}

func check(t *testing.T, rec *httptest.ResponseRecorder, status int, body string) {
	t.Helper()
	if rec.Code != status || rec.Body.String() != body {
		t.Fatalf("%d %s\nwant %d %s", rec.Code, rec.Body, status, body)
	}
}

// The upload is read at the edge up to the file part, which the use case
// reads: the source sent before it (or ?source=), the file's name.
// What the edge refuses is answered as before.
func TestSettlementUploadIsOpenedAtTheEdge(t *testing.T) {
	t.Parallel()
	multi := func(fields ...string) ([]byte, string) {
		var buf bytes.Buffer
		mw := multipart.NewWriter(&buf)
		for i := 0; i+1 < len(fields); i += 2 {
			if fields[i] == "file" {
				fw, _ := mw.CreateFormFile("file", "s.csv")
				_, _ = fw.Write([]byte(fields[i+1]))
				continue
			}
			_ = mw.WriteField(fields[i], fields[i+1])
		}
		_ = mw.Close()
		return buf.Bytes(), mw.FormDataContentType()
	}
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		fd := newFinanceDesks(t, d)
		f := fd.f
		file := finance.File{ID: someID, Source: "gateway", Filename: "s.csv", Status: "importing"}
		f.imp = finance.Import{File: file, BadRows: []finance.LineError{{Line: 3, Message: "no amount"}}}
		body, ctype := multi("note", "x", "source", " gateway ", "file", "rows")
		rec := fd.do("POST", "/v1/finance/settlements", fd.fin, ctype, body)
		if rec.Code != 202 || rec.Header().Get("Location") != "/v1/finance/reconciliations/"+someID ||
			!strings.Contains(rec.Body.String(), `"bad_rows":[{"field":"file:line 3","message":"no amount"}],"duplicate":false,"file":{"id":"`+someID) {
			t.Fatalf("%d %s", rec.Code, rec.Body)
		}
		if f.upload.Source != "gateway" || f.upload.Filename != "s.csv" || f.body != "rows" {
			t.Fatalf("opened %+v %q", f.upload, f.body)
		}
		f.imp = finance.Import{File: file, Duplicate: true}
		body, ctype = multi("file", "rows")
		rec = fd.do("POST", "/v1/finance/settlements?source=acquirer", fd.fin, ctype, body)
		if rec.Code != 200 || rec.Header().Get("Location") != "" || !strings.HasPrefix(rec.Body.String(), `{"duplicate":true,"file":{`) || f.upload.Source != "acquirer" {
			t.Fatalf("%d %s %+v", rec.Code, rec.Body, f.upload)
		}

		noFile, noFileType := multi("source", "acquirer")
		for _, tc := range []struct {
			ctype string
			body  []byte
			want  *Problem
		}{
			{"application/json", []byte(`{}`), NewProblem(http.StatusUnsupportedMediaType, "media-type", "send multipart/form-data with a file part")},
			{"multipart/form-data", nil, NewProblem(http.StatusUnsupportedMediaType, "media-type", "send multipart/form-data with a file part")},
			{"multipart/form-data; boundary=zz", []byte("xx"), Invalid(FieldError{"file", "is required"})},
			{"multipart/form-data; boundary=zz", []byte("--zz\r\nno header\r\n\r\nx\r\n--zz--\r\n"),
				NewProblem(http.StatusBadRequest, "malformed-multipart", "the multipart body could not be read")},
			{noFileType, noFile, Invalid(FieldError{"file", "is required"})},
		} {
			rec := fd.do("POST", "/v1/finance/settlements", fd.fin, tc.ctype, tc.body)
			if got := problemOf(t, rec); rec.Code != tc.want.Status || !reflect.DeepEqual(got, *tc.want) {
				t.Errorf("%s: %d %+v", tc.ctype, rec.Code, got)
			}
		}
	})
}
