package acquirersim_test

import (
	"bufio"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/moov-io/iso8583"

	"github.com/rebound-returns/rebound/acquirersim"
	"github.com/rebound-returns/rebound/acquirersim/simtest"
	"github.com/rebound-returns/rebound/pos"
)

// rawExchange sends m to addr as it is, on a connection of its own, and
// returns the answer's bytes and the answer read with UnpackAnswer.
func rawExchange(t *testing.T, addr string, m *iso8583.Message) ([]byte, *iso8583.Message) {
	t.Helper()
	b, err := m.Pack()
	if err != nil {
		t.Fatal(err)
	}
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	_ = nc.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := pos.WriteLength(nc, len(b)); err != nil {
		t.Fatal(err)
	}
	if _, err := nc.Write(b); err != nil {
		t.Fatal(err)
	}
	r := bufio.NewReader(nc)
	n, err := pos.ReadLength(r)
	if err != nil {
		t.Fatalf("no answer: %v", err)
	}
	raw := make([]byte, n)
	if _, err := io.ReadFull(r, raw); err != nil {
		t.Fatal(err)
	}
	ans, err := pos.UnpackAnswer(raw)
	if err != nil {
		t.Fatalf("the simulator's answer does not unpack: %v", err)
	}
	return raw, ans
}

// TestMissingMandatoryFields: the simulator answers 30 to a message that
// lacks a field the profile makes mandatory, and processes nothing.
func TestMissingMandatoryFields(t *testing.T) {
	t.Parallel()
	a, _ := simtest.NewAcquirer(t)
	build := func(unset int, reversal bool) *iso8583.Message {
		r := simtest.RefundOf("000001", 100)
		var m *iso8583.Message
		var err error
		if reversal {
			m, err = pos.BuildReversal(simtest.ReversalOf(r, "000101", false))
		} else {
			m, err = pos.BuildRequest(r)
		}
		if err != nil {
			t.Fatal(err)
		}
		if unset > 0 {
			m.UnsetField(unset)
		}
		return m
	}
	for _, c := range []struct {
		mti   string
		field int
	}{
		{"0200", 3}, {"0200", 4}, {"0200", 7}, {"0200", 11}, {"0200", 12}, {"0200", 13}, {"0200", 37},
		{"0200", 41}, {"0200", 42}, {"0200", 49}, {"0200", 61}, {"0200", 90},
		{"0400", 3}, {"0400", 4}, {"0400", 7}, {"0400", 11}, {"0400", 12}, {"0400", 13}, {"0400", 37},
		{"0400", 39}, {"0400", 41}, {"0400", 42}, {"0400", 49}, {"0400", 90},
	} {
		_, ans := rawExchange(t, a.Addr(), build(c.field, c.mti == "0400"))
		if code, _ := ans.GetString(39); code != "30" {
			t.Errorf("%s without DE%d: answered %q, want 30", c.mti, c.field, code)
		}
	}
	// DE61 that disagrees with DE90 is no better.
	m := build(-1, false)
	r := simtest.RefundOf("000001", 100)
	if err := m.Field(61, "000000"+"000078"+r.Original.At.Format("0102")+simtest.SaleTerminal+r.Original.RRN+"      "); err != nil {
		t.Fatal(err)
	}
	if _, ans := rawExchange(t, a.Addr(), m); mustGet(t, ans, 39) != "30" {
		t.Errorf("DE61 naming another STAN than DE90: %q, want 30", mustGet(t, ans, 39))
	}
	// DE12/13 half a day off DE7 are not a local time.
	m = build(-1, false)
	_ = m.Field(12, "235959")
	_ = m.Field(13, "0308")
	if _, ans := rawExchange(t, a.Addr(), m); mustGet(t, ans, 39) != "30" {
		t.Errorf("local time two days off: %q, want 30", mustGet(t, ans, 39))
	}
	if n := len(simtest.Entries(a, "refund")); n != 0 {
		t.Errorf("%d refunds processed", n)
	}
	// The control: the same message, whole, is approved.
	if _, ans := rawExchange(t, a.Addr(), build(-1, false)); mustGet(t, ans, 39) != "00" {
		t.Errorf("the whole message: %q, want 00", mustGet(t, ans, 39))
	}
}

