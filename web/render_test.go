package web

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
)

func TestMoney(t *testing.T) {
	for _, tc := range []struct {
		amount   int64
		currency string
		want     string
	}{
		{123456, "EUR", "1,234.56 EUR"},
		{-123456, "EUR", "−1,234.56 EUR"},
		{0, "EUR", "0.00 EUR"},
		{5, "GBP", "0.05 GBP"},
		{-5, "GBP", "−0.05 GBP"},
		{99, "EUR", "0.99 EUR"},
		{100, "EUR", "1.00 EUR"},
		{99999, "EUR", "999.99 EUR"},
		{100000, "EUR", "1,000.00 EUR"},
		{123456789012, "USD", "1,234,567,890.12 USD"},
		{-100000000, "EUR", "−1,000,000.00 EUR"},
		{500000, "JPY", "500,000 JPY"},
		{5000, "JPY", "5,000 JPY"},
		{999, "JPY", "999 JPY"},
		{-1234, "KRW", "−1,234 KRW"},
		{1234567, "KWD", "1,234.567 KWD"},
		{5, "KWD", "0.005 KWD"},
		{-50000, "BHD", "−50.000 BHD"},
	} {
		if got := money(tc.amount, tc.currency); got != tc.want {
			t.Errorf("money(%d, %q) = %q, want %q", tc.amount, tc.currency, got, tc.want)
		}
	}
}

