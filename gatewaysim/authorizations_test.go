package gatewaysim_test

import (
	"context"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rebound-returns/rebound/gatewaysim"
	"github.com/rebound-returns/rebound/payments"
)

func (g *gateway) authorize(t *testing.T, key, paymentID string, amount int64) payments.Authorization {
	t.Helper()
	a, err := g.client.Authorize(context.Background(), key, payments.AuthorizeRequest{PaymentID: paymentID, Amount: amount, Currency: "EUR", Reference: key})
	if err != nil {
		t.Fatalf("Authorize(%s, %d): %v", paymentID, amount, err)
	}
	return a
}

// final polls GetAuthorization until a leaves its pending status.
func (g *gateway) final(t *testing.T, id string) payments.Authorization {
	t.Helper()
	var a payments.Authorization
	waitFor(t, "authorization "+id+" to settle", func() bool {
		var err error
		if a, err = g.client.GetAuthorization(context.Background(), "", id); err != nil {
			t.Fatalf("GetAuthorization(%s): %v", id, err)
		}
		return a.Final()
	})
	return a
}

// A hold is authorised after the settle delay with a signed webhook, its
// capture once likewise; the same key replays, another key's capture and a
// void after the capture are refused.
func TestHoldIsAuthorisedThenCapturedOnceWithSignedWebhooks(t *testing.T) {
	t.Parallel()
	rc := newReceiver(t, "whsec_test", 1) // the first delivery fails and is tried again
	g := newGateway(t, gatewaysim.Config{WebhookURL: rc.url, WebhookSecret: "whsec_test", SettleDelay: 30 * time.Millisecond},
		gatewaysim.Payment{ID: "pay_1", Amount: 5000, Currency: "EUR"})
	ctx := context.Background()

	created := g.authorize(t, "hold-1", "pay_1", 4000)
	if created.Status != payments.StatusPending || !strings.HasPrefix(created.ID, "au_") || created.Kind != payments.KindHold ||
		created.Amount != 4000 || created.Reference != "hold-1" {
		t.Fatalf("created = %+v, want a pending au_… hold of 4000", created)
	}
	if again := g.authorize(t, "hold-1", "pay_1", 4000); again.ID != created.ID {
		t.Fatalf("replayed authorize = %+v, want %s", again, created.ID)
	}
	if _, err := g.client.Authorize(ctx, "hold-1", payments.AuthorizeRequest{PaymentID: "pay_1", Amount: 3000, Currency: "EUR"}); apiError(t, err).Code != "idempotency_key_reused" {
		t.Fatalf("the key with another amount: %v", err)
	}
	if _, err := g.client.Capture(ctx, "cap-0", "", created.ID, 0); apiError(t, err).Code != "not_capturable" {
		t.Fatalf("capture while pending: %v", err)
	}
	if a := g.final(t, created.ID); a.Status != payments.StatusAuthorized {
		t.Fatalf("settled = %+v, want authorized", a)
	}
	if ev := rc.next(t); ev.Type != payments.EventAuthorizationSucceeded || ev.Authorization == nil || ev.Authorization.ID != created.ID {
		t.Fatalf("webhook = %+v, want authorization.succeeded of %s", ev, created.ID)
	}

	if _, err := g.client.Capture(ctx, "cap-1", "", created.ID, 4001); apiError(t, err).Status != http.StatusUnprocessableEntity {
		t.Fatalf("capture above the hold: %v", err)
	}
	capd, err := g.client.Capture(ctx, "cap-1", "", created.ID, 2500)
	if err != nil || capd.Status != payments.StatusCapturePending || capd.Captured != 2500 {
		t.Fatalf("capture = %+v, %v", capd, err)
	}
	if again, err := g.client.Capture(ctx, "cap-1", "", created.ID, 2500); err != nil || again.Captured != 2500 {
		t.Fatalf("replayed capture = %+v, %v", again, err)
	}
	if _, err := g.client.Capture(ctx, "cap-2", "", created.ID, 2500); apiError(t, err).Code != "already_captured" {
		t.Fatalf("a second capture: %v", err)
	}
	if _, err := g.client.Void(ctx, "void-1", "", created.ID); apiError(t, err).Code != "not_voidable" {
		t.Fatalf("void after capture: %v", err)
	}
	if a := g.final(t, created.ID); a.Status != payments.StatusCaptured || a.Captured != 2500 {
		t.Fatalf("captured = %+v", a)
	}
	if ev := rc.next(t); ev.Type != payments.EventAuthorizationCaptured || ev.Authorization.Captured != 2500 {
		t.Fatalf("webhook = %+v, want authorization.captured of 2500", ev)
	}
	// The 1500 not captured went back to the payment's limit.
	if a := g.final(t, g.authorize(t, "hold-2", "pay_1", 2500).ID); a.Status != payments.StatusAuthorized {
		t.Fatalf("2500 more of a 5000 limit with 2500 captured = %+v", a)
	}
	if st := g.sim.Stats(); st.Authorizations != 2 || st.Captured != 1 || st.Replayed != 2 {
		t.Errorf("stats = %+v", st)
	}
}

