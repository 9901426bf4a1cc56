package e2e_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/rebound-returns/rebound/db/dbtest"
)

// Issue 16, resolutions per line, over HTTP on each engine: the merchant
// offers store credit (10 % bonus) and exchanges; a shopper who found the
// order quotes and files a return with a line of each resolution (a
// resolution not offered, or another product's variant, is refused naming
// the line's field); the exchange's replacement is held on approval; after
// inspection the refund line is paid back at the gateway, the credit line
// is issued as credit with its bonus and its code e-mailed, and the
// return's page shows each line's choice.
func TestResolutionsPerLineOverHTTP(t *testing.T) {
	for _, e := range dbtest.Engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			s := newStack(t, e)
			key := []string{"X-API-Key", demoAPIKey}
			body := order("RS-1", "online")
			body["lines"] = append(body["lines"].([]map[string]any),
				map[string]any{"line_id": "L3", "sku": "CAP", "name": "Cap", "category": "apparel", "quantity": 1, "unit_price": 1500, "discount": 0})
			body["payment"].(map[string]any)["amount"] = 2*2500 - 300 + 8000 + 595 + 1500
			s.must(s.call("POST", "/v1/orders", body, key...), 201)
			s.must(s.call("PUT", "/v1/catalog/variants", map[string]any{"variants": []map[string]any{
				catalogVariant("BOOTS", "BOOT", 8000, 5, map[string]string{"size": "42"}),
				catalogVariant("BOOTS-44", "BOOT", 8000, 2, map[string]string{"size": "44"}),
				catalogVariant("HAT", "HAT", 900, 5, nil),
			}}, key...), 200)

			started := s.must(s.call("POST", "/v1/order-lookups", map[string]any{"merchant": "demo", "order_number": "RS-1", "contact": "pat@example.com"}), 202).json()
			code := s.code("pat@example.com")
			access := s.must(s.call("POST", "/v1/order-lookups/"+started["id"].(string)+"/verify", map[string]string{"code": code}), 200).json()["token"].(string)
			lines := []map[string]any{
				{"line_id": "L1", "quantity": 2, "reason": "changed_mind"},
				{"line_id": "L2", "quantity": 1, "reason": "too_small", "resolution": "exchange", "variant_sku": "BOOTS-44"},
				{"line_id": "L3", "quantity": 1, "reason": "changed_mind", "resolution": "store_credit"},
			}
			// The default policy offers refunds only.
			s.problem(s.call("POST", "/v1/shopper/quote", map[string]any{"lines": lines}, bearer(access)...), 422, "lines[1].resolution")

			admin := bearer(s.login("admin"))
			pol := s.must(s.call("PUT", "/v1/merchant/policy", map[string]any{"auto_approve_limit": 100000,
				"resolutions": []string{"refund", "store_credit", "exchange"}, "credit_bonus": map[string]any{"basis_points": 1000}}, admin...), 200).json()
			if p := pol["policy"].(map[string]any); p["credit_bonus"].(map[string]any)["basis_points"] != 1000.0 {
				t.Fatalf("policy %v", p)
			}
			s.problem(s.call("PUT", "/v1/merchant/policy", map[string]any{"credit_bonus": map[string]any{"basis_points": 10, "fixed": 10}}, admin...), 422, "credit_bonus.fixed")

			quote := s.must(s.call("POST", "/v1/shopper/quote", map[string]any{"lines": lines}, bearer(access)...), 200).json()
			chosen := quote["chosen"].(map[string]any)
			if chosen["total"] != 4700.0+1500 || chosen["credit"] != 1500.0 || chosen["bonus"] != 150.0 || chosen["exchanged"] != 8000.0 {
				t.Fatalf("quote %v", quote)
			}
			capOptions := quote["lines"].([]any)[2].(map[string]any)["options"].([]any)
			if len(capOptions) != 3 || capOptions[1].(map[string]any)["bonus"] != 150.0 {
				t.Fatalf("the cap's options %v", capOptions)
			}
			wrong := slices.Clone(lines)
			wrong[1] = map[string]any{"line_id": "L2", "quantity": 1, "reason": "too_small", "resolution": "exchange", "variant_sku": "HAT"}
			s.problem(s.call("POST", "/v1/returns", map[string]any{"method": "ship", "lines": wrong}, bearer(access)...), 422, "lines[1].variant_sku")

			filed := s.must(s.call("POST", "/v1/returns", map[string]any{"method": "ship", "lines": lines}, bearer(access)...), 201).json()
			shopper := filed["token"].(string)
			id := filed["return"].(map[string]any)["id"].(string)
			ret := s.waitStatus(id, shopper, "awaiting_shipment")
			var chosenLines []string
			for _, l := range ret["lines"].([]any) {
				lm := l.(map[string]any)
				r, _ := lm["resolution"].(string)
				chosenLines = append(chosenLines, lm["line_id"].(string)+":"+r)
			}
			if strings.Join(chosenLines, " ") != "L1: L2:exchange L3:store_credit" {
				t.Fatalf("lines %v", ret["lines"])
			}
			v := s.must(s.call("GET", "/v1/catalog/variants/BOOTS-44", nil, key...), 200).json()
			if v["free"] != 1.0 {
				t.Fatalf("BOOTS-44 after approval: %v; want one of two held", v)
			}

			s.must(s.carrier("rs-1", ret["tracking_number"].(string), "delivered"), 202)
			s.waitStatus(id, shopper, "awaiting_inspection")
			clerk := s.login("clerk")
			s.must(s.call("POST", "/v1/merchant/returns/"+id+"/inspection", map[string]any{"lines": []map[string]any{
				{"line_id": "L1", "accepted_quantity": 2, "condition": "new"},
				{"line_id": "L2", "accepted_quantity": 1, "condition": "new"},
				{"line_id": "L3", "accepted_quantity": 1, "condition": "new"},
			}}, bearer(clerk)...), 200)
			final := s.waitStatus(id, shopper, "awaiting_settlement")
			refund := final["refund"].(map[string]any)
			if refund["amount"] != 4700.0 || refund["credit"] != 1500.0 || refund["credit_bonus"] != 150.0 || refund["status"] != "succeeded" {
				t.Fatalf("refund %v", refund)
			}
			if paid := s.gateway.Refunds(); len(paid) != 1 || paid[0].Amount != 4700 {
				t.Fatalf("gateway paid %+v; want the shirts' 4700 only", paid)
			}
			bal := s.must(s.call("GET", "/v1/store-credit/balance", nil, "X-Credit-Code", s.creditCode("pat@example.com")), 200).json()
			if bal["balance"] != 1650.0 {
				t.Fatalf("credit balance %v; want 1500 and its 150 bonus", bal)
			}
			var notes []string
			for _, ev := range final["timeline"].([]any) {
				note, _ := ev.(map[string]any)["note"].(string)
				notes = append(notes, note)
			}
			if all := strings.Join(notes, "|"); !strings.Contains(all, "1 × BOOTS-44 held for the shopper") || !strings.Contains(all, "store credit of 16.50 EUR issued") {
				t.Fatalf("timeline notes %v", notes)
			}
			if v := s.must(s.call("GET", "/v1/catalog/variants/BOOTS-44", nil, key...), 200).json(); v["free"] != 1.0 {
				t.Fatalf("BOOTS-44 after the refund: %v; the replacement stays held for its shipment", v)
			}
			recordHistory(t, s, id, "return_resolutions_v6")
		})
	}
}
