package gatewaysim_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/rebound-returns/rebound/gatewaysim"
	"github.com/rebound-returns/rebound/payments"
)

// Each merchant has its own gateway account and key; every refund names its account.

const (
	acmeKey = "sk_acme"
	demoKey = "sk_demo"
)

var accountKeys = map[string]string{"acme": acmeKey, "demo": demoKey}

// newAccountsGateway serves a simulator that knows the keys of acme and demo and holds a payment
// of each, with a client holding both keys.
func newAccountsGateway(t *testing.T, cfg gatewaysim.Config) *gateway {
	t.Helper()
	cfg.AccountKeys = accountKeys
	g := newGateway(t, cfg,
		gatewaysim.Payment{ID: "pay_acme", Amount: 1000, Currency: "EUR", Account: "acme"},
		gatewaysim.Payment{ID: "pay_demo", Amount: 1000, Currency: "EUR", Account: "demo"},
		gatewaysim.Payment{ID: "pay_default", Amount: 1000, Currency: "EUR"})
	g.client.Keys = accountKeys
	return g
}

func apiError(t *testing.T, err error) *payments.APIError {
	t.Helper()
	var apiErr *payments.APIError
	if !errors.As(err, &apiErr) {
		t.Fatalf("err = %v, want an answer of the gateway", err)
	}
	return apiErr
}

