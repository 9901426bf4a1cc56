package acquirersim_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/rebound-returns/rebound/acquirersim"
	"github.com/rebound-returns/rebound/acquirersim/simtest"
	"github.com/rebound-returns/rebound/pos"
)

func TestFaultDrop(t *testing.T) {
	t.Parallel()
	a, _ := simtest.NewAcquirer(t)
	c, lt := simtest.NewClient(t, a.Addr(), pos.ClientConfig{SendTimeout: simtest.ShortTimeout})
	a.SetFaults(acquirersim.Faults{Drop: 1})

	_, err := c.Send(context.Background(), simtest.RefundOf("000001", 1000))
	if !errors.Is(err, pos.ErrUnknown) || errors.Is(err, pos.ErrNotSent) {
		t.Fatalf("dropped: %v, want ErrUnknown", err)
	}
	if n := len(simtest.Entries(a, "refund")); n != 0 {
		t.Errorf("a dropped request was processed: %d refunds", n)
	}
	a.SetFaults(acquirersim.Faults{})
	// The host never saw it: "original not found".
	rv, err := c.Reverse(context.Background(), simtest.ReversalOf(simtest.RefundOf("000001", 1000), "000101", false))
	if err != nil || rv.ResponseCode != "25" {
		t.Fatalf("reversal of the dropped request: %+v, %v; want 25", rv, err)
	}
	if st := a.Stats(); st.Dropped != 1 || st.Requests != 1 || st.Reversals != 1 || st.Approved != 0 {
		t.Errorf("stats %+v", st)
	}
	if lt.Count() != 0 {
		t.Errorf("late responses for a dropped request: %d", lt.Count())
	}
}

func TestFaultClose(t *testing.T) {
	t.Parallel()
	a, _ := simtest.NewAcquirer(t)
	c, _ := simtest.NewClient(t, a.Addr(), pos.ClientConfig{SendTimeout: 5 * time.Second})
	a.SetFaults(acquirersim.Faults{Close: 1})

	start := time.Now()
	_, err := c.Send(context.Background(), simtest.RefundOf("000001", 1000))
	if !errors.Is(err, pos.ErrUnknown) {
		t.Fatalf("closed: %v, want ErrUnknown", err)
	}
	if time.Since(start) > 4*time.Second {
		t.Errorf("a lost connection was noticed only at the timeout")
	}
	if n := len(simtest.Entries(a, "refund")); n != 0 {
		t.Errorf("a request met by a closed connection was processed")
	}
	a.SetFaults(acquirersim.Faults{})
	simtest.Eventually(t, "the client to reconnect", c.Connected)
	var resp pos.Response
	simtest.Eventually(t, "a send after reconnecting", func() bool {
		resp, err = c.Send(context.Background(), simtest.RefundOf("000002", 1000))
		return err == nil
	})
	if !resp.Approved() {
		t.Errorf("after reconnecting: %+v", resp)
	}
	if st := a.Stats(); st.Closed != 1 {
		t.Errorf("stats %+v", st)
	}
}

func TestFaultDelay(t *testing.T) {
	t.Parallel()
	a, _ := simtest.NewAcquirer(t)
	c, lt := simtest.NewClient(t, a.Addr(), pos.ClientConfig{SendTimeout: simtest.ShortTimeout})
	a.SetFaults(acquirersim.Faults{Delay: 1, DelayBy: 3 * simtest.ShortTimeout})

	_, err := c.Send(context.Background(), simtest.RefundOf("000001", 1000))
	if !errors.Is(err, pos.ErrUnknown) {
		t.Fatalf("delayed past the timeout: %v, want ErrUnknown", err)
	}
	got := lt.Wait(t, 1)
	refunds := simtest.Entries(a, "refund")
	if len(refunds) != 1 {
		t.Fatalf("ledger: %d refunds, want 1", len(refunds))
	}
	if !got.Approved() || got.MTI != "0210" || got.STAN != "000001" || got.TerminalID != simtest.Virtual || got.RRN != refunds[0].RRN {
		t.Errorf("late response %+v, ledger %+v", got, refunds[0])
	}
	if st := a.Stats(); st.Delayed != 1 || st.Approved != 1 {
		t.Errorf("stats %+v", st)
	}
}

