package db_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/rebound-returns/rebound/db"
	"github.com/rebound-returns/rebound/db/dbtest"
	"github.com/rebound-returns/rebound/returns"
)

// catalogItem is one variant of an upsert.
func catalogItem(product, title, sku, options string, price int64, available int) db.CatalogItem {
	return db.CatalogItem{
		Product: db.Product{ProductID: product, Title: title, Category: "shoes"},
		Variant: db.Variant{SKU: sku, Options: options, Price: price, Currency: "EUR", Available: available},
	}
}

// seedReturns makes n returns of one order of merchant m, for holds.
func seedReturns(t *testing.T, d *db.DB, m *db.Merchant, n int) []string {
	t.Helper()
	ctx := context.Background()
	o := &db.Order{MerchantID: m.ID, OrderNumber: "X-" + db.NewID(), Currency: "EUR", PlacedAt: time.Now(), RequestHash: "h",
		Lines: []db.OrderLine{{LineID: "1", Name: "Shoes", Quantity: 1, UnitPrice: 5000}}}
	must(t, d.Orders.CreateOrder(ctx, o))
	ids := make([]string, n)
	for i := range ids {
		r := &db.Return{MerchantID: m.ID, OrderID: o.ID, Status: string(returns.Approved), Method: returns.MethodShip,
			Contact: "ann@example.com", ContactKind: "email", Currency: "EUR",
			Lines: []db.ReturnLine{{LineID: "1", Quantity: 1, Reason: "too_small"}}}
		must(t, d.Returns.CreateReturn(ctx, r))
		ids[i] = r.ID
	}
	return ids
}

func variant(t *testing.T, d *db.DB, merchantID, sku string) *db.CatalogVariant {
	t.Helper()
	v, err := d.Catalog.VariantBySKU(context.Background(), merchantID, sku)
	if err != nil {
		t.Fatalf("variant %s: %v", sku, err)
	}
	return v
}

func TestCatalogUpsertTwiceChangesNothing(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		m := seedMerchant(t, d, "demo")
		items := []db.CatalogItem{
			catalogItem("P-1", "Runner", "RUN-42", `{"size":"42"}`, 8999, 5),
			catalogItem("P-1", "Runner", "RUN-43", `{"size":"43"}`, 8999, 0),
			catalogItem("P-2", "Sock", "SOCK-M", `{"colour":"red","size":"M"}`, 499, 100),
		}
		got, err := d.Catalog.UpsertVariants(ctx, m.ID, items)
		if err != nil || fmt.Sprint(got) != "[created created created]" {
			t.Fatalf("first upsert = %v, %v", got, err)
		}
		before := variant(t, d, m.ID, "SOCK-M")
		if before.Title != "Sock" || before.Category != "shoes" || before.Price != 499 || before.Available != 100 ||
			before.Options != `{"colour":"red","size":"M"}` || before.ProductID != "P-2" {
			t.Fatalf("read back %+v", before)
		}
		got, err = d.Catalog.UpsertVariants(ctx, m.ID, items)
		if err != nil || fmt.Sprint(got) != "[unchanged unchanged unchanged]" {
			t.Fatalf("same upsert again = %v, %v", got, err)
		}
		if after := variant(t, d, m.ID, "SOCK-M"); !after.UpdatedAt.Equal(before.UpdatedAt) {
			t.Fatalf("an unchanged variant was written: updated_at %v then %v", before.UpdatedAt, after.UpdatedAt)
		}
		items[1].Variant.Available = 3
		items[0].Product.Title, items[1].Product.Title = "Runner 2", "Runner 2"
		got, err = d.Catalog.UpsertVariants(ctx, m.ID, items)
		if err != nil || fmt.Sprint(got) != "[updated updated unchanged]" {
			t.Fatalf("a product's title and one variant's stock changed = %v, %v", got, err)
		}
		if v := variant(t, d, m.ID, "RUN-42"); v.Title != "Runner 2" || v.UpdatedAt.Equal(v.CreatedAt) {
			t.Fatalf("RUN-42 after its product's new title: %+v", v)
		}
		if v := variant(t, d, m.ID, "RUN-43"); v.Available != 3 || v.Title != "Runner 2" {
			t.Fatalf("RUN-43 after update: %+v", v)
		}
		// Another merchant's SKU of the same name is its own variant.
		other := seedMerchant(t, d, "other")
		if got, err := d.Catalog.UpsertVariants(ctx, other.ID, items[:1]); err != nil || got[0] != db.VariantCreated {
			t.Fatalf("other merchant's RUN-42 = %v, %v", got, err)
		}
		if _, err := d.Catalog.VariantBySKU(ctx, other.ID, "SOCK-M"); !errors.Is(err, db.ErrNotFound) {
			t.Fatalf("other merchant sees SOCK-M: %v", err)
		}
	})
}

