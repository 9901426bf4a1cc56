package api

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"reflect"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/rebound-returns/rebound/app/apperr"
	"github.com/rebound-returns/rebound/app/orders"
)

// fakeOrders answers with res (or view) and err, and keeps what it was
// given.
type fakeOrders struct {
	res      orders.Result
	err      error
	merchant string
	req      orders.Request
	number   string
}

func (f *fakeOrders) Register(_ context.Context, merchantID string, req orders.Request) (orders.Result, error) {
	f.merchant, f.req = merchantID, req
	return f.res, f.err
}

func (f *fakeOrders) Get(_ context.Context, merchantID, number string) (orders.View, error) {
	f.merchant, f.number = merchantID, number
	return f.res.Order, f.err
}

// ordersOver serves the order routes, as an integration of merchant m1
// (the API key's check is the edge's, tested with it), over f.
func ordersOver(f *fakeOrders) http.Handler {
	srv, r := newRouter(Deps{})
	srv.orders = f
	as := func(c *gin.Context) { c.Set(principalKey, &principal{Kind: kindIntegration, MerchantID: "m1"}) }
	r.POST("/v1/orders", as, srv.handle(srv.createOrder))
	r.GET("/v1/orders/:order_number", as, srv.handle(srv.getOrder))
	return r
}

func sendOrder(h http.Handler, method, path string, body any) *httptest.ResponseRecorder {
	var b []byte
	if body != nil {
		b, _ = json.Marshal(body)
	}
	req := httptest.NewRequest(method, path, bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

// Each refusal of the orders is answered as before they moved out of the
// handler.
func TestOrderRefusalsBecomeProblems(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		err          error
		status       int
		kind, detail string
		fields       string
	}{
		{apperr.InvalidFields(apperr.Field{Name: "order_number", Reason: "is required: letters, digits and . _ / - (at most 64)"},
			apperr.Field{Name: "payment", Reason: "is required"}), 422, "validation", "the request has invalid fields", "order_number,payment"},
		{apperr.InvalidFields(apperr.Field{Name: "payment.stan", Reason: "must be the 6-digit trace number (the voucher number on the slip)"}),
			422, "validation", "payment.stan: must be the 6-digit trace number (the voucher number on the slip)", "payment.stan"},
		{apperr.Invalid("payment.terminal_id", "is not one of your terminals"), 422, "validation",
			"payment.terminal_id: is not one of your terminals", "payment.terminal_id"},
		{apperr.Conflict("payment-registered", "this payment is registered with another order"), 409, "payment-registered",
			"this payment is registered with another order", ""},
		{apperr.Conflict("order-exists", "order S-1 is already registered with other content"), 409, "order-exists",
			"order S-1 is already registered with other content", ""},
	} {
		rec := sendOrder(ordersOver(&fakeOrders{err: tc.err}), http.MethodPost, "/v1/orders", testOrder("S-1"))
		p := problemOf(t, rec)
		if rec.Code != tc.status || p.Status != tc.status || p.Type != "urn:rebound:problem:"+tc.kind || p.Detail != tc.detail ||
			fieldsOf(p) != tc.fields || p.Title != http.StatusText(tc.status) || rec.Header().Get("Location") != "" {
			t.Errorf("%v: %d %s", tc.err, rec.Code, rec.Body)
		}
	}
	rec := sendOrder(ordersOver(&fakeOrders{err: apperr.NotFound("", "no such order")}), http.MethodGet, "/v1/orders/S-9", nil)
	if p := problemOf(t, rec); rec.Code != 404 || p.Type != "urn:rebound:problem:not-found" || p.Detail != "no such order" {
		t.Errorf("get: %d %s", rec.Code, rec.Body)
	}
}

// A new order is 201 with its Location, the same one sent again 200
// without; the view keeps its form; the use case is given the body as
// sent and the key's merchant.
func TestOrderAnswersWithTheView(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 11, 20, 15, 4, 5, 0, time.UTC)
	view := orders.View{OrderNumber: "S-1", Currency: "EUR", PlacedAt: at, ShippingAmount: 0, CreatedAt: at,
		Customer: orders.Customer{Name: "Pat", Email: "pat@example.com"},
		Lines:    []orders.Line{{LineID: "1", Name: "Shirt", Quantity: 1, UnitPrice: 4000}},
		Payment:  &orders.Payment{Channel: "online", Amount: 4000, GatewayPaymentID: "pay_1"}}
	golden := `{"order_number":"S-1","currency":"EUR","placed_at":"2026-11-20T15:04:05Z","shipping_amount":0,` +
		`"customer":{"name":"Pat","email":"pat@example.com"},"lines":[{"line_id":"1","name":"Shirt","quantity":1,"unit_price":4000,` +
		`"discount":0}],"payment":{"channel":"online","amount":4000,"gateway_payment_id":"pay_1"},"created_at":"2026-11-20T15:04:05Z"}`
	for _, created := range []bool{true, false} {
		f := &fakeOrders{res: orders.Result{Order: view, Created: created}}
		rec := sendOrder(ordersOver(f), http.MethodPost, "/v1/orders", testOrder("S-1"))
		status, location := http.StatusOK, ""
		if created {
			status, location = http.StatusCreated, "/v1/orders/S-1"
		}
		if rec.Code != status || rec.Header().Get("Location") != location || rec.Body.String() != golden {
			t.Fatalf("created %v: %d %q %s", created, rec.Code, rec.Header().Get("Location"), rec.Body)
		}
		var sent orders.Request
		b, _ := json.Marshal(testOrder("S-1"))
		_ = json.Unmarshal(b, &sent)
		if f.merchant != "m1" || !reflect.DeepEqual(f.req, sent) {
			t.Fatalf("the use case was given %s %+v", f.merchant, f.req)
		}
	}
	f := &fakeOrders{res: orders.Result{Order: view}}
	if rec := sendOrder(ordersOver(f), http.MethodGet, "/v1/orders/S-1", nil); rec.Code != 200 || rec.Body.String() != golden ||
		f.number != "S-1" || f.merchant != "m1" {
		t.Fatalf("get: %d %s (%s %s)", rec.Code, rec.Body, f.merchant, f.number)
	}
	// A body that does not bind is refused before the use case.
	f = &fakeOrders{}
	if rec := sendOrder(ordersOver(f), http.MethodPost, "/v1/orders", map[string]any{"shipping_amount": "free"}); rec.Code != 422 || f.merchant != "" {
		t.Fatalf("unbound: %d %s", rec.Code, rec.Body)
	}
}
