package api

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/rebound-returns/rebound/app/apperr"
	"github.com/rebound-returns/rebound/app/filing"
	"github.com/rebound-returns/rebound/auth"
	"github.com/rebound-returns/rebound/db"
	"github.com/rebound-returns/rebound/db/dbtest"
	"github.com/rebound-returns/rebound/returns"
)

// fakeFiling answers every shopper's step with its fields and err, and
// keeps what it was given.
type fakeFiling struct {
	err       error
	accessErr error
	filed     filing.Filed
	opened    filing.Opened
	sent      filing.Sent
	pdf       []byte
	looked    filing.LookupSent
	granted   filing.Granted
	access    *filing.Access
	order     filing.OrderView
	merchant  filing.Merchant
	quote     returns.FilingQuote
	lines     []returns.RequestedLine

	fileReq   filing.FileRequest
	lookupReq filing.LookupRequest
	cancelReq filing.CancelRequest
	id, code  string
	clientIP  string
	token     string
	see       filing.See
	calls     []string
}

func (f *fakeFiling) File(_ context.Context, req filing.FileRequest) (filing.Filed, error) {
	f.calls, f.fileReq = append(f.calls, "File"), req
	return f.filed, f.err
}

func (f *fakeFiling) Verify(_ context.Context, id, code string) (filing.Opened, error) {
	f.calls, f.id, f.code = append(f.calls, "Verify"), id, code
	return f.opened, f.err
}

func (f *fakeFiling) Resend(_ context.Context, id, clientIP string) (filing.Sent, error) {
	f.calls, f.id, f.clientIP = append(f.calls, "Resend"), id, clientIP
	return f.sent, f.err
}

func (f *fakeFiling) Return(_ context.Context, id string, see filing.See) (filing.Return, error) {
	f.calls, f.id, f.see = append(f.calls, "Return"), id, see
	return filing.Return{ID: id}, f.err
}

func (f *fakeFiling) Label(_ context.Context, id string, see filing.See) ([]byte, error) {
	f.calls, f.id, f.see = append(f.calls, "Label"), id, see
	return f.pdf, f.err
}

func (f *fakeFiling) MayCancel(actor returns.Actor) error {
	f.calls = append(f.calls, "MayCancel")
	return filing.New(filing.Deps{}).MayCancel(actor)
}

func (f *fakeFiling) Cancel(_ context.Context, req filing.CancelRequest) (string, error) {
	f.calls, f.cancelReq = append(f.calls, "Cancel"), req
	return req.ReturnID, f.err
}

func (f *fakeFiling) StartLookup(_ context.Context, req filing.LookupRequest) (filing.LookupSent, error) {
	f.calls, f.lookupReq = append(f.calls, "StartLookup"), req
	return f.looked, f.err
}

func (f *fakeFiling) VerifyLookup(_ context.Context, id, code string) (filing.Granted, error) {
	f.calls, f.id, f.code = append(f.calls, "VerifyLookup"), id, code
	return f.granted, f.err
}

func (f *fakeFiling) AccessOf(_ context.Context, token string) (*filing.Access, error) {
	f.calls, f.token = append(f.calls, "AccessOf"), token
	return f.access, f.accessErr
}

func (f *fakeFiling) Order(_ context.Context, a *filing.Access) (filing.OrderView, error) {
	f.calls = append(f.calls, "Order")
	return f.order, f.err
}

func (f *fakeFiling) Quote(_ context.Context, a *filing.Access, lines []returns.RequestedLine) (returns.FilingQuote, error) {
	f.calls, f.access, f.lines = append(f.calls, "Quote"), a, lines
	return f.quote, f.err
}

func (f *fakeFiling) Merchant(_ context.Context, slug string) (filing.Merchant, error) {
	f.calls, f.id = append(f.calls, "Merchant"), slug
	return f.merchant, f.err
}

