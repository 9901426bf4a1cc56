package filing

import (
	"context"
	"errors"
	"fmt"
	"github.com/rebound-returns/rebound/returns"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/rebound-returns/rebound/app/apperr"
	"github.com/rebound-returns/rebound/db"
	"github.com/rebound-returns/rebound/ids"
	"github.com/rebound-returns/rebound/otp"
)

func aLookup() LookupRequest {
	return LookupRequest{Merchant: "shop", OrderNumber: " S-1", Contact: "+49 151 1234 5678", ClientIP: "192.0.2.7"}
}

func TestStartLookupRefusals(t *testing.T) {
	cases := []struct {
		name  string
		req   LookupRequest
		set   func(*fakeStore)
		kind  error
		code  string
		text  string
		calls []string
		floor bool
	}{
		{"all missing", LookupRequest{Contact: " "}, nil, apperr.ErrInvalid, "",
			"contact is required; merchant is required; order_number is required", nil, false},
		{"number missing", LookupRequest{Merchant: "shop", Contact: "a@b.c"}, nil, apperr.ErrInvalid, "", "order_number is required", nil, false},
		{"unknown merchant", LookupRequest{Merchant: "nobody", OrderNumber: "S-1", Contact: "shopper@example.com"}, nil,
			apperr.ErrNotFound, "no-such-order", "no order matches this merchant, order number and contact",
			[]string{"RecordTry", "MerchantBySlug"}, true},
		{"wrong contact", LookupRequest{Merchant: "shop", OrderNumber: "S-1", Contact: "+4915100000000"}, nil,
			apperr.ErrNotFound, "no-such-order", "no order matches this merchant, order number and contact",
			[]string{"RecordTry", "MerchantBySlug", "OrderByNumber"}, true},
		{"too many tries", aLookup(), func(f *fakeStore) { f.tries.ForClient = otp.TriesPerClient + 1 },
			apperr.ErrLimited, "rate-limited", "too many tries from this address; try again in 3600 seconds", []string{"RecordTry"}, false},
		{"too many codes", LookupRequest{Merchant: "shop", OrderNumber: "S-1", Contact: "shopper@example.com"},
			func(f *fakeStore) { f.codes.ForContact = otp.PerContact }, apperr.ErrLimited, "rate-limited",
			"too many codes for this contact; try again in 3600 seconds", []string{"RecordTry", "MerchantBySlug", "OrderByNumber", "CountCodes"}, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			w := newWorld()
			if c.set != nil {
				c.set(w.store)
			}
			_, err := w.svc.StartLookup(context.Background(), c.req)
			refused(t, err, c.kind, c.code, c.text)
			sameCalls(t, w.store.calls, c.calls...)
			sameCalls(t, w.wf.calls)
			if slept := w.clock.total() == Floor; slept != c.floor {
				t.Fatalf("slept %v", w.clock.slept)
			}
		})
	}
}

