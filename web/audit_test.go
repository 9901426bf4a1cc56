package web

import (
	"net/http"
	"strings"
	"testing"
)

// The audit log page (issue 18): an admin's page of the API's entries, the
// filter sent on and kept in the form, the next-page and CSV links; the
// navigation links it for admins only.
func TestAuditLogPage(t *testing.T) {
	api := newFakeAPI().withSessions()
	api.HandleFunc("GET /v1/admin/audit", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("format") == "csv" {
			w.Header().Set("Content-Type", "text/csv; charset=utf-8")
			_, _ = w.Write([]byte("id,at,merchant_id,actor\n7,2026-11-21T10:00:00Z,m1,bob\n"))
			return
		}
		items := []map[string]any{
			{"id": 7, "at": "2026-11-21T10:00:00Z", "merchant_id": "m1", "actor": "bob", "actor_role": "supervisor", "action": "refund.approve",
				"resource_type": "return", "resource_id": "r-1", "outcome": "success", "origin": "10.0.0.9", "request_id": "q1"},
			{"id": 5, "at": "2026-11-20T10:00:00Z", "merchant_id": "m1", "actor": "", "action": "access", "resource_type": "route",
				"resource_id": "/v1/x", "outcome": "denied", "origin": "10.0.0.8"},
		}
		writeJSON(w, http.StatusOK, map[string]any{"items": items, "next_cursor": "c2", "total": 12, "total_capped": false})
	})
	h := newHandler(t, api, true)
	w := do(h, "GET", "/console/audit?actor=bob&action=refund.&resource_type=return&resource_id=r-1&from=2026-11-01&to=2026-11-30&cursor=c1", nil, staffCookie(tokAdmin))
	wantStatus(t, w, http.StatusOK)
	body := w.Body.String()
	mustContain(t, body, "<h1>Audit log</h1>", "12 in all.", "<td>bob (supervisor)</td>", "<td>refund.approve</td>", "<td>return r-1</td>",
		"<td>success</td>", "<td>10.0.0.9</td>", "<td>(anonymous)</td>", "<td>route /v1/x</td>",
		// The filter keeps what was sent.
		`name="actor" type="text" value="bob"`, `name="action" type="text" value="refund."`, `name="resource_id" type="text" value="r-1"`,
		`name="from" type="date" value="2026-11-01"`, `name="to" type="date" value="2026-11-30"`,
		// The next page and the CSV keep the filter.
		`href="/console/audit?action=refund.&amp;actor=bob&amp;cursor=c2&amp;from=2026-11-01&amp;resource_id=r-1&amp;resource_type=return&amp;to=2026-11-30" rel="next">Next page</a>`,
		`href="/console/audit.csv?action=refund.&amp;actor=bob&amp;from=2026-11-01&amp;resource_id=r-1&amp;resource_type=return&amp;to=2026-11-30">Download as CSV</a>`,
		`<li><a href="/console/audit">Audit log</a></li>`)
	calls := api.callsTo("GET", "/v1/admin/audit")
	if len(calls) != 1 || calls[0].RawQuery != "action=refund.&actor=bob&cursor=c1&from=2026-11-01&limit=50&resource_id=r-1&resource_type=return&to=2026-11-30" {
		t.Fatalf("asked the API %+v", calls)
	}

	// The CSV link hands on the API's export.
	w = do(h, "GET", "/console/audit.csv?actor=bob", nil, staffCookie(tokAdmin))
	wantStatus(t, w, http.StatusOK)
	if !strings.HasPrefix(w.Header().Get("Content-Type"), "text/csv") || !strings.HasPrefix(w.Body.String(), "id,at,merchant_id,actor\n7,") {
		t.Fatalf("csv: %v %q", w.Header(), w.Body)
	}
	if calls := api.callsTo("GET", "/v1/admin/audit"); calls[len(calls)-1].RawQuery != "actor=bob&format=csv" {
		t.Fatalf("csv asked %+v", calls[len(calls)-1])
	}

	// Not for a supervisor or finance, and not in their navigation.
	n := len(api.callsTo("GET", "/v1/admin/audit"))
	for _, tok := range []string{tokSupervisor, tokFinance} {
		wantStatus(t, do(h, "GET", "/console/audit", nil, staffCookie(tok)), http.StatusForbidden)
		wantStatus(t, do(h, "GET", "/console/audit.csv", nil, staffCookie(tok)), http.StatusForbidden)
	}
	if m := len(api.callsTo("GET", "/v1/admin/audit")); m != n {
		t.Fatalf("the API was asked %d more times", m-n)
	}
	api.HandleFunc("GET /v1/merchant/policy", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]any{"policy": map[string]any{}})
	})
	w = do(h, "GET", "/console/policy", nil, staffCookie(tokSupervisor))
	wantStatus(t, w, http.StatusOK)
	if body := w.Body.String(); !strings.Contains(body, `<nav aria-label="Console">`) || strings.Contains(body, `href="/console/audit"`) {
		t.Error("a supervisor's navigation links the audit log")
	}
}

// A filter the API refuses shows the page again with the field marked and
// the values kept.
func TestAuditLogBadFilter(t *testing.T) {
	api := newFakeAPI().withSessions()
	api.HandleFunc("GET /v1/admin/audit", func(w http.ResponseWriter, r *http.Request) {
		problem(w, http.StatusUnprocessableEntity, "validation", "Unprocessable Entity", "invalid", []fieldErr{{"to", "must not be before from"}})
	})
	h := newHandler(t, api, true)
	w := do(h, "GET", "/console/audit?from=2026-11-20&to=2026-11-01", nil, staffCookie(tokAdmin))
	wantStatus(t, w, http.StatusUnprocessableEntity)
	body := w.Body.String()
	mustContain(t, body, "Please correct the filter.", "must not be before from", `value="2026-11-20"`, `value="2026-11-01"`, `aria-invalid="true" aria-describedby="e-to"`)
	if strings.Contains(body, "Next page") {
		t.Error("a refused filter shows a next page")
	}
}
