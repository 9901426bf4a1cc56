package payments_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/rebound-returns/rebound/payments"
)

func TestClientSendsBearerIdempotencyKeyAndJSON(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || r.URL.Path != "/v1/refunds" {
			t.Errorf("request = %s %s, want POST /v1/refunds", r.Method, r.URL.Path)
		}
		if got := r.Header.Get("Authorization"); got != "Bearer sk_live_x" {
			t.Errorf("Authorization = %q", got)
		}
		if got := r.Header.Get("Idempotency-Key"); got != "rma-42" {
			t.Errorf("Idempotency-Key = %q, want rma-42", got)
		}
		var req map[string]any
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
			t.Errorf("request body: %v", err)
		}
		if req["payment_id"] != "pay_1" || req["amount"] != 1999.0 || req["currency"] != "JPY" || req["reference"] != "RMA-42" {
			t.Errorf("request body = %v", req)
		}
		w.WriteHeader(http.StatusCreated)
		_, _ = w.Write([]byte(`{"id":"re_1","payment_id":"pay_1","amount":1999,"currency":"JPY","status":"pending","created_at":"2026-01-02T03:04:05Z"}`))
	}))
	t.Cleanup(srv.Close)

	c := payments.NewClient(srv.URL+"/", "sk_live_x", srv.Client())
	ref, err := c.CreateRefund(context.Background(), "rma-42",
		payments.RefundRequest{PaymentID: "pay_1", Amount: 1999, Currency: "JPY", Reference: "RMA-42"})
	if err != nil {
		t.Fatalf("CreateRefund: %v", err)
	}
	if ref.ID != "re_1" || ref.Amount != 1999 || ref.Status != payments.StatusPending || ref.CreatedAt.Year() != 2026 {
		t.Errorf("refund = %+v", ref)
	}
}

func TestClientEmptyIdempotencyKeyIsPermanentAndNotSent(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t.Errorf("unexpected request %s %s", r.Method, r.URL.Path)
	}))
	t.Cleanup(srv.Close)
	c := payments.NewClient(srv.URL, "sk", srv.Client())
	_, err := c.CreateRefund(context.Background(), "", payments.RefundRequest{PaymentID: "pay_1", Amount: 1, Currency: "EUR"})
	if err == nil || !payments.IsPermanent(err) {
		t.Errorf("err = %v, want a permanent error", err)
	}
}

// Each answer status is classified: 4xx permanent except 408, 409 and 429; 5xx transient.
func TestClientClassifiesErrorAnswers(t *testing.T) {
	t.Parallel()
	cases := []struct {
		status    int
		body      string
		code      string
		permanent bool
	}{
		{500, ``, "", false},
		{502, `<html>bad gateway</html>`, "", false},
		{503, `{"error":{"code":"maintenance","message":"back soon"}}`, "maintenance", false},
		{400, `{"error":{"code":"amount_invalid","message":"amount must be > 0"}}`, "amount_invalid", true},
		{404, `{"error":{"code":"payment_not_found","message":"no such payment"}}`, "payment_not_found", true},
		{408, ``, "", false},
		{409, `{"error":{"code":"conflict","message":"try again"}}`, "conflict", false},
		{429, `{"error":{"code":"rate_limited","message":"slow down"}}`, "rate_limited", false},
	}
	for _, c := range cases {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(c.status)
			_, _ = w.Write([]byte(c.body))
		}))
		client := payments.NewClient(srv.URL, "sk", srv.Client())
		_, err := client.GetRefund(context.Background(), "re_1")
		srv.Close()

		var apiErr *payments.APIError
		if !errors.As(err, &apiErr) || apiErr.Status != c.status || apiErr.Code != c.code || apiErr.Message == "" {
			t.Errorf("%d: err = %#v, want *APIError %d %q with a message", c.status, err, c.status, c.code)
			continue
		}
		if got := payments.IsPermanent(err); got != c.permanent {
			t.Errorf("%d: IsPermanent = %v, want %v", c.status, got, c.permanent)
		}
	}
}

func TestClientNetworkErrorIsTransient(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close() // nothing listens any more

	_, err := payments.NewClient(url, "sk", nil).GetRefund(context.Background(), "re_1")
	var apiErr *payments.APIError
	if err == nil || errors.As(err, &apiErr) {
		t.Fatalf("err = %v, want a network error", err)
	}
	if payments.IsPermanent(err) {
		t.Errorf("IsPermanent(%v) = true, want false", err)
	}
}
