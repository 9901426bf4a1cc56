package api

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/rebound-returns/rebound/db"
	"github.com/rebound-returns/rebound/db/dbtest"
)

// Issue 13, finding 9: a 988 KB policy was accepted and copied into every
// return's workflow input. A policy is now at most 16 KiB, with bounded
// lists; what is refused names the field and leaves the policy as it was.
func TestPolicySizeIsBounded(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		r := newHygieneRig(t, d)
		categories := func(n, size int) string {
			cats := make([]string, n)
			for i := range cats {
				cats[i] = strings.Repeat("c", size)
			}
			b, _ := json.Marshal(map[string]any{"non_returnable_categories": cats})
			return string(b)
		}
		r.expect([]badRequest{
			{name: "988 KB", method: "PUT", target: "/v1/merchant/policy", as: "admin", body: categories(15000, 64), want: 413, field: "body"},
			{name: "17 KiB", method: "PUT", target: "/v1/merchant/policy", as: "admin",
				body: `{"window_days":30,"non_returnable_categories":["` + strings.Repeat(" ", 17<<10) + `x"]}`, want: 413, field: "body"},
			{name: "too many categories", method: "PUT", target: "/v1/merchant/policy", as: "admin", body: categories(101, 8),
				want: 422, field: "non_returnable_categories"},
			{name: "a long category", method: "PUT", target: "/v1/merchant/policy", as: "admin", body: categories(1, 65),
				want: 422, field: "non_returnable_categories[0]"},
			{name: "an empty category", method: "PUT", target: "/v1/merchant/policy", as: "admin", body: categories(1, 0),
				want: 422, field: "non_returnable_categories[0]"},
			{name: "a reason twice", method: "PUT", target: "/v1/merchant/policy", as: "admin",
				body: `{"review_reasons":["defective","other","defective"]}`, want: 422, field: "review_reasons[2]"},
		})
		if rec := r.do("PUT", "/v1/merchant/policy", categories(100, 64), "admin"); rec.Code != 200 {
			t.Fatalf("the largest policy allowed answers %d: %s", rec.Code, rec.Body)
		}
		rec := r.do("GET", "/v1/merchant/policy", "", "admin")
		if rec.Code != 200 || strings.Count(rec.Body.String(), strings.Repeat("c", 64)) != 100 {
			t.Fatalf("the policy kept is not the last one accepted: %d %.200s", rec.Code, rec.Body)
		}
	})
}
