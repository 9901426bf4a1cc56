package payments_test

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/rebound-returns/rebound/payments"
	"github.com/rebound-returns/rebound/payments/paymentstest"
)

const reportHeader = "date,refund_id,payment_id,reference,amount,currency,status,failure_code"

var reportDate = time.Date(2026, 3, 10, 0, 0, 0, 0, time.UTC)

func sampleReport() []payments.ReportItem {
	return []payments.ReportItem{
		{Date: reportDate, RefundID: "re_0a1b2c", PaymentID: "pay_1", Reference: "att-1",
			Amount: 2599, Currency: "EUR", Status: payments.StatusSucceeded},
		{Date: reportDate, RefundID: "re_3d4e5f", PaymentID: "pay_fail_2", Reference: `att-2, "quoted"` + "\nsecond line",
			Amount: 1, Currency: "JPY", Status: payments.StatusFailed, FailureCode: "card_closed"},
		{Date: reportDate.AddDate(0, 0, 1), RefundID: "re_6a7b8c", PaymentID: "pay 3", Reference: "",
			Amount: 1 << 62, Currency: "GBP", Status: payments.StatusFailed, FailureCode: "exceeds_refundable"},
	}
}

func TestReportRoundTrip(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	if err := payments.WriteReport(&buf, sampleReport()); err != nil {
		t.Fatal(err)
	}
	file := buf.String()
	if header, _, _ := strings.Cut(file, "\n"); header != reportHeader || strings.Join(payments.ReportColumns, ",") != reportHeader {
		t.Errorf("header %q, ReportColumns %v; want %s", header, payments.ReportColumns, reportHeader)
	}
	for _, row := range []string{
		"2026-03-10,re_0a1b2c,pay_1,att-1,2599,EUR,succeeded,\n",
		"2026-03-10,re_3d4e5f,pay_fail_2,\"att-2, \"\"quoted\"\"\nsecond line\",1,JPY,failed,card_closed\n",
		"2026-03-11,re_6a7b8c,pay 3,,4611686018427387904,GBP,failed,exceeds_refundable\n",
	} {
		if !strings.Contains(file, row) {
			t.Errorf("report lacks the row %q:\n%s", row, file)
		}
	}

	got, bad := paymentstest.ReadReport(t, &buf)
	if len(bad) != 0 {
		t.Fatalf("row errors: %v", bad)
	}
	want := sampleReport()
	if len(got) != len(want) {
		t.Fatalf("read %d items, want %d: %+v", len(got), len(want), got)
	}
	for i := range want {
		if !paymentstest.ItemsEqual(got[i], want[i]) {
			t.Errorf("item %d:\n got %+v\nwant %+v", i, got[i], want[i])
		}
	}

	// An empty report is the header alone, and reads back as no items.
	buf.Reset()
	if err := payments.WriteReport(&buf, nil); err != nil || buf.String() != reportHeader+"\n" {
		t.Errorf("empty report = %q, %v; want the header line", buf.String(), err)
	}
	if items, bad := paymentstest.ReadReport(t, &buf); len(items) != 0 || len(bad) != 0 {
		t.Errorf("empty report read as %v, %v", items, bad)
	}
}

func TestWriteReportRefusesWhatWouldNotReadBack(t *testing.T) {
	t.Parallel()
	cases := []struct {
		column string
		change func(*payments.ReportItem)
	}{
		{"date", func(it *payments.ReportItem) { it.Date = reportDate.Add(90 * time.Minute) }},
		{"date", func(it *payments.ReportItem) { it.Date = time.Time{} }},
		{"refund_id", func(it *payments.ReportItem) { it.RefundID = "" }},
		{"refund_id", func(it *payments.ReportItem) { it.RefundID = "rf_1" }},
		{"payment_id", func(it *payments.ReportItem) { it.PaymentID = "" }},
		{"payment_id", func(it *payments.ReportItem) { it.PaymentID = "pay\n1" }},
		{"reference", func(it *payments.ReportItem) { it.Reference = "att\r\n1" }},
		{"reference", func(it *payments.ReportItem) { it.Reference = strings.Repeat("a", 256) }},
		{"amount", func(it *payments.ReportItem) { it.Amount = -1 }},
		{"amount", func(it *payments.ReportItem) { it.Amount = 0 }},
		{"currency", func(it *payments.ReportItem) { it.Currency = "eur" }},
		{"currency", func(it *payments.ReportItem) { it.Currency = "EURO" }},
		{"status", func(it *payments.ReportItem) { it.Status = payments.StatusPending }},
		{"failure_code", func(it *payments.ReportItem) { it.Status = payments.StatusSucceeded }}, // keeps card_closed
		{"failure_code", func(it *payments.ReportItem) { it.FailureCode = "" }},
		{"failure_code", func(it *payments.ReportItem) { it.FailureCode = "Card Closed" }},
	}
	for i, c := range cases {
		items := sampleReport()
		c.change(&items[1])
		var buf bytes.Buffer
		err := payments.WriteReport(&buf, items)
		if err == nil || !strings.Contains(err.Error(), c.column) || !strings.Contains(err.Error(), "item 2") {
			t.Errorf("case %d (%s): err = %v, want one naming item 2 and column %s", i, c.column, err, c.column)
		}
		if buf.Len() != 0 {
			t.Errorf("case %d (%s): a refused report wrote %q", i, c.column, buf.String())
		}
	}
	// A date in another zone is fine when it is midnight UTC.
	items := sampleReport()[:1]
	items[0].Date = reportDate.In(time.FixedZone("CET", 3600))
	if err := payments.WriteReport(io.Discard, items); err != nil {
		t.Errorf("midnight UTC seen from CET: %v", err)
	}
}