func TestCatalogListsPageBySKUAndFilter(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		m := seedMerchant(t, d, "demo")
		var items []db.CatalogItem
		for i := range 7 {
			p := "P-A"
			if i%2 == 1 {
				p = "P-B"
			}
			items = append(items, catalogItem(p, p, fmt.Sprintf("SKU-%02d", 6-i), "{}", 100, 1))
		}
		if _, err := d.Catalog.UpsertVariants(ctx, m.ID, items); err != nil {
			t.Fatal(err)
		}
		var seen []string
		after := ""
		for page := 0; ; page++ {
			p, err := d.Catalog.Variants(ctx, m.ID, db.VariantFilter{After: after, Limit: 3})
			if err != nil || p.Total != 7 {
				t.Fatalf("page %d: %+v, %v", page, p, err)
			}
			for _, v := range p.Items {
				seen = append(seen, v.SKU)
			}
			if !p.More {
				break
			}
			after = p.Items[len(p.Items)-1].SKU
		}
		if fmt.Sprint(seen) != "[SKU-00 SKU-01 SKU-02 SKU-03 SKU-04 SKU-05 SKU-06]" {
			t.Fatalf("pages = %v", seen)
		}
		p, err := d.Catalog.Variants(ctx, m.ID, db.VariantFilter{ProductID: "P-B", Limit: 10})
		if err != nil || p.Total != 3 || p.More || p.Items[0].SKU != "SKU-01" || p.Items[0].Title != "P-B" {
			t.Fatalf("product P-B = %+v, %v", p, err)
		}
		p, err = d.Catalog.Variants(ctx, m.ID, db.VariantFilter{SKUs: []string{"SKU-03", "SKU-05", "NOPE"}, Limit: 10})
		if err != nil || p.Total != 2 || len(p.Items) != 2 || p.Items[1].SKU != "SKU-05" {
			t.Fatalf("two SKUs = %+v, %v", p, err)
		}
	})
}

// Issue 16: 100 parallel exchanges for a variant with 10 in stock hold
// exactly 10.
func TestHoldsNeverOversellUnderConcurrency(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		m := seedMerchant(t, d, "demo")
		if _, err := d.Catalog.UpsertVariants(ctx, m.ID, []db.CatalogItem{catalogItem("P", "Runner", "RUN-42", "{}", 8999, 10)}); err != nil {
			t.Fatal(err)
		}
		rets := seedReturns(t, d, m, 100)
		var wg sync.WaitGroup
		var mu sync.Mutex
		held, out := 0, 0
		var others []error
		for _, r := range rets {
			wg.Go(func() {
				_, created, err := d.Catalog.HoldStock(ctx, m.ID, "RUN-42", r, 1)
				mu.Lock()
				defer mu.Unlock()
				switch {
				case err == nil && created:
					held++
				case errors.Is(err, db.ErrOutOfStock):
					out++
				default:
					others = append(others, err)
				}
			})
		}
		wg.Wait()
		if held != 10 || out != 90 || len(others) > 0 {
			t.Fatalf("held %d, out of stock %d, other answers %v; want 10, 90, none", held, out, others)
		}
		if v := variant(t, d, m.ID, "RUN-42"); v.Held != 10 || v.Available != 10 {
			t.Fatalf("variant after the rush: held %d of %d", v.Held, v.Available)
		}
	})
}

