package acquirersim_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rebound-returns/rebound/acquirersim"
	"github.com/rebound-returns/rebound/acquirersim/simtest"
	"github.com/rebound-returns/rebound/pos"
)

// day is the settlement date of the tests.
var day = time.Date(2026, 3, 10, 0, 0, 0, 0, time.UTC)

func TestAcquirerSettlement(t *testing.T) {
	t.Parallel()
	a, clk := simtest.NewAcquirer(t)
	c, _ := simtest.NewClient(t, a.Addr(), pos.ClientConfig{})
	void := simtest.Send(t, c, simtest.VoidOf("000001", simtest.OpenSale.Amount))
	refund := simtest.Send(t, c, simtest.RefundOf("000002", 700))
	if !void.Approved() || !refund.Approved() {
		t.Fatalf("void %+v refund %+v", void, refund)
	}
	if items := a.Settlement(simtest.T0); len(items) != 0 {
		t.Errorf("before the cut-off, today's settlement has %d items", len(items))
	}
	// The settled sale was settled three days ago.
	if old := a.Settlement(simtest.SettledSale.At); len(old) != 1 || old[0].RRN != simtest.SettledSale.RRN || old[0].ProcessingCode != "000000" {
		t.Errorf("settlement of %s: %+v", simtest.SettledSale.At.Format(time.DateOnly), old)
	}

	clk.Set(time.Date(2026, 3, 10, 22, 0, 0, 0, time.UTC)) // the cut-off
	items := a.Settlement(simtest.T0)
	byRRN := map[string]pos.SettlementItem{}
	for _, it := range items {
		byRRN[it.RRN] = it
	}
	if len(items) != 3 {
		t.Errorf("settlement items %+v, want the open sale, the void and the refund", items)
	}
	v, ok := byRRN[void.RRN]
	if !ok || v.ProcessingCode != "020000" || v.Amount != simtest.OpenSale.Amount || v.STAN != "000001" || v.TerminalID != simtest.SaleTerminal ||
		v.MerchantID != simtest.Merchant || v.ApprovalCode != void.ApprovalCode || v.MaskedPAN != simtest.OpenSale.MaskedPAN ||
		v.Currency != "EUR" || !v.SettlementDate.Equal(day) || !v.TransactionDate.Equal(day) || v.Batch != "20260310-01" {
		t.Errorf("void item %+v", v)
	}
	if r, ok := byRRN[refund.RRN]; !ok || r.ProcessingCode != "200000" || r.Amount != 700 {
		t.Errorf("refund item %+v", r)
	}
	// Now the day's sales are settled: a void is refused, a refund is not.
	if r := simtest.Send(t, c, simtest.VoidOf("000003", simtest.OpenSale.Amount)); r.ResponseCode != "12" {
		t.Errorf("void after the cut-off: %q, want 12", r.ResponseCode)
	}
	other := acquirersim.Sale{TerminalID: simtest.SaleTerminal, MerchantID: simtest.Merchant, STAN: "000124", RRN: "606910000124",
		MaskedPAN: "411111******1111", Currency: "EUR", Amount: 3000, At: simtest.T0.Add(-time.Hour)}
	if err := a.AddSale(other); err != nil {
		t.Fatal(err)
	}
	late := simtest.VoidOf("000005", other.Amount)
	late.Original = pos.Original{STAN: other.STAN, At: other.At}
	if r := simtest.Send(t, c, late); r.ResponseCode != "12" {
		t.Errorf("void of an untouched sale after the cut-off: %q, want 12", r.ResponseCode)
	}
	r := simtest.RefundOf("000004", 100)
	r.Original = pos.Original{STAN: other.STAN, RRN: other.RRN, At: other.At}
	if resp := simtest.Send(t, c, r); !resp.Approved() {
		t.Errorf("refund after the cut-off: %q", resp.ResponseCode)
	}
	// It goes into tomorrow's batch.
	for _, e := range simtest.Entries(a, "refund") {
		if e.STAN == "000004" && e.Batch != "20260311-01" {
			t.Errorf("refund after the cut-off in batch %s", e.Batch)
		}
	}
}