func TestFaultDuplicate(t *testing.T) {
	t.Parallel()
	a, _ := simtest.NewAcquirer(t)
	c, lt := simtest.NewClient(t, a.Addr(), pos.ClientConfig{})
	a.SetFaults(acquirersim.Faults{Duplicate: 1})

	resp := simtest.Send(t, c, simtest.VoidOf("000001", simtest.OpenSale.Amount))
	if !resp.Approved() {
		t.Fatalf("void: %+v", resp)
	}
	if extra := lt.Wait(t, 1); !simtest.SameResponse(extra, resp) {
		t.Errorf("the duplicate %+v differs from the answer %+v", extra, resp)
	}
	if n := len(simtest.Entries(a, "void")); n != 1 {
		t.Errorf("ledger: %d voids, want 1", n)
	}
	if st := a.Stats(); st.Duplicated != 1 || st.Approved != 1 {
		t.Errorf("stats %+v", st)
	}
}

func TestFaultApproveThenLose(t *testing.T) {
	t.Parallel()
	a, _ := simtest.NewAcquirer(t)
	c, lt := simtest.NewClient(t, a.Addr(), pos.ClientConfig{SendTimeout: simtest.ShortTimeout})
	a.SetFaults(acquirersim.Faults{ApproveThenLose: 1})

	void := simtest.VoidOf("000001", simtest.OpenSale.Amount)
	_, err := c.Send(context.Background(), void)
	if !errors.Is(err, pos.ErrUnknown) {
		t.Fatalf("lost approval: %v, want ErrUnknown", err)
	}
	voids := simtest.Entries(a, "void")
	if len(voids) != 1 || voids[0].Reversed {
		t.Fatalf("the acquirer approved it, yet its ledger: %+v", voids)
	}
	a.SetFaults(acquirersim.Faults{})
	rv, err := c.Reverse(context.Background(), simtest.ReversalOf(void, "000101", false))
	if err != nil || !rv.Approved() {
		t.Fatalf("reversal: %+v, %v", rv, err)
	}
	if voids := simtest.Entries(a, "void"); len(voids) != 1 || !voids[0].Reversed {
		t.Errorf("after the reversal: %+v", voids)
	}
	if r := simtest.Send(t, c, simtest.VoidOf("000002", simtest.OpenSale.Amount)); !r.Approved() {
		t.Errorf("the whole sale is voidable again, yet: %q", r.ResponseCode)
	}
	if st := a.Stats(); st.ApprovedThenLost != 1 || st.Approved != 2 {
		t.Errorf("stats %+v", st)
	}
	if lt.Count() != 0 {
		t.Errorf("a lost answer reached OnLate")
	}
}

// TestFaultsNotProcessed: 91 and 96 leave nothing behind, so the same
// message sent again is processed; a reversal answered 96 is repeated.
func TestFaultsNotProcessed(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		faults acquirersim.Faults
		code   string
		count  func(acquirersim.Stats) int
	}{
		{acquirersim.Faults{IssuerUnavailable: 1}, "91", func(s acquirersim.Stats) int { return s.IssuerUnavailable }},
		{acquirersim.Faults{SystemMalfunction: 1}, "96", func(s acquirersim.Stats) int { return s.SystemMalfunction }},
	} {
		a, _ := simtest.NewAcquirer(t)
		c1, _ := simtest.NewClient(t, a.Addr(), pos.ClientConfig{})
		a.SetFaults(c.faults)
		refund := simtest.RefundOf("000001", 1000)
		if r := simtest.Send(t, c1, refund); r.ResponseCode != c.code || r.ApprovalCode != "" {
			t.Errorf("%s: %+v", c.code, r)
		}
		if n := len(simtest.Entries(a, "refund")); n != 0 {
			t.Errorf("%s: %d refunds written", c.code, n)
		}
		a.SetFaults(acquirersim.Faults{})
		if r := simtest.Send(t, c1, refund); !r.Approved() {
			t.Errorf("%s: sent again without the fault: %q, want 00", c.code, r.ResponseCode)
		}
		a.SetFaults(c.faults)
		rv, err := c1.Reverse(context.Background(), simtest.ReversalOf(refund, "000101", false))
		if err != nil || rv.ResponseCode != c.code {
			t.Errorf("%s: reversal %+v, %v", c.code, rv, err)
		}
		if refunds := simtest.Entries(a, "refund"); len(refunds) != 1 || refunds[0].Reversed {
			t.Errorf("%s: a reversal answered %s reversed: %+v", c.code, c.code, refunds)
		}
		a.SetFaults(acquirersim.Faults{})
		if rv, err := c1.Reverse(context.Background(), simtest.ReversalOf(refund, "000101", true)); err != nil || !rv.Approved() {
			t.Errorf("%s: repeat %+v, %v", c.code, rv, err)
		}
		if refunds := simtest.Entries(a, "refund"); len(refunds) != 1 || !refunds[0].Reversed {
			t.Errorf("%s: after the repeat: %+v", c.code, refunds)
		}
		if st := a.Stats(); c.count(st) != 2 || st.Approved != 1 || st.Declined != 0 {
			t.Errorf("%s: stats %+v", c.code, st)
		}
	}
}