// filingOver serves the shopper's routes over f (and d, nil when no route
// under test reads the store).
func filingOver(d *db.DB, f *fakeFiling) http.Handler {
	srv, r := newRouter(wired(Deps{}, d, startsOnly{}, nil))
	srv.filing = f
	srv.routesShopper(r.Group("/v1"))
	return r
}

func serve(h http.Handler, method, path, body string, header ...string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, path, bytes.NewReader([]byte(body)))
	req.RemoteAddr = "192.0.2.7:1234"
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

// someID is a well-formed id the fakes answer for (the handler tests of
// every use case use it).
const someID = "0b7c6f3e-4f1a-4d2b-9c3e-1a2b3c4d5e6f"

// Each refusal of app/filing is answered as the handlers answered it
// before the rules moved: the same status, type, detail, fields and
// Retry-After as the problems they built (want).
func TestFilingRefusalsBecomeTheSameProblems(t *testing.T) {
	t.Parallel()
	limited := NewProblem(http.StatusTooManyRequests, "rate-limited", "too many tries from this address; try again in 3600 seconds")
	limited.retryAfter = time.Hour
	exhausted := NewProblem(http.StatusTooManyRequests, "filings-exhausted",
		"this order's access has filed as many returns as it may: find the order again to file more")
	exhausted.retryAfter = 30 * time.Minute
	routes := []struct{ method, path, body string }{
		{"POST", "/v1/returns", `{"method":"ship"}`},
		{"POST", "/v1/returns/" + someID + "/verify", `{"code":"123456"}`},
		{"POST", "/v1/returns/" + someID + "/otp", ""},
		{"POST", "/v1/order-lookups", `{"merchant":"shop"}`},
		{"POST", "/v1/order-lookups/" + someID + "/verify", `{"code":"123456"}`},
		{"GET", "/v1/shopper/order", ""},
		{"POST", "/v1/shopper/quote", `{"lines":[]}`},
		{"GET", "/v1/merchants/shop", ""},
	}
	cases := []struct {
		err  error
		want *Problem
	}{
		{apperr.NotFound("no-such-order", "no order matches this merchant, order number and contact"),
			NewProblem(http.StatusNotFound, "no-such-order", "no order matches this merchant, order number and contact")},
		{apperr.NotFound("", "no such return"), errNoSuchReturn},
		{apperr.NotFound("", "no such lookup"), NewProblem(http.StatusNotFound, "not-found", "no such lookup")},
		{apperr.NotFound("", "no such merchant"), NewProblem(http.StatusNotFound, "not-found", "no such merchant")},
		{apperr.NotFound("no-label", "this return has no shipping label"), NewProblem(http.StatusNotFound, "no-label", "this return has no shipping label")},
		{apperr.InvalidFields(apperr.Field{Name: "contact", Reason: "is required"}, apperr.Field{Name: "method", Reason: "must be ship or in_store"}),
			Invalid(FieldError{"contact", "is required"}, FieldError{"method", "must be ship or in_store"})},
		{apperr.Invalid("code", "must be the 6 digits we sent"), Invalid(FieldError{"code", "must be the 6 digits we sent"})},
		{apperr.Invalid("lines[0].line_id", "is not a line of the order"), Invalid(FieldError{"lines[0].line_id", "is not a line of the order"})},
		{apperr.Limited("code-locked", "too many wrong codes: ask for a new one", 0),
			NewProblem(http.StatusTooManyRequests, "code-locked", "too many wrong codes: ask for a new one")},
		{apperr.Limited("rate-limited", "too many tries from this address; try again in 3600 seconds", time.Hour), limited},
		{apperr.Limited("filings-exhausted", exhausted.Detail, 30*time.Minute), exhausted},
		{apperr.Unauthenticated("unauthenticated", "the order's access has expired: find the order again"),
			NewProblem(http.StatusUnauthorized, "unauthenticated", "the order's access has expired: find the order again")},
		{apperr.Unavailable("code-not-sent", "the code could not be sent; try again in a moment"),
			NewProblem(http.StatusServiceUnavailable, "code-not-sent", "the code could not be sent; try again in a moment")},
		{NewProblem(http.StatusConflict, "invalid-state", "the return has ended"), NewProblem(http.StatusConflict, "invalid-state", "the return has ended")},
	}
	for _, rt := range routes {
		for _, c := range cases {
			f := &fakeFiling{err: c.err, access: &filing.Access{ID: someID}}
			rec := serve(filingOver(nil, f), rt.method, rt.path, rt.body, "Authorization", "Bearer rbo_token")
			sameProblem(t, rt.method+" "+rt.path, rec, c.want)
		}
	}
}

