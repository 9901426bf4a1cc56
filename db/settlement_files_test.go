package db_test

import (
	"context"
	"testing"
	"time"

	"github.com/rebound-returns/rebound/db"
	"github.com/rebound-returns/rebound/db/dbtest"
)

// A merchant's settlement history: its own files only, newest first, a page
// at a time, filtered by source, way in and business day, each with its
// reconciliation's counts.
func TestSettlementFilesHistory(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		m := &db.Merchant{Slug: "history", Name: "History", Policy: db.JSON("{}"), Status: "active"}
		other := &db.Merchant{Slug: "history-other", Name: "Other", Policy: db.JSON("{}"), Status: "active"}
		must(t, d.Merchants.CreateMerchant(ctx, m))
		must(t, d.Merchants.CreateMerchant(ctx, other))
		t0 := time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)
		add := func(merchant, source, by, day string, at time.Time) string {
			t.Helper()
			f := &db.SettlementFile{MerchantID: merchant, Source: source, Filename: source + "-" + day + ".csv", UploadedBy: by}
			must(t, d.Settlement.CreateSettlementFile(ctx, f))
			must(t, d.Settlement.SetSettlementFile(ctx, f.ID, map[string]any{"created_at": at, "first_day": day, "last_day": day,
				"status": db.FileReconciled, "rows_read": 5, "matched": 3, "unexpected": 1, "amount_mismatch": 1, "missing": 2}))
			return f.ID
		}
		up1 := add(m.ID, db.SourceAcquirer, "fin", "2026-11-18", t0)
		pick := add(m.ID, db.SourceAcquirer, db.PickupUploader, "2026-11-19", t0.Add(time.Hour))
		gw := add(m.ID, db.SourceGateway, "fin", "2026-11-19", t0.Add(2*time.Hour))
		up2 := add(m.ID, db.SourceAcquirer, "admin", "2026-11-20", t0.Add(3*time.Hour))
		// Another merchant's newest file is never listed.
		add(other.ID, db.SourceAcquirer, "fin", "2026-11-19", t0.Add(4*time.Hour))

		list := func(f db.SettlementFileFilter) (*db.Paged[db.SettlementFile], []string) {
			t.Helper()
			f.MerchantID = m.ID
			if f.Limit == 0 {
				f.Limit = 10
			}
			p, err := d.Settlement.SettlementFiles(ctx, f)
			must(t, err)
			var ids []string
			for _, it := range p.Items {
				if it.MerchantID != m.ID {
					t.Fatalf("another merchant's file %+v", it)
				}
				ids = append(ids, it.ID)
			}
			return p, ids
		}
		same := func(name string, got, want []string) {
			t.Helper()
			if len(got) != len(want) {
				t.Fatalf("%s: %v, want %v", name, got, want)
			}
			for i := range want {
				if got[i] != want[i] {
					t.Fatalf("%s: %v, want %v", name, got, want)
				}
			}
		}

		p, ids := list(db.SettlementFileFilter{})
		same("all", ids, []string{up2, gw, pick, up1})
		if p.Total != 4 || p.More {
			t.Fatalf("total %d more %v", p.Total, p.More)
		}
		f := p.Items[0]
		if f.RowsRead != 5 || f.Matched != 3 || f.Unexpected != 1 || f.AmountMismatch != 1 || f.Missing != 2 || f.UploadedBy != "admin" ||
			!f.CreatedAt.Equal(t0.Add(3*time.Hour)) || f.FirstDay != "2026-11-20" {
			t.Fatalf("file %+v", f)
		}

		// Two pages of two, the second after the first's last.
		p, ids = list(db.SettlementFileFilter{Limit: 2})
		same("first page", ids, []string{up2, gw})
		if !p.More || p.Total != 4 {
			t.Fatalf("first page more %v total %d", p.More, p.Total)
		}
		last := p.Items[1]
		p, ids = list(db.SettlementFileFilter{Limit: 2, After: &db.SettlementFileCursor{CreatedAt: last.CreatedAt, ID: last.ID}})
		same("second page", ids, []string{pick, up1})
		if p.More {
			t.Fatal("a third page")
		}

		_, ids = list(db.SettlementFileFilter{Source: db.SourceGateway})
		same("gateway", ids, []string{gw})
		_, ids = list(db.SettlementFileFilter{Source: db.SourceAcquirer, Via: db.ViaUpload})
		same("acquirer uploads", ids, []string{up2, up1})
		_, ids = list(db.SettlementFileFilter{Via: db.ViaPickup})
		same("picked up", ids, []string{pick})
		p, ids = list(db.SettlementFileFilter{From: "2026-11-19", To: "2026-11-19"})
		same("one day", ids, []string{gw, pick})
		if p.Total != 2 {
			t.Fatalf("one day total %d", p.Total)
		}
		_, ids = list(db.SettlementFileFilter{From: "2026-11-20"})
		same("from", ids, []string{up2})
		_, ids = list(db.SettlementFileFilter{To: "2026-11-18"})
		same("to", ids, []string{up1})

		// The other merchant sees only its own.
		p, err := d.Settlement.SettlementFiles(ctx, db.SettlementFileFilter{MerchantID: other.ID, Limit: 10})
		must(t, err)
		if len(p.Items) != 1 || p.Items[0].MerchantID != other.ID {
			t.Fatalf("other merchant %+v", p.Items)
		}
	})
}
