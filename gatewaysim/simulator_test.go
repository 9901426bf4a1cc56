package gatewaysim_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rebound-returns/rebound/gatewaysim"
	"github.com/rebound-returns/rebound/payments"
)

const testAPIKey = "sk_test_rebound"

type gateway struct {
	sim    *gatewaysim.Simulator
	url    string
	client *payments.Client
}

// newGateway serves a simulator holding pays and returns it with a client of it.
func newGateway(t *testing.T, cfg gatewaysim.Config, pays ...gatewaysim.Payment) *gateway {
	t.Helper()
	cfg.APIKey = testAPIKey
	sim := gatewaysim.New(cfg)
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	t.Cleanup(sim.Close) // runs first: background work stops before the server goes
	for _, p := range pays {
		if err := sim.AddPayment(p); err != nil {
			t.Fatalf("AddPayment(%+v): %v", p, err)
		}
	}
	return &gateway{sim: sim, url: srv.URL, client: payments.NewClient(srv.URL, testAPIKey, srv.Client())}
}

func (g *gateway) refund(t *testing.T, key, paymentID string, amount int64) payments.Refund {
	t.Helper()
	return g.refundOf(t, "", key, paymentID, amount)
}

// refundOf refunds a payment of account ("" is the default account).
func (g *gateway) refundOf(t *testing.T, account, key, paymentID string, amount int64) payments.Refund {
	t.Helper()
	ref, err := g.client.CreateRefund(context.Background(), key, payments.RefundRequest{
		Account: account, PaymentID: paymentID, Amount: amount, Currency: "EUR", Reference: key,
	})
	if err != nil {
		t.Fatalf("CreateRefund(%s, %d): %v", paymentID, amount, err)
	}
	return ref
}