func TestStartLookupSendsTheCode(t *testing.T) {
	w := newWorld()
	// The phone as typed is not the order's (+49…): only the digits count.
	w.store.order.CustomerPhone = "004915112345678"
	ctx, cancel := context.WithCancel(context.Background())
	cancel() // the code goes out even if the shopper has gone
	req := aLookup()
	req.Contact = "0049 (151) 1234 5678"
	sent, err := w.svc.StartLookup(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	in := w.wf.lookup
	if !ids.Valid(in.LookupID) || in.MerchantID != merchantID || in.OrderID != orderID || in.Contact != "004915112345678" ||
		in.ContactKind != KindPhone || in.ClientIP != "192.0.2.7" || in.VerifyWithin != 10*time.Minute {
		t.Fatalf("input %+v", in)
	}
	if w.wf.ctxErr != nil {
		t.Fatalf("the send's context: %v", w.wf.ctxErr)
	}
	want := LookupSent{ID: in.LookupID, SentTo: "004*********678", ExpiresAt: t0.Add(10 * time.Minute)}
	if sent != want {
		t.Fatalf("sent %+v; want %+v", sent, want)
	}
	if try := w.store.recorded[0]; try.Action != db.TryLookup || try.OrderKey != db.OrderKey("shop", "S-1") {
		t.Fatalf("try %+v", try)
	}
	sameCalls(t, w.store.calls, "RecordTry", "MerchantBySlug", "OrderByNumber", "CountCodes")
}

func TestStartLookupWhenTheCodeIsNotSent(t *testing.T) {
	w := newWorld()
	w.wf.fail["SendLookupCode"] = fmt.Errorf("%w: %w", ErrNotSent, errors.New("activity timed out"))
	_, err := w.svc.StartLookup(context.Background(), aLookup())
	refused(t, err, apperr.ErrUnavailable, "code-not-sent", "the code could not be sent; try again in a moment")

	// The workflow's own refusal (a limit it checks) is passed on as it is.
	refusal := apperr.Limited("rate-limited", "too many codes for this contact", time.Hour)
	w.wf.fail["SendLookupCode"] = refusal
	if _, err := w.svc.StartLookup(context.Background(), aLookup()); err != refusal {
		t.Fatalf("err %v", err)
	}
	w.store.merchant.Policy = db.JSON(`[`)
	w.wf.calls = nil
	if _, err := w.svc.StartLookup(context.Background(), aLookup()); err == nil || len(w.wf.calls) != 0 {
		t.Fatalf("a broken policy sends nothing: %v", err)
	}
}

func TestVerifyLookupRefusals(t *testing.T) {
	cases := []struct {
		name  string
		id    string
		code  string
		set   func(*fakeStore)
		kind  error
		ecode string
		text  string
	}{
		{"malformed code", lookupID, "1234567", nil, apperr.ErrInvalid, "", "code must be the 6 digits we sent"},
		{"not an id", "lookup-1", theCode, nil, apperr.ErrNotFound, "", "no such lookup"},
		{"wrong code", lookupID, "000000", nil, apperr.ErrInvalid, "", "code is not the code we sent"},
		{"locked", lookupID, theCode, func(f *fakeStore) { f.locked = true }, apperr.ErrLimited, "code-locked",
			"too many wrong codes: start again to get a new one"},
		{"expired", lookupID, theCode, func(f *fakeStore) { f.expired = true }, apperr.ErrInvalid, "",
			"code has expired or was used: start again to get a new one"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			w := newWorld()
			if c.set != nil {
				c.set(w.store)
			}
			_, err := w.svc.VerifyLookup(context.Background(), c.id, c.code)
			refused(t, err, c.kind, c.ecode, c.text)
			for _, call := range w.store.calls {
				if call == "LookupByID" {
					t.Fatal("a refused code opened the order")
				}
			}
		})
	}
}

func TestVerifyLookupOpensTheOrder(t *testing.T) {
	w := newWorld()
	g, err := w.svc.VerifyLookup(context.Background(), lookupID, theCode)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(g.Token, PrefixOrderAccess) || w.store.tokenHash != hashOf(g.Token) ||
		!g.ExpiresAt.Equal(t0.Add(OrderAccessLife)) || !w.store.tokenExpires.Equal(g.ExpiresAt) {
		t.Fatalf("granted %+v; stored %q until %v", g, w.store.tokenHash, w.store.tokenExpires)
	}
	if g.Order.OrderNumber != "S-1" || len(g.Order.Lines) != 2 {
		t.Fatalf("order %+v", g.Order)
	}
	sameCalls(t, w.store.calls, "CheckLookupCode", "LookupByID", "MerchantByID", "OrderByID", "TakenUnits")
	for _, step := range []string{"CheckLookupCode", "LookupByID", "TakenUnits"} {
		w := newWorld()
		boom := errors.New(step)
		w.store.fail[step] = boom
		if _, err := w.svc.VerifyLookup(context.Background(), lookupID, theCode); !errors.Is(err, boom) {
			t.Fatalf("%s: %v", step, err)
		}
	}
}

