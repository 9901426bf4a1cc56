package web

import (
	"regexp"
	"testing"

	"github.com/rebound-returns/rebound/returns"
)

var currentStep = regexp.MustCompile(`<li aria-current="step">([^<]*)</li>`)

// Issue 18: the step bar said "4. Send them back" whatever the return's
// status, even once the money was back. It shows the step the return is
// at, for every status, and how it ended when it ended another way.
func TestPortalStepBarFollowsTheReturn(t *testing.T) {
	cases := []struct {
		status, method string
		refund         bool
		want           string
	}{
		{"pending_verification", "ship", false, "2. Enter the code"},
		{"submitted", "ship", false, "4. Send them back"},
		{"awaiting_review", "ship", false, "4. Send them back"},
		{"approved", "ship", false, "4. Send them back"},
		{"awaiting_shipment", "ship", false, "4. Send them back"},
		{"awaiting_dropoff", "in_store", false, "4. Bring them to the store"},
		{"in_transit", "ship", false, "5. Shop checks them"},
		{"received", "ship", false, "5. Shop checks them"},
		{"awaiting_inspection", "in_store", false, "5. Shop checks them"},
		{"refund_pending", "ship", false, "6. Refund"},
		{"refund_failed", "ship", false, "6. Refund"},
		{"refunded", "ship", true, "6. Refund sent"},
		{"awaiting_settlement", "ship", true, "6. Refund sent"},
		{"closed", "ship", true, "6. Refund sent"},
		{"closed", "ship", false, "6. Completed"},
		{"rejected", "ship", false, "6. Not accepted"},
		{"ineligible", "ship", false, "4. Cannot be returned"},
		{"declined", "ship", false, "4. Declined by the shop"},
		{"cancelled", "ship", false, "4. Cancelled"},
		{"expired", "in_store", false, "4. Expired"},
	}
	seen := map[returns.Status]bool{}
	for _, c := range cases {
		seen[returns.Status(c.status)] = true
		v := returnJSON("R8", c.status)
		v["method"] = c.method
		if c.refund {
			v = refundedJSON(c.status)
		}
		body := trackPageOf(t, v)
		got := currentStep.FindAllStringSubmatch(body, -1)
		if len(got) != 1 || got[0][1] != c.want {
			t.Errorf("%s (%s): current steps %q, want %q", c.status, c.method, got, c.want)
		}
	}
	for _, s := range returns.Statuses() {
		if !seen[s] {
			t.Errorf("no step bar case for %s", s)
		}
	}
	// The steps before filing are as they were.
	h := newHandler(t, newFakeAPI(), true)
	w := do(h, "GET", "/r/acme", nil)
	if got := currentStep.FindAllStringSubmatch(w.Body.String(), -1); len(got) != 1 || got[0][1] != "1. Find your order" {
		t.Errorf("find page: current steps %q", got)
	}
}
