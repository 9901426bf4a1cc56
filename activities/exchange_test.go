package activities_test

import (
	"context"
	"errors"
	"net/http/httptest"
	"testing"
	"time"

	"go.temporal.io/sdk/testsuite"

	"github.com/rebound-returns/rebound/activities"
	"github.com/rebound-returns/rebound/db"
	"github.com/rebound-returns/rebound/db/dbtest"
	"github.com/rebound-returns/rebound/gatewaysim"
	"github.com/rebound-returns/rebound/payments"
	"github.com/rebound-returns/rebound/returns"
)

// exchangeShop is a merchant (gateway account "shop") with an order paid
// online by gateway payment paymentID, and a return of it.
func exchangeShop(t *testing.T, d *db.DB, paymentID string) (returnID string) {
	t.Helper()
	ctx := context.Background()
	m := &db.Merchant{Slug: "shop", Name: "Shop"}
	if err := d.Merchants.CreateMerchant(ctx, m); err != nil {
		t.Fatal(err)
	}
	o := &db.Order{MerchantID: m.ID, OrderNumber: "X-1", Currency: "EUR", PlacedAt: time.Now(), RequestHash: "h",
		Lines:   []db.OrderLine{{LineID: "1", Name: "Runner", Quantity: 1, UnitPrice: 8999}},
		Payment: &db.Payment{Channel: returns.ChannelOnline, Amount: 8999, Currency: "EUR", GatewayPaymentID: paymentID}}
	if err := d.Orders.CreateOrder(ctx, o); err != nil {
		t.Fatal(err)
	}
	r := &db.Return{MerchantID: m.ID, OrderID: o.ID, Status: string(returns.Approved), Method: returns.MethodShip,
		Contact: "ann@example.com", ContactKind: "email", Currency: "EUR",
		Lines: []db.ReturnLine{{LineID: "1", Quantity: 1, Reason: "too_small"}}}
	if err := d.Returns.CreateReturn(ctx, r); err != nil {
		t.Fatal(err)
	}
	return r.ID
}

// crashingGateway is the real client that loses the answer of its first
// crashes calls, as a worker that died after the gateway acted would.
type crashingGateway struct {
	*payments.Client
	crashes int
	keys    []string
}

var errCrashed = errors.New("worker died before the answer was recorded")

func (g *crashingGateway) after(key string, a payments.Authorization, err error) (payments.Authorization, error) {
	g.keys = append(g.keys, key)
	if err == nil && g.crashes > 0 {
		g.crashes--
		return payments.Authorization{}, errCrashed
	}
	return a, err
}

func (g *crashingGateway) Authorize(ctx context.Context, key string, r payments.AuthorizeRequest) (payments.Authorization, error) {
	a, err := g.Client.Authorize(ctx, key, r)
	return g.after(key, a, err)
}

func (g *crashingGateway) Capture(ctx context.Context, key, account, id string, amount int64) (payments.Authorization, error) {
	a, err := g.Client.Capture(ctx, key, account, id, amount)
	return g.after(key, a, err)
}

func (g *crashingGateway) Charge(ctx context.Context, key string, r payments.ChargeRequest) (payments.Authorization, error) {
	a, err := g.Client.Charge(ctx, key, r)
	return g.after(key, a, err)
}

func (g *crashingGateway) Void(ctx context.Context, key, account, id string) (payments.Authorization, error) {
	a, err := g.Client.Void(ctx, key, account, id)
	return g.after(key, a, err)
}

// simulatedGateway serves a simulator with payments and returns it with a
// client of account "shop".
func simulatedGateway(t *testing.T, pays ...gatewaysim.Payment) (*gatewaysim.Simulator, *payments.Client) {
	t.Helper()
	sim := gatewaysim.New(gatewaysim.Config{APIKey: "sk_admin", AccountKeys: map[string]string{"shop": "sk_shop"}})
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	t.Cleanup(sim.Close)
	for _, p := range pays {
		if err := sim.AddPayment(p); err != nil {
			t.Fatal(err)
		}
	}
	c := payments.NewClient(srv.URL, "sk_admin", srv.Client())
	c.Keys = map[string]string{"shop": "sk_shop"}
	return sim, c
}

