package acquirersim_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/rebound-returns/rebound/acquirersim"
	"github.com/rebound-returns/rebound/acquirersim/simtest"
	"github.com/rebound-returns/rebound/dropfolder"
	"github.com/rebound-returns/rebound/pos"
)

// newFilingAcquirer is newAcquirer dropping its settlement files into a
// fresh folder, which it returns.
func newFilingAcquirer(t *testing.T) (*acquirersim.Acquirer, *simtest.Clock, string) {
	t.Helper()
	dir := t.TempDir()
	clk := simtest.NewClock(simtest.T0)
	a := acquirersim.New(acquirersim.Config{Now: clk.Now, Logger: simtest.Quiet(), SettlementDir: dir})
	for _, s := range []acquirersim.Sale{simtest.OpenSale, simtest.SettledSale} {
		if err := a.AddSale(s); err != nil {
			t.Fatalf("AddSale: %v", err)
		}
	}
	a.AddTerminal(simtest.Virtual, simtest.Merchant)
	a.AddTerminal(simtest.OtherTerminal, simtest.OtherMerchant)
	if err := a.Start("127.0.0.1:0"); err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() { _ = a.Close() })
	return a, clk, dir
}

// readFile reads a dropped settlement file, which must be well formed.
func readFile(t *testing.T, path string) []pos.SettlementItem {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	items, bad := simtest.ReadSettlement(t, f)
	if len(bad) != 0 {
		t.Fatalf("%s: bad rows %v", path, bad)
	}
	return items
}

