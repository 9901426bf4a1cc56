package db_test

import (
	"context"
	"strings"
	"testing"

	"github.com/rebound-returns/rebound/db"
	"github.com/rebound-returns/rebound/db/dbtest"
	"github.com/rebound-returns/rebound/returns"
)

// Issue 18: a settlement work item's text gave the amount in minor units
// ("amount 8000 EUR") beside the reconciliation's "80.00 EUR". The text
// says an amount as returns.Money does, in its currency's decimal places,
// on both engines.
func TestSettlementWorkItemsSayAmountsInTheirCurrency(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		m := &db.Merchant{Slug: "worded", Name: "Worded", Policy: db.JSON("{}"), Status: "active"}
		must(t, d.Merchants.CreateMerchant(ctx, m))
		f := &db.SettlementFile{MerchantID: m.ID, Source: db.SourceAcquirer, Filename: "s.csv"}
		must(t, d.Settlement.CreateSettlementFile(ctx, f))
		amounts := []returns.Money{{Amount: 8000, Currency: "EUR"}, {Amount: 1234, Currency: "JPY"}, {Amount: 1234, Currency: "KWD"},
			{Amount: -5, Currency: "EUR"}, {Amount: 123456789, Currency: "SEK"}, {Amount: 7, Currency: "CLF"}}
		src := &itemList{}
		for i, a := range amounts {
			src.items = append(src.items, db.SettlementItem{FileID: f.ID, Line: int64(i + 2), TransactionDay: "2026-03-10", TerminalID: "T0000001",
				STAN: "00000" + string(rune('1'+i)), RRN: "64000000000" + string(rune('1'+i)), Amount: a.Amount, Currency: a.Currency})
		}
		if _, err := d.Settlement.StageItems(ctx, src); err != nil {
			t.Fatal(err)
		}
		must(t, d.Settlement.MatchSettlementFile(ctx, f))
		must(t, d.Settlement.OpenSettlementWorkItems(ctx, f))
		page, err := d.Finance.WorkItems(ctx, db.WorkItemFilter{MerchantID: m.ID, FileID: f.ID, Limit: 20})
		must(t, err)
		if len(page.Items) != len(amounts) {
			t.Fatalf("%d work items, want %d: %+v", len(page.Items), len(amounts), page.Items)
		}
		byLine := map[int64]string{}
		for _, w := range page.Items {
			byLine[*w.ItemLine] = w.Summary
		}
		for i, a := range amounts {
			got := byLine[int64(i+2)]
			if !strings.HasSuffix(got, " amount "+a.String()) {
				t.Errorf("line %d: %q, want it to end with the amount %s", i+2, got, a)
			}
		}
	})
}
