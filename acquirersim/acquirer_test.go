package acquirersim_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/rebound-returns/rebound/acquirersim"
	"github.com/rebound-returns/rebound/acquirersim/simtest"
	"github.com/rebound-returns/rebound/pos"
)

func TestVoidApproved(t *testing.T) {
	t.Parallel()
	a, _ := simtest.NewAcquirer(t)
	c, _ := simtest.NewClient(t, a.Addr(), pos.ClientConfig{})

	// A void cancels the whole sale: a part of it is refused.
	if resp := simtest.Send(t, c, simtest.VoidOf("000001", 4000)); resp.ResponseCode != "13" {
		t.Errorf("partial void: %q, want 13", resp.ResponseCode)
	}
	req := simtest.VoidOf("000002", simtest.OpenSale.Amount)
	resp := simtest.Send(t, c, req)
	if !resp.Approved() || resp.MTI != "0210" || resp.STAN != "000002" || resp.TerminalID != simtest.SaleTerminal {
		t.Fatalf("void: %+v", resp)
	}
	if len(resp.ApprovalCode) != 6 || resp.RRN != req.RRN {
		t.Errorf("void approval %q RRN %q: want a fresh 6-character code and the void's own RRN %s", resp.ApprovalCode, resp.RRN, req.RRN)
	}
	voids := simtest.Entries(a, "void")
	if len(voids) != 1 {
		t.Fatalf("ledger has %d voids, want 1", len(voids))
	}
	v := voids[0]
	if v.Amount != simtest.OpenSale.Amount || v.ProcessingCode != "020000" || v.OriginalSTAN != simtest.OpenSale.STAN || v.OriginalRRN != simtest.OpenSale.RRN ||
		v.RRN != req.RRN || v.ApprovalCode != resp.ApprovalCode || v.TerminalID != simtest.SaleTerminal || v.MaskedPAN != simtest.OpenSale.MaskedPAN || v.Reversed {
		t.Errorf("void entry: %+v", v)
	}
	// A sale is voided once: another void is refused with 12 (refund
	// instead), whatever its amount.
	if resp := simtest.Send(t, c, simtest.VoidOf("000003", simtest.OpenSale.Amount)); resp.ResponseCode != "12" {
		t.Errorf("void of a voided sale: %q, want 12", resp.ResponseCode)
	}
	if resp := simtest.Send(t, c, simtest.VoidOf("000004", 1)); resp.ResponseCode != "12" {
		t.Errorf("partial void of a voided sale: %q, want 12", resp.ResponseCode)
	}
	// And nothing is left to refund.
	r := simtest.RefundOf("000005", 1)
	r.Original = pos.Original{STAN: simtest.OpenSale.STAN, RRN: simtest.OpenSale.RRN, At: simtest.OpenSale.At}
	if resp := simtest.Send(t, c, r); resp.ResponseCode != "13" {
		t.Errorf("refund of a voided sale: %q, want 13", resp.ResponseCode)
	}
}

func TestVoidOfARefundedSale(t *testing.T) {
	t.Parallel()
	a, _ := simtest.NewAcquirer(t)
	c, _ := simtest.NewClient(t, a.Addr(), pos.ClientConfig{})
	r := simtest.RefundOf("000001", 1000)
	r.Original = pos.Original{STAN: simtest.OpenSale.STAN, RRN: simtest.OpenSale.RRN, At: simtest.OpenSale.At}
	if resp := simtest.Send(t, c, r); !resp.Approved() {
		t.Fatalf("refund: %+v", resp)
	}
	// Part of the sale is refunded: it can no longer be voided, even for
	// what remains.
	if resp := simtest.Send(t, c, simtest.VoidOf("000002", simtest.OpenSale.Amount-1000)); resp.ResponseCode != "12" {
		t.Errorf("void of a refunded sale: %q, want 12", resp.ResponseCode)
	}
}

