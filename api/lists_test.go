package api

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rebound-returns/rebound/db"
	"github.com/rebound-returns/rebound/db/dbtest"
)

// allocatedDuring answers the bytes the process allocated while fn ran
// (the cumulative heap allocation, so garbage counts as much as what is
// kept: an answer built in memory shows however soon it is freed).
func allocatedDuring(fn func()) uint64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	fn()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

type workItemsPage struct {
	Items []struct {
		ID string `json:"id"`
	} `json:"items"`
	NextCursor  *string `json:"next_cursor"`
	Next        *string `json:"next"`
	Total       int64   `json:"total"`
	TotalCapped bool    `json:"total_capped"`
}

// Finding 6 of issue 13: a 100k-row settlement file made 100k work items and
// /v1/finance/work-items answered all of them (31 MB). Now a page of at most
// 200, 50 by default, with a capped total and a cursor to the next.
func TestWorkItemsArePagedAtScale(t *testing.T) {
	const n = 100_000
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		m := &db.Merchant{Slug: "big", Name: "Big"}
		if err := d.Merchants.CreateMerchant(ctx, m); err != nil {
			t.Fatal(err)
		}
		tok := dbtest.StaffToken(t, d, m.ID, "fin", "finance")
		start := time.Now()
		dbtest.BulkWorkItems(t, d, m.ID, n, time.Date(2026, 11, 20, 6, 0, 0, 0, time.UTC))
		t.Logf("inserted %d work items in %s", n, time.Since(start).Round(time.Millisecond))
		h := NewHandler(wired(Deps{}, d, nil, nil))

		get := func(path string) *httptest.ResponseRecorder {
			req := httptest.NewRequest("GET", path, nil)
			req.Header.Set("Authorization", "Bearer "+tok)
			w := httptest.NewRecorder()
			h.ServeHTTP(w, req)
			return w
		}
		get("/v1/finance/work-items") // warm up: templates, pools, statements
		var w *httptest.ResponseRecorder
		alloc := allocatedDuring(func() { w = get("/v1/finance/work-items") })
		if w.Code != http.StatusOK {
			t.Fatalf("work items: %d %s", w.Code, w.Body)
		}
		var p workItemsPage
		if err := json.Unmarshal(w.Body.Bytes(), &p); err != nil {
			t.Fatal(err)
		}
		t.Logf("first page: %d bytes, %d items, allocated %d KB", w.Body.Len(), len(p.Items), alloc>>10)
		if len(p.Items) != 50 || p.NextCursor == nil || p.Next == nil || p.Total != db.CountCap || !p.TotalCapped {
			t.Fatalf("first page: %d items, next %v, total %d capped %v", len(p.Items), p.Next, p.Total, p.TotalCapped)
		}
		if w.Body.Len() > 32<<10 {
			t.Errorf("first page is %d bytes; want at most 32 KB", w.Body.Len())
		}
		if alloc > 16<<20 {
			t.Errorf("one page allocated %d MB; want at most 16 MB whatever the table holds", alloc>>20)
		}

		// The largest page is 200; more is refused, naming the field.
		if w := get("/v1/finance/work-items?limit=201"); w.Code != http.StatusUnprocessableEntity {
			t.Errorf("limit=201: %d", w.Code)
		}
		w = get("/v1/finance/work-items?limit=200")
		var big workItemsPage
		_ = json.Unmarshal(w.Body.Bytes(), &big)
		if len(big.Items) != 200 || w.Body.Len() > 128<<10 {
			t.Errorf("limit=200: %d items in %d bytes", len(big.Items), w.Body.Len())
		}

		// The next link follows on without gaps or repeats.
		w = get(*p.Next)
		var p2 workItemsPage
		if err := json.Unmarshal(w.Body.Bytes(), &p2); err != nil || w.Code != http.StatusOK {
			t.Fatalf("second page: %d %s", w.Code, w.Body)
		}
		if len(p2.Items) != 50 || p2.Items[0].ID >= p.Items[49].ID || big.Items[50].ID != p2.Items[0].ID {
			t.Fatalf("second page does not follow the first: %s then %s", p.Items[49].ID, p2.Items[0].ID)
		}

		// A file named other than by its canonical id is a 422, never a 500.
		if w := get("/v1/finance/work-items?file=urn:uuid:00000000-0000-7000-8000-000000000001"); w.Code != http.StatusUnprocessableEntity {
			t.Errorf("file=urn:uuid:…: %d %s", w.Code, w.Body)
		}
		// A cursor the list did not make is a 422, never a 500.
		for _, bad := range []string{"x", "e30", "eyJ0IjoiMjAyNi0xMS0yMFQwNjowMDowMFoiLCJpZCI6InVybjp1dWlkOjAwMDAwMDAwLTAwMDAtNzAwMC04MDAwLTAwMDAwMDAwMDAwMSJ9"} {
			if w := get("/v1/finance/work-items?cursor=" + bad); w.Code != http.StatusUnprocessableEntity {
				t.Errorf("cursor %q: %d %s", bad, w.Code, w.Body)
			}
		}
	})
}