func TestLabel(t *testing.T) {
	for in, want := range map[string]string{
		"awaiting_review":    "Awaiting review",
		"refund_pending":     "Refund pending",
		"succeeded":          "Succeeded",
		"x":                  "X",
		"":                   "",
		"not_ours":           "Not ours",
		"unexpected_at_bank": "Unexpected at bank",
	} {
		if got := label(in); got != want {
			t.Errorf("label(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestHumanDuration(t *testing.T) {
	for in, want := range map[string]string{
		"336h0m0s": "14 days",
		"48h0m0s":  "2 days",
		"24h0m0s":  "1 day",
		"10m0s":    "10 minutes",
		"1m0s":     "1 minute",
		"1h0m0s":   "1 hour",
		"36h0m0s":  "36 hours",
		"90m0s":    "90 minutes",
		"1m30s":    "1m30s",
		"nonsense": "nonsense",
		"":         "",
	} {
		if got := humanDuration(in); got != want {
			t.Errorf("humanDuration(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestEveryTemplateParses(t *testing.T) {
	var pages map[string]*pageTemplate
	func() {
		defer func() {
			if v := recover(); v != nil {
				t.Fatalf("mustParsePages panicked: %v", v)
			}
		}()
		pages = mustParsePages()
	}()
	names, err := templateFS.ReadDir("templates")
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range names {
		base := strings.TrimSuffix(n.Name(), ".html")
		if base == "layout" {
			continue
		}
		pt := pages[base]
		if pt == nil {
			t.Errorf("no page for %s", n.Name())
			continue
		}
		if pt.t.Lookup("content") == nil || pt.t.Lookup("layout.html") == nil {
			t.Errorf("%s: no content or layout template", n.Name())
		}
	}
	if _, ok := pages["layout"]; ok {
		t.Error("the layout is a page of its own")
	}
	if len(pages) != len(names)-1 {
		t.Errorf("%d pages for %d templates", len(pages), len(names))
	}
}

func testSite(dev bool) *site {
	return &site{deps: Deps{Dev: dev}, log: slog.New(slog.DiscardHandler), pages: mustParsePages(), csrf: []byte("k")}
}

func TestErrorPageRenders(t *testing.T) {
	s := testSite(false)
	w := httptest.NewRecorder()
	r := httptest.NewRequest("GET", "/console/x", nil)
	s.errorPage(w, r, http.StatusForbidden, "You may not <do> this.")
	wantStatus(t, w, http.StatusForbidden)
	body := w.Body.String()
	mustContain(t, body, "<title>Forbidden · Rebound</title>", "<h1>Forbidden</h1>", "<p>You may not &lt;do&gt; this.</p>",
		`<a href="/console">Back to the console</a>`, `class="area-console"`)
	mustNotContain(t, body, "development mode")
	if ct := w.Header().Get("Content-Type"); ct != "text/html; charset=utf-8" {
		t.Errorf("Content-Type = %q", ct)
	}
	if cc := w.Header().Get("Cache-Control"); cc != "no-store" {
		t.Errorf("Cache-Control = %q", cc)
	}

	// On the portal the error page has no way into the console.
	w = httptest.NewRecorder()
	s.errorPage(w, httptest.NewRequest("GET", "/r/acme/items", nil), http.StatusNotFound, "Gone.")
	wantStatus(t, w, http.StatusNotFound)
	mustContain(t, w.Body.String(), "<h1>Not Found</h1>", `class="area-portal"`, "Returns")
	mustNotContain(t, w.Body.String(), "Back to the console")
}

func TestRenderFailureBecomesAnErrorPage(t *testing.T) {
	s := testSite(true)
	w := httptest.NewRecorder()
	// The return page needs a returnView; a string makes it fail.
	s.render(w, httptest.NewRequest("GET", "/console/returns/R1", nil), http.StatusOK, "return", &page{Title: "x", Area: "console", Data: "not a return"})
	wantStatus(t, w, http.StatusInternalServerError)
	mustContain(t, w.Body.String(), "This page could not be shown. Please try again.")
	mustNotContain(t, w.Body.String(), "Return for order")
}

func TestPanicInAPageBecomesAnErrorPage(t *testing.T) {
	api := newFakeAPI().withSessions()
	api.HandleFunc("GET /v1/merchant/policy", func(w http.ResponseWriter, r *http.Request) { panic("the API fell over") })
	h := newHandler(t, api, true)
	w := do(h, "GET", "/console/policy", nil, staffCookie(tokClerk))
	wantStatus(t, w, http.StatusInternalServerError)
	mustContain(t, w.Body.String(), "Something went wrong on our side.")
	if w.Header().Get("X-Frame-Options") != "DENY" {
		t.Error("error page without security headers")
	}
}

func TestPolicyPageUsesTheHelpers(t *testing.T) {
	api := newFakeAPI().withSessions()
	api.HandleFunc("GET /v1/merchant/policy", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]any{"policy": map[string]any{
			"window_days": 30, "non_returnable_categories": []string{"gift_cards", "food"},
			"restocking_fees":    map[string]int{"new": 0, "opened": 500, "damaged": 1250},
			"auto_approve_limit": 123456, "review_reasons": []string{"changed_mind"}, "shipping_refund_reasons": []string{},
			"remote_refund_approval_limit": 5000,
			"verify_within":                "10m0s", "ship_within": "336h0m0s", "dropoff_within": "48h0m0s",
			"review_sla": "1h0m0s", "inspection_sla": "72h0m0s", "settlement_overdue": "36h0m0s",
		}})
	})
	h := newHandler(t, api, true)
	w := do(h, "GET", "/console/policy", nil, staffCookie(tokClerk))
	wantStatus(t, w, http.StatusOK)
	mustContain(t, w.Body.String(), "30 days from delivery", "gift_cards, food", "new 0.00 %, opened 5.00 %, damaged 12.50 %",
		"returns worth up to 1,234.56 ", "Changed mind", "<dd>10 minutes</dd>", "<dd>14 days</dd>", "<dd>2 days</dd>",
		"<dd>1 hour</dd>", "<dd>3 days</dd>", "<dd>36 hours</dd>")
}

// The pages' CSP allows no inline styles or scripts: no template may use
// them, or browsers would drop them.
func TestTemplatesNeedNoInlineStyleOrScript(t *testing.T) {
	inline := regexp.MustCompile(`(?i)\sstyle=|<style|<script(\s[^>]*)?>\s*[^<\s]|\son[a-z]+=|javascript:`)
	scriptWithoutSrc := regexp.MustCompile(`(?i)<script(?:\s[^>]*)?>`)
	names, _ := templateFS.ReadDir("templates")
	for _, n := range names {
		b, err := templateFS.ReadFile("templates/" + n.Name())
		if err != nil {
			t.Fatal(err)
		}
		if m := inline.Find(b); m != nil {
			t.Errorf("%s: inline style or script %q", n.Name(), m)
		}
		for _, tag := range scriptWithoutSrc.FindAll(b, -1) {
			if !strings.Contains(string(tag), "src=") {
				t.Errorf("%s: inline script %q", n.Name(), tag)
			}
		}
	}
}
