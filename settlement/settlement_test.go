package settlement_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"github.com/rebound-returns/rebound/returns"
	"io"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rebound-returns/rebound/activities"
	"github.com/rebound-returns/rebound/db"
	"github.com/rebound-returns/rebound/db/dbtest"
	"github.com/rebound-returns/rebound/payments"
	"github.com/rebound-returns/rebound/pos"
	"github.com/rebound-returns/rebound/settlement"
)

const mid = "DEMO00000000001"

var day = time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC)

// books makes a merchant with one refund per attempt given and answers the
// merchant.
type attempt struct {
	kind                 returns.AttemptKind
	stan, rrn, gatewayID string
	amount               int64
	day                  time.Time
}

func books(t *testing.T, d *db.DB, attempts []attempt) *db.Merchant {
	t.Helper()
	ctx := context.Background()
	m := &db.Merchant{Slug: "demo", Name: "Demo", AcquirerMerchantID: mid}
	must(t, d.Merchants.CreateMerchant(ctx, m))
	for i, a := range attempts {
		o := &db.Order{MerchantID: m.ID, OrderNumber: fmt.Sprintf("O-%d", i), Currency: "EUR", PlacedAt: day.Add(-72 * time.Hour), RequestHash: "h",
			Lines: []db.OrderLine{{LineID: "1", Name: "x", Quantity: 1, UnitPrice: 100000}}}
		must(t, d.Orders.CreateOrder(ctx, o))
		r := &db.Return{MerchantID: m.ID, OrderID: o.ID, Status: "awaiting_settlement", Method: "in_store", Contact: "a@b.c", ContactKind: "email", Currency: "EUR",
			Lines: []db.ReturnLine{{LineID: "1", Quantity: 1, Reason: "other"}}}
		must(t, d.Returns.CreateReturn(ctx, r))
		channel := returns.ChannelCardPresent
		if a.kind == returns.AttemptOnline {
			channel = returns.ChannelOnline
		}
		ref, err := d.Refunds.CreateRefund(ctx, &db.Refund{ID: db.NewID(), ReturnID: r.ID, OrderID: o.ID, MerchantID: m.ID, Channel: channel,
			Amount: a.amount, Currency: "EUR", Status: returns.RefundStatusSucceeded, Quote: db.JSON("{}")})
		must(t, err)
		at := a.day.Add(10 * time.Hour)
		// The books as they stand after the refunds were paid: approved
		// attempts with their keys, written as they are.
		must(t, d.Exec(ctx, "INSERT INTO refund_attempts (id, refund_id, n, kind, amount, state, terminal_id, stan, stan_day, rrn, "+
			"gateway_refund_id, transmitted_at, transmitted_day, created_at, updated_at) VALUES (?, ?, 1, ?, ?, ?, 'R0000001', ?, ?, ?, ?, ?, ?, ?, ?)",
			db.NewID(), ref.ID, a.kind, a.amount, returns.AttemptApproved, a.stan, a.day.Format("2006-01-02"), a.rrn, a.gatewayID, at.UTC(),
			a.day.Format("2006-01-02"), at.UTC(), at.UTC()))
	}
	return m
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func item(stan, rrn, code string, amount int64, txDay time.Time) pos.SettlementItem {
	return pos.SettlementItem{SettlementDate: day, TransactionDate: txDay, MerchantID: mid, TerminalID: "R0000001", STAN: stan, RRN: rrn,
		ApprovalCode: "AP0001", ProcessingCode: code, Amount: amount, Currency: "EUR", MaskedPAN: "411111******1111", Batch: "20261120-01"}
}

func acquirerFile(t *testing.T, items ...pos.SettlementItem) []byte {
	t.Helper()
	var b bytes.Buffer
	must(t, pos.WriteSettlement(&b, items))
	return b.Bytes()
}

func reconcile(t *testing.T, d *db.DB, fileID string) activities.ReconcileResult {
	t.Helper()
	a := &activities.Settlement{Base: activities.Base{DB: d}}
	res, err := a.MatchSettlement(context.Background(), fileID)
	must(t, err)
	must(t, a.FinishReconciliation(context.Background(), fileID))
	return res
}

// moneyText is an amount of EUR as a work item's text says it.
var moneyText = regexp.MustCompile(`(amount|the refund of) -?\d+\.\d\d EUR\b`)

func TestEachDiscrepancyKindOnBothEngines(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		m := books(t, d, []attempt{
			{kind: returns.AttemptRefund, stan: "000001", rrn: "700000000001", amount: 1000, day: day},
			{kind: returns.AttemptRefund, stan: "000002", rrn: "700000000002", amount: 2000, day: day},
			{kind: returns.AttemptVoid, stan: "000003", rrn: "700000000003", amount: 3000, day: day.AddDate(0, 0, -10)}, // overdue, in no file
			{kind: returns.AttemptVoid, stan: "000004", rrn: "700000000004", amount: 4000, day: day},
			{kind: returns.AttemptRefund, stan: "000005", rrn: "700000000005", amount: 5000, day: day.AddDate(0, 0, -1)}, // not yet overdue
		})
		file := acquirerFile(t,
			item("000001", "700000000001", "200000", 1000, day),
			item("000002", "700000000002", "200000", 2500, day),  // amount changed
			item("000001", "700000000001", "200000", 1000, day),  // the same refund again
			item("000009", "799999999999", "200000", 900, day),   // nobody's
			item("000101", "633000000101", "000000", 12395, day), // a sale
			item("000004", "700000000004", "020000", 4000, day),
		)
		im := settlement.Importer{DB: d}
		res, err := im.Import(ctx, m, db.SourceAcquirer, "settle-2026-11-20.csv", "fin", bytes.NewReader(file))
		must(t, err)
		if res.Duplicate || res.File.RowsRead != 6 || res.File.BadRows != 0 || res.File.LastDay != "2026-11-20" {
			t.Fatalf("import %+v", res.File)
		}
		got := reconcile(t, d, res.File.ID)
		want := activities.ReconcileResult{Matched: 2, Unexpected: 2, AmountMismatch: 1, Ignored: 1, Missing: 1}
		if got != want {
			t.Fatalf("reconciliation %+v; want %+v", got, want)
		}
		items, err := d.Settlement.SettlementItems(ctx, res.File.ID, nil, 0, 100)
		must(t, err)
		results := map[int64]string{}
		for _, it := range items {
			results[it.Line] = it.Result + "/" + it.MatchKey
		}
		wantLines := map[int64]string{2: "matched/" + db.KeyAcquirer, 3: "amount_mismatch/" + db.KeyAcquirer, 4: "unexpected_at_acquirer/duplicate",
			5: "unexpected_at_acquirer/", 7: "matched/" + db.KeyAcquirer}
		if r, ok := results[6]; ok { // the sale is counted, not staged
			t.Errorf("line 6 (a sale) was staged: %s", r)
		}
		for line, w := range wantLines {
			if results[line] != w {
				t.Errorf("line %d: %s; want %s", line, results[line], w)
			}
		}
		work, err := workItemsOfFile(ctx, d, m.ID, res.File.ID)
		must(t, err)
		kinds := map[string]int{}
		for _, w := range work {
			kinds[w.Kind]++
			// Amounts in their currency's decimal places (issue 18).
			if !moneyText.MatchString(w.Summary) {
				t.Errorf("work item %s says no amount in EUR: %q", w.Kind, w.Summary)
			}
		}
		if kinds["unexpected_at_acquirer"] != 2 || kinds["amount_mismatch"] != 1 || kinds["missing_at_acquirer"] != 1 || len(work) != 4 {
			t.Fatalf("work items %v", kinds)
		}
		f, err := d.Settlement.SettlementFileByID(ctx, res.File.ID)
		must(t, err)
		if f.Status != db.FileReconciled || f.ReconciledAt == nil {
			t.Fatalf("file %+v", f)
		}

		// The same content again changes nothing.
		again, err := im.Import(ctx, m, db.SourceAcquirer, "copy.csv", "fin", bytes.NewReader(file))
		must(t, err)
		if !again.Duplicate || again.File.ID != res.File.ID {
			t.Fatalf("re-import: %+v", again)
		}
		if got2 := reconcile(t, d, res.File.ID); got2 != want {
			t.Fatalf("reconciling again changed the result: %+v", got2)
		}
		work2, _ := workItemsOfFile(ctx, d, m.ID, res.File.ID)
		if len(work2) != 4 {
			t.Fatalf("reconciling again opened %d work items", len(work2)-4)
		}

		// A later file with a refund matched before in another batch (the
		// acquirer settled it twice): unexpected, not matched twice.
		again1 := item("000001", "700000000001", "200000", 1000, day)
		again1.Batch = "20261120-02"
		later := acquirerFile(t, again1, item("000005", "700000000005", "200000", 5000, day.AddDate(0, 0, -1)))
		res2, err := im.Import(ctx, m, db.SourceAcquirer, "next.csv", "fin", bytes.NewReader(later))
		must(t, err)
		if got := reconcile(t, d, res2.File.ID); got.Matched != 1 || got.Unexpected != 1 {
			t.Fatalf("second file %+v", got)
		}
	})
}

