package web

import (
	"net/http"
	"testing"
)

// The dashboard's refund list is a page of the API's: it carries the
// filter and the cursor on to the next page and says how many match.
func TestDashboardRefundsArePaged(t *testing.T) {
	api := newFakeAPI().withSessions()
	api.HandleFunc("GET /v1/finance/refunds/summary", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]any{"rows": []any{}, "totals": []any{}})
	})
	api.HandleFunc("GET /v1/finance/refunds", func(w http.ResponseWriter, r *http.Request) {
		items := []map[string]any{{"id": "F1", "return_id": "R9", "order_number": "A-9", "channel": "online", "amount": 4500,
			"currency": "EUR", "status": "succeeded", "attempts": 1, "created_at": "2026-03-11T10:00:00Z"}}
		next := "c-" + r.URL.Query().Get("status") + "-" + r.URL.Query().Get("cursor")
		writeJSON(w, http.StatusOK, map[string]any{"items": items, "next_cursor": next, "total": 10000, "total_capped": true})
	})
	api.HandleFunc("GET /v1/finance/work-items", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]any{"items": []any{}, "next_cursor": nil, "total": 0})
	})
	h := newHandler(t, api, true)
	w := do(h, "GET", "/console/finance?status=succeeded&cursor=p2", nil, staffCookie(tokFinance))
	wantStatus(t, w, http.StatusOK)
	mustContain(t, w.Body.String(), "More than 10000 refunds match.",
		`href="/console/finance?cursor=c-succeeded-p2&amp;from=2026-03-01&amp;status=succeeded" rel="next">More refunds</a>`,
		`href="/console/finance/failed">every failed refund</a>`)
	var sawPage bool
	for _, c := range api.callsTo("GET", "/v1/finance/refunds") {
		if c.RawQuery == "cursor=p2&from=2026-03-01&limit=50&status=succeeded" {
			sawPage = true
		}
	}
	if !sawPage {
		t.Errorf("the dashboard did not ask for the page after p2: %+v", api.callsTo("GET", "/v1/finance/refunds"))
	}
}
