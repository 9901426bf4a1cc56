package acquirersim_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/rebound-returns/rebound/acquirersim"
	"github.com/rebound-returns/rebound/pos"
)

func TestVoidApproved(t *testing.T) {
	t.Parallel()
	a, _ := newAcquirer(t)
	c, _ := newClient(t, a.Addr(), pos.ClientConfig{})

	// A void cancels the whole sale: a part of it is refused.
	if resp := send(t, c, voidOf("000001", 4000)); resp.ResponseCode != "13" {
		t.Errorf("partial void: %q, want 13", resp.ResponseCode)
	}
	req := voidOf("000002", openSale.Amount)
	resp := send(t, c, req)
	if !resp.Approved() || resp.MTI != "0210" || resp.STAN != "000002" || resp.TerminalID != saleTerminal {
		t.Fatalf("void: %+v", resp)
	}
	if len(resp.ApprovalCode) != 6 || resp.RRN != req.RRN {
		t.Errorf("void approval %q RRN %q: want a fresh 6-character code and the void's own RRN %s", resp.ApprovalCode, resp.RRN, req.RRN)
	}
	voids := entries(a, "void")
	if len(voids) != 1 {
		t.Fatalf("ledger has %d voids, want 1", len(voids))
	}
	v := voids[0]
	if v.Amount != openSale.Amount || v.ProcessingCode != "020000" || v.OriginalSTAN != openSale.STAN || v.OriginalRRN != openSale.RRN ||
		v.RRN != req.RRN || v.ApprovalCode != resp.ApprovalCode || v.TerminalID != saleTerminal || v.MaskedPAN != openSale.MaskedPAN || v.Reversed {
		t.Errorf("void entry: %+v", v)
	}
	// A sale is voided once: another void is refused with 12 (refund
	// instead), whatever its amount.
	if resp := send(t, c, voidOf("000003", openSale.Amount)); resp.ResponseCode != "12" {
		t.Errorf("void of a voided sale: %q, want 12", resp.ResponseCode)
	}
	if resp := send(t, c, voidOf("000004", 1)); resp.ResponseCode != "12" {
		t.Errorf("partial void of a voided sale: %q, want 12", resp.ResponseCode)
	}
	// And nothing is left to refund.
	r := refundOf("000005", 1)
	r.Original = pos.Original{STAN: openSale.STAN, RRN: openSale.RRN, At: openSale.At}
	if resp := send(t, c, r); resp.ResponseCode != "13" {
		t.Errorf("refund of a voided sale: %q, want 13", resp.ResponseCode)
	}
}

func TestVoidOfARefundedSale(t *testing.T) {
	t.Parallel()
	a, _ := newAcquirer(t)
	c, _ := newClient(t, a.Addr(), pos.ClientConfig{})
	r := refundOf("000001", 1000)
	r.Original = pos.Original{STAN: openSale.STAN, RRN: openSale.RRN, At: openSale.At}
	if resp := send(t, c, r); !resp.Approved() {
		t.Fatalf("refund: %+v", resp)
	}
	// Part of the sale is refunded: it can no longer be voided, even for
	// what remains.
	if resp := send(t, c, voidOf("000002", openSale.Amount-1000)); resp.ResponseCode != "12" {
		t.Errorf("void of a refunded sale: %q, want 12", resp.ResponseCode)
	}
}

