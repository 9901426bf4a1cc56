package web

import (
	"net/http"
	"strings"
	"testing"

	"github.com/rebound-returns/rebound/returns"
)

// trackPageOf renders the shopper's page of a return the fake API answers
// as v.
func trackPageOf(t *testing.T, v map[string]any) string {
	t.Helper()
	api := newFakeAPI().withSessions()
	api.HandleFunc("GET /v1/returns/{id}", func(w http.ResponseWriter, r *http.Request) { writeJSON(w, http.StatusOK, v) })
	h := newHandler(t, api, true)
	w := do(h, "GET", "/r/acme/returns/"+v["id"].(string), nil, &http.Cookie{Name: cookieShopper, Value: "return-tok"})
	wantStatus(t, w, http.StatusOK)
	return w.Body.String()
}

// refundedJSON is a return whose refund was paid and now waits for the
// acquirer's settlement.
func refundedJSON(status string) map[string]any {
	v := returnJSON("R7", status)
	v["refund"] = map[string]any{"amount": 17998, "shipping": 0, "currency": "EUR", "status": "succeeded",
		"finished_at": "2026-03-12T10:00:00Z", "reference": "RRN-000123"}
	v["timeline"] = []map[string]any{
		{"status": "refund_pending", "at": "2026-03-12T09:00:00Z", "actor": "system"},
		{"status": "refunded", "at": "2026-03-12T10:00:00Z", "actor": "system"},
		{"status": "awaiting_settlement", "at": "2026-03-12T10:00:01Z", "actor": "system"},
	}
	return v
}

// Issue 18: a shopper whose money was sent read "Awaiting settlement" (and
// "Succeeded" on the refund): the staff's words for where the acquirer's
// file stands. Shoppers read words meant for them; staff keep the precise
// status.
func TestPortalTrackSaysTheStatusInShoppersWords(t *testing.T) {
	body := trackPageOf(t, refundedJSON("awaiting_settlement"))
	mustContain(t, body, `<span class="status s-awaiting_settlement">Refund sent</span>`, `<span class="status s-succeeded">Sent</span>`)
	mustNotContain(t, body, "Awaiting settlement", "Succeeded", "Refund pending")
	// Refunded and then awaiting settlement are one step for the shopper.
	if n := strings.Count(body, "</span> Refund sent</li>"); n != 1 {
		t.Errorf("the timeline says %d times that the refund was sent, want once:\n%s", n, body)
	}

	api := newFakeAPI().withSessions()
	api.HandleFunc("GET /v1/returns/{id}", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, refundedJSON("awaiting_settlement"))
	})
	w := do(newHandler(t, api, true), "GET", "/console/returns/R7", nil, staffCookie(tokClerk))
	wantStatus(t, w, http.StatusOK)
	mustContain(t, w.Body.String(), "Awaiting settlement", "Succeeded")
}

// Every status, of a return and of a refund, has words for shoppers: a new
// status cannot reach them as its code.
func TestEveryStatusHasShopperWords(t *testing.T) {
	for _, s := range returns.Statuses() {
		if shopperStatusWords[s] == "" {
			t.Errorf("no shopper words for the return status %s", s)
		}
	}
	for _, s := range []returns.RefundStatus{returns.RefundStatusPending, returns.RefundStatusSucceeded, returns.RefundStatusFailed, "none"} {
		if shopperRefundWords[s] == "" {
			t.Errorf("no shopper words for the refund status %s", s)
		}
	}
	if got := shopperStatus(returns.AwaitingSettlement); got != "Refund sent" {
		t.Errorf("awaiting_settlement reads %q", got)
	}
}
