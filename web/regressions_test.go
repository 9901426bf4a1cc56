package web

import (
	"net/http"
	"testing"
)

// Regression tests: each failed before the bug it describes was fixed.

// Was a bug: templates/portal_track.html reads {{.Reference}} of the return's
// refund, but returnView.Refund (console.go) has no Reference field (the
// API's refundView sends "reference"). Executing the template fails, so a
// shopper whose return has a refund gets the 500 "This page could not be
// shown" page instead of their return.
func TestPortalTrackShowsARefundWithItsReference(t *testing.T) {
	api := newFakeAPI()
	api.HandleFunc("GET /v1/returns/{id}", func(w http.ResponseWriter, r *http.Request) {
		v := returnJSON("R5", "refunded")
		v["refund"] = map[string]any{"amount": 17998, "shipping": 495, "currency": "EUR", "status": "succeeded",
			"finished_at": "2026-03-12T10:00:00Z", "reference": "RRN-000123"}
		writeJSON(w, http.StatusOK, v)
	})
	h := newHandler(t, api, true)
	w := do(h, "GET", "/r/acme/returns/R5", nil, &http.Cookie{Name: cookieShopper, Value: "return-tok"})
	wantStatus(t, w, http.StatusOK)
	mustContain(t, w.Body.String(), "Your refund", "179.98 EUR", "RRN-000123")
}

// Was a bug: portal_track.html and return.html printed {{.Message}} of each
// reason code, but the API's codes (returns.Refusal: line_id, code) have no
// message: the hand copy of the API's answer in console.go invented one, so
// an ineligible return showed empty paragraphs where its reasons belong.
// The pages now decode app/views' own type and say each code in words.
func TestIneligibleReturnSaysWhy(t *testing.T) {
	api := newFakeAPI().withSessions()
	api.HandleFunc("GET /v1/returns/{id}", func(w http.ResponseWriter, r *http.Request) {
		v := returnJSON("R6", "ineligible")
		v["reason_codes"] = []map[string]any{{"code": "outside_return_window"}, {"line_id": "L1", "code": "some_new_code"}}
		writeJSON(w, http.StatusOK, v)
	})
	h := newHandler(t, api, true)
	want := []string{`<p class="reason">The return window of this order has passed.</p>`, `<p class="reason">Some new code</p>`}
	w := do(h, "GET", "/r/acme/returns/R6", nil, &http.Cookie{Name: cookieShopper, Value: "return-tok"})
	wantStatus(t, w, http.StatusOK)
	mustContain(t, w.Body.String(), want...)
	w = do(h, "GET", "/console/returns/R6", nil, staffCookie(tokClerk))
	wantStatus(t, w, http.StatusOK)
	mustContain(t, w.Body.String(), want...)
}

// Was a bug: reconciliationData.Discrepancies (finance.go) reads the gateway's
// refund id from "gateway_refund", but the API (api/settlement.go
// itemView) sends it as "gateway_refund_id". A gateway discrepancy is
// therefore shown as " /  / " (empty terminal, STAN and RRN) instead of
// its gateway refund id.
func TestReconciliationShowsTheGatewayRefundID(t *testing.T) {
	api := newFakeAPI().withSessions()
	api.HandleFunc("GET /v1/finance/reconciliations/{id}", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]any{
			"id":   "S1",
			"file": map[string]any{"id": "S1", "source": "gateway", "filename": "gw.csv", "status": "reconciled", "rows": 3},
			"discrepancies": []map[string]any{{"line": 3, "result": "amount_mismatch", "gateway_refund_id": "gr_42",
				"transaction_date": "2026-03-10", "amount": 1000, "currency": "EUR"}},
			"missing_at_acquirer": []any{}, "work_items": []any{}, "bad_rows": []any{},
		})
	})
	h := newHandler(t, api, true)
	w := do(h, "GET", "/console/finance/reconciliations/S1", nil, staffCookie(tokFinance))
	wantStatus(t, w, http.StatusOK)
	mustContain(t, w.Body.String(), "<td>gr_42</td>")
}

// Was a bug: buildChart (finance.go) floors each stacked segment's height on
// its own (h := int(n * plotH / Max)), so the busiest day's bar falls
// short of the plot's top by up to one pixel per extra status: with 4
// succeeded and 2 pending it is 125+62 = 187 px of 188, with one of each
// status 62*3 = 186 px. The bar should end at the top of the plot, level
// with the axis label that shows Max. (Stacking the cumulative heights,
// y = base - cum*plotH/Max, would make it exact.)
func TestChartTallestStackedBarReachesThePlotTop(t *testing.T) {
	for name, rows := range map[string][]summaryRow{
		"two statuses": {
			{Day: "2026-03-01", Status: "succeeded", Count: 4},
			{Day: "2026-03-01", Status: "pending", Count: 2},
			{Day: "2026-03-02", Status: "succeeded", Count: 1},
		},
		"three statuses": {
			{Day: "2026-03-01", Status: "succeeded", Count: 1},
			{Day: "2026-03-01", Status: "pending", Count: 1},
			{Day: "2026-03-01", Status: "failed", Count: 1},
		},
	} {
		c := buildChart(rows, "")
		total := 0
		for _, b := range barsByDay(c)["2026-03-01"] {
			total += b.H
		}
		if total != plotHeight(c) {
			t.Errorf("%s: the busiest day's bar is %d px, want the plot's %d", name, total, plotHeight(c))
		}
	}
}
