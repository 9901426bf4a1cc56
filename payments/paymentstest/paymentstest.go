// Package paymentstest reads gateway reports in tests: the report format's
// own tests (payments) and the gateway simulator's (gatewaysim) share it.
package paymentstest

import (
	"errors"
	"io"
	"testing"
	"time"

	"github.com/rebound-returns/rebound/payments"
)

// ReadReport reads a whole report, collecting its items and row errors;
// any other error fails the test.
func ReadReport(t *testing.T, r io.Reader) ([]payments.ReportItem, []*payments.ReportRowError) {
	t.Helper()
	rr, err := payments.NewReportReader(r)
	if err != nil {
		t.Fatalf("NewReportReader: %v", err)
	}
	var items []payments.ReportItem
	var bad []*payments.ReportRowError
	for {
		it, err := rr.Next()
		if err == io.EOF {
			return items, bad
		}
		var re *payments.ReportRowError
		if errors.As(err, &re) {
			bad = append(bad, re)
			continue
		}
		if err != nil {
			t.Fatalf("Next: %v", err)
		}
		items = append(items, it)
	}
}

// ItemsEqual compares two report items, their dates as instants.
func ItemsEqual(a, b payments.ReportItem) bool {
	if !a.Date.Equal(b.Date) {
		return false
	}
	a.Date, b.Date = time.Time{}, time.Time{}
	return a == b
}