// sameProblem checks an answer against the problem the handler built
// before: everything but the request's own id and path.
func sameProblem(t *testing.T, what string, rec *httptest.ResponseRecorder, want *Problem) {
	t.Helper()
	var got Problem
	if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil {
		t.Fatalf("%s: %s", what, rec.Body)
	}
	got.RequestID, got.Instance = "", ""
	body := *want
	body.retryAfter = 0
	wantRetry := ""
	if want.retryAfter > 0 {
		wantRetry = retryAfter(want.retryAfter)
	}
	if rec.Code != want.Status || !reflect.DeepEqual(got, body) || rec.Header().Get("Retry-After") != wantRetry ||
		rec.Header().Get("Content-Type") != problemContentType {
		t.Errorf("%s: %d %s (Retry-After %q); want %+v", what, rec.Code, rec.Body, rec.Header().Get("Retry-After"), want)
	}
}

// The access token's own refusal stops a filing before it is filed.
func TestFilingAnExpiredAccessFilesNothing(t *testing.T) {
	t.Parallel()
	f := &fakeFiling{accessErr: apperr.Unauthenticated("unauthenticated", "the order's access has expired: find the order again")}
	rec := serve(filingOver(nil, f), "POST", "/v1/returns", `{"method":"ship"}`, "Authorization", "Bearer rbo_stale")
	sameProblem(t, "expired", rec, NewProblem(http.StatusUnauthorized, "unauthenticated", "the order's access has expired: find the order again"))
	if !reflect.DeepEqual(f.calls, []string{"AccessOf"}) || f.token != "rbo_stale" {
		t.Fatalf("calls %v with %q", f.calls, f.token)
	}
}

// An unverified filing answers the return's id and where the code went,
// nothing of the order; the service is given the request as sent.
func TestFilingUnverifiedAnswer(t *testing.T) {
	t.Parallel()
	f := &fakeFiling{filed: filing.Filed{ReturnID: someID, Status: "pending_verification", SentTo: "s***@x.y", VerifyWithin: 10 * time.Minute}}
	rec := serve(filingOver(nil, f), "POST", "/v1/returns",
		`{"merchant":"shop","order_number":"S-1","contact":"s@x.y","method":"ship","lines":[{"line_id":"1","quantity":1,"reason":"other"}]}`)
	want := `{"id":"` + someID + `","status":"pending_verification","verification":{"expires_in_seconds":600,"sent_to":"s***@x.y"}}`
	if rec.Code != http.StatusCreated || rec.Body.String() != want || rec.Header().Get("Location") != "/v1/returns/"+someID {
		t.Fatalf("%d %s %v", rec.Code, rec.Body, rec.Header())
	}
	wantReq := filing.FileRequest{Merchant: "shop", OrderNumber: "S-1", Contact: "s@x.y", Method: "ship", ClientIP: "192.0.2.7",
		Lines: []returns.RequestedLine{{LineID: "1", Quantity: 1, Reason: "other"}}}
	if !reflect.DeepEqual(f.fileReq, wantReq) || !reflect.DeepEqual(f.calls, []string{"File"}) {
		t.Fatalf("given %+v (%v)", f.fileReq, f.calls)
	}
}

