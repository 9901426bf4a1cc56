package api

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/rebound-returns/rebound/app/apperr"
	"github.com/rebound-returns/rebound/app/credit"
)

// fakeCredit answers with what it is given and keeps the requests.
type fakeCredit struct {
	redemption credit.Redemption
	balance    credit.Balance
	page       credit.CreditPage
	days       []credit.OutstandingDay
	err        error

	caller   credit.Caller
	redeem   credit.RedeemRequest
	reversed string
	asked    credit.BalanceRequest
	list     credit.ListQuery
	outst    credit.OutstandingQuery
}

func (f *fakeCredit) Redeem(_ context.Context, c credit.Caller, req credit.RedeemRequest) (credit.Redemption, error) {
	f.caller, f.redeem = c, req
	return f.redemption, f.err
}

func (f *fakeCredit) Reverse(_ context.Context, c credit.Caller, id string) (credit.Redemption, error) {
	f.caller, f.reversed = c, id
	return f.redemption, f.err
}

func (f *fakeCredit) Balance(_ context.Context, req credit.BalanceRequest) (credit.Balance, error) {
	f.asked = req
	return f.balance, f.err
}

func (f *fakeCredit) Credits(_ context.Context, q credit.ListQuery) (credit.CreditPage, error) {
	f.list = q
	return f.page, f.err
}

func (f *fakeCredit) Outstanding(_ context.Context, q credit.OutstandingQuery) ([]credit.OutstandingDay, error) {
	f.outst = q
	return f.days, f.err
}

// creditOver serves the credit routes over f, the callers set as the edge
// would: an integration of m1 on the redemptions, a finance member of m1
// on the staff's routes.
func creditOver(f *fakeCredit) http.Handler {
	srv, r := newRouter(Deps{})
	srv.credit = f
	integration := func(c *gin.Context) {
		c.Set(principalKey, &principal{Kind: kindIntegration, MerchantID: "m1", Username: "api-key:ab12"})
	}
	staff := func(c *gin.Context) {
		c.Set(principalKey, &principal{Kind: kindStaff, MerchantID: "m1", Username: "fin", Role: "finance"})
	}
	r.POST("/v1/store-credit/redemptions", integration, srv.handle(srv.redeemCredit))
	r.POST("/v1/store-credit/redemptions/:redemption_id/reversal", integration, srv.handle(srv.reverseRedemption))
	r.GET("/v1/store-credit/balance", srv.handle(srv.creditBalance))
	r.POST("/v1/store-credit/balance", srv.handle(srv.creditBalance))
	r.GET("/v1/merchant/store-credit", staff, srv.handle(srv.listCredits))
	r.GET("/v1/finance/store-credit/outstanding", staff, srv.handle(srv.outstandingCredit))
	return r
}

