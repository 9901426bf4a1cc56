package finance

import (
	"context"
	"reflect"
	"testing"

	"github.com/rebound-returns/rebound/app/apperr"
	"github.com/rebound-returns/rebound/db"
)

// A settlement history refuses what it cannot read, naming each field,
// before it reads any file.
func TestSettlementsRefusals(t *testing.T) {
	cases := []struct {
		name   string
		caller Caller
		q      SettlementQuery
		want   refusal
	}{
		{"staff choose no merchant", finStaff, SettlementQuery{Merchant: "shop"}, invalid("merchant: only operators choose a merchant")},
		{"operators name the merchant", operator, SettlementQuery{}, invalid("merchant: operators name the merchant")},
		{"source", finStaff, SettlementQuery{Source: "upload"}, invalid("source: must be acquirer or gateway")},
		{"via", finStaff, SettlementQuery{Via: "ftp"}, invalid("via: must be upload or pickup")},
		{"dates", finStaff, SettlementQuery{From: "2026-13-01", To: "yesterday"},
			invalid("from: must be a date such as 2026-11-26", "to: must be a date such as 2026-11-26")},
		{"reversed", finStaff, SettlementQuery{From: "2026-11-02", To: "2026-11-01"}, invalid("to: must not be before from")},
		{"too wide", finStaff, SettlementQuery{From: "2025-11-01", To: "2026-11-03"}, invalid("to: must be at most 366 days after from")},
		{"page, after the query's own", finStaff, SettlementQuery{Source: "x", Page: Page[SettlementFileCursor]{Bad: []apperr.Field{{Name: "limit", Reason: "l"}}}},
			invalid("source: must be acquirer or gateway", "limit: l")},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld()
			_, err := w.svc.Settlements(context.Background(), tc.caller, tc.q)
			tc.want.check(t, err)
			if len(w.store.fileAsked) != 0 {
				t.Fatalf("read files after a refusal: %+v", w.store.fileAsked)
			}
		})
	}
}

// A page of settlement files: the filter the query makes (the caller's own
// merchant), each file with how it arrived, and the next page's start.
func TestSettlementsArePaged(t *testing.T) {
	w := newWorld()
	w.store.filePage = &db.Paged[db.SettlementFile]{Items: []db.SettlementFile{
		{ID: fileID, MerchantID: "m1", Source: db.SourceAcquirer, Filename: "a.csv", RowsRead: 4, Matched: 3, Unexpected: 1, UploadedBy: "fin", CreatedAt: t0, FirstDay: "2026-11-02", LastDay: "2026-11-02"},
		{ID: otherID, MerchantID: "m1", Source: db.SourceGateway, UploadedBy: db.PickupUploader, CreatedAt: t0},
	}, More: true, Total: 7}
	after := &SettlementFileCursor{CreatedAt: t0, ID: itemID}
	page, err := w.svc.Settlements(context.Background(), finStaff, SettlementQuery{Source: "acquirer", Via: "upload", From: "2026-11-01",
		To: "2027-11-02", Page: Page[SettlementFileCursor]{Limit: 2, After: after}})
	if err != nil {
		t.Fatal(err)
	}
	want := db.SettlementFileFilter{MerchantID: "m1", Source: "acquirer", Via: "upload", From: "2026-11-01", To: "2027-11-02", Limit: 2,
		After: &db.SettlementFileCursor{CreatedAt: t0, ID: itemID}}
	if !reflect.DeepEqual(w.store.fileAsked, []db.SettlementFileFilter{want}) {
		t.Fatalf("asked %+v", w.store.fileAsked)
	}
	if len(page.Items) != 2 || page.Total != 7 || page.Next == nil || *page.Next != (SettlementFileCursor{CreatedAt: t0, ID: otherID}) {
		t.Fatalf("page %+v", page)
	}
	a, b := page.Items[0], page.Items[1]
	if a.ID != fileID || a.Via != db.ViaUpload || a.UploadedBy != "fin" || a.Rows != 4 || a.Matched != 3 || a.Unexpected != 1 || a.FirstDay != "2026-11-02" || !a.CreatedAt.Equal(t0) {
		t.Fatalf("first %+v", a)
	}
	if b.Via != db.ViaPickup || b.Source != db.SourceGateway {
		t.Fatalf("second %+v", b)
	}
}
