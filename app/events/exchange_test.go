package events

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/rebound-returns/rebound/app/apperr"
	"github.com/rebound-returns/rebound/db"
	"github.com/rebound-returns/rebound/db/dbtest"
	"github.com/rebound-returns/rebound/payments"
	"github.com/rebound-returns/rebound/returns"
)

// exchangeRows stores a return with a sent hold and a sent capture of it.
func exchangeRows(t *testing.T, d *db.DB) (hold, capture *db.ExchangePayment) {
	t.Helper()
	ctx := context.Background()
	m := &db.Merchant{Slug: "shop", Name: "Shop"}
	if err := d.Merchants.CreateMerchant(ctx, m); err != nil {
		t.Fatal(err)
	}
	o := &db.Order{MerchantID: m.ID, OrderNumber: "X-1", Currency: "EUR", PlacedAt: time.Now(), RequestHash: "h",
		Lines: []db.OrderLine{{LineID: "1", Name: "Runner", Quantity: 1, UnitPrice: 8999}}}
	if err := d.Orders.CreateOrder(ctx, o); err != nil {
		t.Fatal(err)
	}
	r := &db.Return{MerchantID: m.ID, OrderID: o.ID, Status: string(returns.Approved), Method: returns.MethodShip,
		Contact: "ann@example.com", ContactKind: "email", Currency: "EUR", Lines: []db.ReturnLine{{LineID: "1", Quantity: 1, Reason: "too_small"}}}
	if err := d.Returns.CreateReturn(ctx, r); err != nil {
		t.Fatal(err)
	}
	rows := make([]*db.ExchangePayment, 2)
	for i, kind := range []db.ExchangePaymentKind{db.ExchangeAuthorize, db.ExchangeCapture} {
		p, _, err := d.ExchangePayments.PrepareExchangePayment(ctx, &db.ExchangePayment{MerchantID: m.ID, ReturnID: r.ID, Kind: kind,
			PaymentID: "pay_1", GatewayID: "au_1", Amount: 5000, Currency: "EUR"}, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		if _, err := d.ExchangePayments.MoveExchangePayment(ctx, p.ID, returns.AttemptSent, nil); err != nil {
			t.Fatal(err)
		}
		rows[i] = p
	}
	return rows[0], rows[1]
}

// The gateway's events of a hold are recorded on its rows: authorised on
// the hold's, captured on the capture's (the event references the hold);
// a repeat moves nothing; unknown references are not matched.
func TestGatewayRecordsExchangeOutcomes(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		hold, capture := exchangeRows(t, d)
		s := New(Deps{Store: newFakeStore(), Exchanges: d.ExchangePayments, Workflow: &fakeWorkflow{}})
		event := func(typ, status string, captured int64) payments.WebhookEvent {
			return payments.WebhookEvent{ID: "evt_1", Type: typ, Authorization: &payments.Authorization{ID: "au_1", Kind: payments.KindHold,
				PaymentID: "pay_1", Amount: 5000, Captured: captured, Currency: "EUR", Status: status, Reference: hold.ID}}
		}
		for range 2 {
			if matched, err := s.Gateway(ctx, event(payments.EventAuthorizationSucceeded, payments.StatusAuthorized, 0)); err != nil || !matched {
				t.Fatalf("authorized: %v %v", matched, err)
			}
		}
		if matched, err := s.Gateway(ctx, event(payments.EventAuthorizationCaptured, payments.StatusCaptured, 5000)); err != nil || !matched {
			t.Fatalf("captured: %v %v", matched, err)
		}
		for _, want := range []*db.ExchangePayment{hold, capture} {
			got, err := d.ExchangePayments.ExchangePaymentByID(ctx, want.ID)
			if err != nil || got.State != returns.AttemptApproved || got.GatewayID != "au_1" || got.FinishedAt == nil {
				t.Fatalf("%s row = %+v, %v", want.Kind, got, err)
			}
		}
		if matched, err := s.Gateway(ctx, event(payments.EventAuthorizationFailed, payments.StatusFailed, 0)); err != nil || !matched {
			t.Fatalf("a late contradicting event: %v %v", matched, err)
		}
		if got, _ := d.ExchangePayments.ExchangePaymentByID(ctx, hold.ID); got.State != returns.AttemptApproved {
			t.Fatalf("a decided hold moved: %+v", got)
		}
		// A void Rebound did not ask for (no release row) is matched and logged.
		if matched, err := s.Gateway(ctx, event(payments.EventAuthorizationVoided, payments.StatusVoided, 0)); err != nil || !matched {
			t.Fatalf("voided without a release row: %v %v", matched, err)
		}
		unknown := event(payments.EventChargeSucceeded, payments.StatusCaptured, 5000)
		for _, ref := range []string{"not-an-id", db.NewID()} {
			unknown.Authorization.Reference = ref
			if matched, err := s.Gateway(ctx, unknown); err != nil || matched {
				t.Fatalf("reference %s: %v %v", ref, matched, err)
			}
		}
		_, err := s.Gateway(ctx, payments.WebhookEvent{Type: payments.EventChargeFailed})
		if e := apperr.As(err); !errors.Is(err, apperr.ErrInvalid) || len(e.Fields) != 1 || e.Fields[0].Name != "authorization.reference" {
			t.Fatalf("an event without its authorization: %v", err)
		}
	})
}