// A second cut-off on one day: the day's file holds the first batch again,
// whose refund the first batch's file matched. The repeated row is
// already_matched (no work item, the refund stays settled by the first
// file); a row of no attempt is still unexpected_at_acquirer.
func TestRowMatchedByAnEarlierFileOfItsBatchIsAlreadyMatched(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		m := books(t, d, []attempt{
			{kind: returns.AttemptRefund, stan: "000001", rrn: "700000000001", amount: 1000, day: day},
			{kind: returns.AttemptRefund, stan: "000002", rrn: "700000000002", amount: 2000, day: day},
		})
		im := settlement.Importer{DB: d}
		first := item("000001", "700000000001", "200000", 1000, day) // batch 20261120-01
		res1, err := im.Import(ctx, m, db.SourceAcquirer, "settlement-20261120-01.csv", "fin", bytes.NewReader(acquirerFile(t, first)))
		must(t, err)
		if got := reconcile(t, d, res1.File.ID); got.Matched != 1 || got.Unexpected != 0 {
			t.Fatalf("the first batch's file: %+v", got)
		}

		second := item("000002", "700000000002", "200000", 2000, day)
		second.Batch = "20261120-02"
		unknown := item("000009", "799999999999", "200000", 900, day)
		unknown.Batch = "20261120-02"
		res2, err := im.Import(ctx, m, db.SourceAcquirer, "settlement-2026-11-20.csv", "fin", bytes.NewReader(acquirerFile(t, first, second, unknown)))
		must(t, err)
		if res2.Duplicate {
			t.Fatal("the day's file was taken for the first batch's file")
		}
		got := reconcile(t, d, res2.File.ID)
		if want := (activities.ReconcileResult{Matched: 1, AlreadyMatched: 1, Unexpected: 1}); got != want {
			t.Errorf("the day's file: %+v; want %+v", got, want)
		}
		items, err := d.Settlement.SettlementItems(ctx, res2.File.ID, nil, 0, 100)
		must(t, err)
		results := map[int64]string{}
		for _, it := range items {
			results[it.Line] = it.Result + "/" + it.MatchKey
		}
		want := map[int64]string{2: db.ResultAlreadyMatched + "/" + db.KeyAcquirer, 3: db.ResultMatched + "/" + db.KeyAcquirer, 4: db.ResultUnexpected + "/"}
		for line, w := range want {
			if results[line] != w {
				t.Errorf("line %d: %s; want %s", line, results[line], w)
			}
		}
		work, err := workItemsOfFile(ctx, d, m.ID, res2.File.ID)
		must(t, err)
		if len(work) != 1 || work[0].Kind != db.ResultUnexpected || work[0].ItemLine == nil || *work[0].ItemLine != 4 {
			t.Errorf("work items of the day's file: %+v; want the unknown row's only", work)
		}
		f, err := d.Settlement.SettlementFileByID(ctx, res2.File.ID)
		must(t, err)
		if f.Status != db.FileReconciled || f.Matched != 1 || f.AlreadyMatched != 1 || f.Unexpected != 1 {
			t.Errorf("the day's file as recorded: %+v", f)
		}
		// The refund stays settled by the first file.
		first1, err := d.Settlement.SettlementItems(ctx, res1.File.ID, nil, 0, 100)
		must(t, err)
		if len(first1) != 1 || first1[0].Result != db.ResultMatched || first1[0].AttemptID == nil {
			t.Fatalf("the first file's row: %+v", first1)
		}
		byFirst, err := d.Settlement.MatchedReturns(ctx, res1.File.ID, "", 10)
		must(t, err)
		byDay, err := d.Settlement.MatchedReturns(ctx, res2.File.ID, "", 10)
		must(t, err)
		if len(byFirst) != 1 || len(byDay) != 1 || byFirst[0] == byDay[0] {
			t.Errorf("returns settled by the first file %v, by the day's file %v; want one each, not the same", byFirst, byDay)
		}
	})
}