func mustGet(t *testing.T, m *iso8583.Message, id int) string {
	t.Helper()
	s, err := m.GetString(id)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestSimulatorAnswersEcho: a 0210 echoes the request's own RRN; a 0410
// the reversal's own STAN.
func TestSimulatorAnswersEcho(t *testing.T) {
	t.Parallel()
	a, _ := simtest.NewAcquirer(t)
	r := simtest.RefundOf("000001", 100)
	m, err := pos.BuildRequest(r)
	if err != nil {
		t.Fatal(err)
	}
	_, ans := rawExchange(t, a.Addr(), m)
	if mustGet(t, ans, 0) != "0210" || mustGet(t, ans, 37) != r.RRN || mustGet(t, ans, 11) != "000001" || mustGet(t, ans, 39) != "00" {
		t.Errorf("0210: %v", ans)
	}
	if e := simtest.Entries(a, "refund"); len(e) != 1 || e[0].RRN != r.RRN {
		t.Errorf("the entry does not carry the refund's own RRN: %+v", e)
	}
	rv, err := pos.BuildReversal(simtest.ReversalOf(r, "000777", false))
	if err != nil {
		t.Fatal(err)
	}
	_, ans = rawExchange(t, a.Addr(), rv)
	if mustGet(t, ans, 0) != "0410" || mustGet(t, ans, 11) != "000777" || mustGet(t, ans, 41) != simtest.Virtual || mustGet(t, ans, 39) != "00" {
		t.Errorf("0410: %v", ans)
	}
}

// TestFaultExtraFields: every answer carries DE15, DE32, DE44 and DE63
// behind a secondary bitmap with no field in it, and the client reads it.
func TestFaultExtraFields(t *testing.T) {
	t.Parallel()
	a, _ := simtest.NewAcquirer(t)
	a.SetFaults(acquirersim.Faults{ExtraFields: true})
	m, err := pos.BuildRequest(simtest.RefundOf("000001", 100))
	if err != nil {
		t.Fatal(err)
	}
	raw, ans := rawExchange(t, a.Addr(), m)
	if raw[4] < '8' { // the first bitmap digit: bit 1 set
		t.Errorf("no secondary bitmap: %q", raw[4:20])
	}
	if string(raw[20:36]) != strings.Repeat("0", 16) {
		t.Errorf("the secondary bitmap is not empty: %q", raw[20:36])
	}
	for _, id := range []int{15, 32, 44, 63} {
		if mustGet(t, ans, id) == "" {
			t.Errorf("no DE%d", id)
		}
	}
	if mustGet(t, ans, 15) != "0310" { // settled at today's 22:00 cut-off
		t.Errorf("DE15 %q, want 0310", mustGet(t, ans, 15))
	}

	c, _ := simtest.NewClient(t, a.Addr(), pos.ClientConfig{})
	resp := simtest.Send(t, c, simtest.RefundOf("000002", 100))
	if !resp.Approved() || resp.Fields[15] != "0310" || resp.Fields[32] == "" || resp.Fields[44] == "" || resp.Fields[63] == "" {
		t.Errorf("through the client: %+v", resp)
	}
	rv, err := c.Reverse(t.Context(), simtest.ReversalOf(simtest.RefundOf("000002", 100), "000102", false))
	if err != nil || !rv.Approved() || rv.Fields[63] == "" {
		t.Errorf("reversal through the client: %+v, %v", rv, err)
	}
	if st := a.Stats(); st.ExtraFields != 3 {
		t.Errorf("stats %+v", st)
	}
}
