package web_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"regexp"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/rebound-returns/rebound/api"
	"github.com/rebound-returns/rebound/app/wire"
	"github.com/rebound-returns/rebound/db"
	"github.com/rebound-returns/rebound/db/dbtest"
	"github.com/rebound-returns/rebound/web"
)

// Finding 6 of issue 13: with 100k work items /console/finance rendered
// 113 MB in 8 s with the server near 1 GB. The dashboard now shows counts
// and the first page, and links to paged lists of the rest.
func TestFinanceDashboardStaysSmallWithHundredThousandWorkItems(t *testing.T) {
	const n = 100_000
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		m := &db.Merchant{Slug: "big", Name: "Big"}
		if err := d.Merchants.CreateMerchant(ctx, m); err != nil {
			t.Fatal(err)
		}
		tok := dbtest.StaffToken(t, d, m.ID, "fin", "finance")
		dbtest.BulkWorkItems(t, d, m.ID, n, time.Date(2026, 11, 20, 6, 0, 0, 0, time.UTC))
		h := web.Handler(web.Deps{API: api.NewHandler(api.Deps{UseCases: wire.New(wire.Deps{DB: d})}), Secret: []byte("scale test secret")})
		get := func(path string) *httptest.ResponseRecorder {
			req := httptest.NewRequest("GET", path, nil)
			req.AddCookie(&http.Cookie{Name: "rebound_staff", Value: tok})
			w := httptest.NewRecorder()
			h.ServeHTTP(w, req)
			return w
		}
		get("/console/finance") // warm up
		var w *httptest.ResponseRecorder
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		w = get("/console/finance")
		runtime.ReadMemStats(&after)
		alloc := after.TotalAlloc - before.TotalAlloc
		body := w.Body.String()
		t.Logf("dashboard: %d bytes, allocated %d KB", len(body), alloc>>10)
		if w.Code != http.StatusOK {
			t.Fatalf("dashboard: %d %s", w.Code, body)
		}
		if len(body) > 256<<10 {
			t.Errorf("dashboard is %d bytes; want at most 256 KB", len(body))
		}
		if alloc > 32<<20 {
			t.Errorf("dashboard allocated %d MB; want at most 32 MB whatever the table holds", alloc>>20)
		}
		forms := strings.Count(body, `/resolve"`)
		if forms != 20 {
			t.Errorf("dashboard shows %d work items; want the first 20", forms)
		}
		for _, want := range []string{"More than 10000 in all", `href="/console/finance/work-items"`} {
			if !strings.Contains(body, want) {
				t.Errorf("dashboard lacks %q", want)
			}
		}

		// The paged list: 50 a page, a next link that moves on.
		w = get("/console/finance/work-items")
		if w.Code != http.StatusOK || strings.Count(w.Body.String(), `/resolve"`) != 50 || w.Body.Len() > 256<<10 {
			t.Fatalf("work items page: %d, %d bytes", w.Code, w.Body.Len())
		}
		next := regexp.MustCompile(`href="(/console/finance/work-items\?cursor=[^"]+)" rel="next"`).FindStringSubmatch(w.Body.String())
		if next == nil {
			t.Fatal("work items page has no next link")
		}
		w2 := get(strings.ReplaceAll(next[1], "&amp;", "&"))
		if w2.Code != http.StatusOK || strings.Count(w2.Body.String(), `/resolve"`) != 50 || w2.Body.String() == w.Body.String() {
			t.Fatalf("next page: %d", w2.Code)
		}
		if w := get("/console/finance/work-items?file=urn:uuid:00000000-0000-7000-8000-000000000001"); w.Code != http.StatusUnprocessableEntity {
			t.Fatalf("work items of an odd file id: %d", w.Code)
		}
		if w := get("/console/finance/failed"); w.Code != http.StatusOK || !strings.Contains(w.Body.String(), "No failed refunds") {
			t.Fatalf("failed refunds page: %d", w.Code)
		}
	})
}
