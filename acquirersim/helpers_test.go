package acquirersim_test

import (
	"context"
	"io"
	"log/slog"
	"maps"
	"sync"
	"testing"
	"time"

	"github.com/rebound-returns/rebound/acquirersim"
	"github.com/rebound-returns/rebound/pos"
)

// t0 is "now" for the simulator in tests: 10 March 2026, 12:00 UTC, with
// the batch cut-off at 22:00.
var t0 = time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)

// shortTimeout is how long a test waits for what should not come.
const shortTimeout = 500 * time.Millisecond

const (
	merchant      = "MERCHANT000001"
	otherMerchant = "MERCHANT000002"
	saleTerminal  = "POS00001" // physical terminal of the sales
	virtual       = "VRT00001" // Rebound's virtual terminal of the store
	otherTerminal = "OTHER001" // a terminal of another merchant
)

// openSale is in today's open batch; settledSale was settled days ago.
var (
	openSale = acquirersim.Sale{TerminalID: saleTerminal, MerchantID: merchant, STAN: "000123", RRN: "606910000123",
		ApprovalCode: "A1B2C3", MaskedPAN: "411111******1111", Currency: "EUR", Amount: 10000, At: t0.Add(-2 * time.Hour),
		Batch: "000042"}
	settledSale = acquirersim.Sale{TerminalID: saleTerminal, MerchantID: merchant, STAN: "000077", RRN: "606610000077",
		ApprovalCode: "Z9Y8X7", MaskedPAN: "550000******0004", Currency: "EUR", Amount: 5000, At: t0.AddDate(0, 0, -3)}
)

// clock is a settable clock for the simulator.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Set(t time.Time) { c.mu.Lock(); c.t = t; c.mu.Unlock() }

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// newAcquirer starts a simulator on 127.0.0.1:0 that knows openSale,
// settledSale and the terminals of both merchants.
func newAcquirer(t *testing.T) (*acquirersim.Acquirer, *clock) {
	t.Helper()
	clk := &clock{t: t0}
	a := acquirersim.New(acquirersim.Config{Now: clk.Now, Logger: quiet()})
	for _, s := range []acquirersim.Sale{openSale, settledSale} {
		if err := a.AddSale(s); err != nil {
			t.Fatalf("AddSale: %v", err)
		}
	}
	a.AddTerminal(virtual, merchant)
	a.AddTerminal(otherTerminal, otherMerchant)
	if err := a.Start("127.0.0.1:0"); err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() { _ = a.Close() })
	return a, clk
}

// late collects OnLate responses.
type late struct {
	mu   sync.Mutex
	got  []pos.Response
	note chan struct{}
}

func newLate() *late { return &late{note: make(chan struct{}, 100)} }

func (l *late) add(r pos.Response) {
	l.mu.Lock()
	l.got = append(l.got, r)
	l.mu.Unlock()
	l.note <- struct{}{}
}

// wait returns the n-th late response (1-based), failing after a while.
func (l *late) wait(t *testing.T, n int) pos.Response {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		l.mu.Lock()
		if len(l.got) >= n {
			r := l.got[n-1]
			l.mu.Unlock()
			return r
		}
		l.mu.Unlock()
		select {
		case <-l.note:
		case <-deadline:
			t.Fatalf("no late response #%d", n)
		}
	}
}

func (l *late) count() int { l.mu.Lock(); defer l.mu.Unlock(); return len(l.got) }

// newClient connects a client to addr with a short response timeout.
func newClient(t *testing.T, addr string, cfg pos.ClientConfig) (*pos.Client, *late) {
	t.Helper()
	lt := newLate()
	cfg.Addr = addr
	if cfg.SendTimeout == 0 {
		cfg.SendTimeout = 2 * time.Second
	}
	if cfg.ReconnectWait == 0 {
		cfg.ReconnectWait = 20 * time.Millisecond
		cfg.MaxReconnectWait = 200 * time.Millisecond
	}
	cfg.OnLate = lt.add
	if cfg.Logger == nil {
		cfg.Logger = quiet()
	}
	c, err := pos.NewClient(cfg)
	if err != nil {
		t.Fatalf("NewClient: %v", err)
	}
	t.Cleanup(func() { _ = c.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := c.Connect(ctx); err != nil {
		t.Fatalf("Connect: %v", err)
	}
	return c, lt
}

// voidOf is a void of openSale from the sale's own terminal, as the
// profile wants it, with the sale's own data.
func voidOf(stan string, amount int64) pos.Request {
	return pos.Request{Kind: pos.KindVoid, TerminalID: saleTerminal, MerchantID: merchant, STAN: stan,
		RRN: pos.NewRRN(t0, "void/"+stan), TransmittedAt: t0, Amount: amount, Currency: "EUR",
		Original: pos.Original{TerminalID: saleTerminal, STAN: openSale.STAN, RRN: openSale.RRN,
			ApprovalCode: openSale.ApprovalCode, At: openSale.At, Batch: openSale.Batch, Amount: openSale.Amount}}
}

// refundOf is a refund of settledSale from the virtual terminal.
func refundOf(stan string, amount int64) pos.Request {
	return pos.Request{Kind: pos.KindRefund, TerminalID: virtual, MerchantID: merchant, STAN: stan,
		RRN: pos.NewRRN(t0, "refund/"+stan), TransmittedAt: t0, Amount: amount, Currency: "EUR",
		Original: pos.Original{TerminalID: saleTerminal, STAN: settledSale.STAN, RRN: settledSale.RRN,
			ApprovalCode: settledSale.ApprovalCode, At: settledSale.At, Amount: settledSale.Amount}}
}

// reversalOf reverses r with reversal STAN stan, for reason "no answer".
func reversalOf(r pos.Request, stan string, repeat bool) pos.Reversal {
	return pos.Reversal{Request: r, STAN: stan, Repeat: repeat, TransmittedAt: t0.Add(time.Minute), Reason: pos.ReasonNoAnswer}
}

// sameResponse compares two responses, Fields included.
func sameResponse(a, b pos.Response) bool {
	return a.MTI == b.MTI && a.TerminalID == b.TerminalID && a.STAN == b.STAN && a.ResponseCode == b.ResponseCode &&
		a.ApprovalCode == b.ApprovalCode && a.RRN == b.RRN && maps.Equal(a.Fields, b.Fields)
}

func send(t *testing.T, c *pos.Client, r pos.Request) pos.Response {
	t.Helper()
	resp, err := c.Send(context.Background(), r)
	if err != nil {
		t.Fatalf("Send %s %s: %v", r.Kind, r.STAN, err)
	}
	return resp
}

// entries are the ledger entries of kind, from terminal (any when empty).
func entries(a *acquirersim.Acquirer, kind string) []acquirersim.Entry {
	var out []acquirersim.Entry
	for _, e := range a.Ledger() {
		if e.Kind == kind {
			out = append(out, e)
		}
	}
	return out
}

func eventually(t *testing.T, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