func TestReportHeaderMustBeExact(t *testing.T) {
	t.Parallel()
	bad := map[string]string{
		"empty":          "",
		"missing column": strings.TrimSuffix(reportHeader, ",failure_code") + "\n",
		"extra column":   reportHeader + ",note\n",
		"renamed column": strings.Replace(reportHeader, "refund_id", "id", 1) + "\n",
		"reordered":      strings.Replace(reportHeader, "amount,currency", "currency,amount", 1) + "\n",
		"upper case":     strings.ToUpper(reportHeader) + "\n",
		"padded":         strings.ReplaceAll(reportHeader, ",", ", ") + "\n",
		"no header":      "2026-03-10,re_1,pay_1,att-1,100,EUR,succeeded,\n",
	}
	for name, file := range bad {
		rr, err := payments.NewReportReader(strings.NewReader(file))
		if err == nil || rr != nil {
			t.Errorf("%s: header accepted", name)
			continue
		}
		if !strings.Contains(err.Error(), reportHeader) {
			t.Errorf("%s: %q does not say which header was expected", name, err)
		}
	}
	// A spreadsheet's byte-order mark and CRLF line ends are fine.
	items, bad2 := paymentstest.ReadReport(t, strings.NewReader("\ufeff"+reportHeader+"\r\n2026-03-10,re_1,pay_1,att-1,100,EUR,succeeded,\r\n"))
	if len(bad2) != 0 || len(items) != 1 || items[0].RefundID != "re_1" || items[0].FailureCode != "" {
		t.Errorf("BOM and CRLF: items %+v, row errors %v", items, bad2)
	}
}

func TestReportBadRowsAreReportedAndSkipped(t *testing.T) {
	t.Parallel()
	file := strings.Join([]string{
		reportHeader, // 1
		"2026-03-10,re_1,pay_1,att-1,100,EUR,succeeded,",                          // 2
		"2026-03-10,re_2,pay_1,att-2,12.50,EUR,succeeded,",                        // 3: amount
		"2026-02-30,re_3,pay_1,att-3,100,EUR,succeeded,",                          // 4: date
		"2026-03-10,re_4,pay_1,att-4,100,eur,succeeded,",                          // 5: currency
		"2026-03-10,re_5,pay_1,att-5,100",                                         // 6: short, currency missing
		"2026-03-10,re_6,pay_1,\"att-6\nsecond line\",200,SEK,failed,card_closed", // 7-8: good
		"2026-03-10,re_7,pay_1,att-7,100,EUR,succeeded,,extra",                    // 9: too long
		"2026-03-10,re_8,pay_1,att\"8,100,EUR,succeeded,",                         // 10: bare quote
		"2026-03-10,re_9,pay_1,att-9,100,EUR,pending,",                            // 11: status
		"2026-03-10,re_10,pay_1,att-10,100,EUR,failed,",                           // 12: failure code
		"2026-03-10,re_11,pay_1,att-11,300,USD,succeeded,",                        // 13: good
		"2026-03-10,re_12,pay_1,att-12,-5,EUR,succeeded,",                         // 14: amount
		"2026-03-10,re_13,pay_1,att-13,99999999999999999999,EUR,succeeded,",       // 15: amount
	}, "\n") + "\n"
	items, bad := paymentstest.ReadReport(t, strings.NewReader(file))
	if len(items) != 3 || items[0].RefundID != "re_1" || items[1].RefundID != "re_6" || items[1].Reference != "att-6\nsecond line" ||
		items[1].Amount != 200 || items[1].Status != payments.StatusFailed || items[1].FailureCode != "card_closed" ||
		items[2].RefundID != "re_11" || items[2].Currency != "USD" || !items[2].Date.Equal(reportDate) {
		t.Errorf("good rows: %+v", items)
	}
	want := []struct {
		line   int
		column string
	}{{3, "amount"}, {4, "date"}, {5, "currency"}, {6, "currency"}, {9, ""}, {10, "reference"}, {11, "status"},
		{12, "failure_code"}, {14, "amount"}, {15, "amount"}}
	if len(bad) != len(want) {
		t.Fatalf("row errors %v, want %d", bad, len(want))
	}
	for i, w := range want {
		if bad[i].Line != w.line || bad[i].Column != w.column || bad[i].Err == nil {
			t.Errorf("row error %d: line %d column %q (%v), want line %d column %q", i, bad[i].Line, bad[i].Column, bad[i], w.line, w.column)
		}
		if msg := bad[i].Error(); !strings.Contains(msg, fmt.Sprintf("line %d", w.line)) || !strings.Contains(msg, w.column) {
			t.Errorf("%q does not name its line %d and column %q", msg, w.line, w.column)
		}
	}
}