func TestManualCutOff(t *testing.T) {
	t.Parallel()
	a, clk := simtest.NewAcquirer(t)
	c, _ := simtest.NewClient(t, a.Addr(), pos.ClientConfig{})
	if r := simtest.Send(t, c, simtest.VoidOf("000001", simtest.OpenSale.Amount)); !r.Approved() {
		t.Fatalf("void before the cut-off: %+v", r)
	}
	clk.Set(simtest.T0.Add(time.Hour))
	a.CutOff()
	items := a.Settlement(simtest.T0)
	if len(items) != 2 {
		t.Fatalf("after CutOff: %+v, want the sale and its void", items)
	}
	if r := simtest.Send(t, c, simtest.VoidOf("000002", simtest.OpenSale.Amount)); r.ResponseCode != "12" {
		t.Errorf("void of a sale cut off: %q, want 12", r.ResponseCode)
	}
	clk.Set(simtest.T0.Add(2 * time.Hour))
	if r := simtest.Send(t, c, simtest.RefundOf("000003", 100)); !r.Approved() {
		t.Fatalf("refund: %+v", r)
	}
	for _, e := range simtest.Entries(a, "refund") {
		if e.Batch != "20260310-02" {
			t.Errorf("a refund after a manual cut-off is in batch %s, want 20260310-02", e.Batch)
		}
	}
	if n := len(a.Settlement(simtest.T0)); n != 2 {
		t.Errorf("the new batch settled early: %d items", n)
	}
	clk.Set(time.Date(2026, 3, 10, 22, 0, 0, 0, time.UTC))
	if n := len(a.Settlement(simtest.T0)); n != 3 {
		t.Errorf("at 22:00 the day's settlement has %d items, want 3", n)
	}
}

// Two cut-offs in one day: the file of each batch, as the cut-off names
// it, holds that batch only, so the second cut-off's file does not repeat
// the first's lines (issue 18); the day's file holds each batch once.
func TestTwoCutOffsInADayFileEachBatchOnce(t *testing.T) {
	t.Parallel()
	a, clk := simtest.NewAcquirer(t)
	c, _ := simtest.NewClient(t, a.Addr(), pos.ClientConfig{})
	srv := httptest.NewServer(a.AdminHandler())
	defer srv.Close()
	cutoff := func() string {
		t.Helper()
		code, body := call(t, srv, http.MethodPost, "/admin/cutoff", "")
		var got struct{ Batch string }
		if err := json.Unmarshal([]byte(body), &got); code != http.StatusOK || err != nil {
			t.Fatalf("POST cutoff: %d %s", code, body)
		}
		return got.Batch
	}
	file := func(query string) []pos.SettlementItem {
		t.Helper()
		code, body := call(t, srv, http.MethodGet, "/admin/settlement?"+query, "")
		if code != http.StatusOK {
			t.Fatalf("GET settlement?%s: %d %s", query, code, body)
		}
		items, bad := simtest.ReadSettlement(t, strings.NewReader(body))
		if len(bad) != 0 {
			t.Fatalf("settlement?%s: bad rows %v", query, bad)
		}
		return items
	}

	void := simtest.Send(t, c, simtest.VoidOf("000001", simtest.OpenSale.Amount))
	clk.Set(simtest.T0.Add(time.Hour))
	first := cutoff()
	clk.Set(simtest.T0.Add(2 * time.Hour))
	refund := simtest.Send(t, c, simtest.RefundOf("000002", 100))
	if !void.Approved() || !refund.Approved() {
		t.Fatalf("void %q, refund %q", void.ResponseCode, refund.ResponseCode)
	}
	clk.Set(simtest.T0.Add(3 * time.Hour))
	second := cutoff()
	if first != "20260310-01" || second != "20260310-02" {
		t.Fatalf("batches %s and %s", first, second)
	}

	if got, want := rrnsOf(file("batch="+first)), sorted(simtest.OpenSale.RRN, void.RRN); !slices.Equal(got, want) {
		t.Errorf("the first batch's file: %v, want %v", got, want)
	}
	items := file("batch=" + second)
	if len(items) != 1 || items[0].RRN != refund.RRN || items[0].Batch != second || !items[0].SettlementDate.Equal(day) {
		t.Errorf("the second batch's file: %+v, want its refund only", items)
	}
	if got, want := rrnsOf(file("date=2026-03-10")), sorted(simtest.OpenSale.RRN, void.RRN, refund.RRN); !slices.Equal(got, want) {
		t.Errorf("the day's file: %v, want each batch once: %v", got, want)
	}

	// The open batch has no file yet; a batch is named as the cut-off names
	// it, and a file is asked by batch or by date.
	for query, want := range map[string]int{
		"batch=20260310-03":                   http.StatusConflict,
		"batch=2026-03-10":                    http.StatusBadRequest,
		"batch=20260310-00":                   http.StatusBadRequest,
		"batch=" + first + "&date=2026-03-10": http.StatusBadRequest,
	} {
		if code, body := call(t, srv, http.MethodGet, "/admin/settlement?"+query, ""); code != want {
			t.Errorf("GET settlement?%s: %d %s, want %d", query, code, body, want)
		}
	}
}