func TestLookupAnswers(t *testing.T) {
	t.Parallel()
	exp := time.Date(2026, 12, 3, 8, 0, 0, 0, time.UTC)
	f := &fakeFiling{looked: filing.LookupSent{ID: someID, SentTo: "+49***678", ExpiresAt: exp},
		granted: filing.Granted{Token: "rbo_new", ExpiresAt: exp, Order: filing.OrderView{Merchant: "shop", Lines: []filing.OrderLine{{LineID: "1"}}}},
		access:  &filing.Access{ID: someID}, order: filing.OrderView{OrderNumber: "S-1"}, merchant: filing.Merchant{Slug: "shop", Name: "The Shop"}}
	h := filingOver(nil, f)

	rec := serve(h, "POST", "/v1/order-lookups", `{"merchant":"shop","order_number":"S-1","contact":"+49 151"}`)
	if rec.Code != 202 || rec.Body.String() != `{"expires_at":"2026-12-03T08:00:00Z","id":"`+someID+`","sent_to":"+49***678"}` ||
		rec.Header().Get("Location") != "/v1/order-lookups/"+someID {
		t.Fatalf("start: %d %s", rec.Code, rec.Body)
	}
	if f.lookupReq != (filing.LookupRequest{Merchant: "shop", OrderNumber: "S-1", Contact: "+49 151", ClientIP: "192.0.2.7"}) {
		t.Fatalf("given %+v", f.lookupReq)
	}

	rec = serve(h, "POST", "/v1/order-lookups/"+someID+"/verify", `{"code":"123456"}`)
	if rec.Code != 200 || rec.Header().Get("Cache-Control") != "no-store" || f.id != someID || f.code != "123456" ||
		!strings.HasPrefix(rec.Body.String(), `{"expires_at":"2026-12-03T08:00:00Z","order":{"merchant":"shop","merchant_name":"",`) ||
		!strings.Contains(rec.Body.String(), `"lines":[{"line_id":"1","name":"","quantity":0,"unit_paid":0,"returnable":0}]`) ||
		!strings.HasSuffix(rec.Body.String(), `"token":"rbo_new","token_type":"Bearer"}`) {
		t.Fatalf("verify: %d %s", rec.Code, rec.Body)
	}

	rec = serve(h, "GET", "/v1/shopper/order", "", "Authorization", "Bearer rbo_live")
	if rec.Code != 200 || !strings.Contains(rec.Body.String(), `"order_number":"S-1"`) || f.token != "rbo_live" {
		t.Fatalf("order: %d %s", rec.Code, rec.Body)
	}
	// No token, or another kind of token, is the API's own 401.
	for _, header := range [][]string{nil, {"Authorization", "Bearer rbr_shopper"}} {
		f.access = nil
		rec = serve(h, "GET", "/v1/shopper/order", "", header...)
		sameProblem(t, "no access", rec, errUnauthenticated)
	}

	rec = serve(h, "GET", "/v1/merchants/shop", "")
	if rec.Code != 200 || rec.Body.String() != `{"name":"The Shop","slug":"shop"}` || f.id != "shop" {
		t.Fatalf("merchant: %d %s", rec.Code, rec.Body)
	}
}

func TestResendAnswer(t *testing.T) {
	t.Parallel()
	f := &fakeFiling{sent: filing.Sent{SentTo: "s***@x.y", ExpiresAt: time.Date(2026, 12, 3, 8, 0, 0, 0, time.UTC)}}
	rec := serve(filingOver(nil, f), "POST", "/v1/returns/"+someID+"/otp", "")
	if rec.Code != 202 || rec.Body.String() != `{"expires_at":"2026-12-03T08:00:00Z","sent_to":"s***@x.y"}` || f.id != someID || f.clientIP != "192.0.2.7" {
		t.Fatalf("%d %s", rec.Code, rec.Body)
	}
}

