package orders

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/rebound-returns/rebound/app/apperr"
	"github.com/rebound-returns/rebound/db"
)

// A new order is stored as sent (e-mail in lower case, the phone's digits,
// times in UTC), the hook hears of it, and the view leaves out the card's
// fingerprint.
func TestRegisterCreates(t *testing.T) {
	s, st, heard := newService()
	res, err := s.Register(context.Background(), "m1", cardOrder())
	if err != nil || !res.Created {
		t.Fatalf("%+v %v", res, err)
	}
	o := st.orders["m1/S-1"]
	sale := time.Date(2026, 11, 20, 15, 4, 6, 0, time.UTC)
	if o.MerchantID != "m1" || o.CustomerName != "Pat" || o.CustomerEmail != "pat@example.com" || o.CustomerPhone != "+46701234567" ||
		o.DeliveredAt == nil || !o.DeliveredAt.Equal(time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC)) || o.DeliveredAt.Location() != time.UTC ||
		o.Payment.Currency != "EUR" || o.Payment.SaleAt == nil || !o.Payment.SaleAt.Equal(sale) || o.Payment.CardFingerprint != "fp_0000001" ||
		o.RequestHash != cardOrder().hash() || len(o.Lines) != 1 || o.Lines[0].UnitPrice != 1990 {
		t.Fatalf("stored %+v %+v", o, o.Payment)
	}
	v := res.Order
	if v.OrderNumber != "S-1" || v.Payment.CardFingerprint != "" || v.Payment.STAN != "000042" ||
		v.Payment.TransmittedAt != "2026-11-20T15:04:06Z" || v.Customer.Email != "pat@example.com" || v.CreatedAt.IsZero() ||
		len(v.Lines) != 1 || v.Lines[0] != cardOrder().Lines[0] {
		t.Fatalf("view %+v %+v", v, v.Payment)
	}
	if strings.Join(heard.numbers, ",") != "S-1" {
		t.Fatalf("heard %v", heard.numbers)
	}
}

// The order number is the idempotency key: the same content again is the
// stored order (200, not heard of again), other content a conflict.
func TestRegisterIsIdempotentByOrderNumber(t *testing.T) {
	s, st, heard := newService()
	ctx := context.Background()
	if _, err := s.Register(ctx, "m1", cardOrder()); err != nil {
		t.Fatal(err)
	}
	again, err := s.Register(ctx, "m1", cardOrder())
	if err != nil || again.Created || again.Order.OrderNumber != "S-1" || again.Order.CreatedAt.IsZero() {
		t.Fatalf("%+v %v", again, err)
	}
	other := cardOrder()
	other.ShippingAmount = 0
	_, err = s.Register(ctx, "m1", other)
	if e := apperr.As(err); !errors.Is(err, apperr.ErrConflict) || e.Code != "order-exists" ||
		e.Detail != "order S-1 is already registered with other content" {
		t.Fatalf("%v", err)
	}
	if strings.Join(heard.numbers, ",") != "S-1" {
		t.Fatalf("heard %v", heard.numbers)
	}
	// Another merchant's order of the same number is its own.
	if res, err := s.Register(ctx, "m2", other); err != nil || !res.Created {
		t.Fatalf("%+v %v", res, err)
	}
	want := "CreateOrder,CreateOrder,OrderByNumber,CreateOrder,OrderByNumber,CreateOrder"
	if got := strings.Join(st.calls, ","); got != want {
		t.Fatalf("calls %s", got)
	}
	st.readErr = errStore
	if _, err := s.Register(ctx, "m1", other); err != errStore {
		t.Fatalf("a failed read of the existing order: %v", err)
	}
}

// The request hash is the SHA-256 of the request's JSON in the form the
// API always took it in: stored orders' hashes stay comparable.
func TestTheRequestHashKeepsItsForm(t *testing.T) {
	r := onlineOrder()
	r.DeliveredAt, r.Customer.Phone = "", ""
	golden := `{"order_number":"W-1","currency":"EUR","placed_at":"2026-11-20T15:04:05Z","shipping_amount":490,` +
		`"customer":{"name":" Pat ","email":"Pat@Example.com"},"lines":[{"line_id":"1","sku":"SKU-1","name":"Shirt",` +
		`"category":"apparel","quantity":2,"unit_price":1990,"discount":0}],"payment":{"channel":"online","amount":4470,` +
		`"gateway_payment_id":"pay_123"}}`
	sum := sha256.Sum256([]byte(golden))
	if r.hash() != hex.EncodeToString(sum[:]) {
		t.Fatal("the hash is no longer over the request's JSON as it was")
	}
}

// The store's refusals: a terminal not the merchant's, a payment another
// order holds (whose stays unsaid), anything else as it is.
func TestRegisterStoreRefusals(t *testing.T) {
	for _, tc := range []struct {
		err          error
		kind         error
		code, detail string
		field        string
	}{
		{db.ErrForeignTerminal, apperr.ErrInvalid, "", "", "payment.terminal_id: is not one of your terminals"},
		{db.ErrPaymentTaken, apperr.ErrConflict, "payment-registered", "this payment is registered with another order", ""},
		{errStore, errStore, "", "", ""},
	} {
		s, st, heard := newService()
		st.createErr = tc.err
		_, err := s.Register(context.Background(), "m1", cardOrder())
		if !errors.Is(err, tc.kind) || len(heard.numbers) != 0 {
			t.Fatalf("%v: %v", tc.err, err)
		}
		if e := apperr.As(err); e != nil {
			var fields []string
			for _, f := range e.Fields {
				fields = append(fields, f.Name+": "+f.Reason)
			}
			if e.Code != tc.code || e.Detail != tc.detail || strings.Join(fields, ";") != tc.field {
				t.Fatalf("%v: %+v", tc.err, e)
			}
		}
	}
}

func TestGet(t *testing.T) {
	s, st, _ := newService()
	ctx := context.Background()
	if _, err := s.Register(ctx, "m1", onlineOrder()); err != nil {
		t.Fatal(err)
	}
	v, err := s.Get(ctx, "m1", "W-1")
	if err != nil || v.OrderNumber != "W-1" || v.Payment.GatewayPaymentID != "pay_123" || v.Payment.TransmittedAt != "" {
		t.Fatalf("%+v %v", v, err)
	}
	for _, m := range []string{"m2", ""} {
		if _, err := s.Get(ctx, m, "W-1"); err != errNoSuchOrder {
			t.Fatalf("merchant %q: %v", m, err)
		}
	}
	if e := apperr.As(errNoSuchOrder); !errors.Is(errNoSuchOrder, apperr.ErrNotFound) || e.Code != "" || e.Detail != "no such order" {
		t.Fatalf("%+v", e)
	}
	st.readErr = errStore
	if _, err := s.Get(ctx, "m1", "W-1"); err != errStore {
		t.Fatal(err)
	}
}