// TestFaultLateResponse: processed, answered 68; the caller reverses.
func TestFaultLateResponse(t *testing.T) {
	t.Parallel()
	a, _ := simtest.NewAcquirer(t)
	c, _ := simtest.NewClient(t, a.Addr(), pos.ClientConfig{})
	a.SetFaults(acquirersim.Faults{LateResponse: 1})
	refund := simtest.RefundOf("000001", 1000)
	r := simtest.Send(t, c, refund)
	if r.ResponseCode != "68" || r.Approved() || r.ApprovalCode != "" {
		t.Fatalf("late response: %+v", r)
	}
	refunds := simtest.Entries(a, "refund")
	if len(refunds) != 1 || refunds[0].Reversed {
		t.Fatalf("the refund was approved at the host, yet: %+v", refunds)
	}
	a.SetFaults(acquirersim.Faults{})
	// Its repeat is answered what was decided.
	if again := simtest.Send(t, c, refund); !again.Approved() || again.ApprovalCode != refunds[0].ApprovalCode {
		t.Errorf("repeat after 68: %+v", again)
	}
	if rv, err := c.Reverse(context.Background(), simtest.ReversalOf(refund, "000101", false)); err != nil || !rv.Approved() {
		t.Fatalf("reversal: %+v, %v", rv, err)
	}
	if refunds := simtest.Entries(a, "refund"); len(refunds) != 1 || !refunds[0].Reversed {
		t.Errorf("after the reversal: %+v", refunds)
	}
	// A reversal answered 68 was done: its repeat is acknowledged.
	refund2 := simtest.RefundOf("000002", 1000)
	simtest.Send(t, c, refund2)
	a.SetFaults(acquirersim.Faults{LateResponse: 1})
	if rv, err := c.Reverse(context.Background(), simtest.ReversalOf(refund2, "000102", false)); err != nil || rv.ResponseCode != "68" {
		t.Fatalf("reversal answered late: %+v, %v", rv, err)
	}
	a.SetFaults(acquirersim.Faults{})
	if rv, err := c.Reverse(context.Background(), simtest.ReversalOf(refund2, "000102", true)); err != nil || !rv.Approved() {
		t.Fatalf("its repeat: %+v, %v", rv, err)
	}
	if st := a.Stats(); st.LateResponses != 2 || st.Approved != 2 || st.Repeats != 2 {
		t.Errorf("stats %+v", st)
	}
}