// Every list answers a page: at most limit items, a next link that goes on
// where the page ended, a total; limit past 200 and foreign cursors are 422.
func TestEveryListIsPaged(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		m := &db.Merchant{Slug: "acme", Name: "Acme"}
		if err := d.Merchants.CreateMerchant(ctx, m); err != nil {
			t.Fatal(err)
		}
		for _, slug := range []string{"bravo", "charlie"} {
			if err := d.Merchants.CreateMerchant(ctx, &db.Merchant{Slug: slug, Name: slug}); err != nil {
				t.Fatal(err)
			}
		}
		admin := dbtest.StaffToken(t, d, m.ID, "adm", "admin")
		operator := dbtest.StaffToken(t, d, "", "op", "operator")
		for _, u := range []string{"s1", "s2"} {
			dbtest.StaffToken(t, d, m.ID, u, "clerk")
		}
		for i := range 3 {
			must(t, d.Staff.CreateAPIKey(ctx, &db.APIKey{MerchantID: m.ID, Name: "k" + strconv.Itoa(i), Prefix: "rbk_" + strconv.Itoa(i), KeyHash: "h" + strconv.Itoa(i), CreatedBy: "adm"}))
			must(t, d.Outbox.CreateWebhookEndpoint(ctx, &db.WebhookEndpoint{MerchantID: m.ID, URL: "https://hooks.example.com/" + strconv.Itoa(i), Secret: "s"}))
			must(t, d.Freezes.CreateFreeze(ctx, &db.Freeze{MerchantID: m.ID, Reason: "r" + strconv.Itoa(i), CreatedBy: "op", CreatedRole: "operator"}))
		}
		st := &db.Store{MerchantID: m.ID, Code: "S1", Name: "Store"}
		must(t, d.Merchants.CreateStore(ctx, st))
		for _, id := range []string{"T0000001", "T0000002", "T0000003"} {
			must(t, d.Merchants.CreateTerminal(ctx, &db.Terminal{MerchantID: m.ID, StoreID: st.ID, TerminalID: id, Kind: db.TerminalPhysical}))
		}
		h := NewHandler(wired(Deps{}, d, nil, nil))
		get := func(tok, path string) (int, workItemsPage) {
			req := httptest.NewRequest("GET", path, nil)
			req.Header.Set("Authorization", "Bearer "+tok)
			w := httptest.NewRecorder()
			h.ServeHTTP(w, req)
			var p workItemsPage
			_ = json.Unmarshal(w.Body.Bytes(), &p)
			return w.Code, p
		}
		for _, tc := range []struct {
			tok, path string
			total     int64
		}{
			{admin, "/v1/merchant/staff", 3},
			{admin, "/v1/merchant/api-keys", 3},
			{admin, "/v1/merchant/webhooks", 3},
			{admin, "/v1/merchant/terminals", 3},
			{admin, "/v1/merchant/freezes", 3},
			{operator, "/v1/admin/merchants", 3},
			{operator, "/v1/admin/freezes", 3},
			{admin, "/v1/finance/refunds", 0},
			{admin, "/v1/finance/work-items", 0},
			{admin, "/v1/finance/settlements", 0},
			{admin, "/v1/merchant/returns", 0},
		} {
			t.Run(tc.path, func(t *testing.T) {
				seen := map[string]bool{}
				next := tc.path + "?limit=2"
				for pages := 0; next != ""; pages++ {
					code, p := get(tc.tok, next)
					if code != http.StatusOK || len(p.Items) > 2 || p.Total != tc.total || p.TotalCapped {
						t.Fatalf("%s: %d, %d items, total %d", next, code, len(p.Items), p.Total)
					}
					for _, it := range p.Items {
						if seen[it.ID] {
							t.Fatalf("%s repeats %s", next, it.ID)
						}
						seen[it.ID] = true
					}
					next = ""
					if p.Next != nil {
						next = *p.Next
					}
					if pages > 3 {
						t.Fatal("the pages do not end")
					}
				}
				if int64(len(seen)) != tc.total {
					t.Fatalf("the pages held %d items; want %d", len(seen), tc.total)
				}
				for _, q := range []string{"?limit=201", "?limit=0", "?cursor=bm9wZQ", "?cursor=eyJvIjotMX0", "?cursor=eyJpZCI6IjEyMyJ9"} {
					if code, _ := get(tc.tok, tc.path+q); code != http.StatusUnprocessableEntity {
						t.Errorf("%s%s: %d; want 422", tc.path, q, code)
					}
				}
			})
		}
	})
}

