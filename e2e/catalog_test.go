package e2e_test

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"

	"github.com/rebound-returns/rebound/db"
	"github.com/rebound-returns/rebound/db/dbtest"
	"github.com/rebound-returns/rebound/returns"
)

// catalogVariant is one variant of an upsert body.
func catalogVariant(sku, product string, price int64, available int, options map[string]string) map[string]any {
	return map[string]any{"sku": sku, "product": map[string]any{"id": product, "title": "Trail runner", "category": "shoes"},
		"options": options, "price": price, "currency": "EUR", "available": available}
}

// Issue 16: the merchant's systems upsert their catalog in bulk over HTTP,
// read it back, send it again without changing anything, are told which
// item and field of a bad call is at fault, and cannot lower a variant's
// stock below what exchanges hold of it.
func TestCatalogBulkUpsertOverHTTP(t *testing.T) {
	for _, e := range dbtest.Engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			s := newStackWith(t, e, true)
			key := []string{"X-API-Key", demoAPIKey}
			var variants []map[string]any
			for i, size := range []string{"41", "42", "43"} {
				variants = append(variants, catalogVariant("TR-"+size, "TRAIL", 8999, 3+i, map[string]string{"size": size, "colour": "blue"}))
			}
			variants = append(variants, catalogVariant("SOCK-M", "SOCK", 499, 40, nil))
			body := map[string]any{"variants": variants}

			r := s.must(s.call("PUT", "/v1/catalog/variants", body, key...), 200).json()
			if r["created"] != 4.0 || r["unchanged"] != 0.0 {
				t.Fatalf("first upsert: %v", r)
			}
			before := s.must(s.call("GET", "/v1/catalog/variants/TR-42", nil, key...), 200)
			v := before.json()
			if v["price"] != 8999.0 || v["currency"] != "EUR" || v["available"] != 4.0 || v["free"] != 4.0 ||
				v["product"].(map[string]any)["title"] != "Trail runner" || v["options"].(map[string]any)["size"] != "42" {
				t.Fatalf("read back: %s", before.Body)
			}

			// The same body again changes nothing, not even a time.
			r = s.must(s.call("PUT", "/v1/catalog/variants", body, key...), 200).json()
			if r["unchanged"] != 4.0 || r["created"] != 0.0 || r["updated"] != 0.0 {
				t.Fatalf("same upsert again: %v", r)
			}
			if again := s.must(s.call("GET", "/v1/catalog/variants/TR-42", nil, key...), 200); string(again.Body) != string(before.Body) {
				t.Fatalf("an unchanged variant changed:\n%s\n%s", before.Body, again.Body)
			}

			// The list pages by SKU, filters by product; an admin reads it too.
			admin := bearer(s.login("admin"))
			page := s.must(s.call("GET", "/v1/catalog/variants?product=TRAIL&limit=2", nil, admin...), 200).json()
			items := page["items"].([]any)
			if len(items) != 2 || items[0].(map[string]any)["sku"] != "TR-41" || page["total"] != 3.0 || page["next"] == nil {
				t.Fatalf("first page: %v", page)
			}
			page = s.must(s.call("GET", page["next"].(string), nil, admin...), 200).json()
			if items := page["items"].([]any); len(items) != 1 || items[0].(map[string]any)["sku"] != "TR-43" || page["next"] != nil {
				t.Fatalf("second page: %v", page)
			}
			s.problem(s.call("GET", "/v1/catalog/variants", nil, bearer(s.login("clerk"))...), 403, "")
			s.problem(s.call("PUT", "/v1/catalog/variants", body, admin...), 401, "")

			// A bad item refuses the call, naming its index and field.
			bad := append([]map[string]any{}, variants...)
			bad[2] = catalogVariant("TR-43", "TRAIL", -1, 5, nil)
			s.problem(s.call("PUT", "/v1/catalog/variants", map[string]any{"variants": bad}, key...), 422, "variants[2].price")
			bad[2] = catalogVariant("TR-41", "TRAIL", 8999, 5, nil)
			s.problem(s.call("PUT", "/v1/catalog/variants", map[string]any{"variants": bad}, key...), 422, "variants[2].sku")
			s.problem(s.call("PUT", "/v1/catalog/variants", `{"variants":[{"sku":"X","price":"free"}]}`, key...), 422, "price")
			s.problem(s.call("GET", "/v1/catalog/variants/NOPE", nil, key...), 404, "no such variant")

			// An exchange holds 3 of TR-42's 4: the stock may not go below 3.
			ctx := context.Background()
			o := s.seed.Orders[0]
			ret := &db.Return{MerchantID: s.seed.MerchantID, OrderID: o.ID, Status: string(returns.Approved), Method: returns.MethodShip,
				Contact: "ann@example.com", ContactKind: "email", Currency: o.Currency,
				Lines: []db.ReturnLine{{LineID: o.Lines[0].LineID, Quantity: 1, Reason: "too_small"}}}
			if err := s.db.Returns.CreateReturn(ctx, ret); err != nil {
				t.Fatal(err)
			}
			if _, _, err := s.db.Catalog.HoldStock(ctx, s.seed.MerchantID, "TR-42", ret.ID, 3); err != nil {
				t.Fatal(err)
			}
			lower := append([]map[string]any{}, variants...)
			lower[1] = catalogVariant("TR-42", "TRAIL", 8999, 2, map[string]string{"size": "42", "colour": "blue"})
			lower[3] = catalogVariant("SOCK-M", "SOCK", 399, 40, nil)
			s.problem(s.call("PUT", "/v1/catalog/variants", map[string]any{"variants": lower}, key...), 409, "variants[1].available")
			var sock map[string]any
			_ = json.Unmarshal(s.must(s.call("GET", "/v1/catalog/variants/SOCK-M", nil, key...), 200).Body, &sock)
			if sock["price"] != 499.0 {
				t.Fatalf("a refused upsert wrote another item: %v", sock)
			}
			lower[1] = catalogVariant("TR-42", "TRAIL", 8999, 3, map[string]string{"size": "42", "colour": "blue"})
			r = s.must(s.call("PUT", "/v1/catalog/variants", map[string]any{"variants": lower}, key...), 200).json()
			if fmt.Sprint(r["updated"], r["unchanged"]) != "2 2" {
				t.Fatalf("down to what is held: %v", r)
			}
			v = s.must(s.call("GET", "/v1/catalog/variants/TR-42", nil, key...), 200).json()
			if v["available"] != 3.0 || v["held"] != 3.0 || v["free"] != 0.0 {
				t.Fatalf("TR-42 after: %v", v)
			}
		})
	}
}