// TestFaultDuplicateTransmission: a message the host sees twice is
// processed once and answered 94, its own answer lost; a repeat that draws
// it changes nothing and is answered 94 too; a 94 leaves the outcome
// unknown, and the reversal settles it.
func TestFaultDuplicateTransmission(t *testing.T) {
	t.Parallel()
	a, _ := simtest.NewAcquirer(t)
	c, lt := simtest.NewClient(t, a.Addr(), pos.ClientConfig{})
	a.SetFaults(acquirersim.Faults{DuplicateTransmission: 1})
	refund := simtest.RefundOf("000001", 1000)
	if r := simtest.Send(t, c, refund); r.ResponseCode != "94" || r.Approved() || r.ApprovalCode != "" {
		t.Fatalf("duplicate transmission: %+v, want 94", r)
	}
	refunds := simtest.Entries(a, "refund")
	if len(refunds) != 1 || refunds[0].Reversed {
		t.Fatalf("the first copy was not processed: %+v", refunds)
	}
	// The repeat is answered 94 again, and nothing more is paid.
	if r := simtest.Send(t, c, refund); r.ResponseCode != "94" {
		t.Fatalf("repeat: %+v, want 94", r)
	}
	if n := len(simtest.Entries(a, "refund")); n != 1 {
		t.Fatalf("a repeat answered 94 was processed again: %d refunds", n)
	}
	// A reversal seen twice is done once and answered 94; its repeat,
	// without the fault, is acknowledged.
	if rv, err := c.Reverse(context.Background(), simtest.ReversalOf(refund, "000101", false)); err != nil || rv.ResponseCode != "94" {
		t.Fatalf("reversal seen twice: %+v, %v; want 94", rv, err)
	}
	if refunds := simtest.Entries(a, "refund"); !refunds[0].Reversed {
		t.Fatalf("the reversal's first copy was not processed: %+v", refunds)
	}
	a.SetFaults(acquirersim.Faults{})
	if rv, err := c.Reverse(context.Background(), simtest.ReversalOf(refund, "000101", true)); err != nil || !rv.Approved() {
		t.Fatalf("its repeat: %+v, %v", rv, err)
	}
	if st := a.Stats(); st.DuplicateTransmission != 3 || st.Approved != 1 || st.Repeats != 2 {
		t.Errorf("stats %+v", st)
	}
	if lt.Count() != 0 {
		t.Errorf("late answers: %d", lt.Count())
	}
}

// TestForcedFaults: faults queued by Force are served first, in order, each
// to a message it applies to, whatever the probabilities; then the draw
// resumes.
func TestForcedFaults(t *testing.T) {
	t.Parallel()
	a, _ := simtest.NewAcquirer(t)
	c, _ := simtest.NewClient(t, a.Addr(), pos.ClientConfig{SendTimeout: simtest.ShortTimeout})
	if err := a.Force("no_such_fault"); err == nil {
		t.Fatal("an unknown fault was queued")
	}
	if err := a.Force("approve_after_reversal", "issuer_unavailable", "duplicate_transmission"); err != nil {
		t.Fatal(err)
	}
	// A reversal first: it cannot be held, so the 91 behind goes to it.
	first := simtest.RefundOf("000001", 1000)
	if rv, err := c.Reverse(context.Background(), simtest.ReversalOf(first, "000101", false)); err != nil || rv.ResponseCode != "91" {
		t.Fatalf("reversal: %+v, %v; want the forced 91", rv, err)
	}
	if _, err := c.Send(context.Background(), first); !errors.Is(err, pos.ErrUnknown) {
		t.Fatalf("a held 0200: %v, want ErrUnknown", err)
	}
	if r := simtest.Send(t, c, simtest.RefundOf("000002", 1000)); r.ResponseCode != "94" {
		t.Fatalf("third message: %+v, want the forced 94", r)
	}
	if q := a.Forced(); len(q) != 0 {
		t.Fatalf("still queued: %v", q)
	}
	if r := simtest.Send(t, c, simtest.RefundOf("000003", 1000)); !r.Approved() {
		t.Fatalf("after the queue: %+v", r)
	}
	if st := a.Stats(); st.ApprovedAfterReversal != 1 || st.IssuerUnavailable != 1 || st.DuplicateTransmission != 1 {
		t.Errorf("stats %+v", st)
	}
}

