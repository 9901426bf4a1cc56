package api

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/rebound-returns/rebound/app/views"
	"github.com/rebound-returns/rebound/db"
	"github.com/rebound-returns/rebound/db/dbtest"
)

// GET /v1/finance/settlements (issue 18: it was a 405): finance and admins
// page through their own merchant's files, uploaded or picked up, with
// each file's reconciliation counts; the filters are checked, naming the
// field; other roles and other merchants see nothing.
func TestSettlementHistory(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		m := &db.Merchant{Slug: "hist", Name: "Hist"}
		other := &db.Merchant{Slug: "hist-other", Name: "Other"}
		must(t, d.Merchants.CreateMerchant(ctx, m))
		must(t, d.Merchants.CreateMerchant(ctx, other))
		fin := dbtest.StaffToken(t, d, m.ID, "fin", "finance")
		admin := dbtest.StaffToken(t, d, m.ID, "adm", "admin")
		clerk := dbtest.StaffToken(t, d, m.ID, "clk", "clerk")
		op := dbtest.StaffToken(t, d, "", "op", "operator")
		otherFin := dbtest.StaffToken(t, d, other.ID, "fin2", "finance")
		t0 := time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)
		var ids []string
		for i, by := range []string{"fin", db.PickupUploader, "adm"} {
			f := &db.SettlementFile{MerchantID: m.ID, Source: db.SourceAcquirer, Filename: "day" + itoa(int64(i)) + ".csv", UploadedBy: by}
			must(t, d.Settlement.CreateSettlementFile(ctx, f))
			day := t0.AddDate(0, 0, i).Format("2006-01-02")
			must(t, d.Settlement.SetSettlementFile(ctx, f.ID, map[string]any{"created_at": t0.Add(time.Duration(i) * time.Hour),
				"first_day": day, "last_day": day, "status": db.FileReconciled, "rows_read": 10, "matched": 8, "unexpected": 1, "amount_mismatch": 1, "missing": 2}))
			ids = append(ids, f.ID)
		}
		must(t, d.Settlement.CreateSettlementFile(ctx, &db.SettlementFile{MerchantID: other.ID, Source: db.SourceGateway, Filename: "theirs.csv", UploadedBy: "fin2"}))

		h := NewHandler(wired(Deps{}, d, nil, nil))
		get := func(tok, path string) *httptest.ResponseRecorder {
			req := httptest.NewRequest("GET", path, nil)
			if tok != "" {
				req.Header.Set("Authorization", "Bearer "+tok)
			}
			w := httptest.NewRecorder()
			h.ServeHTTP(w, req)
			return w
		}
		type page struct {
			Items      []views.SettlementFileListItem `json:"items"`
			Next       *string                        `json:"next"`
			NextCursor *string                        `json:"next_cursor"`
			Total      int64                          `json:"total"`
		}
		read := func(w *httptest.ResponseRecorder) page {
			t.Helper()
			if w.Code != http.StatusOK {
				t.Fatalf("%d %s", w.Code, w.Body)
			}
			var p page
			if err := json.Unmarshal(w.Body.Bytes(), &p); err != nil {
				t.Fatal(err)
			}
			return p
		}

		// Auth: none is 401, a clerk 403.
		if w := get("", "/v1/finance/settlements"); w.Code != http.StatusUnauthorized {
			t.Errorf("no token: %d", w.Code)
		}
		if w := get(clerk, "/v1/finance/settlements"); w.Code != http.StatusForbidden {
			t.Errorf("clerk: %d", w.Code)
		}

		// Newest first, with what each file is and what matching found.
		p := read(get(fin, "/v1/finance/settlements"))
		if p.Total != 3 || len(p.Items) != 3 || p.Next != nil {
			t.Fatalf("finance sees %+v", p)
		}
		if p.Items[0].ID != ids[2] || p.Items[1].ID != ids[1] || p.Items[2].ID != ids[0] {
			t.Fatalf("order %s %s %s", p.Items[0].ID, p.Items[1].ID, p.Items[2].ID)
		}
		it := p.Items[1]
		if it.Via != "pickup" || it.UploadedBy != db.PickupUploader || it.Source != "acquirer" || it.Filename != "day1.csv" || it.Rows != 10 ||
			it.Matched != 8 || it.Unexpected != 1 || it.AmountMismatch != 1 || it.Missing != 2 || it.FirstDay != "2026-11-21" ||
			it.Status != "reconciled" || !it.CreatedAt.Equal(t0.Add(time.Hour)) {
			t.Fatalf("item %+v", it)
		}
		if p.Items[0].Via != "upload" || p.Items[0].UploadedBy != "adm" {
			t.Fatalf("upload %+v", p.Items[0])
		}
		if p := read(get(admin, "/v1/finance/settlements?via=upload&source=acquirer&from=2026-11-20&to=2026-11-21")); p.Total != 1 || p.Items[0].ID != ids[0] {
			t.Fatalf("filtered %+v", p)
		}
		// Another merchant's finance sees its own file only; an operator names the merchant.
		if p := read(get(otherFin, "/v1/finance/settlements")); p.Total != 1 || p.Items[0].Filename != "theirs.csv" {
			t.Fatalf("other merchant %+v", p)
		}
		if p := read(get(op, "/v1/finance/settlements?merchant=hist")); p.Total != 3 {
			t.Fatalf("operator %+v", p)
		}

		// Pages of two follow on.
		p = read(get(fin, "/v1/finance/settlements?limit=2"))
		if len(p.Items) != 2 || p.Next == nil || p.Total != 3 {
			t.Fatalf("first page %+v", p)
		}
		if !strings.Contains(*p.Next, "limit=2") {
			t.Errorf("next %s", *p.Next)
		}
		p2 := read(get(fin, *p.Next))
		if len(p2.Items) != 1 || p2.Items[0].ID != ids[0] || p2.Next != nil {
			t.Fatalf("second page %+v", p2)
		}

		// Bad input is a 422 naming the field.
		for q, field := range map[string]string{
			"source=upload":                 "source",
			"via=ftp":                       "via",
			"from=2026-11-31":               "from",
			"to=20261120":                   "to",
			"from=2026-11-21&to=2026-11-20": "to",
			"from=2025-11-01&to=2026-11-03": "to",
			"limit=201":                     "limit",
			"cursor=x":                      "cursor",
			"merchant=hist-other":           "merchant",
		} {
			w := get(fin, "/v1/finance/settlements?"+q)
			if w.Code != http.StatusUnprocessableEntity || !strings.Contains(w.Body.String(), `"field":"`+field+`"`) {
				t.Errorf("%s: %d %s; want 422 naming %s", q, w.Code, w.Body, field)
			}
		}
		if w := get(op, "/v1/finance/settlements"); w.Code != http.StatusUnprocessableEntity || !strings.Contains(w.Body.String(), `"field":"merchant"`) {
			t.Errorf("operator without merchant: %d %s", w.Code, w.Body)
		}
		// 366 days apart is allowed.
		read(get(fin, "/v1/finance/settlements?from=2025-11-01&to=2026-11-02"))
	})
}