func TestHoldIsOncePerReturnAndVariant(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		m := seedMerchant(t, d, "demo")
		if _, err := d.Catalog.UpsertVariants(ctx, m.ID, []db.CatalogItem{catalogItem("P", "Runner", "RUN-42", "{}", 8999, 10)}); err != nil {
			t.Fatal(err)
		}
		rets := seedReturns(t, d, m, 2)
		first, created, err := d.Catalog.HoldStock(ctx, m.ID, "RUN-42", rets[0], 2)
		if err != nil || !created || first.State != db.HoldHeld || first.Quantity != 2 {
			t.Fatalf("first hold = %+v, %v, %v", first, created, err)
		}
		again, created, err := d.Catalog.HoldStock(ctx, m.ID, "RUN-42", rets[0], 2)
		if err != nil || created || again.ID != first.ID {
			t.Fatalf("the same hold again = %+v, %v, %v", again, created, err)
		}
		// A retried activity racing itself still holds once.
		var wg sync.WaitGroup
		ids := make([]string, 20)
		errs := make([]error, 20)
		for i := range ids {
			wg.Go(func() {
				h, _, err := d.Catalog.HoldStock(ctx, m.ID, "RUN-42", rets[1], 3)
				errs[i] = err
				if h != nil {
					ids[i] = h.ID
				}
			})
		}
		wg.Wait()
		for i := range ids {
			if errs[i] != nil || ids[i] != ids[0] {
				t.Fatalf("racing holds: %v, id %s against %s", errs[i], ids[i], ids[0])
			}
		}
		if v := variant(t, d, m.ID, "RUN-42"); v.Held != 5 {
			t.Fatalf("held = %d, want 2 + 3", v.Held)
		}
		if _, _, err := d.Catalog.HoldStock(ctx, m.ID, "RUN-42", rets[0], 1); !errors.Is(err, db.ErrHoldDiffers) {
			t.Fatalf("another quantity for the same return: %v", err)
		}
		if _, _, err := d.Catalog.HoldStock(ctx, m.ID, "NOPE", rets[0], 1); !errors.Is(err, db.ErrNotFound) {
			t.Fatalf("unknown SKU: %v", err)
		}
		other := seedMerchant(t, d, "other")
		if _, err := d.Catalog.UpsertVariants(ctx, other.ID, []db.CatalogItem{catalogItem("P", "Runner", "RUN-42", "{}", 8999, 10)}); err != nil {
			t.Fatal(err)
		}
		if _, _, err := d.Catalog.HoldStock(ctx, other.ID, "RUN-42", rets[0], 1); !errors.Is(err, db.ErrForeignReturn) {
			t.Fatalf("another merchant's return: %v", err)
		}
		if _, _, err := d.Catalog.HoldStock(ctx, m.ID, "RUN-42", db.NewID(), 1); !errors.Is(err, db.ErrForeignReturn) {
			t.Fatalf("an unknown return: %v", err)
		}
	})
}

