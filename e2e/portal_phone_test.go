package e2e_test

import (
	"regexp"
	"testing"

	"github.com/chromedp/chromedp"
)

// Every page of the shoppers' portal on a 375 px phone, through to the
// page of a return whose refund was sent: none may scroll sideways, and
// axe passes each (open and submit check every page they land on).
//
// Issue 18: the return's page with its refund card was 460 px wide on a
// 375 px screen, its reference and date cut off.
func TestBrowserEveryPortalPageFitsAPhone(t *testing.T) {
	s := newStack(t, lastEngine(t))
	s.must(s.call("POST", "/v1/orders", order("P-3001", "online"), "X-API-Key", demoAPIKey), 201)
	const width = 375
	b := newBrowser(t, s, width, 740, true)
	fits := func(name string) {
		t.Helper()
		sw, cw := eval[int](b, `document.documentElement.scrollWidth`), eval[int](b, `document.documentElement.clientWidth`)
		if sw > cw || cw > width {
			b.screenshot("overflow-" + name)
			t.Errorf("the %s page (%s) is %d px wide in a %d px window on a %d px screen", name, b.location(), sw, cw, width)
		}
	}

	b.open("/r/demo")
	fits("find")
	b.open("/r/demo?expired=1")
	fits("find again")
	b.open("/r/nowhere")
	fits("no such shop")
	b.open("/r/demo")
	b.do(fill(`[name="order_number"]`, "P-3001"), fill(`[name="contact"]`, "someone@example.com"))
	b.submit(`main button[type="submit"]`, `/r/demo/find$`)
	fits("order not found")
	b.do(fill(`[name="contact"]`, "pat@example.com"))
	b.submit(`main button[type="submit"]`, `/r/demo/lookups/`)
	fits("code")
	b.do(fill(`[name="code"]`, "000000"))
	b.submit(`main button[type="submit"]`, `/verify$`)
	fits("wrong code")
	b.do(fill(`[name="code"]`, s.code("pat@example.com")))
	b.submit(`main button[type="submit"]`, `/r/demo/items$`)
	fits("items")
	b.submit(`main button[type="submit"]`, `/r/demo/items$`)
	fits("items with an error")
	b.do(chromedp.SetValue(chromedp.CSS(`[name="qty.L2"]`), "1"),
		chromedp.SetValue(chromedp.CSS(`[name="reason.L2"]`), "defective"),
		chromedp.Click(chromedp.CSS(`input[name="method"][value="ship"]`)))
	if eval[bool](b, `!!document.querySelector('button[value="quote"]')`) {
		b.submit(`button[value="quote"]`, `/r/demo/items$`)
		fits("quote")
	}
	b.submit(`main button[type="submit"]`, `/r/demo/returns/[0-9a-f-]+$`)
	fits("filed return")
	id := regexp.MustCompile(`[0-9a-f-]{36}$`).FindString(b.location())

	sup, clerk := s.login("supervisor"), s.login("clerk")
	if st := s.waitSettled(id, sup); st == "awaiting_review" {
		s.must(s.call("POST", "/v1/merchant/returns/"+id+"/review", map[string]string{"decision": "approve"}, bearer(sup)...), 200)
	}
	tracking := s.waitStatus(id, sup, "awaiting_shipment")["tracking_number"].(string)
	b.open("/r/demo/returns/" + id)
	b.see("Send your parcel", "Download the label", "4. Send them back")
	fits("label")

	s.must(s.carrier("p3-1", tracking, "in_transit"), 202)
	s.must(s.carrier("p3-2", tracking, "delivered"), 202)
	s.waitStatus(id, sup, "awaiting_inspection")
	s.must(s.call("POST", "/v1/merchant/returns/"+id+"/inspection", map[string]any{"lines": []map[string]any{
		{"line_id": "L2", "accepted_quantity": 1, "rejected_quantity": 0, "condition": "new"}}}, bearer(clerk)...), 200)
	final := s.waitStatus(id, sup, "awaiting_settlement")
	ref, _ := final["refund"].(map[string]any)["reference"].(string)
	if ref == "" {
		t.Fatalf("the refund has no reference: %v", final["refund"])
	}
	b.open("/r/demo/returns/" + id)
	b.see("Your refund", ref, "Refund sent", "6. Refund sent")
	fits("refund")
	b.screenshot("shopper-refund-on-a-phone")

	// A return this device holds no access to: the page to open it with a
	// code.
	b.open("/r/demo/returns/00000000-0000-4000-8000-000000000000")
	b.see("Open your return")
	fits("open the return")
}