func TestReportReaderStopsAtAnOverlongLine(t *testing.T) {
	t.Parallel()
	file := reportHeader + "\n2026-03-10,re_1,pay_1,att-1,100,EUR,succeeded,\n" +
		"2026-03-10,re_2,pay_1," + strings.Repeat("x", 100<<10) + ",100,EUR,succeeded,\n" +
		"2026-03-10,re_3,pay_1,att-3,100,EUR,succeeded,\n"
	rr, err := payments.NewReportReader(strings.NewReader(file))
	if err != nil {
		t.Fatal(err)
	}
	if it, err := rr.Next(); err != nil || it.RefundID != "re_1" {
		t.Fatalf("first row: %+v, %v", it, err)
	}
	_, err = rr.Next()
	var re *payments.ReportRowError
	if err == nil || err == io.EOF || errors.As(err, &re) || !strings.Contains(err.Error(), "line 3 is longer than") {
		t.Fatalf("overlong line: err = %v, want a fatal error naming line 3", err)
	}
	if _, again := rr.Next(); again != err {
		t.Errorf("after the fatal error Next = %v, want %v again", again, err)
	}
}

// endlessReport is a report that never ends, counting the bytes it hands out.
type endlessReport struct {
	pending []byte
	rows    int
	read    int
}

func (e *endlessReport) Read(p []byte) (int, error) {
	for len(e.pending) < len(p) {
		e.rows++
		e.pending = fmt.Appendf(e.pending, "2026-03-10,re_%d,pay_%d,att-%d,%d,EUR,succeeded,\n", e.rows, e.rows, e.rows, e.rows)
	}
	n := copy(p, e.pending)
	e.pending = e.pending[n:]
	e.read += n
	return n, nil
}

func TestReportReaderStreams(t *testing.T) {
	t.Parallel()
	src := &endlessReport{pending: []byte(reportHeader + "\n")}
	rr, err := payments.NewReportReader(src)
	if err != nil {
		t.Fatal(err)
	}
	const rows = 20_000
	consumed := len(reportHeader) + 1
	for i := 1; i <= rows; i++ {
		it, err := rr.Next()
		if err != nil || it.RefundID != fmt.Sprintf("re_%d", i) || it.Amount != int64(i) {
			t.Fatalf("row %d: %+v, %v", i, it, err)
		}
		consumed += len(fmt.Sprintf("2026-03-10,re_%d,pay_%d,att-%d,%d,EUR,succeeded,\n", i, i, i, i))
	}
	if ahead := src.read - consumed; ahead > 16<<10 {
		t.Errorf("the reader took %d bytes beyond the %d rows it returned; it should read as it goes", ahead, rows)
	}
}