// waiting are the names of the files waiting in dir, as folder/name.
func waiting(t *testing.T, dir string) []string {
	t.Helper()
	files, err := dropfolder.List(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, f := range files {
		names = append(names, f.Folder+"/"+f.Name)
	}
	return names
}

// fileOf is the path of merchant mid's file of batch in dir.
func fileOf(dir, mid, batch string) string {
	return filepath.Join(dir, mid, acquirersim.SettlementFileName(mid, batch))
}

func rrnsOf(items []pos.SettlementItem) []string {
	var rrns []string
	for _, it := range items {
		rrns = append(rrns, it.RRN)
	}
	slices.Sort(rrns)
	return rrns
}

func sorted(s ...string) []string { slices.Sort(s); return s }

func TestCutOffDropsTheBatchPerMerchant(t *testing.T) {
	t.Parallel()
	a, clk, dir := newFilingAcquirer(t)
	c, _ := simtest.NewClient(t, a.Addr(), pos.ClientConfig{})

	void := simtest.Send(t, c, simtest.VoidOf("000001", simtest.OpenSale.Amount))
	refund := simtest.Send(t, c, simtest.RefundOf("000002", 300))
	reversed := simtest.RefundOf("000003", 200)
	if r := simtest.Send(t, c, reversed); !void.Approved() || !refund.Approved() || !r.Approved() {
		t.Fatalf("void %q, refund %q, refund to reverse %q", void.ResponseCode, refund.ResponseCode, r.ResponseCode)
	}
	if rv, err := c.Reverse(context.Background(), simtest.ReversalOf(reversed, "000103", false)); err != nil || !rv.Approved() {
		t.Fatalf("reversal: %+v, %v", rv, err)
	}

	a.CutOff()
	first := fileOf(dir, simtest.Merchant, "20260310-01")
	if got, want := waiting(t, dir), []string{
		simtest.Merchant + "/" + acquirersim.SettlementFileName(simtest.Merchant, "20260310-01"),
		simtest.OtherMerchant + "/" + acquirersim.SettlementFileName(simtest.OtherMerchant, "20260310-01"),
	}; !slices.Equal(got, want) {
		t.Fatalf("files %v, want %v", got, want)
	}
	// The open sale, its void and the refund; not the sale settled days
	// ago, nor the reversed refund.
	items := readFile(t, first)
	if got, want := rrnsOf(items), sorted(simtest.OpenSale.RRN, void.RRN, refund.RRN); !slices.Equal(got, want) {
		t.Errorf("RRNs %v, want %v", got, want)
	}
	for _, it := range items {
		if it.MerchantID != simtest.Merchant || it.Batch != "20260310-01" || !it.SettlementDate.Equal(day) {
			t.Errorf("line %+v", it)
		}
		if it.RRN == refund.RRN && (it.ProcessingCode != "200000" || it.Amount != 300 || it.STAN != "000002") {
			t.Errorf("refund line %+v", it)
		}
		if it.RRN == void.RRN && (it.ProcessingCode != "020000" || it.Amount != simtest.OpenSale.Amount) {
			t.Errorf("void line %+v", it)
		}
	}
	// A merchant with nothing in the batch gets a file all the same.
	if items := readFile(t, fileOf(dir, simtest.OtherMerchant, "20260310-01")); len(items) != 0 {
		t.Errorf("the other merchant's lines: %+v", items)
	}

	// The second cut-off, through the admin API, drops what came after the
	// first only.
	clk.Set(simtest.T0.Add(time.Hour))
	second := simtest.Send(t, c, simtest.RefundOf("000004", 100))
	if !second.Approved() {
		t.Fatalf("second refund: %q", second.ResponseCode)
	}
	srv := httptest.NewServer(a.AdminHandler())
	defer srv.Close()
	code, body := call(t, srv, http.MethodPost, "/admin/cutoff", "")
	var got struct {
		Batch string   `json:"batch"`
		Files []string `json:"files"`
	}
	if err := json.Unmarshal([]byte(body), &got); code != http.StatusOK || err != nil {
		t.Fatalf("POST cutoff: %d %s", code, body)
	}
	want := []string{fileOf(dir, simtest.Merchant, "20260310-02"), fileOf(dir, simtest.OtherMerchant, "20260310-02")}
	if got.Batch != "20260310-02" || !slices.Equal(got.Files, want) {
		t.Fatalf("POST cutoff: %s, want batch 20260310-02 and files %v", body, want)
	}
	if items := readFile(t, want[0]); len(items) != 1 || items[0].RRN != second.RRN || items[0].Batch != "20260310-02" {
		t.Errorf("second batch: %+v", items)
	}
	if again := readFile(t, first); !slices.Equal(rrnsOf(again), rrnsOf(items)) {
		t.Errorf("the first file changed: %v", rrnsOf(again))
	}
	if n := len(waiting(t, dir)); n != 4 {
		t.Errorf("%d files, want 4", n)
	}
}

func TestCutOffWithoutSettlementDirDropsNothing(t *testing.T) {
	t.Chdir(t.TempDir()) // a relative path would land here
	a, _ := simtest.NewAcquirer(t)
	srv := httptest.NewServer(a.AdminHandler())
	defer srv.Close()
	a.CutOff()
	code, body := call(t, srv, http.MethodPost, "/admin/cutoff", "")
	if code != http.StatusOK || body != `{"batch":"20260310-02","files":[]}`+"\n" {
		t.Errorf("POST cutoff: %d %s", code, body)
	}
	if entries, err := os.ReadDir("."); err != nil || len(entries) != 0 {
		t.Errorf("the working directory holds %v (%v)", entries, err)
	}
}

// runningClock stands still at what it was set to until Run, then moves
// on with real time.
type runningClock struct {
	mu    sync.Mutex
	at    time.Time
	since time.Time // when it started running; zero while it stands still
}

func (c *runningClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.since.IsZero() {
		return c.at
	}
	return c.at.Add(time.Since(c.since))
}

func (c *runningClock) Set(t time.Time) { c.mu.Lock(); c.at, c.since = t, time.Time{}; c.mu.Unlock() }
func (c *runningClock) Run()            { c.mu.Lock(); c.since = time.Now(); c.mu.Unlock() }

func TestScheduledCutOffDropsWhatIsLeftOfTheBatch(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	clk := &runningClock{at: simtest.T0.Add(9 * time.Hour)} // 21:00, an hour before the cut-off
	a := acquirersim.New(acquirersim.Config{Now: clk.Now, Logger: simtest.Quiet(), SettlementDir: dir})
	early := simtest.OpenSale
	late := acquirersim.Sale{TerminalID: simtest.SaleTerminal, MerchantID: simtest.Merchant, STAN: "000124", RRN: "606910000124",
		ApprovalCode: "D4E5F6", MaskedPAN: "411111******1111", Currency: "EUR", Amount: 2500, At: simtest.T0.Add(9*time.Hour + 30*time.Minute)}
	if err := a.AddSale(early); err != nil {
		t.Fatal(err)
	}
	a.AddTerminal(simtest.OtherTerminal, simtest.OtherMerchant)
	a.CutOff() // at 21:00: batch 20260310-01, the early sale
	if err := a.AddSale(late); err != nil {
		t.Fatal(err)
	}

	clk.Set(simtest.T0.Add(10*time.Hour - 300*time.Millisecond)) // just before 22:00
	if err := a.Start("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = a.Close() })
	clk.Run()
	second := fileOf(dir, simtest.Merchant, "20260310-02")
	simtest.Eventually(t, "the files of the scheduled cut-off", func() bool { return len(waiting(t, dir)) == 4 })

	if items := readFile(t, fileOf(dir, simtest.Merchant, "20260310-01")); len(items) != 1 || items[0].RRN != early.RRN {
		t.Errorf("manual cut-off's file: %+v", items)
	}
	items := readFile(t, second)
	if len(items) != 1 || items[0].RRN != late.RRN || items[0].Batch != "20260310-02" || !items[0].SettlementDate.Equal(day) {
		t.Errorf("scheduled cut-off's file: %+v", items)
	}
	if items := readFile(t, fileOf(dir, simtest.OtherMerchant, "20260310-02")); len(items) != 0 {
		t.Errorf("the other merchant's lines: %+v", items)
	}
	if err := a.Close(); err != nil { // stops the schedule, or hangs
		t.Fatal(err)
	}
}
