package web

import (
	"net/http"
	"strings"
	"testing"
)

// The settlement history (issue 18): the API's page of files, each linked
// to its reconciliation, with how it came in and what matching found; the
// filter is sent on and kept in the form and in the next-page link.
func TestSettlementHistoryPage(t *testing.T) {
	api := newFakeAPI().withSessions()
	api.HandleFunc("GET /v1/finance/settlements", func(w http.ResponseWriter, r *http.Request) {
		items := []map[string]any{
			{"id": "0190f000-0000-7000-8000-000000000001", "source": "acquirer", "filename": "settle-2026-11-20.csv", "status": "reconciled",
				"rows": 12, "bad_rows": 0, "size_bytes": 900, "first_day": "2026-11-20", "last_day": "2026-11-20", "matched": 9,
				"unexpected_at_acquirer": 2, "amount_mismatch": 1, "missing_at_acquirer": 3, "ignored": 0, "via": "pickup",
				"uploaded_by": "settlement-pickup", "created_at": "2026-11-21T06:00:00Z"},
			{"id": "0190f000-0000-7000-8000-000000000002", "source": "gateway", "filename": "gw.csv", "status": "reconciling",
				"rows": 4, "bad_rows": 1, "first_day": "2026-11-18", "last_day": "2026-11-19", "via": "upload", "uploaded_by": "fin",
				"created_at": "2026-11-20T08:00:00Z"},
		}
		writeJSON(w, http.StatusOK, map[string]any{"items": items, "next_cursor": "c2", "total": 7, "total_capped": false})
	})
	h := newHandler(t, api, true)
	w := do(h, "GET", "/console/finance/settlements?source=acquirer&via=pickup&from=2026-11-01&to=2026-11-30&cursor=c1", nil, staffCookie(tokFinance))
	wantStatus(t, w, http.StatusOK)
	body := w.Body.String()
	mustContain(t, body, "<h1>Settlement files</h1>", "7 in all.",
		`<a href="/console/finance/reconciliations/0190f000-0000-7000-8000-000000000001">settle-2026-11-20.csv</a>`,
		`<a href="/console/finance/reconciliations/0190f000-0000-7000-8000-000000000002">gw.csv</a>`,
		"Picked up", "Uploaded by fin", "2026-11-18 to 2026-11-19", "(1 unreadable)",
		"<td>9</td><td>2</td><td>1</td><td>3</td>",
		// The filter keeps what was sent.
		`<option value="acquirer" selected>`, `<option value="pickup" selected>`,
		`name="from" type="date" value="2026-11-01"`, `name="to" type="date" value="2026-11-30"`,
		// The next page keeps the filter.
		`href="/console/finance/settlements?cursor=c2&amp;from=2026-11-01&amp;source=acquirer&amp;to=2026-11-30&amp;via=pickup" rel="next">Next page</a>`)
	calls := api.callsTo("GET", "/v1/finance/settlements")
	if len(calls) != 1 || calls[0].RawQuery != "cursor=c1&from=2026-11-01&limit=50&source=acquirer&to=2026-11-30&via=pickup" {
		t.Fatalf("asked the API %+v", calls)
	}

	// A clerk is not shown it, and the API is not asked.
	w = do(h, "GET", "/console/finance/settlements", nil, staffCookie(tokClerk))
	wantStatus(t, w, http.StatusForbidden)
	if n := len(api.callsTo("GET", "/v1/finance/settlements")); n != 1 {
		t.Fatalf("the API was asked %d times", n)
	}

	// The finance dashboard links the history.
	api.HandleFunc("GET /v1/finance/refunds/summary", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]any{"rows": []any{}, "totals": []any{}})
	})
	api.HandleFunc("GET /v1/finance/refunds", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]any{"items": []any{}, "next_cursor": nil, "total": 0})
	})
	api.HandleFunc("GET /v1/finance/work-items", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]any{"items": []any{}, "next_cursor": nil, "total": 0})
	})
	w = do(h, "GET", "/console/finance", nil, staffCookie(tokFinance))
	wantStatus(t, w, http.StatusOK)
	mustContain(t, w.Body.String(), `<nav aria-label="Finance" class="tabs"><ul><li><a href="/console/finance/settlements">Settlement files</a>`)
}

// A filter the API refuses shows the page again with the field marked and
// the values kept.
func TestSettlementHistoryBadFilter(t *testing.T) {
	api := newFakeAPI().withSessions()
	api.HandleFunc("GET /v1/finance/settlements", func(w http.ResponseWriter, r *http.Request) {
		problem(w, http.StatusUnprocessableEntity, "validation", "Unprocessable Entity", "invalid", []fieldErr{{"to", "must not be before from"}})
	})
	h := newHandler(t, api, true)
	w := do(h, "GET", "/console/finance/settlements?from=2026-11-20&to=2026-11-01", nil, staffCookie(tokFinance))
	wantStatus(t, w, http.StatusUnprocessableEntity)
	body := w.Body.String()
	mustContain(t, body, "Please correct the filter.", "must not be before from", `value="2026-11-20"`, `value="2026-11-01"`, `aria-invalid="true" aria-describedby="e-to"`)
	if strings.Contains(body, "Next page") {
		t.Error("a refused filter shows a next page")
	}
}