// A void releases the hold's amount, once; voiding again answers the voided
// hold and capturing it is refused.
func TestVoidReleasesTheHold(t *testing.T) {
	t.Parallel()
	rc := newReceiver(t, "whsec_test", 0)
	g := newGateway(t, gatewaysim.Config{WebhookURL: rc.url, WebhookSecret: "whsec_test"},
		gatewaysim.Payment{ID: "pay_1", Amount: 1000, Currency: "EUR"})
	ctx := context.Background()
	a := g.authorize(t, "hold-1", "pay_1", 1000)
	if a.Status != payments.StatusAuthorized {
		t.Fatalf("without a settle delay the hold answers authorized: %+v", a)
	}
	if full := g.authorize(t, "hold-2", "pay_1", 1); full.Status != payments.StatusFailed || full.FailureCode != "exceeds_limit" {
		t.Fatalf("beyond the limit = %+v, want failed exceeds_limit", full)
	}
	v, err := g.client.Void(ctx, "void-1", "", a.ID)
	if err != nil || v.Status != payments.StatusVoided {
		t.Fatalf("void = %+v, %v", v, err)
	}
	if v, err := g.client.Void(ctx, "void-2", "", a.ID); err != nil || v.Status != payments.StatusVoided {
		t.Fatalf("void again = %+v, %v", v, err)
	}
	if _, err := g.client.Capture(ctx, "cap-1", "", a.ID, 0); apiError(t, err).Code != "not_capturable" {
		t.Fatalf("capture after void: %v", err)
	}
	if again := g.authorize(t, "hold-3", "pay_1", 1000); again.Status != payments.StatusAuthorized {
		t.Fatalf("the voided amount is free again: %+v", again)
	}
	types := map[string]int{}
	for range 4 {
		types[rc.next(t).Type]++
	}
	if types[payments.EventAuthorizationSucceeded] != 2 || types[payments.EventAuthorizationFailed] != 1 || types[payments.EventAuthorizationVoided] != 1 {
		t.Errorf("webhooks %v", types)
	}
}

// Concurrent captures of one hold under different keys: exactly one wins.
func TestConcurrentCapturesOnlyOneWins(t *testing.T) {
	t.Parallel()
	g := newGateway(t, gatewaysim.Config{}, gatewaysim.Payment{ID: "pay_1", Amount: 1000, Currency: "EUR"})
	a := g.authorize(t, "hold-1", "pay_1", 1000)
	var wg sync.WaitGroup
	var mu sync.Mutex
	won, refused := 0, 0
	for i := range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := g.client.Capture(context.Background(), "cap-"+string(rune('a'+i)), "", a.ID, int64(100+i))
			mu.Lock()
			defer mu.Unlock()
			if err == nil {
				won++
			} else if apiError(t, err).Code == "already_captured" {
				refused++
			}
		}()
	}
	wg.Wait()
	if won != 1 || refused != 19 {
		t.Fatalf("%d captures won, %d refused as already captured; want 1 and 19", won, refused)
	}
	if st := g.sim.Stats(); st.Captured != 1 {
		t.Errorf("stats %+v, want one capture", st)
	}
}