func TestGatewayReportMatchesByRefundID(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		m := books(t, d, []attempt{{kind: returns.AttemptOnline, gatewayID: "re_1", amount: 1500, day: day}})
		var b bytes.Buffer
		must(t, payments.WriteReport(&b, []payments.ReportItem{
			{Date: day, RefundID: "re_1", PaymentID: "pay_1", Reference: "x", Amount: 1500, Currency: "EUR", Status: payments.StatusSucceeded},
			{Date: day, RefundID: "re_2", PaymentID: "pay_2", Amount: 700, Currency: "EUR", Status: payments.StatusSucceeded},
			{Date: day, RefundID: "re_3", PaymentID: "pay_3", Amount: 700, Currency: "EUR", Status: payments.StatusFailed, FailureCode: "card_closed"},
		}))
		res, err := (&settlement.Importer{DB: d}).Import(ctx, m, db.SourceGateway, "report.csv", "fin", &b)
		must(t, err)
		got := reconcile(t, d, res.File.ID)
		if got.Matched != 1 || got.Unexpected != 1 || got.Ignored != 1 || got.AmountMismatch != 0 {
			t.Fatalf("gateway reconciliation %+v", got)
		}
		// The day's report sent again, with a refund it lacked: the refund
		// matched before is a repeat; the one of another day's report is not.
		b.Reset()
		must(t, payments.WriteReport(&b, []payments.ReportItem{
			{Date: day, RefundID: "re_1", PaymentID: "pay_1", Reference: "x", Amount: 1500, Currency: "EUR", Status: payments.StatusSucceeded},
			{Date: day, RefundID: "re_4", PaymentID: "pay_4", Amount: 300, Currency: "EUR", Status: payments.StatusSucceeded},
		}))
		res2, err := (&settlement.Importer{DB: d}).Import(ctx, m, db.SourceGateway, "report-again.csv", "fin", &b)
		must(t, err)
		if got := reconcile(t, d, res2.File.ID); got.Matched != 0 || got.AlreadyMatched != 1 || got.Unexpected != 1 {
			t.Fatalf("the day's report again: %+v", got)
		}
		b.Reset()
		must(t, payments.WriteReport(&b, []payments.ReportItem{
			{Date: day.AddDate(0, 0, 1), RefundID: "re_1", PaymentID: "pay_1", Amount: 1500, Currency: "EUR", Status: payments.StatusSucceeded},
		}))
		res3, err := (&settlement.Importer{DB: d}).Import(ctx, m, db.SourceGateway, "next-day.csv", "fin", &b)
		must(t, err)
		if got := reconcile(t, d, res3.File.ID); got.AlreadyMatched != 0 || got.Unexpected != 1 {
			t.Fatalf("a refund in the next day's report again: %+v", got)
		}
	})
}

