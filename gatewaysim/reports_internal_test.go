package gatewaysim

import (
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/rebound-returns/rebound/payments"
)

// runningClock stands still at at until Run, then moves on with real time.
type runningClock struct {
	mu    sync.Mutex
	at    time.Time
	since time.Time // zero while it stands still
}

func (c *runningClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.since.IsZero() {
		return c.at
	}
	return c.at.Add(time.Since(c.since))
}

func (c *runningClock) Run() { c.mu.Lock(); c.since = time.Now(); c.mu.Unlock() }

func TestReportsAreDroppedWhenTheDayEnds(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	day := time.Date(2026, 3, 10, 0, 0, 0, 0, time.UTC)
	clk := &runningClock{at: day.Add(24*time.Hour - 300*time.Millisecond)} // just before midnight
	s := newSimulator(Config{ReportDir: dir, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}, clk.Now)
	t.Cleanup(s.Close)
	for _, p := range []Payment{{ID: "pay_a", Amount: 1000, Currency: "EUR", Account: "shop-a"}, {ID: "pay_b", Amount: 1000, Currency: "EUR"}} {
		if err := s.AddPayment(p); err != nil {
			t.Fatal(err)
		}
	}
	for key, p := range map[string]Payment{"att-a": {ID: "pay_a", Account: "shop-a"}, "att-b": {ID: "pay_b"}} {
		if _, _, err := s.createRefund(key, payments.RefundRequest{Account: p.Account, PaymentID: p.ID, Amount: 100, Currency: "EUR", Reference: key}); err != nil {
			t.Fatal(err)
		}
	}
	clk.Run()

	paths := []string{filepath.Join(dir, "shop-a", ReportFileName("shop-a", day)), filepath.Join(dir, payments.DefaultAccount, ReportFileName(payments.DefaultAccount, day))}
	deadline := time.Now().Add(10 * time.Second)
	for _, path := range paths {
		for {
			if _, err := os.Stat(path); err == nil {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("no report %s", path)
			}
			time.Sleep(10 * time.Millisecond)
		}
		f, err := os.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		rr, err := payments.NewReportReader(f)
		if err != nil {
			t.Fatal(err)
		}
		it, err := rr.Next()
		if err != nil || !it.Date.Equal(day) || it.Amount != 100 {
			t.Errorf("%s: %+v, %v", path, it, err)
		}
		if _, err := rr.Next(); err != io.EOF {
			t.Errorf("%s: a second row (%v)", path, err)
		}
		f.Close()
	}
	s.Close() // stops the schedule, or hangs
}