func FuzzReportRoundTrip(f *testing.F) {
	day := reportDate.Unix()
	f.Add(day, "re_1", "pay_1", "att-1", int64(100), "EUR", "succeeded", "")
	f.Add(day, "re_2", "pay_fail_2", `att-2, "quoted"`, int64(1), "JPY", "failed", "card_closed")
	f.Add(day+86400*365, "re_3", "pay,3", "multi\nline\n", int64(1<<62), "GBP", "failed", "exceeds_refundable")
	f.Add(day, "re_4", " pay_4 ", `\.`, int64(5), "SEK", "succeeded", "")
	f.Add(day, "re_5", "pay_5", "\"", int64(5), "SEK", "succeeded", "")
	f.Add(day+3600, "re_6", "pay_6", "att-6", int64(5), "EUR", "succeeded", "")       // a time of day
	f.Add(day, "re_7", "pay_7", "a\r\nb", int64(5), "EUR", "succeeded", "")           // CRLF in a value
	f.Add(day, "re_8", "pay_8", "att-8", int64(-5), "eur", "pending", "x")            // nothing right
	f.Add(day, "re_9", "pay_9", "\xff\xfe", int64(5), "EUR", "failed", "card_closed") // not UTF-8
	next := payments.ReportItem{Date: reportDate, RefundID: "re_next", PaymentID: "pay_next", Reference: "next",
		Amount: 42, Currency: "EUR", Status: payments.StatusSucceeded}
	f.Fuzz(func(t *testing.T, unix int64, refundID, paymentID, reference string, amount int64, currency, status, failureCode string) {
		it := payments.ReportItem{Date: time.Unix(unix, 0).UTC(), RefundID: refundID, PaymentID: paymentID, Reference: reference,
			Amount: amount, Currency: currency, Status: status, FailureCode: failureCode}
		var buf bytes.Buffer
		if err := payments.WriteReport(&buf, []payments.ReportItem{it, next}); err != nil {
			if buf.Len() != 0 {
				t.Fatalf("refused (%v) but wrote %q", err, buf.String())
			}
			return
		}
		rr, err := payments.NewReportReader(bytes.NewReader(buf.Bytes()))
		if err != nil {
			t.Fatalf("written report %q: %v", buf.String(), err)
		}
		for _, want := range []payments.ReportItem{it, next} {
			got, err := rr.Next()
			if err != nil || !paymentstest.ItemsEqual(got, want) {
				t.Fatalf("read back %+v, %v\nwant %+v\nfrom %q", got, err, want, buf.String())
			}
		}
		if _, err := rr.Next(); err != io.EOF {
			t.Fatalf("after the last row: %v, want io.EOF", err)
		}
	})
}

// FuzzReportReader: no input panics or loops; every row error names a line after the header;
// every item read is one WriteReport accepts and reads back the same.
func FuzzReportReader(f *testing.F) {
	var buf bytes.Buffer
	if err := payments.WriteReport(&buf, sampleReport()); err != nil {
		f.Fatal(err)
	}
	f.Add(buf.Bytes())
	f.Add([]byte(reportHeader + "\n2026-03-10,re_1,pay_1,att\"1,100,EUR,succeeded,\n2026-03-10,re_2,pay_1,\"open"))
	f.Add([]byte(reportHeader + "\r\n2026-02-29,re_1,pay_1,,0100,EUR,succeeded,\r\n,,,,,,,\n\"\"\n"))
	f.Add([]byte("\ufeff" + reportHeader + "\n2026-03-10,re_1,pay_1,\"a\r\nb\",1,EUR,failed,x\n"))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		rr, err := payments.NewReportReader(bytes.NewReader(data))
		if err != nil {
			return
		}
		for range len(data) + 2 {
			it, err := rr.Next()
			if err == io.EOF {
				return
			}
			var re *payments.ReportRowError
			if errors.As(err, &re) {
				if re.Line < 2 || re.Err == nil {
					t.Fatalf("row error %+v", re)
				}
				continue
			}
			if err != nil {
				if again := func() error { _, e := rr.Next(); return e }(); again != err {
					t.Fatalf("after %v, Next = %v", err, again)
				}
				return
			}
			var out bytes.Buffer
			if err := payments.WriteReport(&out, []payments.ReportItem{it}); err != nil {
				t.Fatalf("read %+v, which WriteReport refuses: %v", it, err)
			}
			items, bad := paymentstest.ReadReport(t, &out)
			if len(bad) != 0 || len(items) != 1 || !paymentstest.ItemsEqual(items[0], it) {
				t.Fatalf("%+v re-read as %+v, %v", it, items, bad)
			}
		}
		t.Fatalf("Next did not reach the end of %d bytes", len(data))
	})
}