// The routes that answer with the return (its view is still read by
// view.go) and those behind a staff member's or shopper's token.
func TestFilingRoutesWithTheReturn(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		s := newShop(t, d, "demo", auth.NewPool(2, time.Second))
		fin := dbtest.StaffToken(t, d, s.merchant.ID, "fin", "finance")
		exp := time.Date(2026, 12, 3, 8, 0, 0, 0, time.UTC)
		sess := filing.Session{Token: "rbr_opened", ExpiresAt: exp}
		f := &fakeFiling{filed: filing.Filed{ReturnID: s.returnID, Status: "pending_verification", Session: &sess},
			opened: filing.Opened{ReturnID: s.returnID, Session: sess}, access: &filing.Access{ID: someID}, pdf: []byte("%PDF-1.4")}
		h := filingOver(d, f)
		opened := func(what string, rec *httptest.ResponseRecorder, status int) {
			var v struct {
				ExpiresAt time.Time `json:"expires_at"`
				Return    struct{ ID string }
			}
			_ = json.Unmarshal(rec.Body.Bytes(), &v)
			if rec.Code != status || rec.Header().Get("Cache-Control") != "no-store" || v.Return.ID != s.returnID || !v.ExpiresAt.Equal(exp) ||
				!strings.Contains(rec.Body.String(), `"token":"rbr_opened","token_type":"Bearer"`) ||
				!strings.Contains(rec.Body.String(), `"status":"refund_pending"`) {
				t.Fatalf("%s: %d %s", what, rec.Code, rec.Body)
			}
		}
		rec := serve(h, "POST", "/v1/returns", `{"method":"in_store","lines":[]}`, "Authorization", "Bearer rbo_token")
		opened("filing through a lookup", rec, http.StatusCreated)
		if f.fileReq.Access == nil || f.fileReq.Access.ID != someID || rec.Header().Get("Location") != "/v1/returns/"+s.returnID {
			t.Fatalf("given %+v", f.fileReq)
		}
		opened("verify", serve(h, "POST", "/v1/returns/"+s.returnID+"/verify", `{"code":"123456"}`), http.StatusOK)

		clerk := []string{"Authorization", "Bearer " + s.clerk}
		rec = serve(h, "GET", "/v1/returns/"+s.returnID, "", clerk...)
		// The return itself is read by app/views, which checks access on
		// the row it reads (api/view_test.go); the label goes through filing.
		if rec.Code != 200 || !strings.Contains(rec.Body.String(), `"id":"`+s.returnID+`"`) {
			t.Fatalf("get: %d %s", rec.Code, rec.Body)
		}
		rec = serve(h, "GET", "/v1/returns/"+s.returnID+"/label", "", clerk...)
		if f.see == nil || !f.see(s.merchant.ID, s.returnID) || f.see("another", s.returnID) {
			t.Fatal("the label was read without the clerk's access check")
		}
		if rec.Code != 200 || rec.Body.String() != "%PDF-1.4" || rec.Header().Get("Content-Type") != "application/pdf" ||
			rec.Header().Get("Content-Disposition") != `inline; filename="return-`+s.returnID+`.pdf"` {
			t.Fatalf("label: %d %s %v", rec.Code, rec.Body, rec.Header())
		}
		f.err = apperr.NotFound("no-label", "this return has no shipping label")
		sameProblem(t, "no label", serve(h, "GET", "/v1/returns/"+s.returnID+"/label", "", clerk...),
			NewProblem(http.StatusNotFound, "no-label", "this return has no shipping label"))
		f.err = nil

		rec = serve(h, "POST", "/v1/returns/"+s.returnID+"/cancel", `{"reason":"asked by phone"}`, clerk...)
		if rec.Code != 200 || f.cancelReq.ReturnID != s.returnID || f.cancelReq.Reason != "asked by phone" ||
			f.cancelReq.Actor != (returns.Actor{Kind: returns.ActorStaff, Name: "clerk", Role: "clerk"}) {
			t.Fatalf("cancel: %d %s %+v", rec.Code, rec.Body, f.cancelReq)
		}
		lastAudit := func() db.AuditEntry {
			log, err := d.Audit.AuditLog(context.Background(), s.merchant.ID, 1)
			if err != nil || len(log) != 1 {
				t.Fatalf("audit %v %v", log, err)
			}
			return log[0]
		}
		if a := lastAudit(); a.Action != "return.cancel" || a.Outcome != db.OutcomeSuccess {
			t.Fatalf("audit %+v", a)
		}
		// A role that may not cancel hears so whatever its body, and the
		// refusal is audited as denied.
		f.calls = nil
		rec = serve(h, "POST", "/v1/returns/"+s.returnID+"/cancel", `{"reason":`, "Authorization", "Bearer "+fin)
		sameProblem(t, "finance cancels", rec, NewProblem(http.StatusForbidden, "forbidden", "your role (finance) may not cancel returns"))
		if a := lastAudit(); a.Outcome != db.OutcomeDenied || !reflect.DeepEqual(f.calls, []string{"MayCancel"}) {
			t.Fatalf("audit %+v, calls %v", a, f.calls)
		}
		f.err = apperr.Invalid("reason", "must be at most 500 characters")
		sameProblem(t, "long reason", serve(h, "POST", "/v1/returns/"+s.returnID+"/cancel", "", clerk...),
			Invalid(FieldError{"reason", "must be at most 500 characters"}))
		if a := lastAudit(); a.Outcome != db.OutcomeFailed {
			t.Fatalf("audit %+v", a)
		}
		if f.cancelReq.Reason != "" {
			t.Fatalf("an empty body is no reason: %+v", f.cancelReq)
		}
	})
}