// settled polls GetRefund until the refund leaves pending.
func (g *gateway) settled(t *testing.T, id string) payments.Refund {
	t.Helper()
	var ref payments.Refund
	waitFor(t, "refund "+id+" to settle", func() bool {
		var err error
		ref, err = g.client.GetRefund(context.Background(), id)
		if err != nil {
			t.Fatalf("GetRefund(%s): %v", id, err)
		}
		return ref.Status != payments.StatusPending
	})
	return ref
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// receiver is a webhook endpoint that checks every signature, answers 500 to the first failFirst
// deliveries and passes accepted events on.
type receiver struct {
	url      string
	events   chan payments.WebhookEvent
	mu       sync.Mutex
	attempts []string // event id of every delivery attempt
}

func newReceiver(t *testing.T, secret string, failFirst int) *receiver {
	t.Helper()
	rc := &receiver{events: make(chan payments.WebhookEvent, 64)}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if ct := r.Header.Get("Content-Type"); ct != "application/json" {
			t.Errorf("webhook Content-Type = %q, want application/json", ct)
		}
		if !payments.VerifyWebhook(secret, body, r.Header.Get(payments.SignatureHeader)) {
			t.Errorf("webhook signature %q does not verify for %s", r.Header.Get(payments.SignatureHeader), body)
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		var ev payments.WebhookEvent
		if err := json.Unmarshal(body, &ev); err != nil {
			t.Errorf("webhook body %s: %v", body, err)
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		rc.mu.Lock()
		rc.attempts = append(rc.attempts, ev.ID)
		n := len(rc.attempts)
		rc.mu.Unlock()
		if n <= failFirst {
			w.WriteHeader(http.StatusInternalServerError)
			return
		}
		rc.events <- ev
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(srv.Close)
	rc.url = srv.URL
	return rc
}

func (rc *receiver) next(t *testing.T) payments.WebhookEvent {
	t.Helper()
	select {
	case ev := <-rc.events:
		return ev
	case <-time.After(5 * time.Second):
		t.Fatal("no webhook received within 5s")
		return payments.WebhookEvent{}
	}
}

func TestRefundSettlesFromPendingToSucceededWithSignedWebhook(t *testing.T) {
	t.Parallel()
	rc := newReceiver(t, "whsec_test", 0)
	g := newGateway(t, gatewaysim.Config{WebhookURL: rc.url, WebhookSecret: "whsec_test", SettleDelay: 50 * time.Millisecond},
		gatewaysim.Payment{ID: "pay_1", Amount: 2500, Currency: "EUR"})

	created := g.refund(t, "rma-1", "pay_1", 1000)
	if created.Status != payments.StatusPending || !strings.HasPrefix(created.ID, "re_") ||
		created.Amount != 1000 || created.Currency != "EUR" || created.PaymentID != "pay_1" || created.Reference != "rma-1" {
		t.Fatalf("created refund = %+v, want pending re_… of 1000 EUR on pay_1", created)
	}

	final := g.settled(t, created.ID)
	if final.Status != payments.StatusSucceeded || final.FailureCode != "" || final.Amount != 1000 {
		t.Errorf("settled refund = %+v, want succeeded 1000 without failure code", final)
	}

	ev := rc.next(t)
	if ev.Type != payments.EventRefundSucceeded || ev.Refund.ID != created.ID || ev.Refund.Status != payments.StatusSucceeded ||
		ev.Refund.Amount != 1000 || !strings.HasPrefix(ev.ID, "evt_") {
		t.Errorf("webhook = %+v, want refund.succeeded for %s", ev, created.ID)
	}

	// The same key and request after settling answer the first answer again, not a new refund.
	again := g.refund(t, "rma-1", "pay_1", 1000)
	if again.ID != created.ID || again.Status != payments.StatusPending {
		t.Errorf("replay = %+v, want the first answer (%s, pending)", again, created.ID)
	}
	waitFor(t, "webhook to be counted", func() bool { return g.sim.Stats().WebhooksSent == 1 })
	if st := g.sim.Stats(); st.Created != 1 || st.Succeeded != 1 || st.Replayed != 1 || st.Failed != 0 {
		t.Errorf("stats = %+v, want 1 created, 1 succeeded, 1 replayed", st)
	}
}

func TestIdempotentReplayReturnsTheSameRefundAndReservesOnce(t *testing.T) {
	t.Parallel()
	g := newGateway(t, gatewaysim.Config{}, gatewaysim.Payment{ID: "pay_1", Amount: 1000, Currency: "EUR"})

	const callers = 10
	ids := make([]string, callers)
	var wg sync.WaitGroup
	for i := range callers {
		wg.Go(func() {
			ref, err := g.client.CreateRefund(context.Background(), "rma-7",
				payments.RefundRequest{PaymentID: "pay_1", Amount: 600, Currency: "EUR", Reference: "rma-7"})
			if err != nil {
				t.Errorf("caller %d: %v", i, err)
			}
			ids[i] = ref.ID
		})
	}
	wg.Wait()
	for i, id := range ids {
		if id != ids[0] {
			t.Fatalf("caller %d got refund %s, caller 0 got %s", i, id, ids[0])
		}
	}
	if st := g.sim.Stats(); st.Created != 1 || st.Replayed != callers-1 {
		t.Errorf("stats = %+v, want 1 created and %d replayed", st, callers-1)
	}

	// Had the replays reserved again, the remaining 400 would not be refundable.
	if rest := g.refund(t, "rma-8", "pay_1", 400); rest.Status != payments.StatusSucceeded {
		t.Errorf("refund of the remaining 400 = %+v, want succeeded", rest)
	}
	if n := len(g.sim.Refunds()); n != 2 {
		t.Errorf("ledger holds %d refunds, want 2", n)
	}

	_, err := g.client.CreateRefund(context.Background(), "rma-7",
		payments.RefundRequest{PaymentID: "pay_1", Amount: 300, Currency: "EUR", Reference: "rma-7"})
	var apiErr *payments.APIError
	if !errors.As(err, &apiErr) || apiErr.Status != http.StatusUnprocessableEntity || apiErr.Code != "idempotency_key_reused" {
		t.Fatalf("reusing the key with another amount: err = %v, want 422 idempotency_key_reused", err)
	}
	if !payments.IsPermanent(err) {
		t.Errorf("IsPermanent(%v) = false, want true", err)
	}
}

func TestRefundAboveTheRemainderFailsAsExceedsRefundable(t *testing.T) {
	t.Parallel()
	g := newGateway(t, gatewaysim.Config{}, gatewaysim.Payment{ID: "pay_1", Amount: 1000, Currency: "EUR"})

	steps := []struct {
		amount      int64
		status      string
		failureCode string
	}{
		{700, payments.StatusSucceeded, ""},
		{400, payments.StatusFailed, "exceeds_refundable"}, // 700 + 400 > 1000
		{300, payments.StatusSucceeded, ""},                // the failed one reserved nothing
		{1, payments.StatusFailed, "exceeds_refundable"},
	}
	for i, s := range steps {
		ref := g.refund(t, fmt.Sprintf("rma-%d", i), "pay_1", s.amount)
		if ref.Status != s.status || ref.FailureCode != s.failureCode {
			t.Errorf("refund %d of %d = %s/%q, want %s/%q", i, s.amount, ref.Status, ref.FailureCode, s.status, s.failureCode)
		}
	}
}

func TestConcurrentRefundsNeverExceedThePayment(t *testing.T) {
	t.Parallel()
	// With a settle delay the winners are still pending while the others check what remains.
	g := newGateway(t, gatewaysim.Config{SettleDelay: 20 * time.Millisecond},
		gatewaysim.Payment{ID: "pay_1", Amount: 10_000, Currency: "EUR"})

	const callers, each = 50, 300
	var wg sync.WaitGroup
	for i := range callers {
		wg.Go(func() {
			_, err := g.client.CreateRefund(context.Background(), fmt.Sprintf("rma-%d", i),
				payments.RefundRequest{PaymentID: "pay_1", Amount: each, Currency: "EUR"})
			if err != nil {
				t.Errorf("caller %d: %v", i, err)
			}
		})
	}
	wg.Wait()

	var refunds []payments.Refund
	waitFor(t, "all refunds to settle", func() bool {
		refunds = g.sim.Refunds()
		for _, r := range refunds {
			if r.Status == payments.StatusPending {
				return false
			}
		}
		return true
	})
	var paid int64
	succeeded, exceeded := 0, 0
	for _, r := range refunds {
		switch {
		case r.Status == payments.StatusSucceeded:
			paid += r.Amount
			succeeded++
		case r.FailureCode == "exceeds_refundable":
			exceeded++
		default:
			t.Errorf("unexpected refund %+v", r)
		}
	}
	if len(refunds) != callers || paid > 10_000 || succeeded != 10_000/each || exceeded != callers-10_000/each {
		t.Errorf("%d refunds: %d succeeded paying %d, %d exceeds_refundable; want %d succeeded paying ≤ 10000, %d exceeded",
			len(refunds), succeeded, paid, exceeded, 10_000/each, callers-10_000/each)
	}
}

func TestPayFailRefundSettlesFailedWithCardClosed(t *testing.T) {
	t.Parallel()
	rc := newReceiver(t, "whsec_test", 0)
	g := newGateway(t, gatewaysim.Config{WebhookURL: rc.url, WebhookSecret: "whsec_test", SettleDelay: 20 * time.Millisecond},
		gatewaysim.Payment{ID: "pay_fail_1", Amount: 1000, Currency: "EUR"})

	first := g.refund(t, "rma-1", "pay_fail_1", 1000)
	if first.Status != payments.StatusPending {
		t.Fatalf("created refund status = %s, want pending", first.Status)
	}
	if final := g.settled(t, first.ID); final.Status != payments.StatusFailed || final.FailureCode != "card_closed" {
		t.Errorf("settled refund = %+v, want failed card_closed", final)
	}
	if ev := rc.next(t); ev.Type != payments.EventRefundFailed || ev.Refund.ID != first.ID || ev.Refund.FailureCode != "card_closed" {
		t.Errorf("webhook = %+v, want refund.failed card_closed for %s", ev, first.ID)
	}

	// A failed refund gives its reservation back: the full amount can be asked for again.
	second := g.refund(t, "rma-2", "pay_fail_1", 1000)
	if second.Status != payments.StatusPending {
		t.Errorf("second refund = %+v, want pending (not exceeds_refundable)", second)
	}
}

func TestSettleDelayZeroAnswersTheFinalStatus(t *testing.T) {
	t.Parallel()
	g := newGateway(t, gatewaysim.Config{},
		gatewaysim.Payment{ID: "pay_1", Amount: 1000, Currency: "EUR"},
		gatewaysim.Payment{ID: "pay_fail_2", Amount: 1000, Currency: "EUR"})

	if ref := g.refund(t, "rma-1", "pay_1", 1000); ref.Status != payments.StatusSucceeded {
		t.Errorf("refund on pay_1 = %+v, want succeeded at once", ref)
	}
	if ref := g.refund(t, "rma-2", "pay_fail_2", 500); ref.Status != payments.StatusFailed || ref.FailureCode != "card_closed" {
		t.Errorf("refund on pay_fail_2 = %+v, want failed card_closed at once", ref)
	}
	if st := g.sim.Stats(); st.Created != 2 || st.Succeeded != 1 || st.Failed != 1 {
		t.Errorf("stats = %+v, want 2 created, 1 succeeded, 1 failed", st)
	}
}

func TestGatewayRefusesBadRequests(t *testing.T) {
	t.Parallel()
	g := newGateway(t, gatewaysim.Config{}, gatewaysim.Payment{ID: "pay_1", Amount: 1000, Currency: "EUR"})
	ok := payments.RefundRequest{PaymentID: "pay_1", Amount: 100, Currency: "EUR"}

	cases := []struct {
		name   string
		client *payments.Client
		edit   func(*payments.RefundRequest)
		status int
		code   string
	}{
		{"unknown payment", g.client, func(r *payments.RefundRequest) { r.PaymentID = "pay_nope" }, 404, "payment_not_found"},
		{"wrong api key", payments.NewClient(g.url, "sk_wrong", nil), func(*payments.RefundRequest) {}, 401, "unauthorized"},
		{"no api key", payments.NewClient(g.url, "", nil), func(*payments.RefundRequest) {}, 401, "unauthorized"},
		{"currency mismatch", g.client, func(r *payments.RefundRequest) { r.Currency = "USD" }, 400, "currency_mismatch"},
		{"zero amount", g.client, func(r *payments.RefundRequest) { r.Amount = 0 }, 400, "amount_invalid"},
		{"negative amount", g.client, func(r *payments.RefundRequest) { r.Amount = -5 }, 400, "amount_invalid"},
		{"lower-case currency", g.client, func(r *payments.RefundRequest) { r.Currency = "eur" }, 400, "currency_invalid"},
		{"no payment id", g.client, func(r *payments.RefundRequest) { r.PaymentID = "" }, 400, "payment_id_required"},
	}
	for i, c := range cases {
		req := ok
		c.edit(&req)
		_, err := c.client.CreateRefund(context.Background(), fmt.Sprintf("key-%d", i), req)
		var apiErr *payments.APIError
		if !errors.As(err, &apiErr) || apiErr.Status != c.status || apiErr.Code != c.code {
			t.Errorf("%s: err = %v, want %d %s", c.name, err, c.status, c.code)
			continue
		}
		if !payments.IsPermanent(err) {
			t.Errorf("%s: IsPermanent = false, want true", c.name)
		}
	}

	_, err := g.client.GetRefund(context.Background(), "re_unknown")
	var apiErr *payments.APIError
	if !errors.As(err, &apiErr) || apiErr.Status != 404 || apiErr.Code != "refund_not_found" {
		t.Errorf("GetRefund(unknown): err = %v, want 404 refund_not_found", err)
	}
	if n := len(g.sim.Refunds()); n != 0 {
		t.Errorf("refused requests created %d refunds", n)
	}
}

// post sends body to the simulator with the given headers and returns the status and error code.
func post(t *testing.T, url string, header map[string]string, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("POST %s: %v", url, err)
	}
	defer resp.Body.Close()
	var eb struct {
		Error struct{ Code string } `json:"error"`
	}
	_ = json.NewDecoder(resp.Body).Decode(&eb)
	return resp.StatusCode, eb.Error.Code
}

func TestRawRequestsNeedBearerAndIdempotencyKey(t *testing.T) {
	t.Parallel()
	g := newGateway(t, gatewaysim.Config{}, gatewaysim.Payment{ID: "pay_1", Amount: 1000, Currency: "EUR"})
	body := `{"payment_id":"pay_1","amount":100,"currency":"EUR"}`
	bearer := "Bearer " + testAPIKey

	if status, code := post(t, g.url+"/v1/refunds", map[string]string{"Idempotency-Key": "k1"}, body); status != 401 || code != "unauthorized" {
		t.Errorf("no bearer: %d %s, want 401 unauthorized", status, code)
	}
	if status, code := post(t, g.url+"/v1/refunds", map[string]string{"Authorization": bearer}, body); status != 400 || code != "idempotency_key_required" {
		t.Errorf("no Idempotency-Key: %d %s, want 400 idempotency_key_required", status, code)
	}
	if status, code := post(t, g.url+"/v1/refunds", map[string]string{"Authorization": bearer, "Idempotency-Key": "k2"}, `{"amount":1.5}`); status != 400 || code != "invalid_json" {
		t.Errorf("fractional amount: %d %s, want 400 invalid_json", status, code)
	}
	if n := len(g.sim.Refunds()); n != 0 {
		t.Errorf("refused requests created %d refunds", n)
	}
}

func TestAdminAddsPaymentsOnce(t *testing.T) {
	t.Parallel()
	g := newGateway(t, gatewaysim.Config{})
	auth := map[string]string{"Authorization": "Bearer " + testAPIKey}

	steps := []struct {
		header map[string]string
		body   string
		status int
	}{
		{nil, `{"id":"pay_9","amount":5000,"currency":"GBP"}`, 401},
		{auth, `{"id":"pay_9","amount":5000,"currency":"GBP"}`, 201},
		{auth, `{"id":"pay_9","amount":5000,"currency":"GBP"}`, 200}, // same again: no-op
		{auth, `{"id":"pay_9","amount":4000,"currency":"GBP"}`, 409},
		{auth, `{"id":"pay_10","amount":0,"currency":"GBP"}`, 400},
	}
	for i, s := range steps {
		if status, code := post(t, g.url+"/admin/payments", s.header, s.body); status != s.status {
			t.Errorf("step %d %s: %d %s, want %d", i, s.body, status, code, s.status)
		}
	}
	if err := g.sim.AddPayment(gatewaysim.Payment{ID: "pay_9", Amount: 5000, Currency: "EUR"}); err == nil {
		t.Error("AddPayment with another currency for pay_9 succeeded, want an error")
	}
	_, err := g.client.CreateRefund(context.Background(), "k", payments.RefundRequest{PaymentID: "pay_9", Amount: 5000, Currency: "GBP"})
	if err != nil {
		t.Errorf("refund on the added payment: %v", err)
	}
}

func TestWebhookIsRetriedUntilTheReceiverAccepts(t *testing.T) {
	t.Parallel()
	rc := newReceiver(t, "whsec_test", 2)
	g := newGateway(t, gatewaysim.Config{WebhookURL: rc.url, WebhookSecret: "whsec_test"},
		gatewaysim.Payment{ID: "pay_1", Amount: 1000, Currency: "EUR"})

	ref := g.refund(t, "rma-1", "pay_1", 250)
	ev := rc.next(t)
	if ev.Refund.ID != ref.ID || ev.Type != payments.EventRefundSucceeded {
		t.Errorf("webhook = %+v, want refund.succeeded for %s", ev, ref.ID)
	}
	rc.mu.Lock()
	attempts := append([]string(nil), rc.attempts...)
	rc.mu.Unlock()
	if len(attempts) != 3 || attempts[0] != ev.ID || attempts[1] != ev.ID || attempts[2] != ev.ID {
		t.Errorf("delivery attempts = %v, want 3 of event %s", attempts, ev.ID)
	}
	waitFor(t, "webhook stats", func() bool { return g.sim.Stats().WebhooksSent == 1 })
	if st := g.sim.Stats(); st.WebhookFailures != 2 {
		t.Errorf("WebhookFailures = %d, want 2", st.WebhookFailures)
	}
}

func TestCloseStopsSettlingAndIsSafeTwice(t *testing.T) {
	t.Parallel()
	g := newGateway(t, gatewaysim.Config{SettleDelay: time.Hour}, gatewaysim.Payment{ID: "pay_1", Amount: 1000, Currency: "EUR"})
	ref := g.refund(t, "rma-1", "pay_1", 100)

	done := make(chan struct{})
	go func() {
		g.sim.Close()
		g.sim.Close()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Close did not return within 5s")
	}

	if got, err := g.client.GetRefund(context.Background(), ref.ID); err != nil || got.Status != payments.StatusPending {
		t.Errorf("after Close: GetRefund = %+v, %v; want still pending", got, err)
	}
	_, err := g.client.CreateRefund(context.Background(), "rma-2", payments.RefundRequest{PaymentID: "pay_1", Amount: 100, Currency: "EUR"})
	if err == nil || payments.IsPermanent(err) {
		t.Errorf("create after Close: err = %v, want a transient error", err)
	}
}
