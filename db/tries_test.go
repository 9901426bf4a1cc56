package db_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rebound-returns/rebound/db"
	"github.com/rebound-returns/rebound/db/dbtest"
)

// Issue 13: one order access token files at most a few returns, however
// many filings arrive at once.
func TestLookupFilingsAreClaimedUpToTheCapUnderConcurrency(t *testing.T) {
	for _, e := range dbtest.Engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			d := dbtest.Open(t, e)
			m, o := lkOrder(t, d)
			l := lkNew(t, d, m, o, "ann@example.com", "192.0.2.1", time.Now(), time.Hour)
			var ok atomic.Int64
			var wg sync.WaitGroup
			for range 50 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					claimed, err := d.Shoppers.ClaimLookupFiling(context.Background(), l.ID, 5)
					if err != nil {
						t.Error(err)
					}
					if claimed {
						ok.Add(1)
					}
				}()
			}
			wg.Wait()
			if ok.Load() != 5 {
				t.Fatalf("50 concurrent claims took %d filings; want the cap of 5", ok.Load())
			}
			got, err := d.Shoppers.LookupByID(context.Background(), l.ID)
			if err != nil || got.Filings != 5 {
				t.Fatalf("lookup after the claims: %+v, %v; want 5 filings", got, err)
			}
		})
	}
}

// Tries are counted after they are stored, per address and per order, so
// that the n-th try of the window sees n.
func TestShopperTriesAreCountedPerAddressAndOrder(t *testing.T) {
	for _, e := range dbtest.Engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			d := dbtest.Open(t, e)
			ctx := context.Background()
			now := time.Now()
			old := &db.ShopperTry{Action: db.TryFiling, ClientIP: "192.0.2.1", OrderKey: db.OrderKey("demo", "A-1"), CreatedAt: now.Add(-2 * time.Hour)}
			if _, err := d.Shoppers.RecordTry(ctx, old, now.Add(-time.Hour)); err != nil {
				t.Fatal(err)
			}
			var c db.TryCounts
			for i, k := range []struct{ ip, merchant, number string }{
				{"192.0.2.1", "demo", "A-1"}, {"192.0.2.1", "DEMO ", " a-1"}, {"192.0.2.2", "demo", "A-1"}, {"192.0.2.1", "demo", "A-2"},
			} {
				var err error
				c, err = d.Shoppers.RecordTry(ctx, &db.ShopperTry{Action: db.TryLookup, ClientIP: k.ip, OrderKey: db.OrderKey(k.merchant, k.number), CreatedAt: now}, now.Add(-time.Hour))
				if err != nil {
					t.Fatal(err)
				}
				want := []db.TryCounts{{ForClient: 1, ForOrder: 1}, {ForClient: 2, ForOrder: 2}, {ForClient: 1, ForOrder: 3}, {ForClient: 3, ForOrder: 1}}[i]
				if c != want {
					t.Fatalf("try %d counted %+v; want %+v", i, c, want)
				}
			}
		})
	}
}