// Reports over days are bounded as lists are: the refunds summary and
// outstanding store credit answer at most 366 days (both included); a
// longer range is a 422 problem naming to (or from, when to is not given
// and so is today), on both engines.
func TestEveryReportRangeIsBounded(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		m := &db.Merchant{Slug: "acme", Name: "Acme"}
		must(t, d.Merchants.CreateMerchant(context.Background(), m))
		fin := dbtest.StaffToken(t, d, m.ID, "fin", "finance")
		h := NewHandler(wired(Deps{}, d, nil, nil))
		today := time.Now().UTC()
		for _, path := range []string{"/v1/finance/refunds/summary", "/v1/finance/store-credit/outstanding"} {
			for _, tc := range []struct {
				query string
				field string // "" for 200
			}{
				{"", ""},
				{"?from=2025-01-01&to=2026-01-01", ""},
				{"?from=2025-01-01&to=2026-01-02", "to"},
				{"?from=0001-01-01&to=9999-12-31", "to"},
				{"?to=" + today.AddDate(0, 0, -1).Format(time.DateOnly), ""},
				{"?from=" + today.AddDate(0, 0, -365).Format(time.DateOnly), ""},
				{"?from=" + today.AddDate(0, 0, -366).Format(time.DateOnly), "from"},
			} {
				if strings.HasSuffix(path, "outstanding") && tc.field == "from" {
					tc.field = "to" // credit's days default to the last 30 and name to
				}
				req := httptest.NewRequest("GET", path+tc.query, nil)
				req.Header.Set("Authorization", "Bearer "+fin)
				w := httptest.NewRecorder()
				h.ServeHTTP(w, req)
				if tc.field == "" {
					if w.Code != http.StatusOK {
						t.Errorf("%s%s: %d %s; want 200", path, tc.query, w.Code, w.Body)
					}
					continue
				}
				var p Problem
				if err := json.Unmarshal(w.Body.Bytes(), &p); err != nil || w.Code != http.StatusUnprocessableEntity ||
					!strings.HasPrefix(w.Header().Get("Content-Type"), "application/problem+json") || len(p.Errors) != 1 || p.Errors[0].Field != tc.field ||
					!strings.Contains(p.Errors[0].Message, "366 days") {
					t.Errorf("%s%s: %d %s %s; want a 422 naming %s", path, tc.query, w.Code, w.Header().Get("Content-Type"), w.Body, tc.field)
				}
			}
		}
	})
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