// A hold whose answer was lost is asked again with the same key: the
// gateway holds once. Its capture likewise captures once; a retried
// capture answers the row; a release after the capture is refused.
func TestExchangeHoldSurvivesACrashAndCapturesOnce(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		sim, client := simulatedGateway(t, gatewaysim.Payment{ID: "pay_x1", Amount: 8999, Currency: "EUR", Account: "shop", AuthLimit: 20000})
		ret := exchangeShop(t, d, "pay_x1")
		gw := &crashingGateway{Client: client, crashes: 1}
		acts := activities.New(activities.Deps{DB: d, ExchangeGateway: gw}).ExchangePayments
		var suite testsuite.WorkflowTestSuite
		env := suite.NewTestActivityEnvironment()
		env.RegisterActivity(acts)
		run := func(fn any, in any) (activities.ExchangePaymentResult, error) {
			var res activities.ExchangePaymentResult
			val, err := env.ExecuteActivity(fn, in)
			if err == nil {
				err = val.Get(&res)
			}
			return res, err
		}

		hold := activities.ExchangeMoneyInput{ReturnID: ret, Amount: 12000, Currency: "EUR"}
		if _, err := run(acts.AuthorizeHold, hold); err == nil || refusalType(err) != "" {
			t.Fatalf("the crashed run = %v, want a retryable error", err)
		}
		if _, err := run(acts.CaptureHold, activities.CaptureHoldInput{ReturnID: ret}); refusalType(err) != activities.ErrNoHold {
			t.Fatalf("capture before the hold is authorised: %v", err)
		}
		held, err := run(acts.AuthorizeHold, hold)
		if err != nil || held.Status != returns.RefundStatusSucceeded || held.GatewayID == "" || held.Amount != 12000 {
			t.Fatalf("retried hold = %+v, %v", held, err)
		}
		if len(gw.keys) != 2 || gw.keys[0] != gw.keys[1] || gw.keys[0] != held.ID {
			t.Fatalf("keys sent %v, want the row's id %s twice", gw.keys, held.ID)
		}
		if auths := sim.Authorizations(); len(auths) != 1 || auths[0].Amount != 12000 || auths[0].Reference != held.ID {
			t.Fatalf("the gateway holds %+v, want one hold of 12000", auths)
		}
		if again, err := run(acts.AuthorizeHold, hold); err != nil || again != held {
			t.Fatalf("a decided hold asked again = %+v, %v", again, err)
		}
		if _, err := run(acts.AuthorizeHold, activities.ExchangeMoneyInput{ReturnID: ret, Amount: 1, Currency: "EUR"}); refusalType(err) != activities.ErrExchangePayment {
			t.Fatalf("another hold for the return: %v", err)
		}

		gw.crashes = 1
		if _, err := run(acts.CaptureHold, activities.CaptureHoldInput{ReturnID: ret, Amount: 9000}); err == nil {
			t.Fatal("the crashed capture succeeded")
		}
		capd, err := run(acts.CaptureHold, activities.CaptureHoldInput{ReturnID: ret, Amount: 9000})
		if err != nil || capd.Status != returns.RefundStatusSucceeded || capd.Amount != 9000 || capd.GatewayID != held.GatewayID {
			t.Fatalf("retried capture = %+v, %v", capd, err)
		}
		if st := sim.Stats(); st.Captured != 1 || st.Authorizations != 1 || st.Replayed != 2 {
			t.Fatalf("gateway stats %+v, want one hold and one capture, each replayed once", st)
		}
		if _, err := run(acts.VoidHold, activities.VoidHoldInput{ReturnID: ret}); refusalType(err) != activities.ErrGatewayRefused {
			t.Fatalf("release after capture: %v", err)
		}
		row, err := d.ExchangePayments.ExchangePaymentOf(context.Background(), ret, db.ExchangeRelease)
		if err != nil || row.State != returns.AttemptDeclined || row.FailureCode != "not_voidable" {
			t.Fatalf("release row = %+v, %v", row, err)
		}
	})
}

// A hold released (the original arrived) and a price difference charged;
// a card that has expired fails the charge, recorded on its row.
func TestExchangeVoidAndChargeDifference(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		_, client := simulatedGateway(t, gatewaysim.Payment{ID: "pay_x2", Amount: 8999, Currency: "EUR", Account: "shop"},
			gatewaysim.Payment{ID: "pay_expired_x", Amount: 8999, Currency: "EUR", Account: "shop"})
		ret := exchangeShop(t, d, "pay_x2")
		acts := activities.New(activities.Deps{DB: d, Gateway: client}).ExchangePayments
		var suite testsuite.WorkflowTestSuite
		env := suite.NewTestActivityEnvironment()
		env.RegisterActivity(acts)
		run := func(fn any, in any) (activities.ExchangePaymentResult, error) {
			var res activities.ExchangePaymentResult
			val, err := env.ExecuteActivity(fn, in)
			if err == nil {
				err = val.Get(&res)
			}
			return res, err
		}
		if _, err := run(acts.AuthorizeHold, activities.ExchangeMoneyInput{ReturnID: ret, Amount: 5000, Currency: "EUR"}); err != nil {
			t.Fatal(err)
		}
		for range 2 {
			if v, err := run(acts.VoidHold, activities.VoidHoldInput{ReturnID: ret}); err != nil || v.Status != returns.RefundStatusSucceeded {
				t.Fatalf("release = %+v, %v", v, err)
			}
		}
		ch, err := run(acts.ChargeDifference, activities.ExchangeMoneyInput{ReturnID: ret, Amount: 1500, Currency: "EUR"})
		if err != nil || ch.Status != returns.RefundStatusSucceeded || ch.Kind != db.ExchangeCharge {
			t.Fatalf("charge = %+v, %v", ch, err)
		}
		if _, err := run(acts.ChargeDifference, activities.ExchangeMoneyInput{ReturnID: ret, Amount: 0, Currency: "EUR"}); refusalType(err) != activities.ErrExchangePayment {
			t.Fatalf("a charge of nothing: %v", err)
		}

		expired := exchangeShopAgain(t, d, "pay_expired_x")
		failed, err := run(acts.ChargeDifference, activities.ExchangeMoneyInput{ReturnID: expired, Amount: 1500, Currency: "EUR"})
		if err != nil || failed.Status != returns.RefundStatusFailed || failed.FailureCode != "card_expired" {
			t.Fatalf("charge on an expired card = %+v, %v", failed, err)
		}
	})
}