func TestVoidAnyTerminal(t *testing.T) {
	t.Parallel()
	clk := simtest.NewClock(simtest.T0)
	a := acquirersim.New(acquirersim.Config{Now: clk.Now, Logger: simtest.Quiet(), VoidAnyTerminal: true})
	if err := a.AddSale(simtest.OpenSale); err != nil {
		t.Fatal(err)
	}
	a.AddTerminal(simtest.Virtual, simtest.Merchant)
	a.AddTerminal(simtest.OtherTerminal, simtest.OtherMerchant)
	if err := a.Start("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	c, _ := simtest.NewClient(t, a.Addr(), pos.ClientConfig{})
	other := simtest.VoidOf("000001", simtest.OpenSale.Amount)
	other.TerminalID = simtest.OtherTerminal // another merchant's: still refused
	if resp := simtest.Send(t, c, other); resp.ResponseCode != "58" {
		t.Errorf("void from another merchant's terminal: %q, want 58", resp.ResponseCode)
	}
	v := simtest.VoidOf("000002", simtest.OpenSale.Amount)
	v.TerminalID = simtest.Virtual
	if resp := simtest.Send(t, c, v); !resp.Approved() {
		t.Errorf("void from the merchant's virtual terminal with VoidAnyTerminal: %q", resp.ResponseCode)
	}
}

func TestRefundApproved(t *testing.T) {
	t.Parallel()
	a, _ := simtest.NewAcquirer(t)
	c, _ := simtest.NewClient(t, a.Addr(), pos.ClientConfig{})

	resp := simtest.Send(t, c, simtest.RefundOf("000001", 2000))
	if !resp.Approved() || len(resp.ApprovalCode) != 6 || len(resp.RRN) != 12 || resp.RRN == simtest.SettledSale.RRN {
		t.Fatalf("refund: %+v", resp)
	}
	refunds := simtest.Entries(a, "refund")
	if len(refunds) != 1 || refunds[0].ProcessingCode != "200000" || refunds[0].OriginalRRN != simtest.SettledSale.RRN || refunds[0].Amount != 2000 {
		t.Fatalf("refund entries: %+v", refunds)
	}
	if resp := simtest.Send(t, c, simtest.RefundOf("000002", 3001)); resp.ResponseCode != "13" {
		t.Errorf("refund above what remains: %q, want 13", resp.ResponseCode)
	}
	if resp := simtest.Send(t, c, simtest.RefundOf("000003", 3000)); !resp.Approved() {
		t.Errorf("refund of the rest: %q", resp.ResponseCode)
	}
	// A sale still in its batch can be refunded too.
	r := simtest.RefundOf("000004", 100)
	r.Original = pos.Original{STAN: simtest.OpenSale.STAN, RRN: simtest.OpenSale.RRN, At: simtest.OpenSale.At}
	if resp := simtest.Send(t, c, r); !resp.Approved() {
		t.Errorf("refund of an unsettled sale: %q", resp.ResponseCode)
	}
}

func TestDeclines(t *testing.T) {
	t.Parallel()
	a, _ := simtest.NewAcquirer(t)
	c, _ := simtest.NewClient(t, a.Addr(), pos.ClientConfig{})
	settledVoid := simtest.VoidOf("000005", simtest.SettledSale.Amount)
	settledVoid.Original = pos.Original{STAN: simtest.SettledSale.STAN, At: simtest.SettledSale.At}

	cases := []struct {
		name string
		req  pos.Request
		code string
	}{
		{"void above the sale", withAmount(simtest.VoidOf("000001", 0), 10001), "13"},
		{"partial void", simtest.VoidOf("000013", 9999), "13"},
		{"refund above the sale", withAmount(simtest.RefundOf("000002", 0), 5001), "13"},
		{"refund of an unknown RRN", func() pos.Request { r := simtest.RefundOf("000003", 100); r.Original.RRN = "999999999999"; return r }(), "25"},
		{"refund naming another STAN", func() pos.Request { r := simtest.RefundOf("000004", 100); r.Original.STAN = "000078"; return r }(), "25"},
		{"refund naming another date", func() pos.Request {
			r := simtest.RefundOf("000014", 100)
			r.Original.At = r.Original.At.AddDate(0, 0, -1)
			return r
		}(), "25"},
		{"refund naming another terminal", func() pos.Request { r := simtest.RefundOf("000015", 100); r.Original.TerminalID = "POS00009"; return r }(), "25"},
		{"void of an unknown voucher", func() pos.Request {
			r := simtest.VoidOf("000006", simtest.OpenSale.Amount)
			r.Original.STAN = "000999"
			return r
		}(), "25"},
		{"void of another day's voucher", func() pos.Request {
			r := simtest.VoidOf("000007", simtest.OpenSale.Amount)
			r.Original.At = r.Original.At.AddDate(0, 0, -1)
			return r
		}(), "25"},
		{"void naming the order's time, not the sale's DE7", func() pos.Request {
			r := simtest.VoidOf("000016", simtest.OpenSale.Amount)
			r.Original.At = r.Original.At.Add(-3 * time.Minute)
			return r
		}(), "25"},
		{"void naming another batch", func() pos.Request {
			r := simtest.VoidOf("000017", simtest.OpenSale.Amount)
			r.Original.Batch = "000041"
			return r
		}(), "25"},
		{"void naming another approval code", func() pos.Request {
			r := simtest.VoidOf("000018", simtest.OpenSale.Amount)
			r.Original.ApprovalCode = "ZZZZZZ"
			return r
		}(), "25"},
		{"void of a settled sale", settledVoid, "12"},
		{"void from another terminal", func() pos.Request {
			r := simtest.VoidOf("000019", simtest.OpenSale.Amount)
			r.TerminalID = simtest.Virtual
			return r
		}(), "58"},
		{"unknown terminal", func() pos.Request { r := simtest.RefundOf("000008", 100); r.TerminalID = "NOPE0001"; return r }(), "58"},
		{"another merchant's terminal", func() pos.Request {
			r := simtest.RefundOf("000009", 100)
			r.TerminalID = simtest.OtherTerminal
			return r
		}(), "58"},
		{"another merchant in DE42", func() pos.Request {
			r := simtest.VoidOf("000010", simtest.OpenSale.Amount)
			r.MerchantID = simtest.OtherMerchant
			return r
		}(), "58"},
		{"other merchant's terminal and id", func() pos.Request {
			r := simtest.RefundOf("000011", 100)
			r.TerminalID, r.MerchantID = simtest.OtherTerminal, simtest.OtherMerchant
			return r
		}(), "58"},
		{"another currency", func() pos.Request { r := simtest.RefundOf("000012", 100); r.Currency = "USD"; return r }(), "12"},
		{"an RRN the ledger holds", func() pos.Request { r := simtest.RefundOf("000020", 100); r.RRN = simtest.OpenSale.RRN; return r }(), "94"},
	}
	for _, tc := range cases {
		resp := simtest.Send(t, c, tc.req)
		if resp.ResponseCode != tc.code || resp.Approved() || resp.ApprovalCode != "" {
			t.Errorf("%s: %+v, want %s", tc.name, resp, tc.code)
		}
	}
	if n := len(a.Ledger()); n != 2 {
		t.Errorf("declines wrote the ledger: %d entries, want the 2 sales", n)
	}
	if st := a.Stats(); st.Declined != len(cases) || st.Approved != 0 || st.Requests != len(cases) {
		t.Errorf("stats %+v", st)
	}
}

func withAmount(r pos.Request, amount int64) pos.Request {
	r.Amount, r.Original.Amount = amount, 0
	return r
}

func TestRepeatGetsTheFirstAnswer(t *testing.T) {
	t.Parallel()
	a, _ := simtest.NewAcquirer(t)
	c, _ := simtest.NewClient(t, a.Addr(), pos.ClientConfig{})

	first := simtest.Send(t, c, simtest.RefundOf("000001", 1000))
	again := simtest.Send(t, c, simtest.RefundOf("000001", 1000))
	if !first.Approved() || !simtest.SameResponse(again, first) {
		t.Fatalf("repeat answered %+v, first %+v", again, first)
	}
	if n := len(simtest.Entries(a, "refund")); n != 1 {
		t.Errorf("ledger has %d refunds, want 1", n)
	}
	// The same terminal, STAN and day with other content is no repeat.
	other := simtest.Send(t, c, simtest.RefundOf("000001", 1500))
	if other.ResponseCode != "94" {
		t.Errorf("same STAN, other amount: %q, want 94", other.ResponseCode)
	}
	// A declined request repeats its decline.
	d1 := simtest.Send(t, c, withAmount(simtest.RefundOf("000002", 0), 9999))
	d2 := simtest.Send(t, c, withAmount(simtest.RefundOf("000002", 0), 9999))
	if d1.ResponseCode != "13" || !simtest.SameResponse(d2, d1) {
		t.Errorf("repeated decline: %+v then %+v", d1, d2)
	}
	st := a.Stats()
	if st.Repeats != 2 || st.Approved != 1 || st.Requests != 5 {
		t.Errorf("stats %+v", st)
	}
}

func TestReversalUndoes(t *testing.T) {
	t.Parallel()
	a, clk := simtest.NewAcquirer(t)
	c, _ := simtest.NewClient(t, a.Addr(), pos.ClientConfig{})
	ctx := context.Background()

	refund := simtest.RefundOf("000001", 5000)
	resp := simtest.Send(t, c, refund)
	if !resp.Approved() {
		t.Fatalf("refund: %+v", resp)
	}
	if r := simtest.Send(t, c, simtest.RefundOf("000002", 1)); r.ResponseCode != "13" {
		t.Fatalf("the sale is fully refunded, yet: %q", r.ResponseCode)
	}
	rv, err := c.Reverse(ctx, simtest.ReversalOf(refund, "000101", false))
	if err != nil || !rv.Approved() || rv.MTI != "0410" || rv.STAN != "000101" || rv.TerminalID != simtest.Virtual {
		t.Fatalf("reversal: %+v, %v", rv, err)
	}
	refunds := simtest.Entries(a, "refund")
	if len(refunds) != 1 || !refunds[0].Reversed {
		t.Fatalf("refund entries after the reversal: %+v", refunds)
	}
	// What was refundable is back.
	again := simtest.Send(t, c, simtest.RefundOf("000003", 5000))
	if !again.Approved() {
		t.Fatalf("refund after the reversal: %+v", again)
	}
	// A repeated reversal (0401) is acknowledged from memory.
	repeat := simtest.ReversalOf(refund, "000101", true)
	repeat.TransmittedAt = simtest.T0.Add(2 * time.Minute)
	rep, err := c.Reverse(ctx, repeat)
	if err != nil || !rep.Approved() {
		t.Fatalf("0401: %+v, %v", rep, err)
	}
	if refunds := simtest.Entries(a, "refund"); len(refunds) != 2 || !refunds[0].Reversed || refunds[1].Reversed {
		t.Errorf("refund entries: %+v", refunds)
	}
	// Settlement leaves the reversed refund out.
	clk.Set(simtest.T0.Add(11 * time.Hour)) // past 22:00
	items := a.Settlement(simtest.T0)
	var rrns []string
	for _, it := range items {
		rrns = append(rrns, it.RRN)
	}
	if slices.Contains(rrns, resp.RRN) || !slices.Contains(rrns, again.RRN) {
		t.Errorf("settlement RRNs %v: want %s, not the reversed %s", rrns, again.RRN, resp.RRN)
	}
	if st := a.Stats(); st.Reversals != 2 || st.Repeats != 1 {
		t.Errorf("stats %+v", st)
	}
}

// TestReversalOfAnUnknownOriginal: a reversal naming a 0200 the host never
// received is answered 25 and forgotten; once the 0200 arrives, a repeat
// of the reversal reverses it.
func TestReversalOfAnUnknownOriginal(t *testing.T) {
	t.Parallel()
	a, _ := simtest.NewAcquirer(t)
	c, _ := simtest.NewClient(t, a.Addr(), pos.ClientConfig{})
	ctx := context.Background()

	void := simtest.VoidOf("000001", simtest.OpenSale.Amount)
	rv, err := c.Reverse(ctx, simtest.ReversalOf(void, "000501", false))
	if err != nil || rv.ResponseCode != "25" || rv.STAN != "000501" {
		t.Fatalf("reversal of a message never seen: %+v, %v; want 25", rv, err)
	}
	if r := simtest.Send(t, c, void); !r.Approved() {
		t.Fatalf("the original after its reversal was refused: %q, want 00 (the reversal was forgotten)", r.ResponseCode)
	}
	if voids := simtest.Entries(a, "void"); len(voids) != 1 || voids[0].Reversed {
		t.Fatalf("voids: %+v", voids)
	}
	rep, err := c.Reverse(ctx, simtest.ReversalOf(void, "000501", true))
	if err != nil || !rep.Approved() {
		t.Fatalf("0401 once the original arrived: %+v, %v", rep, err)
	}
	if voids := simtest.Entries(a, "void"); len(voids) != 1 || !voids[0].Reversed {
		t.Errorf("after the 0401: %+v", voids)
	}
	// Repeats are acknowledged again.
	if again, err := c.Reverse(ctx, simtest.ReversalOf(void, "000501", true)); err != nil || !again.Approved() {
		t.Errorf("second 0401: %+v, %v", again, err)
	}
	// The whole sale is voidable again.
	if r := simtest.Send(t, c, simtest.VoidOf("000002", simtest.OpenSale.Amount)); !r.Approved() {
		t.Errorf("void of the whole sale: %q", r.ResponseCode)
	}
}

// TestReversalMustMatchItsOriginal: amount, DE7 and RRN are checked.
func TestReversalMustMatchItsOriginal(t *testing.T) {
	t.Parallel()
	a, _ := simtest.NewAcquirer(t)
	c, _ := simtest.NewClient(t, a.Addr(), pos.ClientConfig{})
	ctx := context.Background()
	refund := simtest.RefundOf("000001", 1000)
	if r := simtest.Send(t, c, refund); !r.Approved() {
		t.Fatalf("refund: %+v", r)
	}
	for name, change := range map[string]func(*pos.Request){
		"amount": func(r *pos.Request) { r.Amount = 999 },
		"time":   func(r *pos.Request) { r.TransmittedAt = r.TransmittedAt.Add(time.Second) },
		"rrn":    func(r *pos.Request) { r.RRN = "6069ZZZZZZZZ" },
	} {
		wrong := refund
		change(&wrong)
		if rv, err := c.Reverse(ctx, simtest.ReversalOf(wrong, "000201", false)); err != nil || rv.ResponseCode != "25" {
			t.Errorf("reversal with another %s: %+v, %v; want 25", name, rv, err)
		}
	}
	if refunds := simtest.Entries(a, "refund"); len(refunds) != 1 || refunds[0].Reversed {
		t.Errorf("refunds: %+v", refunds)
	}
	if rv, err := c.Reverse(ctx, simtest.ReversalOf(refund, "000202", false)); err != nil || !rv.Approved() {
		t.Errorf("the right reversal: %+v, %v", rv, err)
	}
}

// TestReversalAfterSettlement: the batch is settled, the entry stays.
func TestReversalAfterSettlement(t *testing.T) {
	t.Parallel()
	a, clk := simtest.NewAcquirer(t)
	c, _ := simtest.NewClient(t, a.Addr(), pos.ClientConfig{})
	refund := simtest.RefundOf("000001", 1000)
	if r := simtest.Send(t, c, refund); !r.Approved() {
		t.Fatalf("refund: %+v", r)
	}
	clk.Set(simtest.T0.Add(10 * time.Hour)) // 22:00, the cut-off
	for _, repeat := range []bool{false, true} {
		rv, err := c.Reverse(context.Background(), simtest.ReversalOf(refund, "000301", repeat))
		if err != nil || rv.ResponseCode != "12" {
			t.Errorf("reversal after the cut-off (repeat %v): %+v, %v; want 12", repeat, rv, err)
		}
	}
	if refunds := simtest.Entries(a, "refund"); len(refunds) != 1 || refunds[0].Reversed {
		t.Errorf("the settled refund: %+v", refunds)
	}
	if items := a.Settlement(simtest.T0); len(items) != 2 { // the open sale and the refund
		t.Errorf("settlement: %+v", items)
	}
}