// TestStrandNext: the next 0200 is processed and its answer lost, and every
// reversal of it is dropped; other messages go as usual.
func TestStrandNext(t *testing.T) {
	t.Parallel()
	a, _ := simtest.NewAcquirer(t)
	c, _ := simtest.NewClient(t, a.Addr(), pos.ClientConfig{SendTimeout: simtest.ShortTimeout})
	a.StrandNext()
	stranded := simtest.RefundOf("000001", 1000)
	if _, err := c.Send(context.Background(), stranded); !errors.Is(err, pos.ErrUnknown) {
		t.Fatalf("stranded: %v, want ErrUnknown", err)
	}
	for i := range 3 {
		if _, err := c.Reverse(context.Background(), simtest.ReversalOf(stranded, "000101", i > 0)); !errors.Is(err, pos.ErrUnknown) {
			t.Fatalf("reversal %d of the stranded 0200: %v, want no answer", i, err)
		}
	}
	other := simtest.RefundOf("000002", 1000)
	if r := simtest.Send(t, c, other); !r.Approved() {
		t.Fatalf("the next 0200: %+v", r)
	}
	if rv, err := c.Reverse(context.Background(), simtest.ReversalOf(other, "000102", false)); err != nil || !rv.Approved() {
		t.Fatalf("its reversal: %+v, %v", rv, err)
	}
	refunds := simtest.Entries(a, "refund")
	if len(refunds) != 2 || refunds[0].STAN != "000001" || refunds[0].Reversed || !refunds[1].Reversed {
		t.Fatalf("ledger %+v: want the stranded refund standing, the other reversed", refunds)
	}
	if st := a.Stats(); st.Stranded != 1 || st.StrandedReversals != 3 || st.Dropped != 0 {
		t.Errorf("stats %+v", st)
	}
}

// TestFaultApproveAfterReversal, end to end through the client: the 0200
// is held, times out, its reversal is answered 25; then the 0200 is
// approved and its 0210 reaches OnLate; a repeat of the reversal reverses it.
func TestFaultApproveAfterReversal(t *testing.T) {
	t.Parallel()
	a, _ := simtest.NewAcquirer(t)
	c, lt := simtest.NewClient(t, a.Addr(), pos.ClientConfig{SendTimeout: 200 * time.Millisecond})
	a.SetFaults(acquirersim.Faults{ApproveAfterReversal: 1, DelayBy: 700 * time.Millisecond})
	refund := simtest.RefundOf("000001", 1000)
	if _, err := c.Send(context.Background(), refund); !errors.Is(err, pos.ErrUnknown) {
		t.Fatalf("held: %v, want ErrUnknown", err)
	}
	// The fault stays on: a reversal never draws it.
	rv, err := c.Reverse(context.Background(), simtest.ReversalOf(refund, "000101", false))
	if err != nil || rv.ResponseCode != "25" {
		t.Fatalf("reversal while the 0200 is held: %+v, %v; want 25", rv, err)
	}
	if n := len(simtest.Entries(a, "refund")); n != 0 {
		t.Fatalf("%d refunds before the hold ends", n)
	}
	late := lt.Wait(t, 1)
	if !late.Approved() || late.MTI != "0210" || late.STAN != "000001" || late.RRN != refund.RRN {
		t.Fatalf("the late 0210: %+v", late)
	}
	refunds := simtest.Entries(a, "refund")
	if len(refunds) != 1 || refunds[0].Reversed || refunds[0].ApprovalCode != late.ApprovalCode {
		t.Fatalf("after the hold: %+v", refunds)
	}
	rep, err := c.Reverse(context.Background(), simtest.ReversalOf(refund, "000101", true))
	if err != nil || !rep.Approved() {
		t.Fatalf("0401: %+v, %v", rep, err)
	}
	if refunds := simtest.Entries(a, "refund"); len(refunds) != 1 || !refunds[0].Reversed {
		t.Errorf("after the 0401: %+v", refunds)
	}
	if st := a.Stats(); st.ApprovedAfterReversal != 1 || st.Approved != 1 || st.Reversals != 2 {
		t.Errorf("stats %+v", st)
	}
}

