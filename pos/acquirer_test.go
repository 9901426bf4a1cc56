package pos_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/rebound-returns/rebound/pos"
)

func TestVoidApproved(t *testing.T) {
	t.Parallel()
	a, _ := newAcquirer(t)
	c, _ := newClient(t, a.Addr(), pos.ClientConfig{})

	resp := send(t, c, voidOf("000001", 4000))
	if !resp.Approved() || resp.MTI != "0210" || resp.STAN != "000001" || resp.TerminalID != virtual {
		t.Fatalf("void: %+v", resp)
	}
	if len(resp.ApprovalCode) != 6 || len(resp.RRN) != 12 || resp.RRN == openSale.RRN {
		t.Errorf("void approval %q RRN %q: want a fresh 6-character code and 12-character RRN", resp.ApprovalCode, resp.RRN)
	}
	voids := entries(a, "void")
	if len(voids) != 1 {
		t.Fatalf("ledger has %d voids, want 1", len(voids))
	}
	v := voids[0]
	if v.Amount != 4000 || v.ProcessingCode != "020000" || v.OriginalSTAN != openSale.STAN || v.OriginalRRN != openSale.RRN ||
		v.RRN != resp.RRN || v.ApprovalCode != resp.ApprovalCode || v.TerminalID != virtual || v.MaskedPAN != openSale.MaskedPAN || v.Reversed {
		t.Errorf("void entry: %+v", v)
	}

	// A partial void leaves the rest: 6000 of 10000.
	if resp := send(t, c, voidOf("000002", 6001)); resp.ResponseCode != "13" {
		t.Errorf("void above what remains: %q, want 13", resp.ResponseCode)
	}
	if resp := send(t, c, voidOf("000003", 6000)); !resp.Approved() {
		t.Errorf("void of the rest: %q, want 00", resp.ResponseCode)
	}
	if resp := send(t, c, voidOf("000004", 1)); resp.ResponseCode != "13" {
		t.Errorf("void of a fully voided sale: %q, want 13", resp.ResponseCode)
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
	settledVoid := voidOf("000005", 100)
	settledVoid.Original = pos.Original{STAN: settledSale.STAN, At: settledSale.At}

	cases := []struct {
		name string
		req  pos.Request
		code string
	}{
		{"void above the sale", withAmount(voidOf("000001", 0), 10001), "13"},
		{"refund above the sale", withAmount(refundOf("000002", 0), 5001), "13"},
		{"refund of an unknown RRN", func() pos.Request { r := refundOf("000003", 100); r.Original.RRN = "999999999999"; return r }(), "25"},
		{"refund naming another STAN", func() pos.Request { r := refundOf("000004", 100); r.Original.STAN = "000078"; return r }(), "25"},
		{"void of an unknown voucher", func() pos.Request { r := voidOf("000006", 100); r.Original.STAN = "000999"; return r }(), "25"},
		{"void of another day's voucher", func() pos.Request {
			r := voidOf("000007", 100)
			r.Original.At = r.Original.At.AddDate(0, 0, -1)
			return r
		}(), "25"},
		{"void of a settled sale", settledVoid, "12"},
		{"unknown terminal", func() pos.Request { r := refundOf("000008", 100); r.TerminalID = "NOPE0001"; return r }(), "58"},
		{"another merchant's terminal", func() pos.Request { r := refundOf("000009", 100); r.TerminalID = otherTerminal; return r }(), "58"},
		{"another merchant in DE42", func() pos.Request { r := voidOf("000010", 100); r.MerchantID = otherMerchant; return r }(), "58"},
		{"other merchant's terminal and id", func() pos.Request {
			r := refundOf("000011", 100)
			r.TerminalID, r.MerchantID = otherTerminal, otherMerchant
			return r
		}(), "58"},
		{"another currency", func() pos.Request { r := refundOf("000012", 100); r.Currency = "USD"; return r }(), "12"},
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
	if !first.Approved() || again != first {
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
	if d1.ResponseCode != "13" || d2 != d1 {
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
	rv, err := c.Reverse(ctx, pos.Reversal{Request: refund, TransmittedAt: t0.Add(time.Minute)})
	if err != nil || !rv.Approved() || rv.MTI != "0410" || rv.STAN != "000001" || rv.TerminalID != virtual {
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
	rep, err := c.Reverse(ctx, pos.Reversal{Request: refund, Repeat: true, TransmittedAt: t0.Add(2 * time.Minute)})
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

func TestReversalBeforeItsRequest(t *testing.T) {
	t.Parallel()
	a, _ := newAcquirer(t)
	c, _ := newClient(t, a.Addr(), pos.ClientConfig{})

	void := voidOf("000001", 4000)
	rv, err := c.Reverse(context.Background(), pos.Reversal{Request: void, TransmittedAt: t0.Add(time.Minute)})
	if err != nil || !rv.Approved() {
		t.Fatalf("reversal of a message never seen: %+v, %v", rv, err)
	}
	late := send(t, c, void)
	if late.ResponseCode != "12" {
		t.Errorf("the original after its reversal: %q, want 12", late.ResponseCode)
	}
	if again := send(t, c, void); again != late {
		t.Errorf("its repeat: %+v, want %+v", again, late)
	}
	if n := len(entries(a, "void")); n != 0 {
		t.Errorf("ledger has %d voids, want none", n)
	}
	// The whole sale is still voidable.
	if r := send(t, c, voidOf("000002", openSale.Amount)); !r.Approved() {
		t.Errorf("void of the whole sale: %q", r.ResponseCode)
	}
}