func TestVoidAnyTerminal(t *testing.T) {
	t.Parallel()
	clk := newClock(t0)
	a := acquirersim.New(acquirersim.Config{Now: clk.Now, Logger: quiet(), VoidAnyTerminal: true})
	if err := a.AddSale(openSale); err != nil {
		t.Fatal(err)
	}
	a.AddTerminal(virtual, merchant)
	a.AddTerminal(otherTerminal, otherMerchant)
	if err := a.Start("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	c, _ := newClient(t, a.Addr(), pos.ClientConfig{})
	other := voidOf("000001", openSale.Amount)
	other.TerminalID = otherTerminal // another merchant's: still refused
	if resp := send(t, c, other); resp.ResponseCode != "58" {
		t.Errorf("void from another merchant's terminal: %q, want 58", resp.ResponseCode)
	}
	v := voidOf("000002", openSale.Amount)
	v.TerminalID = virtual
	if resp := send(t, c, v); !resp.Approved() {
		t.Errorf("void from the merchant's virtual terminal with VoidAnyTerminal: %q", resp.ResponseCode)
	}
}

func TestRefundApproved(t *testing.T) {
	t.Parallel()
	a, _ := newAcquirer(t)
	c, _ := newClient(t, a.Addr(), pos.ClientConfig{})

	resp := send(t, c, refundOf("000001", 2000))
	if !resp.Approved() || len(resp.ApprovalCode) != 6 || len(resp.RRN) != 12 || resp.RRN == settledSale.RRN {
		t.Fatalf("refund: %+v", resp)
	}
	refunds := entries(a, "refund")
	if len(refunds) != 1 || refunds[0].ProcessingCode != "200000" || refunds[0].OriginalRRN != settledSale.RRN || refunds[0].Amount != 2000 {
		t.Fatalf("refund entries: %+v", refunds)
	}
	if resp := send(t, c, refundOf("000002", 3001)); resp.ResponseCode != "13" {
		t.Errorf("refund above what remains: %q, want 13", resp.ResponseCode)
	}
	if resp := send(t, c, refundOf("000003", 3000)); !resp.Approved() {
		t.Errorf("refund of the rest: %q", resp.ResponseCode)
	}
	// A sale still in its batch can be refunded too.
	r := refundOf("000004", 100)
	r.Original = pos.Original{STAN: openSale.STAN, RRN: openSale.RRN, At: openSale.At}
	if resp := send(t, c, r); !resp.Approved() {
		t.Errorf("refund of an unsettled sale: %q", resp.ResponseCode)
	}
}

func TestDeclines(t *testing.T) {
	t.Parallel()
	a, _ := newAcquirer(t)
	c, _ := newClient(t, a.Addr(), pos.ClientConfig{})
	settledVoid := voidOf("000005", settledSale.Amount)
	settledVoid.Original = pos.Original{STAN: settledSale.STAN, At: settledSale.At}

	cases := []struct {
		name string
		req  pos.Request
		code string
	}{
		{"void above the sale", withAmount(voidOf("000001", 0), 10001), "13"},
		{"partial void", voidOf("000013", 9999), "13"},
		{"refund above the sale", withAmount(refundOf("000002", 0), 5001), "13"},
		{"refund of an unknown RRN", func() pos.Request { r := refundOf("000003", 100); r.Original.RRN = "999999999999"; return r }(), "25"},
		{"refund naming another STAN", func() pos.Request { r := refundOf("000004", 100); r.Original.STAN = "000078"; return r }(), "25"},
		{"refund naming another date", func() pos.Request {
			r := refundOf("000014", 100)
			r.Original.At = r.Original.At.AddDate(0, 0, -1)
			return r
		}(), "25"},
		{"refund naming another terminal", func() pos.Request { r := refundOf("000015", 100); r.Original.TerminalID = "POS00009"; return r }(), "25"},
		{"void of an unknown voucher", func() pos.Request { r := voidOf("000006", openSale.Amount); r.Original.STAN = "000999"; return r }(), "25"},
		{"void of another day's voucher", func() pos.Request {
			r := voidOf("000007", openSale.Amount)
			r.Original.At = r.Original.At.AddDate(0, 0, -1)
			return r
		}(), "25"},
		{"void naming the order's time, not the sale's DE7", func() pos.Request {
			r := voidOf("000016", openSale.Amount)
			r.Original.At = r.Original.At.Add(-3 * time.Minute)
			return r
		}(), "25"},
		{"void naming another batch", func() pos.Request { r := voidOf("000017", openSale.Amount); r.Original.Batch = "000041"; return r }(), "25"},
		{"void naming another approval code", func() pos.Request {
			r := voidOf("000018", openSale.Amount)
			r.Original.ApprovalCode = "ZZZZZZ"
			return r
		}(), "25"},
		{"void of a settled sale", settledVoid, "12"},
		{"void from another terminal", func() pos.Request { r := voidOf("000019", openSale.Amount); r.TerminalID = virtual; return r }(), "58"},
		{"unknown terminal", func() pos.Request { r := refundOf("000008", 100); r.TerminalID = "NOPE0001"; return r }(), "58"},
		{"another merchant's terminal", func() pos.Request { r := refundOf("000009", 100); r.TerminalID = otherTerminal; return r }(), "58"},
		{"another merchant in DE42", func() pos.Request { r := voidOf("000010", openSale.Amount); r.MerchantID = otherMerchant; return r }(), "58"},
		{"other merchant's terminal and id", func() pos.Request {
			r := refundOf("000011", 100)
			r.TerminalID, r.MerchantID = otherTerminal, otherMerchant
			return r
		}(), "58"},
		{"another currency", func() pos.Request { r := refundOf("000012", 100); r.Currency = "USD"; return r }(), "12"},
		{"an RRN the ledger holds", func() pos.Request { r := refundOf("000020", 100); r.RRN = openSale.RRN; return r }(), "94"},
	}
	for _, tc := range cases {
		resp := send(t, c, tc.req)
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
	a, _ := newAcquirer(t)
	c, _ := newClient(t, a.Addr(), pos.ClientConfig{})

	first := send(t, c, refundOf("000001", 1000))
	again := send(t, c, refundOf("000001", 1000))
	if !first.Approved() || !sameResponse(again, first) {
		t.Fatalf("repeat answered %+v, first %+v", again, first)
	}
	if n := len(entries(a, "refund")); n != 1 {
		t.Errorf("ledger has %d refunds, want 1", n)
	}
	// The same terminal, STAN and day with other content is no repeat.
	other := send(t, c, refundOf("000001", 1500))
	if other.ResponseCode != "94" {
		t.Errorf("same STAN, other amount: %q, want 94", other.ResponseCode)
	}
	// A declined request repeats its decline.
	d1 := send(t, c, withAmount(refundOf("000002", 0), 9999))
	d2 := send(t, c, withAmount(refundOf("000002", 0), 9999))
	if d1.ResponseCode != "13" || !sameResponse(d2, d1) {
		t.Errorf("repeated decline: %+v then %+v", d1, d2)
	}
	st := a.Stats()
	if st.Repeats != 2 || st.Approved != 1 || st.Requests != 5 {
		t.Errorf("stats %+v", st)
	}
}

func TestReversalUndoes(t *testing.T) {
	t.Parallel()
	a, clk := newAcquirer(t)
	c, _ := newClient(t, a.Addr(), pos.ClientConfig{})
	ctx := context.Background()

	refund := refundOf("000001", 5000)
	resp := send(t, c, refund)
	if !resp.Approved() {
		t.Fatalf("refund: %+v", resp)
	}
	if r := send(t, c, refundOf("000002", 1)); r.ResponseCode != "13" {
		t.Fatalf("the sale is fully refunded, yet: %q", r.ResponseCode)
	}
	rv, err := c.Reverse(ctx, reversalOf(refund, "000101", false))
	if err != nil || !rv.Approved() || rv.MTI != "0410" || rv.STAN != "000101" || rv.TerminalID != virtual {
		t.Fatalf("reversal: %+v, %v", rv, err)
	}
	refunds := entries(a, "refund")
	if len(refunds) != 1 || !refunds[0].Reversed {
		t.Fatalf("refund entries after the reversal: %+v", refunds)
	}
	// What was refundable is back.
	again := send(t, c, refundOf("000003", 5000))
	if !again.Approved() {
		t.Fatalf("refund after the reversal: %+v", again)
	}
	// A repeated reversal (0401) is acknowledged from memory.
	repeat := reversalOf(refund, "000101", true)
	repeat.TransmittedAt = t0.Add(2 * time.Minute)
	rep, err := c.Reverse(ctx, repeat)
	if err != nil || !rep.Approved() {
		t.Fatalf("0401: %+v, %v", rep, err)
	}
	if refunds := entries(a, "refund"); len(refunds) != 2 || !refunds[0].Reversed || refunds[1].Reversed {
		t.Errorf("refund entries: %+v", refunds)
	}
	// Settlement leaves the reversed refund out.
	clk.Set(t0.Add(11 * time.Hour)) // past 22:00
	items := a.Settlement(t0)
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
	a, _ := newAcquirer(t)
	c, _ := newClient(t, a.Addr(), pos.ClientConfig{})
	ctx := context.Background()

	void := voidOf("000001", openSale.Amount)
	rv, err := c.Reverse(ctx, reversalOf(void, "000501", false))
	if err != nil || rv.ResponseCode != "25" || rv.STAN != "000501" {
		t.Fatalf("reversal of a message never seen: %+v, %v; want 25", rv, err)
	}
	if r := send(t, c, void); !r.Approved() {
		t.Fatalf("the original after its reversal was refused: %q, want 00 (the reversal was forgotten)", r.ResponseCode)
	}
	if voids := entries(a, "void"); len(voids) != 1 || voids[0].Reversed {
		t.Fatalf("voids: %+v", voids)
	}
	rep, err := c.Reverse(ctx, reversalOf(void, "000501", true))
	if err != nil || !rep.Approved() {
		t.Fatalf("0401 once the original arrived: %+v, %v", rep, err)
	}
	if voids := entries(a, "void"); len(voids) != 1 || !voids[0].Reversed {
		t.Errorf("after the 0401: %+v", voids)
	}
	// Repeats are acknowledged again.
	if again, err := c.Reverse(ctx, reversalOf(void, "000501", true)); err != nil || !again.Approved() {
		t.Errorf("second 0401: %+v, %v", again, err)
	}
	// The whole sale is voidable again.
	if r := send(t, c, voidOf("000002", openSale.Amount)); !r.Approved() {
		t.Errorf("void of the whole sale: %q", r.ResponseCode)
	}
}

// TestReversalMustMatchItsOriginal: amount, DE7 and RRN are checked.
func TestReversalMustMatchItsOriginal(t *testing.T) {
	t.Parallel()
	a, _ := newAcquirer(t)
	c, _ := newClient(t, a.Addr(), pos.ClientConfig{})
	ctx := context.Background()
	refund := refundOf("000001", 1000)
	if r := send(t, c, refund); !r.Approved() {
		t.Fatalf("refund: %+v", r)
	}
	for name, change := range map[string]func(*pos.Request){
		"amount": func(r *pos.Request) { r.Amount = 999 },
		"time":   func(r *pos.Request) { r.TransmittedAt = r.TransmittedAt.Add(time.Second) },
		"rrn":    func(r *pos.Request) { r.RRN = "6069ZZZZZZZZ" },
	} {
		wrong := refund
		change(&wrong)
		if rv, err := c.Reverse(ctx, reversalOf(wrong, "000201", false)); err != nil || rv.ResponseCode != "25" {
			t.Errorf("reversal with another %s: %+v, %v; want 25", name, rv, err)
		}
	}
	if refunds := entries(a, "refund"); len(refunds) != 1 || refunds[0].Reversed {
		t.Errorf("refunds: %+v", refunds)
	}
	if rv, err := c.Reverse(ctx, reversalOf(refund, "000202", false)); err != nil || !rv.Approved() {
		t.Errorf("the right reversal: %+v, %v", rv, err)
	}
}

// TestReversalAfterSettlement: the batch is settled, the entry stays.
func TestReversalAfterSettlement(t *testing.T) {
	t.Parallel()
	a, clk := newAcquirer(t)
	c, _ := newClient(t, a.Addr(), pos.ClientConfig{})
	refund := refundOf("000001", 1000)
	if r := send(t, c, refund); !r.Approved() {
		t.Fatalf("refund: %+v", r)
	}
	clk.Set(t0.Add(10 * time.Hour)) // 22:00, the cut-off
	for _, repeat := range []bool{false, true} {
		rv, err := c.Reverse(context.Background(), reversalOf(refund, "000301", repeat))
		if err != nil || rv.ResponseCode != "12" {
			t.Errorf("reversal after the cut-off (repeat %v): %+v, %v; want 12", repeat, rv, err)
		}
	}
	if refunds := entries(a, "refund"); len(refunds) != 1 || refunds[0].Reversed {
		t.Errorf("the settled refund: %+v", refunds)
	}
	if items := a.Settlement(t0); len(items) != 2 { // the open sale and the refund
		t.Errorf("settlement: %+v", items)
	}
}