func TestHoldsEndOnceAndOnlyFromHeld(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		m := seedMerchant(t, d, "demo")
		if _, err := d.Catalog.UpsertVariants(ctx, m.ID, []db.CatalogItem{
			catalogItem("P", "Runner", "RUN-42", "{}", 8999, 10), catalogItem("P", "Runner", "RUN-43", "{}", 8999, 10)}); err != nil {
			t.Fatal(err)
		}
		rets := seedReturns(t, d, m, 3)
		a, _, err := d.Catalog.HoldStock(ctx, m.ID, "RUN-42", rets[0], 2)
		must(t, err)
		b, _, err := d.Catalog.HoldStock(ctx, m.ID, "RUN-42", rets[1], 3)
		must(t, err)

		h, moved, err := d.Catalog.EndHold(ctx, m.ID, a.ID, db.HoldReleased, returns.Cancelled)
		if err != nil || !moved || h.State != db.HoldReleased || h.ReleaseReason != returns.Cancelled || h.EndedAt == nil {
			t.Fatalf("release = %+v, %v, %v", h, moved, err)
		}
		if h, moved, err := d.Catalog.EndHold(ctx, m.ID, a.ID, db.HoldReleased, returns.Cancelled); err != nil || moved || h.State != db.HoldReleased {
			t.Fatalf("release again = %+v, %v, %v", h, moved, err)
		}
		if _, _, err := d.Catalog.EndHold(ctx, m.ID, a.ID, db.HoldConsumed, ""); !errors.Is(err, db.ErrHoldEnded) {
			t.Fatalf("consume a released hold: %v", err)
		}
		if v := variant(t, d, m.ID, "RUN-42"); v.Held != 3 || v.Available != 10 {
			t.Fatalf("after the release: held %d of %d, want 3 of 10", v.Held, v.Available)
		}
		// A released hold is not held again by a retry of its hold.
		if h, created, err := d.Catalog.HoldStock(ctx, m.ID, "RUN-42", rets[0], 2); err != nil || created || h.State != db.HoldReleased {
			t.Fatalf("hold after release = %+v, %v, %v", h, created, err)
		}

		if h, moved, err := d.Catalog.EndHold(ctx, m.ID, b.ID, db.HoldConsumed, returns.Rejected); err != nil || !moved || h.State != db.HoldConsumed || h.ReleaseReason != "" {
			t.Fatalf("consume = %+v, %v, %v", h, moved, err)
		}
		if _, moved, err := d.Catalog.EndHold(ctx, m.ID, b.ID, db.HoldConsumed, ""); err != nil || moved {
			t.Fatalf("consume again = %v, %v", moved, err)
		}
		if _, _, err := d.Catalog.EndHold(ctx, m.ID, b.ID, db.HoldReleased, returns.Cancelled); !errors.Is(err, db.ErrHoldEnded) {
			t.Fatalf("release a consumed hold: %v", err)
		}
		if v := variant(t, d, m.ID, "RUN-42"); v.Held != 0 || v.Available != 7 {
			t.Fatalf("after the consumption: held %d of %d, want 0 of 7", v.Held, v.Available)
		}
		other := seedMerchant(t, d, "other")
		if _, _, err := d.Catalog.EndHold(ctx, other.ID, b.ID, db.HoldConsumed, ""); !errors.Is(err, db.ErrNotFound) {
			t.Fatalf("another merchant's hold: %v", err)
		}

		// A return's holds are released together, once.
		_, _, err = d.Catalog.HoldStock(ctx, m.ID, "RUN-42", rets[2], 1)
		must(t, err)
		_, _, err = d.Catalog.HoldStock(ctx, m.ID, "RUN-43", rets[2], 4)
		must(t, err)
		rel, err := d.Catalog.ReleaseReturnHolds(ctx, m.ID, rets[2], returns.Declined)
		if err != nil || len(rel) != 2 || rel[1].ReleaseReason != returns.Declined {
			t.Fatalf("release the return's holds = %+v, %v", rel, err)
		}
		if rel, err := d.Catalog.ReleaseReturnHolds(ctx, m.ID, rets[2], returns.Declined); err != nil || len(rel) != 0 {
			t.Fatalf("again = %+v, %v", rel, err)
		}
		if v := variant(t, d, m.ID, "RUN-43"); v.Held != 0 {
			t.Fatalf("RUN-43 still holds %d", v.Held)
		}
		hs, err := d.Catalog.HoldsOfReturn(ctx, m.ID, rets[2])
		if err != nil || len(hs) != 2 || hs[0].SKU != "RUN-42" || hs[1].SKU != "RUN-43" || hs[1].State != db.HoldReleased {
			t.Fatalf("holds of the return = %+v, %v", hs, err)
		}
	})
}

// An upsert that would put a variant's stock below what its holds reserve
// is refused whole, naming the item; nothing of it is written.
func TestUpsertBelowHeldIsRefusedWhole(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		m := seedMerchant(t, d, "demo")
		items := []db.CatalogItem{catalogItem("P", "Runner", "RUN-41", "{}", 8999, 10), catalogItem("P", "Runner", "RUN-42", "{}", 8999, 10)}
		if _, err := d.Catalog.UpsertVariants(ctx, m.ID, items); err != nil {
			t.Fatal(err)
		}
		rets := seedReturns(t, d, m, 1)
		_, _, err := d.Catalog.HoldStock(ctx, m.ID, "RUN-42", rets[0], 4)
		must(t, err)
		items[0].Variant.Price = 7999
		items[1].Variant.Available = 3
		_, err = d.Catalog.UpsertVariants(ctx, m.ID, items)
		var held *db.StockHeldError
		if !errors.As(err, &held) || !errors.Is(err, db.ErrStockHeld) || held.Index != 1 || held.Held != 4 || held.Available != 3 {
			t.Fatalf("below held: %v", err)
		}
		if v := variant(t, d, m.ID, "RUN-41"); v.Price != 8999 {
			t.Fatalf("a refused upsert wrote another item: price %d", v.Price)
		}
		items[1].Variant.Available = 4
		if got, err := d.Catalog.UpsertVariants(ctx, m.ID, items); err != nil || fmt.Sprint(got) != "[updated updated]" {
			t.Fatalf("down to exactly what is held = %v, %v", got, err)
		}
		if _, _, err := d.Catalog.HoldStock(ctx, m.ID, "RUN-42", seedReturns(t, d, m, 1)[0], 1); !errors.Is(err, db.ErrOutOfStock) {
			t.Fatalf("a hold beyond the stock: %v", err)
		}
	})
}

