// Package simtest is the acquirer simulator's test fixture, shared by the
// simulator's own tests and the ISO 8583 client's (pos) tests: a simulator
// on a settable clock that knows two sales and both merchants' terminals,
// a client connected to it, and the requests the tests send.
package simtest

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"maps"
	"sync"
	"testing"
	"time"

	"github.com/rebound-returns/rebound/acquirersim"
	"github.com/rebound-returns/rebound/pos"
)

// T0 is "now" for the simulator in tests: 10 March 2026, 12:00 UTC, with
// the batch cut-off at 22:00.
var T0 = time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)

// ShortTimeout is how long a test waits for what should not come.
const ShortTimeout = 500 * time.Millisecond

const (
	Merchant      = "MERCHANT000001"
	OtherMerchant = "MERCHANT000002"
	SaleTerminal  = "POS00001" // physical terminal of the sales
	Virtual       = "VRT00001" // Rebound's Virtual terminal of the store
	OtherTerminal = "OTHER001" // a terminal of another Merchant
)

// OpenSale is in today's open batch; SettledSale was settled days ago.
var (
	OpenSale = acquirersim.Sale{TerminalID: SaleTerminal, MerchantID: Merchant, STAN: "000123", RRN: "606910000123",
		ApprovalCode: "A1B2C3", MaskedPAN: "411111******1111", Currency: "EUR", Amount: 10000, At: T0.Add(-2 * time.Hour),
		Batch: "000042"}
	SettledSale = acquirersim.Sale{TerminalID: SaleTerminal, MerchantID: Merchant, STAN: "000077", RRN: "606610000077",
		ApprovalCode: "Z9Y8X7", MaskedPAN: "550000******0004", Currency: "EUR", Amount: 5000, At: T0.AddDate(0, 0, -3)}
)

// Clock is a settable Clock for the simulator.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// NewClock is a clock standing at t.
func NewClock(t time.Time) *Clock { return &Clock{t: t} }

func (c *Clock) Now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *Clock) Set(t time.Time) { c.mu.Lock(); c.t = t; c.mu.Unlock() }

func Quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// NewAcquirer starts a simulator on 127.0.0.1:0 that knows OpenSale,
// SettledSale and the terminals of both merchants.
func NewAcquirer(t *testing.T) (*acquirersim.Acquirer, *Clock) {
	t.Helper()
	clk := NewClock(T0)
	a := acquirersim.New(acquirersim.Config{Now: clk.Now, Logger: Quiet()})
	for _, s := range []acquirersim.Sale{OpenSale, SettledSale} {
		if err := a.AddSale(s); err != nil {
			t.Fatalf("AddSale: %v", err)
		}
	}
	a.AddTerminal(Virtual, Merchant)
	a.AddTerminal(OtherTerminal, OtherMerchant)
	if err := a.Start("127.0.0.1:0"); err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() { _ = a.Close() })
	return a, clk
}

// Late collects OnLate responses.
type Late struct {
	mu   sync.Mutex
	got  []pos.Response
	note chan struct{}
}

func NewLate() *Late { return &Late{note: make(chan struct{}, 100)} }

func (l *Late) Add(r pos.Response) {
	l.mu.Lock()
	l.got = append(l.got, r)
	l.mu.Unlock()
	l.note <- struct{}{}
}

// Wait returns the n-th Late response (1-based), failing after a while.
func (l *Late) Wait(t *testing.T, n int) pos.Response {
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
			t.Fatalf("no Late response #%d", n)
		}
	}
}

func (l *Late) Count() int { l.mu.Lock(); defer l.mu.Unlock(); return len(l.got) }

// NewClient connects a client to addr with a short response timeout.
func NewClient(t *testing.T, addr string, cfg pos.ClientConfig) (*pos.Client, *Late) {
	t.Helper()
	lt := NewLate()
	cfg.Addr = addr
	if cfg.SendTimeout == 0 {
		cfg.SendTimeout = 2 * time.Second
	}
	if cfg.ReconnectWait == 0 {
		cfg.ReconnectWait = 20 * time.Millisecond
		cfg.MaxReconnectWait = 200 * time.Millisecond
	}
	cfg.OnLate = lt.Add
	if cfg.Logger == nil {
		cfg.Logger = Quiet()
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

// VoidOf is a void of OpenSale from the sale's own terminal, as the
// profile wants it, with the sale's own data.
func VoidOf(stan string, amount int64) pos.Request {
	return pos.Request{Kind: pos.KindVoid, TerminalID: SaleTerminal, MerchantID: Merchant, STAN: stan,
		RRN: pos.NewRRN(T0, "void/"+stan), TransmittedAt: T0, Amount: amount, Currency: "EUR",
		Original: pos.Original{TerminalID: SaleTerminal, STAN: OpenSale.STAN, RRN: OpenSale.RRN,
			ApprovalCode: OpenSale.ApprovalCode, At: OpenSale.At, Batch: OpenSale.Batch, Amount: OpenSale.Amount}}
}

// RefundOf is a refund of SettledSale from the Virtual terminal.
func RefundOf(stan string, amount int64) pos.Request {
	return pos.Request{Kind: pos.KindRefund, TerminalID: Virtual, MerchantID: Merchant, STAN: stan,
		RRN: pos.NewRRN(T0, "refund/"+stan), TransmittedAt: T0, Amount: amount, Currency: "EUR",
		Original: pos.Original{TerminalID: SaleTerminal, STAN: SettledSale.STAN, RRN: SettledSale.RRN,
			ApprovalCode: SettledSale.ApprovalCode, At: SettledSale.At, Amount: SettledSale.Amount}}
}

// ReversalOf reverses r with reversal STAN stan, for reason "no answer".
func ReversalOf(r pos.Request, stan string, repeat bool) pos.Reversal {
	return pos.Reversal{Request: r, STAN: stan, Repeat: repeat, TransmittedAt: T0.Add(time.Minute), Reason: pos.ReasonNoAnswer}
}

// SameResponse compares two responses, Fields included.
func SameResponse(a, b pos.Response) bool {
	return a.MTI == b.MTI && a.TerminalID == b.TerminalID && a.STAN == b.STAN && a.ResponseCode == b.ResponseCode &&
		a.ApprovalCode == b.ApprovalCode && a.RRN == b.RRN && maps.Equal(a.Fields, b.Fields)
}

func Send(t *testing.T, c *pos.Client, r pos.Request) pos.Response {
	t.Helper()
	resp, err := c.Send(context.Background(), r)
	if err != nil {
		t.Fatalf("Send %s %s: %v", r.Kind, r.STAN, err)
	}
	return resp
}

// Entries are the ledger Entries of kind, from terminal (any when empty).
func Entries(a *acquirersim.Acquirer, kind string) []acquirersim.Entry {
	var out []acquirersim.Entry
	for _, e := range a.Ledger() {
		if e.Kind == kind {
			out = append(out, e)
		}
	}
	return out
}

func Eventually(t *testing.T, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// ReadSettlement reads a whole settlement file, collecting its items and
// row errors; any other error fails the test.
func ReadSettlement(t *testing.T, r io.Reader) ([]pos.SettlementItem, []*pos.RowError) {
	t.Helper()
	sr, err := pos.NewSettlementReader(r)
	if err != nil {
		t.Fatalf("NewSettlementReader: %v", err)
	}
	var items []pos.SettlementItem
	var bad []*pos.RowError
	for {
		it, err := sr.Next()
		if err == io.EOF {
			return items, bad
		}
		var re *pos.RowError
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
