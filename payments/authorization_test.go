package payments_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/rebound-returns/rebound/payments"
)

// Each hold and charge call goes to its path with the account's key, the
// Idempotency-Key and the account in the body (or query); answers decode
// into Authorization and refusals into *APIError.
func TestClientHoldCallsSendKeysAndPaths(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var seen []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body map[string]any
		_ = json.NewDecoder(r.Body).Decode(&body)
		mu.Lock()
		seen = append(seen, r.Method+" "+r.URL.RequestURI()+" "+r.Header.Get("Authorization")+" "+r.Header.Get("Idempotency-Key"))
		mu.Unlock()
		if r.Method == http.MethodPost && body["account"] != "shop" {
			t.Errorf("%s: body %v names no account shop", r.URL.Path, body)
		}
		switch r.URL.Path {
		case "/v1/authorizations/au_2/void":
			w.WriteHeader(http.StatusConflict)
			_, _ = w.Write([]byte(`{"error":{"code":"not_voidable","message":"authorization au_2 is captured"}}`))
			return
		case "/v1/authorizations/au_1/capture":
			if body["amount"] != 700.0 {
				t.Errorf("capture body %v", body)
			}
		}
		_, _ = w.Write([]byte(`{"id":"au_1","kind":"hold","payment_id":"pay_1","amount":1000,"currency":"EUR","status":"authorized"}`))
	}))
	t.Cleanup(srv.Close)
	c := payments.NewClient(srv.URL, "sk_admin", srv.Client())
	c.Keys = map[string]string{"shop": "sk_shop"}
	ctx := context.Background()

	a, err := c.Authorize(ctx, "k1", payments.AuthorizeRequest{Account: "shop", PaymentID: "pay_1", Amount: 1000, Currency: "EUR"})
	if err != nil || a.ID != "au_1" || a.Status != payments.StatusAuthorized || a.Outcome() != payments.OutcomeDone || !a.Final() {
		t.Fatalf("Authorize = %+v, %v", a, err)
	}
	if _, err := c.Charge(ctx, "k2", payments.ChargeRequest{Account: "shop", PaymentID: "pay_1", Amount: 300, Currency: "EUR"}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Capture(ctx, "k3", "shop", "au_1", 700); err != nil {
		t.Fatal(err)
	}
	_, err = c.Void(ctx, "k4", "shop", "au_2")
	if !payments.IsFinalRefusal(err) || payments.IsPermanent(err) {
		t.Fatalf("a void refused as not voidable: %v (final %v, permanent %v)", err, payments.IsFinalRefusal(err), payments.IsPermanent(err))
	}
	if _, err := c.GetAuthorization(ctx, "shop", "au_1"); err != nil {
		t.Fatal(err)
	}
	for _, call := range []func() error{
		func() error {
			_, err := c.Authorize(ctx, "", payments.AuthorizeRequest{PaymentID: "pay_1"})
			return err
		},
		func() error { _, err := c.Capture(ctx, "k5", "shop", "", 0); return err },
		func() error { _, err := c.Void(ctx, "", "shop", "au_1"); return err },
	} {
		if err := call(); !payments.IsPermanent(err) {
			t.Errorf("a call without a key or an id: %v, want a permanent refusal", err)
		}
	}
	want := []string{
		"POST /v1/authorizations Bearer sk_shop k1",
		"POST /v1/charges Bearer sk_shop k2",
		"POST /v1/authorizations/au_1/capture Bearer sk_shop k3",
		"POST /v1/authorizations/au_2/void Bearer sk_shop k4",
		"GET /v1/authorizations/au_1?account=shop Bearer sk_shop ",
	}
	if len(seen) != len(want) {
		t.Fatalf("requests %q, want %q", seen, want)
	}
	for i := range want {
		if seen[i] != want[i] {
			t.Errorf("request %d = %q, want %q", i, seen[i], want[i])
		}
	}
}