// Holds racing upserts that lower the stock: whatever wins, a variant's
// held units are the sum of its held holds and never above its stock.
func TestHoldsRacingUpsertsKeepHeldWithinStock(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		m := seedMerchant(t, d, "demo")
		item := func(available int) []db.CatalogItem {
			return []db.CatalogItem{catalogItem("P", "Runner", "RUN-41", "{}", 8999, 50), catalogItem("P", "Runner", "RUN-42", "{}", 8999, available)}
		}
		if _, err := d.Catalog.UpsertVariants(ctx, m.ID, item(20)); err != nil {
			t.Fatal(err)
		}
		rets := seedReturns(t, d, m, 40)
		var wg sync.WaitGroup
		errs := make(chan error, 80)
		for i, r := range rets {
			wg.Go(func() {
				if _, _, err := d.Catalog.HoldStock(ctx, m.ID, "RUN-42", r, 1); err != nil && !errors.Is(err, db.ErrOutOfStock) {
					errs <- fmt.Errorf("hold: %w", err)
				}
				if _, _, err := d.Catalog.HoldStock(ctx, m.ID, "RUN-41", r, 1); err != nil {
					errs <- fmt.Errorf("hold of RUN-41: %w", err)
				}
			})
			if i%4 == 0 {
				wg.Go(func() {
					if _, err := d.Catalog.UpsertVariants(ctx, m.ID, item(10+i/4)); err != nil && !errors.Is(err, db.ErrStockHeld) {
						errs <- fmt.Errorf("upsert: %w", err)
					}
				})
			}
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Error(err)
		}
		var held int
		for _, r := range rets {
			hs, err := d.Catalog.HoldsOfReturn(ctx, m.ID, r)
			must(t, err)
			for _, h := range hs {
				if h.SKU == "RUN-42" && h.State == db.HoldHeld {
					held += h.Quantity
				}
			}
		}
		v := variant(t, d, m.ID, "RUN-42")
		if v.Held != held || v.Held > v.Available || v.Held == 0 {
			t.Fatalf("RUN-42 holds %d by its counter, %d by its holds, of %d available", v.Held, held, v.Available)
		}
		if v := variant(t, d, m.ID, "RUN-41"); v.Held != 40 {
			t.Fatalf("RUN-41 holds %d, want 40", v.Held)
		}
	})
}

// A full batch (500 variants of 50 products) is written once and then
// found unchanged.
func TestCatalogUpsertsAFullBatch(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		m := seedMerchant(t, d, "demo")
		items := make([]db.CatalogItem, 500)
		for i := range items {
			p := fmt.Sprintf("P-%02d", i/10)
			items[i] = catalogItem(p, "Product "+p, fmt.Sprintf("SKU-%03d", i), fmt.Sprintf(`{"size":"%d"}`, i%10), int64(1000+i), i)
		}
		for round, want := range []db.UpsertOutcome{db.VariantCreated, db.VariantUnchanged} {
			got, err := d.Catalog.UpsertVariants(ctx, m.ID, items)
			if err != nil || len(got) != 500 {
				t.Fatalf("round %d: %d outcomes, %v", round, len(got), err)
			}
			for i, o := range got {
				if o != want {
					t.Fatalf("round %d: item %d %s, want %s", round, i, o, want)
				}
			}
		}
		p, err := d.Catalog.Variants(ctx, m.ID, db.VariantFilter{ProductID: "P-49", Limit: 20})
		if err != nil || p.Total != 10 || p.Items[9].SKU != "SKU-499" || p.Items[9].Price != 1499 || p.Items[9].Title != "Product P-49" {
			t.Fatalf("P-49 = %+v, %v", p, err)
		}
	})
}
