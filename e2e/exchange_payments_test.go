package e2e_test

import (
	"context"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/rebound-returns/rebound/activities"
	"github.com/rebound-returns/rebound/db"
	"github.com/rebound-returns/rebound/demo"
	"github.com/rebound-returns/rebound/payments"
	"github.com/rebound-returns/rebound/returns"
)

// An instant exchange's hold and its capture go to the gateway simulator,
// answer pending, and are decided by the gateway's signed webhooks, which
// the API takes in over HTTP and records on the exchange's payment rows.
func TestExchangeHoldDecidedByWebhookOverHTTP(t *testing.T) {
	s := newStackWith(t, lastEngine(t), true)
	ctx := context.Background()
	s.must(s.call("POST", "/v1/orders", order("EX-1", "online"), "X-API-Key", demoAPIKey), 201)
	m, err := s.db.Merchants.MerchantBySlug(ctx, demo.Merchant)
	if err != nil {
		t.Fatal(err)
	}
	o, err := s.db.Orders.OrderByNumber(ctx, m.ID, "EX-1")
	if err != nil {
		t.Fatal(err)
	}
	ret := &db.Return{MerchantID: m.ID, OrderID: o.ID, Status: string(returns.Approved), Method: returns.MethodShip,
		Contact: "pat@example.com", ContactKind: "email", Currency: "EUR", Lines: []db.ReturnLine{{LineID: "L2", Quantity: 1, Reason: "too_small"}}}
	if err := s.db.Returns.CreateReturn(ctx, ret); err != nil {
		t.Fatal(err)
	}
	gw := httptest.NewServer(s.gateway)
	t.Cleanup(gw.Close)
	acts := activities.New(activities.Deps{DB: s.db, Gateway: payments.NewClient(gw.URL, "gw-key", nil)}).ExchangePayments

	decided := func(kind db.ExchangePaymentKind) *db.ExchangePayment {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for {
			row, err := s.db.ExchangePayments.ExchangePaymentOf(ctx, ret.ID, kind)
			if err != nil {
				t.Fatal(err)
			}
			if row.State != returns.AttemptSent {
				return row
			}
			if time.Now().After(deadline) {
				t.Fatalf("the %s was not decided by a webhook: %+v", kind, row)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}

	held, err := acts.AuthorizeHold(ctx, activities.ExchangeMoneyInput{ReturnID: ret.ID, Amount: 8000, Currency: "EUR"})
	if err != nil || held.Status != returns.RefundStatusPending {
		t.Fatalf("hold = %+v, %v; want pending until the webhook", held, err)
	}
	if row := decided(db.ExchangeAuthorize); row.State != returns.AttemptApproved || row.GatewayStatus != payments.StatusAuthorized {
		t.Fatalf("hold row = %+v", row)
	}
	capd, err := acts.CaptureHold(ctx, activities.CaptureHoldInput{ReturnID: ret.ID})
	if err != nil || capd.Status != returns.RefundStatusPending || capd.Amount != 8000 {
		t.Fatalf("capture = %+v, %v", capd, err)
	}
	if row := decided(db.ExchangeCapture); row.State != returns.AttemptApproved || row.GatewayStatus != payments.StatusCaptured {
		t.Fatalf("capture row = %+v", row)
	}
	if st := s.gateway.Stats(); st.WebhooksSent < 2 || st.WebhookFailures != 0 || st.Captured != 1 {
		t.Fatalf("gateway stats %+v: both webhooks accepted at the first try, one capture", st)
	}
}