func TestClientNamesTheAccountAndSendsItsKey(t *testing.T) {
	t.Parallel()
	type seen struct{ method, path, query, auth, account string }
	var mu sync.Mutex
	var got []seen
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body struct {
			Account *string `json:"account"`
		}
		account := "<none>"
		if r.Method == http.MethodPost {
			if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
				t.Errorf("request body: %v", err)
			}
			if body.Account != nil {
				account = *body.Account
			}
		}
		mu.Lock()
		got = append(got, seen{r.Method, r.URL.Path, r.URL.RawQuery, r.Header.Get("Authorization"), account})
		mu.Unlock()
		_, _ = w.Write([]byte(`{"id":"re_1","status":"pending"}`))
	}))
	t.Cleanup(srv.Close)

	c := payments.NewClient(srv.URL, "sk_default", srv.Client())
	c.Keys = map[string]string{"acme": acmeKey, "demo": demoKey}
	ctx := context.Background()
	for _, account := range []string{"acme", "", "shop-without-a-key"} {
		if _, err := c.CreateRefund(ctx, "att-"+account, payments.RefundRequest{Account: account, PaymentID: "pay_1", Amount: 100, Currency: "EUR"}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := c.GetAccountRefund(ctx, "demo", "re_1"); err != nil {
		t.Fatal(err)
	}
	if _, err := c.GetRefund(ctx, "re_1"); err != nil {
		t.Fatal(err)
	}
	want := []seen{
		{"POST", "/v1/refunds", "", "Bearer " + acmeKey, "acme"},
		{"POST", "/v1/refunds", "", "Bearer sk_default", payments.DefaultAccount},
		{"POST", "/v1/refunds", "", "Bearer sk_default", "shop-without-a-key"},
		{"GET", "/v1/refunds/re_1", "account=demo", "Bearer " + demoKey, "<none>"},
		{"GET", "/v1/refunds/re_1", "account=" + payments.DefaultAccount, "Bearer sk_default", "<none>"},
	}
	if len(got) != len(want) {
		t.Fatalf("requests %+v, want %+v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("request %d = %+v, want %+v", i, got[i], want[i])
		}
	}
}

func TestAnotherAccountsPaymentIsRefusedAsUnknown(t *testing.T) {
	t.Parallel()
	rc := newReceiver(t, "whsec_test", 0)
	g := newAccountsGateway(t, gatewaysim.Config{WebhookURL: rc.url, WebhookSecret: "whsec_test"})
	ctx := context.Background()
	refund := func(account, paymentID string) (payments.Refund, error) {
		return g.client.CreateRefund(ctx, "att-"+account+"-"+paymentID,
			payments.RefundRequest{Account: account, PaymentID: paymentID, Amount: 100, Currency: "EUR"})
	}

	_, unknownErr := refund("acme", "pay_nope")
	unknown := apiError(t, unknownErr)
	for _, c := range []struct{ account, payment string }{{"acme", "pay_demo"}, {"", "pay_demo"}, {"demo", "pay_default"}} {
		_, err := refund(c.account, c.payment)
		got := apiError(t, err)
		if got.Status != http.StatusNotFound || got.Code != unknown.Code || got.Message != "payment "+c.payment+" not found" {
			t.Errorf("account %q refunding %s: %+v, want what an unknown payment gets (%+v)", c.account, c.payment, got, unknown)
		}
	}
	if n := len(g.sim.Refunds()); n != 0 {
		t.Fatalf("refused requests created %d refunds", n)
	}

	ref, err := refund("demo", "pay_demo")
	if err != nil || ref.Status != payments.StatusSucceeded || ref.Account != "demo" {
		t.Fatalf("demo refunding its own payment: %+v, %v", ref, err)
	}
	if ev := rc.next(t); ev.Refund.ID != ref.ID || ev.Refund.Account != "demo" {
		t.Errorf("webhook %+v, want refund %s of demo", ev, ref.ID)
	}
	if _, err := refund("", "pay_default"); err != nil {
		t.Errorf("a request naming no account refunds a payment of the default account: %v", err)
	}

	if got, err := g.client.GetAccountRefund(ctx, "demo", ref.ID); err != nil || got.ID != ref.ID {
		t.Errorf("demo looks up its refund: %+v, %v", got, err)
	}
	for _, account := range []string{"acme", ""} {
		_, err := g.client.GetAccountRefund(ctx, account, ref.ID)
		if e := apiError(t, err); e.Status != http.StatusNotFound || e.Code != "refund_not_found" {
			t.Errorf("account %q looks up demo's refund: %+v, want 404 refund_not_found", account, e)
		}
	}
}

func TestARefundNeedsTheKeyOfTheAccountItNames(t *testing.T) {
	t.Parallel()
	g := newAccountsGateway(t, gatewaysim.Config{})
	ctx := context.Background()
	ref, err := g.client.CreateRefund(ctx, "att-1", payments.RefundRequest{Account: "demo", PaymentID: "pay_demo", Amount: 100, Currency: "EUR"})
	if err != nil {
		t.Fatal(err)
	}

	for name, key := range map[string]string{"acme's key": acmeKey, "the admin key": testAPIKey, "an unknown key": "sk_nobody", "no key": ""} {
		c := payments.NewClient(g.url, testAPIKey, nil)
		c.Keys = map[string]string{"demo": key}
		_, err := c.CreateRefund(ctx, "att-2", payments.RefundRequest{Account: "demo", PaymentID: "pay_demo", Amount: 100, Currency: "EUR"})
		if e := apiError(t, err); e.Status != http.StatusUnauthorized || e.Code != "unauthorized" {
			t.Errorf("refund for demo with %s: %+v, want 401 unauthorized", name, e)
		}
		_, err = c.GetAccountRefund(ctx, "demo", ref.ID)
		if e := apiError(t, err); e.Status != http.StatusUnauthorized {
			t.Errorf("look-up for demo with %s: %+v, want 401", name, e)
		}
	}
	// A key must come as a bearer token.
	if status, code := post(t, g.url+"/v1/refunds", map[string]string{"Authorization": demoKey, "Idempotency-Key": "att-4"},
		`{"account":"demo","payment_id":"pay_demo","amount":100,"currency":"EUR"}`); status != http.StatusUnauthorized || code != "unauthorized" {
		t.Errorf("demo's key without \"Bearer \": %d %s, want 401", status, code)
	}
	// The default account, and accounts without a key of their own, take the admin key.
	c := payments.NewClient(g.url, acmeKey, nil)
	_, err = c.CreateRefund(ctx, "att-3", payments.RefundRequest{PaymentID: "pay_default", Amount: 100, Currency: "EUR"})
	if e := apiError(t, err); e.Status != http.StatusUnauthorized {
		t.Errorf("default account with acme's key: %+v, want 401", e)
	}
	if err := g.sim.AddPayment(gatewaysim.Payment{ID: "pay_z", Amount: 1000, Currency: "EUR", Account: "shop-z"}); err != nil {
		t.Fatal(err)
	}
	if _, err := g.client.CreateRefund(ctx, "att-5", payments.RefundRequest{Account: "shop-z", PaymentID: "pay_z", Amount: 100, Currency: "EUR"}); err != nil {
		t.Errorf("an account without a key of its own, with the admin key: %v", err)
	}
	if n := len(g.sim.Refunds()); n != 2 {
		t.Errorf("the ledger holds %d refunds, want 2", n)
	}
}

func TestIdempotencyKeysAreEachAccountsOwn(t *testing.T) {
	t.Parallel()
	g := newAccountsGateway(t, gatewaysim.Config{})
	ctx := context.Background()
	acme := payments.RefundRequest{Account: "acme", PaymentID: "pay_acme", Amount: 600, Currency: "EUR", Reference: "att-1"}
	demo := payments.RefundRequest{Account: "demo", PaymentID: "pay_demo", Amount: 300, Currency: "EUR", Reference: "att-1"}

	first, err := g.client.CreateRefund(ctx, "att-1", acme)
	if err != nil {
		t.Fatal(err)
	}
	other, err := g.client.CreateRefund(ctx, "att-1", demo)
	if err != nil || other.ID == first.ID || other.Account != "demo" || other.Amount != 300 {
		t.Fatalf("demo with acme's idempotency key: %+v, %v; want a refund of its own", other, err)
	}
	again, err := g.client.CreateRefund(ctx, "att-1", acme)
	if err != nil || again.ID != first.ID {
		t.Fatalf("acme's retry: %+v, %v; want the first refund %s", again, err, first.ID)
	}
	acme.Amount = 500
	_, err = g.client.CreateRefund(ctx, "att-1", acme)
	if e := apiError(t, err); e.Status != http.StatusUnprocessableEntity || e.Code != "idempotency_key_reused" {
		t.Errorf("acme's key with another amount: %+v, want 422 idempotency_key_reused", e)
	}
	// A request naming no account and one naming the default account are the same request.
	def := payments.RefundRequest{PaymentID: "pay_default", Amount: 100, Currency: "EUR"}
	a, errA := g.client.CreateRefund(ctx, "att-d", def)
	def.Account = payments.DefaultAccount
	b, errB := g.client.CreateRefund(ctx, "att-d", def)
	if errA != nil || errB != nil || a.ID != b.ID {
		t.Errorf("default account: %+v, %v then %+v, %v; want one refund", a, errA, b, errB)
	}
	if st := g.sim.Stats(); st.Created != 3 || st.Replayed != 2 {
		t.Errorf("stats = %+v, want 3 created and 2 replayed", st)
	}
}