// Faults: a closed or expired card fails holds and charges after the
// delay; a charge captures at once otherwise and cannot be voided.
func TestCardFaultsAndCharges(t *testing.T) {
	t.Parallel()
	rc := newReceiver(t, "whsec_test", 0)
	g := newGateway(t, gatewaysim.Config{WebhookURL: rc.url, WebhookSecret: "whsec_test", SettleDelay: 20 * time.Millisecond},
		gatewaysim.Payment{ID: "pay_fail_1", Amount: 1000, Currency: "EUR"},
		gatewaysim.Payment{ID: "pay_expired_1", Amount: 1000, Currency: "EUR"},
		gatewaysim.Payment{ID: "pay_1", Amount: 1000, Currency: "EUR", AuthLimit: 3000})
	ctx := context.Background()
	for pay, code := range map[string]string{"pay_fail_1": "card_closed", "pay_expired_1": "card_expired"} {
		a := g.final(t, g.authorize(t, "hold-"+pay, pay, 500).ID)
		if a.Status != payments.StatusFailed || a.FailureCode != code {
			t.Errorf("hold on %s = %+v, want failed %s", pay, a, code)
		}
	}
	ch, err := g.client.Charge(ctx, "diff-1", payments.ChargeRequest{PaymentID: "pay_1", Amount: 2500, Currency: "EUR", Reference: "diff-1"})
	if err != nil || ch.Kind != payments.KindCharge || ch.Status != payments.StatusPending {
		t.Fatalf("charge = %+v, %v", ch, err)
	}
	if a := g.final(t, ch.ID); a.Status != payments.StatusCaptured || a.Captured != 2500 {
		t.Fatalf("charge settled = %+v (the payment's AuthLimit allows 3000)", a)
	}
	if _, err := g.client.Void(ctx, "void-1", "", ch.ID); apiError(t, err).Status != http.StatusNotFound {
		t.Fatalf("void of a charge: %v", err)
	}
	if _, err := g.client.GetAuthorization(ctx, "another", ch.ID); apiError(t, err).Status != http.StatusNotFound {
		t.Fatalf("another account's look-up: %v", err)
	}
	types := map[string]int{}
	for range 3 {
		types[rc.next(t).Type]++
	}
	if types[payments.EventAuthorizationFailed] != 2 || types[payments.EventChargeSucceeded] != 1 {
		t.Errorf("webhooks %v", types)
	}
	if got := g.sim.Authorizations(); len(got) != 3 {
		t.Errorf("Authorizations() = %d, want 3", len(got))
	}
	status, body := get(t, g.url+"/admin/authorizations", testAPIKey)
	if status != http.StatusOK || strings.Count(body, `"id":"au_`) != 3 {
		t.Errorf("GET /admin/authorizations = %d %s", status, body)
	}
}

// Bad calls get 4xx with the gateway's codes.
func TestAuthorizationCallsRefuseBadRequests(t *testing.T) {
	t.Parallel()
	g := newGateway(t, gatewaysim.Config{}, gatewaysim.Payment{ID: "pay_1", Amount: 1000, Currency: "EUR"})
	for _, c := range []struct {
		path, key, body, code string
	}{
		{"/v1/authorizations", "", `{"payment_id":"pay_1","amount":1,"currency":"EUR"}`, "idempotency_key_required"},
		{"/v1/authorizations", "k1", `{"payment_id":"pay_1","amount":0,"currency":"EUR"}`, "amount_invalid"},
		{"/v1/authorizations", "k2", `{"payment_id":"pay_x","amount":1,"currency":"EUR"}`, "payment_not_found"},
		{"/v1/authorizations", "k3", `{"payment_id":"pay_1","amount":1,"currency":"USD"}`, "currency_mismatch"},
		{"/v1/charges", "k4", `not json`, "invalid_json"},
		{"/v1/authorizations/au_x/capture", "k5", `{"amount":1}`, "authorization_not_found"},
		{"/v1/authorizations/au_x/void", "k6", `{}`, "authorization_not_found"},
	} {
		h := map[string]string{"Authorization": "Bearer " + testAPIKey}
		if c.key != "" {
			h["Idempotency-Key"] = c.key
		}
		status, body := post(t, g.url+c.path, h, c.body)
		if status < 400 || status > 499 || body != c.code {
			t.Errorf("POST %s %s = %d %s, want 4xx %s", c.path, c.body, status, body, c.code)
		}
	}
}

func get(t *testing.T, url, key string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	req.Header.Set("Authorization", "Bearer "+key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}