// exchangeShopAgain is another order of the same merchant paid by
// paymentID, and a return of it.
func exchangeShopAgain(t *testing.T, d *db.DB, paymentID string) string {
	t.Helper()
	ctx := context.Background()
	m, err := d.Merchants.MerchantBySlug(ctx, "shop")
	if err != nil {
		t.Fatal(err)
	}
	o := &db.Order{MerchantID: m.ID, OrderNumber: "X-2", Currency: "EUR", PlacedAt: time.Now(), RequestHash: "h2",
		Lines:   []db.OrderLine{{LineID: "1", Name: "Runner", Quantity: 1, UnitPrice: 8999}},
		Payment: &db.Payment{Channel: returns.ChannelOnline, Amount: 8999, Currency: "EUR", GatewayPaymentID: paymentID}}
	if err := d.Orders.CreateOrder(ctx, o); err != nil {
		t.Fatal(err)
	}
	r := &db.Return{MerchantID: m.ID, OrderID: o.ID, Status: string(returns.Approved), Method: returns.MethodShip,
		Contact: "ann@example.com", ContactKind: "email", Currency: "EUR",
		Lines: []db.ReturnLine{{LineID: "1", Quantity: 1, Reason: "too_small"}}}
	if err := d.Returns.CreateReturn(ctx, r); err != nil {
		t.Fatal(err)
	}
	return r.ID
}

// Without webhooks, CheckExchangePayment asks the gateway: a pending hold
// is recorded authorised once it is, and its pending capture captured.
func TestCheckExchangePaymentAsksTheGateway(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		sim := gatewaysim.New(gatewaysim.Config{APIKey: "sk_admin", SettleDelay: 30 * time.Millisecond})
		srv := httptest.NewServer(sim)
		t.Cleanup(srv.Close)
		t.Cleanup(sim.Close)
		if err := sim.AddPayment(gatewaysim.Payment{ID: "pay_x3", Amount: 8999, Currency: "EUR", Account: "shop"}); err != nil {
			t.Fatal(err)
		}
		ret := exchangeShop(t, d, "pay_x3")
		acts := activities.New(activities.Deps{DB: d, Gateway: payments.NewClient(srv.URL, "sk_admin", srv.Client())}).ExchangePayments
		ctx := context.Background()
		settled := func(id string) activities.ExchangePaymentResult {
			t.Helper()
			deadline := time.Now().Add(5 * time.Second)
			for {
				res, err := acts.CheckExchangePayment(ctx, id)
				if err != nil {
					t.Fatal(err)
				}
				if res.Status != returns.RefundStatusPending || time.Now().After(deadline) {
					return res
				}
				time.Sleep(10 * time.Millisecond)
			}
		}
		held, err := acts.AuthorizeHold(ctx, activities.ExchangeMoneyInput{ReturnID: ret, Amount: 4000, Currency: "EUR"})
		if err != nil || held.Status != returns.RefundStatusPending {
			t.Fatalf("hold = %+v, %v", held, err)
		}
		if res := settled(held.ID); res.Status != returns.RefundStatusSucceeded || res.GatewayID != held.GatewayID {
			t.Fatalf("checked hold = %+v", res)
		}
		capd, err := acts.CaptureHold(ctx, activities.CaptureHoldInput{ReturnID: ret, Amount: 1000})
		if err != nil || capd.Status != returns.RefundStatusPending {
			t.Fatalf("capture = %+v, %v", capd, err)
		}
		if res := settled(capd.ID); res.Status != returns.RefundStatusSucceeded || res.Amount != 1000 {
			t.Fatalf("checked capture = %+v", res)
		}
		if _, err := acts.CheckExchangePayment(ctx, db.NewID()); refusalType(err) != activities.ErrNotFound {
			t.Fatalf("an unknown payment: %v", err)
		}
	})
}
