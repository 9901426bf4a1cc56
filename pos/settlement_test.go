package pos_test

import (
	"bytes"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/rebound-returns/rebound/acquirersim/simtest"
	"github.com/rebound-returns/rebound/pos"
)

var day = time.Date(2026, 3, 10, 0, 0, 0, 0, time.UTC)

func sampleItems() []pos.SettlementItem {
	return []pos.SettlementItem{
		{SettlementDate: day, TransactionDate: day.AddDate(0, 0, -1), MerchantID: simtest.Merchant, TerminalID: simtest.Virtual, STAN: "000001",
			RRN: "606912345678", ApprovalCode: "AB12CD", ProcessingCode: "200000", Amount: 2599, Currency: "EUR",
			MaskedPAN: "411111******1111", Batch: "20260310-01"},
		{SettlementDate: day, TransactionDate: day, MerchantID: "SHOP, \"QUOTED\"", TerminalID: "VRT 0002", STAN: "999999",
			RRN: "ABCDEF123456", ApprovalCode: "", ProcessingCode: "020000", Amount: 0, Currency: "JPY",
			MaskedPAN: "", Batch: "B-2"},
	}
}

func TestSettlementRoundTrip(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	if err := pos.WriteSettlement(&buf, sampleItems()); err != nil {
		t.Fatal(err)
	}
	header, _, _ := strings.Cut(buf.String(), "\n")
	if header != "settlement_date,transaction_date,merchant_id,terminal_id,stan,rrn,approval_code,processing_code,amount,currency,masked_pan,batch" {
		t.Errorf("header %q", header)
	}
	if !strings.Contains(buf.String(), "2026-03-10,2026-03-09,MERCHANT000001,VRT00001,000001,606912345678,AB12CD,200000,2599,EUR,411111******1111,20260310-01\n") {
		t.Errorf("first row not as documented:\n%s", buf.String())
	}
	got, bad := simtest.ReadSettlement(t, &buf)
	if len(bad) != 0 {
		t.Fatalf("row errors: %v", bad)
	}
	want := sampleItems()
	if len(got) != len(want) {
		t.Fatalf("read %d items, want %d", len(got), len(want))
	}
	for i := range want {
		if !itemsEqual(got[i], want[i]) {
			t.Errorf("item %d:\n got %+v\nwant %+v", i, got[i], want[i])
		}
	}
}

func itemsEqual(a, b pos.SettlementItem) bool {
	if !a.SettlementDate.Equal(b.SettlementDate) || !a.TransactionDate.Equal(b.TransactionDate) {
		return false
	}
	a.SettlementDate, a.TransactionDate, b.SettlementDate, b.TransactionDate = time.Time{}, time.Time{}, time.Time{}, time.Time{}
	return a == b
}

func TestSettlementWriteRefusesWhatWouldNotReadBack(t *testing.T) {
	t.Parallel()
	cases := map[string]func(*pos.SettlementItem){
		"masked_pan":      func(it *pos.SettlementItem) { it.MaskedPAN = "4111111111111111" },
		"amount":          func(it *pos.SettlementItem) { it.Amount = -1 },
		"settlement_date": func(it *pos.SettlementItem) { it.SettlementDate = day.Add(time.Hour) },
		"stan":            func(it *pos.SettlementItem) { it.STAN = "12" },
		"merchant_id":     func(it *pos.SettlementItem) { it.MerchantID = "line\nbreak" },
	}
	for column, change := range cases {
		it := sampleItems()[0]
		change(&it)
		err := pos.WriteSettlement(io.Discard, []pos.SettlementItem{it})
		if err == nil || !strings.Contains(err.Error(), column) {
			t.Errorf("%s: %v", column, err)
		}
	}
}

func TestSettlementHeader(t *testing.T) {
	t.Parallel()
	good := strings.Join(pos.SettlementColumns, ",")
	bad := map[string]string{
		"empty":          "",
		"missing column": strings.Join(pos.SettlementColumns[:11], ",") + "\n",
		"renamed column": strings.Replace(good, "rrn", "reference", 1) + "\n",
		"reordered":      strings.Replace(good, "stan,rrn", "rrn,stan", 1) + "\n",
		"no header":      "2026-03-10,2026-03-09,M,VRT00001,000001,606912345678,AB12CD,200000,1,EUR,,B\n",
	}
	for name, file := range bad {
		if _, err := pos.NewSettlementReader(strings.NewReader(file)); err == nil {
			t.Errorf("%s: header accepted", name)
		}
	}
	// A spreadsheet's byte-order mark and CRLF line ends are fine.
	if _, err := pos.NewSettlementReader(strings.NewReader("\ufeff" + good + "\r\n")); err != nil {
		t.Errorf("BOM and CRLF: %v", err)
	}
}

func TestSettlementBadRowsAreReportedAndSkipped(t *testing.T) {
	t.Parallel()
	file := strings.Join([]string{
		strings.Join(pos.SettlementColumns, ","),
		"2026-03-10,2026-03-09,M1,VRT00001,000001,606912345678,AB12CD,200000,100,EUR,,B1",                 // 2
		"2026-03-10,2026-03-09,M1,VRT00001,000002,606912345679,AB12CD,200000,12a,EUR,,B1",                 // 3: amount
		"2026-03-10,2026-13-09,M1,VRT00001,000003,606912345680,AB12CD,200000,100,EUR,,B1",                 // 4: date
		"2026-03-10,2026-03-09,M1,VRT00001,000004",                                                        // 5: short
		"2026-03-10,2026-03-09,M1,VRT00001,000005,606912345681,AB12CD,200000,100,EUR,4111111111111111,B1", // 6: full PAN
		"2026-03-10,2026-03-09,M1,VRT00001,000006,606912345682,AB12CD,020000,300,SEK,,B1",                 // 7
		"2026-03-10,2026-03-09,M\"1,VRT00001,000007,606912345683,AB12CD,200000,100,EUR,,B1",               // 8: bare quote
		"2026-03-10,2026-03-09,M1,VRT00001,000008,606912345684,AB12CD,200000,100,EUR,,B1",                 // 9
		"2026-03-10,2026-03-09,\"M1,VRT00001,000009",                                                      // 10: unterminated quote
	}, "\n") + "\n"
	items, bad := simtest.ReadSettlement(t, strings.NewReader(file))
	if len(items) != 3 || items[0].STAN != "000001" || items[1].STAN != "000006" || items[1].Amount != 300 || items[1].Currency != "SEK" || items[2].STAN != "000008" {
		t.Errorf("good rows: %+v", items)
	}
	want := []struct {
		line   int
		column string
	}{{3, "amount"}, {4, "transaction_date"}, {5, ""}, {6, "masked_pan"}, {8, ""}, {10, ""}}
	if len(bad) != len(want) {
		t.Fatalf("row errors %v, want %d", bad, len(want))
	}
	for i, w := range want {
		if bad[i].Line != w.line || bad[i].Column != w.column {
			t.Errorf("row error %d: line %d column %q (%v), want line %d column %q", i, bad[i].Line, bad[i].Column, bad[i], w.line, w.column)
		}
		if w.column != "" && !strings.Contains(bad[i].Error(), w.column) {
			t.Errorf("%q does not name its column", bad[i].Error())
		}
	}
}