func TestAccessOf(t *testing.T) {
	w := newWorld()
	a, token := w.verified()
	got, err := w.svc.AccessOf(context.Background(), token)
	if err != nil || !reflect.DeepEqual(got, a) {
		t.Fatalf("%+v %v", got, err)
	}
	w.store.calls = nil
	if got, err := w.svc.AccessOf(context.Background(), "rbr_a-shopper-token"); got != nil || err != nil {
		t.Fatalf("another kind of token is no access: %+v %v", got, err)
	}
	sameCalls(t, w.store.calls)
	_, err = w.svc.AccessOf(context.Background(), PrefixOrderAccess+"stale")
	refused(t, err, apperr.ErrUnauthenticated, "unauthenticated", "the order's access has expired: find the order again")
	boom := errors.New("db down")
	w.store.fail["LookupByToken"] = boom
	if _, err := w.svc.AccessOf(context.Background(), token); !errors.Is(err, boom) {
		t.Fatalf("err %v", err)
	}
}

func TestOrderSaysWhatMayStillBeReturned(t *testing.T) {
	w := newWorld()
	a, _ := w.verified()
	w.store.merchant.Policy = db.JSON(`{"non_returnable_categories":["underwear"]}`)
	w.store.taken = map[string]int{"shoes": 1}
	v, err := w.svc.Order(context.Background(), a)
	if err != nil {
		t.Fatal(err)
	}
	want := []OrderLine{
		{LineID: "shoes", Name: "Shoes", Category: "footwear", Quantity: 2, UnitPaid: 4500, Returnable: 1},
		{LineID: "socks", Name: "Socks", Category: "underwear", Quantity: 1, UnitPaid: 500, Returnable: 0, Why: "this kind of item cannot be returned"},
	}
	if !reflect.DeepEqual(v.Lines, want) {
		t.Fatalf("lines %+v", v.Lines)
	}
	if v.Merchant != "shop" || v.MerchantName != "The Shop" || v.Currency != "EUR" || v.Channel != "card_present" ||
		!reflect.DeepEqual(v.Methods, []returns.Method{"ship", "in_store"}) || len(v.Reasons) == 0 || !v.PlacedAt.Equal(w.store.order.PlacedAt) {
		t.Fatalf("view %+v", v)
	}
	// All returned already; an order without a payment has no channel.
	w.store.merchant.Policy = nil
	w.store.taken = map[string]int{"shoes": 2, "socks": 5}
	w.store.order.Payment = nil
	v, err = w.svc.Order(context.Background(), a)
	if err != nil || v.Channel != "" || v.Lines[0].Why != "already returned" || v.Lines[1].Returnable != 0 {
		t.Fatalf("%+v %v", v, err)
	}
	w.store.merchant.Policy = db.JSON(`{`)
	if _, err := w.svc.Order(context.Background(), a); err == nil {
		t.Fatal("a broken policy")
	}
}

func TestMerchant(t *testing.T) {
	w := newWorld()
	m, err := w.svc.Merchant(context.Background(), "shop")
	if err != nil || m != (Merchant{Slug: "shop", Name: "The Shop"}) {
		t.Fatalf("%+v %v", m, err)
	}
	_, err = w.svc.Merchant(context.Background(), "nobody")
	refused(t, err, apperr.ErrNotFound, "", "no such merchant")
	w.store.merchant.Status = "suspended"
	_, err = w.svc.Merchant(context.Background(), "shop")
	refused(t, err, apperr.ErrNotFound, "", "no such merchant")
	boom := errors.New("db down")
	w.store.fail["MerchantBySlug"] = boom
	if _, err := w.svc.Merchant(context.Background(), "shop"); !errors.Is(err, boom) {
		t.Fatalf("err %v", err)
	}
}