// TestChaos sends refunds through every fault at once, strict-host ones
// included, and answers with fields Rebound does not use. It does what
// pos/PROFILE.md asks of the caller: 91 and 96 are retried as a new attempt, 68
// and unknown outcomes are reversed, and a reversal is repeated until
// acknowledged, or until the host has kept answering 25 for longer than it
// could hold the request. The ledger then holds exactly the approved
// refunds, each once, and everything else reversed or never processed.
func TestChaos(t *testing.T) {
	t.Parallel()
	a, _ := simtest.NewAcquirer(t)
	c, lt := simtest.NewClient(t, a.Addr(), pos.ClientConfig{SendTimeout: 200 * time.Millisecond})
	const delayBy = 400 * time.Millisecond
	a.SetFaults(acquirersim.Faults{Drop: 0.1, Delay: 0.1, Duplicate: 0.1, ApproveThenLose: 0.1, Close: 0.05,
		IssuerUnavailable: 0.05, SystemMalfunction: 0.05, LateResponse: 0.1, ApproveAfterReversal: 0.1,
		ExtraFields: true, DelayBy: delayBy})

	const n = 30
	var (
		mu       sync.Mutex
		approved = map[string]bool{} // RRNs
		unknown  int
		notFound int // reversals given up on: the host never had the request
		wg       sync.WaitGroup
	)
	// sendOnce sends until the message leaves (reconnecting after a Close
	// fault).
	sendOnce := func(req pos.Request) (pos.Response, error) {
		for {
			resp, err := c.Send(context.Background(), req)
			if !errors.Is(err, pos.ErrNotSent) {
				return resp, err
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	reverse := func(req pos.Request, stan, reason string, sent time.Time) {
		for try := 0; ; try++ {
			if try == 200 {
				t.Errorf("reversal of %s never acknowledged", req.STAN)
				return
			}
			rv := pos.Reversal{Request: req, STAN: stan, Repeat: try > 0, TransmittedAt: simtest.T0.Add(time.Minute), Reason: reason}
			resp, err := c.Reverse(context.Background(), rv)
			if err == nil && resp.Approved() {
				return
			}
			if err == nil && resp.ResponseCode == pos.CodeOriginalNotFound && time.Since(sent) > 3*delayBy {
				mu.Lock()
				notFound++
				mu.Unlock()
				return
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for attempt := 0; attempt < 10; attempt++ {
				req := simtest.RefundOf(fmt.Sprintf("%06d", i*10+attempt+1), 100)
				sent := time.Now()
				resp, err := sendOnce(req)
				reason := pos.ReasonNoAnswer
				switch {
				case err == nil && resp.Approved():
					if resp.Fields[44] == "" || resp.Fields[63] == "" {
						t.Errorf("refund %s: the extra fields were not read: %v", req.STAN, resp.Fields)
					}
					mu.Lock()
					approved[resp.RRN] = true
					mu.Unlock()
					return
				case err == nil && (resp.ResponseCode == pos.CodeIssuerUnavailable || resp.ResponseCode == pos.CodeSystemMalfunction):
					continue // not processed: a new attempt
				case err == nil && resp.ResponseCode != pos.CodeLateResponse:
					t.Errorf("refund %s declined %s", req.STAN, resp.ResponseCode)
					return
				case errors.Is(err, pos.ErrUnreadable):
					reason = pos.ReasonUnreadable
				}
				mu.Lock()
				unknown++
				mu.Unlock()
				reverse(req, fmt.Sprintf("%06d", 500000+i*10+attempt), reason, sent)
				return
			}
			t.Errorf("refund %d: ten attempts not processed", i)
		}()
	}
	wg.Wait()

	live := map[string]int{}
	for _, e := range simtest.Entries(a, "refund") {
		if !e.Reversed {
			live[e.RRN]++
		}
	}
	for rrn := range approved {
		if live[rrn] != 1 {
			t.Errorf("approved refund %s is in the ledger %d times", rrn, live[rrn])
		}
	}
	for rrn := range live {
		if !approved[rrn] {
			t.Errorf("refund %s stands in the ledger but was never approved to Rebound", rrn)
		}
	}
	st := a.Stats()
	if st.Dropped+st.Delayed+st.Duplicated+st.ApprovedThenLost+st.Closed+st.IssuerUnavailable+st.SystemMalfunction+
		st.LateResponses+st.ApprovedAfterReversal == 0 || unknown == 0 || st.ExtraFields == 0 {
		t.Errorf("no fault was injected: %+v", st)
	}
	t.Logf("approved %d, reversed %d (of which never received %d), late answers %d, stats %+v",
		len(approved), unknown, notFound, lt.Count(), st)
}