func sendCredit(h http.Handler, method, path, body string, headers ...string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	req.RemoteAddr = "192.0.2.7:4000"
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

func TestRedemptionRoutes(t *testing.T) {
	t.Parallel()
	f := &fakeCredit{redemption: credit.Redemption{ID: "e1", CreditID: "c1", Amount: 1200, Currency: "EUR", Balance: 3800, CreatedAt: time.Now()}}
	h := creditOver(f)
	rec := sendCredit(h, http.MethodPost, "/v1/store-credit/redemptions",
		`{"code": "RBC-AAAA-BBBB-CCCC", "amount": 1200, "currency": "EUR", "order_reference": "WEB-1"}`, "Idempotency-Key", "k1")
	var got map[string]any
	_ = json.Unmarshal(rec.Body.Bytes(), &got)
	if rec.Code != http.StatusCreated || got["id"] != "e1" || got["balance"] != float64(3800) || rec.Header().Get("Location") != "/v1/store-credit/redemptions/e1" {
		t.Fatalf("redeem: %d %s", rec.Code, rec.Body)
	}
	want := credit.RedeemRequest{Code: "RBC-AAAA-BBBB-CCCC", Amount: 1200, Currency: "EUR", OrderReference: "WEB-1", IdempotencyKey: "k1"}
	if f.redeem != want || f.caller != (credit.Caller{MerchantID: "m1", Actor: "api-key:ab12"}) {
		t.Fatalf("the use case got %+v from %+v", f.redeem, f.caller)
	}
	if strings.Contains(rec.Body.String(), "RBC-") {
		t.Fatalf("the answer repeats the code: %s", rec.Body)
	}
	f.redemption.Replayed = true
	if rec := sendCredit(h, http.MethodPost, "/v1/store-credit/redemptions", `{"code": "x", "amount": 1, "currency": "EUR"}`, "Idempotency-Key", "k1"); rec.Code != http.StatusOK {
		t.Fatalf("a replay: %d", rec.Code)
	}
	if rec := sendCredit(h, http.MethodPost, "/v1/store-credit/redemptions", `{"code": 5}`); rec.Code != http.StatusUnprocessableEntity || !strings.Contains(rec.Body.String(), `"code"`) {
		t.Fatalf("a number for the code: %d %s", rec.Code, rec.Body)
	}
	f.err = apperr.Invalid("amount", "exceeds what is left of the credit (38.00 EUR)")
	rec = sendCredit(h, http.MethodPost, "/v1/store-credit/redemptions", `{"code": "x", "amount": 9999, "currency": "EUR"}`, "Idempotency-Key", "k2")
	if rec.Code != http.StatusUnprocessableEntity || !strings.Contains(rec.Body.String(), `"field":"amount"`) {
		t.Fatalf("too much: %d %s", rec.Code, rec.Body)
	}
	f.err = apperr.NotFound("credit-not-found", "no store credit has this code")
	if rec := sendCredit(h, http.MethodPost, "/v1/store-credit/redemptions", `{"code": "x", "amount": 1, "currency": "EUR"}`, "Idempotency-Key", "k3"); rec.Code != http.StatusNotFound {
		t.Fatalf("wrong code: %d", rec.Code)
	}
	f.err = nil
	if rec := sendCredit(h, http.MethodPost, "/v1/store-credit/redemptions/e1/reversal", ""); rec.Code != http.StatusOK || f.reversed != "e1" {
		t.Fatalf("reversal: %d %s", rec.Code, rec.Body)
	}
}

func TestBalanceTakesTheCodeFromAHeaderOrTheBody(t *testing.T) {
	t.Parallel()
	f := &fakeCredit{balance: credit.Balance{Merchant: "Acme", Credit: credit.Credit{ID: "c1", Balance: 4300, Currency: "EUR", History: []credit.Entry{}}}}
	h := creditOver(f)
	rec := sendCredit(h, http.MethodGet, "/v1/store-credit/balance", "", creditCodeHeader, "RBC-AAAA-BBBB-CCCC")
	if rec.Code != http.StatusOK || f.asked != (credit.BalanceRequest{Code: "RBC-AAAA-BBBB-CCCC", ClientIP: "192.0.2.7"}) ||
		!strings.Contains(rec.Body.String(), `"balance":4300`) || rec.Header().Get("Cache-Control") != "no-store" {
		t.Fatalf("GET: %d %s, asked %+v", rec.Code, rec.Body, f.asked)
	}
	rec = sendCredit(h, http.MethodPost, "/v1/store-credit/balance", `{"code": "RBC-DDDD-EEEE-FFFF"}`)
	if rec.Code != http.StatusOK || f.asked.Code != "RBC-DDDD-EEEE-FFFF" {
		t.Fatalf("POST: %d, asked %+v", rec.Code, f.asked)
	}
	f.err = apperr.Limited("rate-limited", "too many tries from this address", time.Hour)
	if rec := sendCredit(h, http.MethodPost, "/v1/store-credit/balance", `{"code": "x"}`); rec.Code != http.StatusTooManyRequests || rec.Header().Get("Retry-After") == "" {
		t.Fatalf("limited: %d %v", rec.Code, rec.Header())
	}
}

func TestStaffCreditListAndOutstanding(t *testing.T) {
	t.Parallel()
	f := &fakeCredit{page: credit.CreditPage{Items: []credit.Credit{{ID: "019a0000-0000-7000-8000-000000000001", History: []credit.Entry{}}}, More: true, Total: 7},
		days: []credit.OutstandingDay{{Day: "2026-11-01", Currency: "EUR", Issued: 500, Redeemed: -200, Outstanding: 300}}}
	h := creditOver(f)
	rec := sendCredit(h, http.MethodGet, "/v1/merchant/store-credit?customer=sam%40example.com&limit=1", "")
	var page struct {
		Items      []credit.Credit `json:"items"`
		NextCursor *string         `json:"next_cursor"`
		Total      int64           `json:"total"`
	}
	_ = json.Unmarshal(rec.Body.Bytes(), &page)
	if rec.Code != http.StatusOK || len(page.Items) != 1 || page.NextCursor == nil || page.Total != 7 ||
		f.list.Customer != "sam@example.com" || f.list.Limit != 1 || f.list.MerchantID != "m1" {
		t.Fatalf("list: %d %s, query %+v", rec.Code, rec.Body, f.list)
	}
	rec = sendCredit(h, http.MethodGet, "/v1/merchant/store-credit?cursor="+*page.NextCursor, "")
	if rec.Code != http.StatusOK || f.list.After != "019a0000-0000-7000-8000-000000000001" {
		t.Fatalf("page 2: %d, query %+v", rec.Code, f.list)
	}
	sendCredit(h, http.MethodGet, "/v1/merchant/store-credit?cursor=junk", "")
	if len(f.list.Bad) != 1 || f.list.Bad[0].Name != "cursor" {
		t.Fatalf("a bad cursor reached the use case as %+v", f.list.Bad)
	}

	rec = sendCredit(h, http.MethodGet, "/v1/finance/store-credit/outstanding?from=2026-11-01&to=2026-11-01", "")
	if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), `"outstanding":300`) || f.outst != (credit.OutstandingQuery{MerchantID: "m1", From: "2026-11-01", To: "2026-11-01"}) {
		t.Fatalf("outstanding: %d %s, %+v", rec.Code, rec.Body, f.outst)
	}
	for _, r := range []*httptest.ResponseRecorder{
		sendCredit(h, http.MethodGet, "/v1/finance/store-credit/outstanding?format=csv", ""),
		sendCredit(h, http.MethodGet, "/v1/finance/store-credit/outstanding", "", "Accept", "text/csv"),
	} {
		rows, err := csv.NewReader(bytes.NewReader(r.Body.Bytes())).ReadAll()
		if err != nil || r.Code != http.StatusOK || !strings.HasPrefix(r.Header().Get("Content-Type"), "text/csv") || len(rows) != 2 ||
			strings.Join(rows[0], ",") != "day,currency,issued,redeemed,reversed,expired,outstanding" || strings.Join(rows[1], ",") != "2026-11-01,EUR,500,-200,0,0,300" {
			t.Fatalf("csv: %d %v %v", r.Code, rows, err)
		}
	}
	if rec := sendCredit(h, http.MethodGet, "/v1/finance/store-credit/outstanding?format=xml", ""); rec.Code != http.StatusUnprocessableEntity || !strings.Contains(rec.Body.String(), "format") {
		t.Fatalf("format=xml: %d %s", rec.Code, rec.Body)
	}
	f.err = apperr.Invalid("from", "must be a date (YYYY-MM-DD)")
	if rec := sendCredit(h, http.MethodGet, "/v1/finance/store-credit/outstanding?from=x", ""); rec.Code != http.StatusUnprocessableEntity {
		t.Fatalf("bad from: %d", rec.Code)
	}
}
