package e2e_test

import (
	"testing"
)

// Issue 18: a clerk finds a return from the console's search box by its
// order number, the customer's surname or phone as written, in any status,
// and only the merchant's own; each page passes axe.
func TestBrowserClerkFindsAReturn(t *testing.T) {
	s := newStack(t, lastEngine(t))
	s.must(s.call("POST", "/v1/orders", order("F-4001", "online"), "X-API-Key", demoAPIKey), 201)
	id := s.must(s.call("POST", "/v1/returns", map[string]any{
		"merchant": "demo", "order_number": "F-4001", "contact": "pat@example.com", "method": "ship",
		"lines": []map[string]any{{"line_id": "L1", "quantity": 1, "reason": "too_small"}},
	}), 201).json()["id"].(string)

	b := newBrowser(t, s, 1280, 900, false)
	b.consoleLogin("clerk")
	for _, q := range []string{"f-40", "BUYER", "+46 70 111", id[:8]} {
		b.do(fill(`[name="q"]`, q))
		b.submit(`form[role="search"] button[type="submit"]`, `/console\?q=`)
		b.see("Search results", "1 return found", "F-4001")
	}
	b.do(fill(`[name="q"]`, "nobody-like-this"))
	b.submit(`form[role="search"] button[type="submit"]`, `/console\?q=`)
	b.see("0 returns found", "No return matches.")
	b.screenshot("console-search")
}
