package settlement_test

import (
	"context"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rebound-returns/rebound/db"
	"github.com/rebound-returns/rebound/db/dbtest"
	"github.com/rebound-returns/rebound/settlement"
)

// peakHeapDuring answers by how much the heap in use grew at most while
// fn ran (sampled after a collection every 50 ms: the live working set).
func peakHeapDuring(fn func()) int64 {
	runtime.GC()
	var base runtime.MemStats
	runtime.ReadMemStats(&base)
	var peak atomic.Uint64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		var ms runtime.MemStats
		for {
			runtime.GC()
			runtime.ReadMemStats(&ms)
			if ms.HeapInuse > peak.Load() {
				peak.Store(ms.HeapInuse)
			}
			select {
			case <-stop:
				return
			case <-time.After(50 * time.Millisecond):
			}
		}
	})
	fn()
	close(stop)
	wg.Wait()
	return max(int64(peak.Load())-int64(base.HeapInuse), 0)
}

// Issue 13, finding 6: a 100k-row settlement file made 100k work items. The
// file streams in, its reconciliation files the work items in the database
// (INSERT … SELECT), never holding them, and counts what is missing rather
// than reading it: the heap stays flat whatever the file's size, and the
// items are then read a page at a time.
//
// Not parallel: the heap is the process's, and other tests would move it.
func TestAHundredThousandDiscrepanciesAreFiledInFlatMemory(t *testing.T) {
	const n = 100_000
	for _, e := range dbtest.Engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			d := dbtest.Open(t, e)
			m := books(t, d, nil) // no refund: every row is unexpected at the acquirer
			ctx := context.Background()
			res, err := (&settlement.Importer{DB: d}).Import(ctx, m, db.SourceAcquirer, "big.csv", "fin", generated(n))
			must(t, err)
			start := time.Now()
			grew := peakHeapDuring(func() {
				if got := reconcile(t, d, res.File.ID); got.Unexpected != n {
					t.Errorf("reconciled %d unexpected rows of %d", got.Unexpected, n)
				}
			})
			t.Logf("reconciled %d rows in %s; heap grew by at most %d MB", n, time.Since(start).Round(time.Millisecond), grew>>20)
			if grew > 24<<20 {
				t.Errorf("the heap grew by %d MB while %d discrepancies were filed: it grows with the file", grew>>20, n)
			}
			page, err := d.Finance.WorkItems(ctx, db.WorkItemFilter{MerchantID: m.ID, FileID: res.File.ID, OnlyOpen: true, Limit: 50})
			must(t, err)
			if len(page.Items) != 50 || !page.More || page.Total != db.CountCap+1 {
				t.Fatalf("work items of the file: %d, more %v, total %d", len(page.Items), page.More, page.Total)
			}
		})
	}
}