// The quote binds the lines with their resolutions, needs an order access
// token, and answers the use case's quote; its refusals name the field.
func TestQuoteAnswers(t *testing.T) {
	t.Parallel()
	f := &fakeFiling{access: &filing.Access{ID: someID}, quote: returns.FilingQuote{Currency: "EUR", Lines: []returns.LineQuote{{LineID: "1", Quantity: 1,
		Options: []returns.Option{{Resolution: returns.ResolutionStoreCredit, Amount: 1000, Bonus: 100}}}}}}
	h := filingOver(nil, f)
	rec := serve(h, "POST", "/v1/shopper/quote", `{"lines":[{"line_id":"1","quantity":1,"reason":"other","resolution":"exchange","variant_sku":"S-43"}]}`,
		"Authorization", "Bearer rbo_live")
	if rec.Code != 200 || rec.Header().Get("Cache-Control") != "no-store" ||
		!strings.Contains(rec.Body.String(), `"options":[{"resolution":"store_credit","amount":1000,"bonus":100}]`) {
		t.Fatalf("quote: %d %s", rec.Code, rec.Body)
	}
	want := []returns.RequestedLine{{LineID: "1", Quantity: 1, Reason: "other", Resolution: returns.ResolutionExchange, VariantSKU: "S-43"}}
	if !reflect.DeepEqual(f.lines, want) {
		t.Fatalf("given %+v", f.lines)
	}
	f.access = nil
	rec = serve(h, "POST", "/v1/shopper/quote", `{"lines":[]}`)
	sameProblem(t, "no access", rec, errUnauthenticated)
	// Without access a bad body is not looked at: 401, not its 422.
	rec = serve(h, "POST", "/v1/shopper/quote", `{"lines":"x","neg_unknown":1}`, "Authorization", "Bearer rbs_staff")
	sameProblem(t, "no access, a bad body", rec, errUnauthenticated)
	f.access, f.err = &filing.Access{ID: someID}, apperr.Invalid("lines[1].resolution", "is not offered by the merchant; offered: refund")
	rec = serve(h, "POST", "/v1/shopper/quote", `{"lines":[{"line_id":"1","quantity":1,"reason":"other","resolution":"store_credit"}]}`,
		"Authorization", "Bearer rbo_live")
	if rec.Code != 422 || !strings.Contains(rec.Body.String(), `lines[1].resolution`) {
		t.Fatalf("refusal: %d %s", rec.Code, rec.Body)
	}
}