func TestBadRowsAreReportedAndMalformedFilesRefused(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		m := books(t, d, nil)
		im := settlement.Importer{DB: d}
		good := string(acquirerFile(t, item("000001", "700000000001", "200000", 1000, day), item("000002", "700000000002", "200000", 2000, day)))
		lines := strings.Split(strings.TrimSpace(good), "\n")
		// A bad amount and another merchant's row between good ones.
		bad1 := strings.Replace(lines[1], ",1000,", ",ten,", 1)
		bad2 := strings.Replace(lines[1], mid, "OTHER0000000001", 1)
		file := strings.Join([]string{lines[0], lines[1], bad1, bad2, lines[2]}, "\n") + "\n"
		res, err := im.Import(ctx, m, db.SourceAcquirer, "f.csv", "fin", strings.NewReader(file))
		must(t, err)
		if res.File.RowsRead != 2 || res.File.BadRows != 2 || len(res.BadRows) != 2 || res.BadRows[0].Line != 3 || res.BadRows[1].Line != 4 ||
			!strings.Contains(res.BadRows[0].Message, "amount") || !strings.Contains(res.BadRows[1].Message, "another merchant") {
			t.Fatalf("bad rows %+v, file %+v", res.BadRows, res.File)
		}
		// Not a settlement file at all.
		_, err = im.Import(ctx, m, db.SourceAcquirer, "notes.csv", "fin", strings.NewReader("hello,world\n1,2\n"))
		var refused *settlement.RefusedError
		if !errors.As(err, &refused) || refused.Lines[0].Line != 1 {
			t.Fatalf("wrong header: %v", err)
		}
		// The right header, then rows that are all wrong.
		junk := lines[0] + "\n" + strings.Repeat("a,b,c\n", 20)
		_, err = im.Import(ctx, m, db.SourceAcquirer, "junk.csv", "fin", strings.NewReader(junk))
		if !errors.As(err, &refused) || len(refused.Lines) < 10 || refused.Lines[0].Line != 2 {
			t.Fatalf("junk rows: %v", err)
		}
		// A gateway report given as an acquirer file.
		var rep bytes.Buffer
		must(t, payments.WriteReport(&rep, nil))
		if _, err := im.Import(ctx, m, db.SourceAcquirer, "r.csv", "fin", &rep); !errors.As(err, &refused) {
			t.Fatalf("a report as a settlement file: %v", err)
		}
	})
}

