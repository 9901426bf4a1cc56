package orders

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/rebound-returns/rebound/app/apperr"
)

// Each bad order is refused naming every field at fault, in the order the
// checks run, and nothing is stored.
func TestRegisterRefusesBadOrders(t *testing.T) {
	timeReason := "must be an RFC 3339 time such as 2026-11-20T15:04:05Z"
	for _, tc := range []struct {
		name   string
		change func(r *Request)
		fields []string
	}{
		{"bad order number", func(r *Request) { r.OrderNumber = "-x" },
			[]string{"order_number: is required: letters, digits and . _ / - (at most 64)"}},
		{"no placed_at", func(r *Request) { r.PlacedAt = "" }, []string{"placed_at: is required", "placed_at: is required"}},
		{"bad times", func(r *Request) { r.DeliveredAt = "tomorrow"; r.Payment.TransmittedAt = "now" },
			[]string{"delivered_at: " + timeReason, "payment.transmitted_at: " + timeReason, "delivered_at: must not be before placed_at"}},
		{"bad contact", func(r *Request) { r.Customer.Email = "Pat <pat@example.com>"; r.Customer.Phone = "0701234567" },
			[]string{"customer.email: is not an e-mail address", "customer.phone: must be an international number such as +46701234567"}},
		{"no contact", func(r *Request) { r.Customer.Email, r.Customer.Phone = " ", "" },
			[]string{"customer: needs an email or a phone: the shopper proves the order with a code sent there"}},
		{"no payment", func(r *Request) { r.Payment = nil }, []string{"payment: is required"}},
		{"card data malformed", func(r *Request) {
			p := r.Payment
			p.TerminalID, p.STAN, p.RRN, p.ApprovalCode, p.MaskedPAN, p.CardFingerprint = "P1", "42", "x", "A", "4111111111111111", "fp"
			p.GatewayPaymentID, p.Batch = "pay_1", "7"
		}, []string{
			"payment.terminal_id: must be the 8-character terminal id",
			"payment.stan: must be the 6-digit trace number (the voucher number on the slip)",
			"payment.rrn: must be the 12-character retrieval reference number",
			"payment.approval_code: must be the 6-character approval code",
			"payment.masked_pan: must be masked: first 6 and last 4 digits, such as 411111******1111",
			"payment.card_fingerprint: must be the terminal's card token (8 to 128 characters)",
			"payment.gateway_payment_id: is for online payments only",
			"payment.batch: must be the sale's 6-digit batch number",
		}},
		{"online without its id", func(r *Request) { *r = onlineOrder(); r.Payment.GatewayPaymentID = "p" },
			[]string{"payment.gateway_payment_id: is required for online payments (3 to 128 characters)"}},
		{"online with terminal data", func(r *Request) { *r = onlineOrder(); r.Payment.STAN = "000042" },
			[]string{"payment.channel: online payments carry no terminal data"}},
		{"another channel", func(r *Request) { r.Payment.Channel = "cash" }, []string{"payment.channel: must be card_present or online"}},
		{"the rules of an order", func(r *Request) { r.Currency = "euro"; r.Lines = nil },
			[]string{"currency: must be an ISO 4217 code such as EUR", "lines: must hold at least one line"}},
	} {
		req := cardOrder()
		tc.change(&req)
		s, st, heard := newService()
		_, err := s.Register(context.Background(), "m1", req)
		var got []string
		if e := apperr.As(err); e != nil {
			for _, f := range e.Fields {
				got = append(got, f.Name+": "+f.Reason)
			}
		}
		if !errors.Is(err, apperr.ErrInvalid) || strings.Join(got, "\n") != strings.Join(tc.fields, "\n") {
			t.Errorf("%s: %v\n got %q\nwant %q", tc.name, err, got, tc.fields)
		}
		if len(st.calls) != 0 || len(heard.numbers) != 0 {
			t.Errorf("%s: a refused order reached the store", tc.name)
		}
	}
}

// Both kinds of sale are taken as they are.
func TestRegisterTakesBothChannels(t *testing.T) {
	for _, req := range []Request{cardOrder(), onlineOrder()} {
		s, _, _ := newService()
		if res, err := s.Register(context.Background(), "m1", req); err != nil || !res.Created {
			t.Errorf("%s: %v", req.Payment.Channel, err)
		}
	}
	r := cardOrder()
	r.Payment.Batch = ""
	s, st, _ := newService()
	if _, err := s.Register(context.Background(), "m1", r); err != nil || st.orders["m1/S-1"].Payment.Batch != "" ||
		st.orders["m1/S-1"].Payment.SaleAt == nil {
		t.Errorf("a sale without its batch: %v", err)
	}
}

// A card sale without its own transmission time is refused 422 naming
// payment.transmitted_at: a void or refund is decided and referenced from
// it, never from placed_at.
func TestRegisterRefusesACardSaleWithoutItsTransmissionTime(t *testing.T) {
	r := cardOrder()
	r.Payment.TransmittedAt = ""
	s, st, _ := newService()
	_, err := s.Register(context.Background(), "m1", r)
	e := apperr.As(err)
	if !errors.Is(err, apperr.ErrInvalid) || e == nil || len(e.Fields) != 1 || e.Fields[0].Name != "payment.transmitted_at" ||
		!strings.Contains(e.Fields[0].Reason, "is required for a card sale") {
		t.Fatalf("a card sale without transmitted_at: %v %+v", err, e)
	}
	if len(st.calls) != 0 {
		t.Fatal("the order reached the store")
	}
}

func TestDomain(t *testing.T) {
	s, st, _ := newService()
	if _, err := s.Register(context.Background(), "m1", cardOrder()); err != nil {
		t.Fatal(err)
	}
	d := Domain(st.orders["m1/S-1"])
	if d.Number != "S-1" || d.Paid != 4470 || d.ShippingAmount != 490 || len(d.Lines) != 1 || d.Lines[0].Quantity != 2 || d.DeliveredAt == nil {
		t.Fatalf("%+v", d)
	}
	st.orders["m1/S-1"].Payment = nil
	if d := Domain(st.orders["m1/S-1"]); d.Paid != 0 {
		t.Fatalf("an order without payment paid %d", d.Paid)
	}
}
