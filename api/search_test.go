package api

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/rebound-returns/rebound/db"
	"github.com/rebound-returns/rebound/db/dbtest"
)

// Issue 18: the task list searches with ?q=, pages the search (its next
// link keeps q) and refuses a query it cannot take, naming q.
func TestMerchantListSearches(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		s := newShownReturn(t, d)
		newReturnOf(t, s.shop)
		get := func(target string) *httptest.ResponseRecorder {
			req := httptest.NewRequest(http.MethodGet, target, nil)
			req.Header.Set("Authorization", "Bearer "+s.clerk)
			rec := httptest.NewRecorder()
			s.h.ServeHTTP(rec, req)
			return rec
		}
		type page struct {
			Items []struct {
				ID          string `json:"id"`
				OrderNumber string `json:"order_number"`
			} `json:"items"`
			Next  *string `json:"next"`
			Total int64   `json:"total"`
		}
		read := func(rec *httptest.ResponseRecorder) page {
			t.Helper()
			var p page
			if rec.Code != http.StatusOK {
				t.Fatalf("%d %s", rec.Code, rec.Body)
			}
			must(t, json.Unmarshal(rec.Body.Bytes(), &p))
			return p
		}
		p := read(get("/v1/merchant/returns?limit=2&q=" + url.QueryEscape(" s-")))
		if p.Total != 3 || len(p.Items) != 2 || p.Items[0].OrderNumber != "S-1" || p.Next == nil {
			t.Fatalf("search s-: %+v", p)
		}
		next, err := url.Parse(*p.Next)
		must(t, err)
		if next.Query().Get("q") != " s-" {
			t.Errorf("the next page's link %s drops q", *p.Next)
		}
		last := read(get(*p.Next))
		if len(last.Items) != 1 || last.Next != nil || last.Items[0].ID == p.Items[0].ID || last.Items[0].ID == p.Items[1].ID {
			t.Errorf("second page of the search: %+v", last)
		}
		if p := read(get("/v1/merchant/returns?q=" + s.id[:8])); len(p.Items) == 0 || p.Total != int64(len(p.Items)) {
			t.Errorf("search by an id's prefix: %+v", p)
		}
		if p := read(get("/v1/merchant/returns?q=" + s.id)); len(p.Items) != 1 || p.Items[0].ID != s.id {
			t.Errorf("search by an id: %+v; want %s", p, s.id)
		}
		if p := read(get("/v1/merchant/returns?q=S%25")); len(p.Items) != 0 || p.Total != 0 {
			t.Errorf("search S%%: %+v; want nothing (%% is no wildcard)", p)
		}
		r := newHygieneRig(t, d)
		r.expect([]badRequest{
			{name: "q too long", method: "GET", target: "/v1/merchant/returns?q=" + strings.Repeat("a", 101), as: "clerk", want: 422, field: "q"},
			{name: "q too long in characters", method: "GET", target: "/v1/merchant/returns?q=" + url.QueryEscape(strings.Repeat("ä", 101)),
				as: "clerk", want: 422, field: "q"},
			{name: "q not UTF-8", method: "GET", target: "/v1/merchant/returns?q=pat%FF", as: "clerk", want: 422, field: "q"},
			{name: "q with NUL", method: "GET", target: "/v1/merchant/returns?q=pat%00", as: "clerk", want: 422, field: "q"},
		})
		if rec := r.do("GET", "/v1/merchant/returns?q="+url.QueryEscape(strings.Repeat("ä", 100)), "", "clerk"); rec.Code != http.StatusOK {
			t.Errorf("a query of 100 characters: %d %s", rec.Code, rec.Body)
		}
	})
}