// generated streams an n-row settlement file without holding it.
func generated(n int) io.Reader {
	pr, pw := io.Pipe()
	go func() {
		w := bytes.NewBuffer(nil)
		_ = pos.WriteSettlement(w, nil)
		_, _ = pw.Write(w.Bytes())
		for i := 0; i < n; i++ {
			w.Reset()
			it := item(fmt.Sprintf("%06d", i%999999+1), fmt.Sprintf("8%011d", i), "200000", int64(100+i%5000), day)
			_ = pos.WriteSettlement(w, []pos.SettlementItem{it})
			// Drop the header WriteSettlement writes each time.
			b := w.Bytes()
			_, _ = pw.Write(b[bytes.IndexByte(b, '\n')+1:])
		}
		_ = pw.Close()
	}()
	return pr
}

// importMeasured imports an n-row file and answers by how much the heap
// grew at most while it did, and the file's size.
func importMeasured(t *testing.T, d *db.DB, m *db.Merchant, n int) (grew, size int64) {
	t.Helper()
	runtime.GC()
	var base runtime.MemStats
	runtime.ReadMemStats(&base)
	var peak atomic.Uint64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		// After a collection the heap in use is what is live: the import's
		// working set, which must not depend on the file's size.
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
	start := time.Now()
	res, err := (&settlement.Importer{DB: d}).Import(context.Background(), m, db.SourceAcquirer, fmt.Sprintf("big-%d.csv", n), "fin", generated(n))
	close(stop)
	wg.Wait()
	must(t, err)
	if res.File.RowsRead != int64(n) {
		t.Fatalf("imported %d rows of %d", res.File.RowsRead, n)
	}
	grew = max(int64(peak.Load())-int64(base.HeapInuse), 0)
	t.Logf("%d rows (%d MB) in %s; heap grew by at most %d MB", n, res.File.SizeBytes>>20, time.Since(start).Round(time.Millisecond), grew>>20)
	return grew, res.File.SizeBytes
}

// A 200,000-row file streams in: the heap grows no more for it than for a
// file a quarter of its size, and far less than the file.
//
// Not parallel: the heap is the process's, and other tests would move it.
func TestLargeFileStreamsInFlatMemory(t *testing.T) {
	for _, e := range dbtest.Engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			d := dbtest.Open(t, e)
			m := books(t, d, nil)
			small, _ := importMeasured(t, d, m, 50_000)
			// The peak is sampled beside other work of the process (the
			// driver's pools, the runtime): noise only adds, so the
			// smaller of two imports is the import's own.
			big, size := importMeasured(t, d, m, 200_000)
			if again, _ := importMeasured(t, d, m, 200_000); again < big {
				big = again
			}
			if big > small+12<<20 || big > size/2 {
				t.Fatalf("the heap grew %d MB for 200,000 rows (%d MB) against %d MB for 50,000: it grows with the file",
					big>>20, size>>20, small>>20)
			}
		})
	}
}

// workItemsOfFile reads the work items a file opened (a test's few) in one page.
func workItemsOfFile(ctx context.Context, d *db.DB, merchantID, fileID string) ([]db.WorkItem, error) {
	p, err := d.Finance.WorkItems(ctx, db.WorkItemFilter{MerchantID: merchantID, FileID: fileID, Limit: db.CountCap})
	if err != nil {
		return nil, err
	}
	return p.Items, nil
}
