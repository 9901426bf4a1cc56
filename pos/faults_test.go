package pos_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/rebound-returns/rebound/pos"
)

const shortTimeout = 500 * time.Millisecond

func TestFaultDrop(t *testing.T) {
	t.Parallel()
	a, _ := newAcquirer(t)
	c, lt := newClient(t, a.Addr(), pos.ClientConfig{SendTimeout: shortTimeout})
	a.SetFaults(pos.Faults{Drop: 1})

	_, err := c.Send(context.Background(), refundOf("000001", 1000))
	if !errors.Is(err, pos.ErrUnknown) || errors.Is(err, pos.ErrNotSent) {
		t.Fatalf("dropped: %v, want ErrUnknown", err)
	}
	if n := len(entries(a, "refund")); n != 0 {
		t.Errorf("a dropped request was processed: %d refunds", n)
	}
	a.SetFaults(pos.Faults{})
	rv, err := c.Reverse(context.Background(), pos.Reversal{Request: refundOf("000001", 1000), TransmittedAt: t0.Add(time.Minute)})
	if err != nil || !rv.Approved() {
		t.Fatalf("reversal of the dropped request: %+v, %v", rv, err)
	}
	if st := a.Stats(); st.Dropped != 1 || st.Requests != 1 || st.Reversals != 1 || st.Approved != 0 {
		t.Errorf("stats %+v", st)
	}
	if lt.count() != 0 {
		t.Errorf("late responses for a dropped request: %d", lt.count())
	}
}

func TestFaultClose(t *testing.T) {
	t.Parallel()
	a, _ := newAcquirer(t)
	c, _ := newClient(t, a.Addr(), pos.ClientConfig{SendTimeout: 5 * time.Second})
	a.SetFaults(pos.Faults{Close: 1})

	start := time.Now()
	_, err := c.Send(context.Background(), refundOf("000001", 1000))
	if !errors.Is(err, pos.ErrUnknown) {
		t.Fatalf("closed: %v, want ErrUnknown", err)
	}
	if time.Since(start) > 4*time.Second {
		t.Errorf("a lost connection was noticed only at the timeout")
	}
	if n := len(entries(a, "refund")); n != 0 {
		t.Errorf("a request met by a closed connection was processed")
	}
	a.SetFaults(pos.Faults{})
	eventually(t, "the client to reconnect", c.Connected)
	var resp pos.Response
	eventually(t, "a send after reconnecting", func() bool {
		resp, err = c.Send(context.Background(), refundOf("000002", 1000))
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
	a, _ := newAcquirer(t)
	c, lt := newClient(t, a.Addr(), pos.ClientConfig{SendTimeout: shortTimeout})
	a.SetFaults(pos.Faults{Delay: 1, DelayBy: 3 * shortTimeout})

	_, err := c.Send(context.Background(), refundOf("000001", 1000))
	if !errors.Is(err, pos.ErrUnknown) {
		t.Fatalf("delayed past the timeout: %v, want ErrUnknown", err)
	}
	got := lt.wait(t, 1)
	refunds := entries(a, "refund")
	if len(refunds) != 1 {
		t.Fatalf("ledger: %d refunds, want 1", len(refunds))
	}
	if !got.Approved() || got.MTI != "0210" || got.STAN != "000001" || got.TerminalID != virtual || got.RRN != refunds[0].RRN {
		t.Errorf("late response %+v, ledger %+v", got, refunds[0])
	}
	if st := a.Stats(); st.Delayed != 1 || st.Approved != 1 {
		t.Errorf("stats %+v", st)
	}
}

func TestFaultDuplicate(t *testing.T) {
	t.Parallel()
	a, _ := newAcquirer(t)
	c, lt := newClient(t, a.Addr(), pos.ClientConfig{})
	a.SetFaults(pos.Faults{Duplicate: 1})

	resp := send(t, c, voidOf("000001", 1000))
	if !resp.Approved() {
		t.Fatalf("void: %+v", resp)
	}
	if extra := lt.wait(t, 1); extra != resp {
		t.Errorf("the duplicate %+v differs from the answer %+v", extra, resp)
	}
	if n := len(entries(a, "void")); n != 1 {
		t.Errorf("ledger: %d voids, want 1", n)
	}
	if st := a.Stats(); st.Duplicated != 1 || st.Approved != 1 {
		t.Errorf("stats %+v", st)
	}
}

func TestFaultApproveThenLose(t *testing.T) {
	t.Parallel()
	a, _ := newAcquirer(t)
	c, lt := newClient(t, a.Addr(), pos.ClientConfig{SendTimeout: shortTimeout})
	a.SetFaults(pos.Faults{ApproveThenLose: 1})

	void := voidOf("000001", openSale.Amount)
	_, err := c.Send(context.Background(), void)
	if !errors.Is(err, pos.ErrUnknown) {
		t.Fatalf("lost approval: %v, want ErrUnknown", err)
	}
	voids := entries(a, "void")
	if len(voids) != 1 || voids[0].Reversed {
		t.Fatalf("the acquirer approved it, yet its ledger: %+v", voids)
	}
	a.SetFaults(pos.Faults{})
	rv, err := c.Reverse(context.Background(), pos.Reversal{Request: void, TransmittedAt: t0.Add(time.Minute)})
	if err != nil || !rv.Approved() {
		t.Fatalf("reversal: %+v, %v", rv, err)
	}
	if voids := entries(a, "void"); len(voids) != 1 || !voids[0].Reversed {
		t.Errorf("after the reversal: %+v", voids)
	}
	if r := send(t, c, voidOf("000002", openSale.Amount)); !r.Approved() {
		t.Errorf("the whole sale is voidable again, yet: %q", r.ResponseCode)
	}
	if st := a.Stats(); st.ApprovedThenLost != 1 || st.Approved != 2 {
		t.Errorf("stats %+v", st)
	}
	if lt.count() != 0 {
		t.Errorf("a lost answer reached OnLate")
	}
}

// TestChaos sends refunds through every fault at once, reversing each
// unknown outcome until acknowledged: the ledger then holds exactly the
// approved refunds, each once, and everything else reversed.
func TestChaos(t *testing.T) {
	t.Parallel()
	a, _ := newAcquirer(t)
	c, _ := newClient(t, a.Addr(), pos.ClientConfig{SendTimeout: 200 * time.Millisecond})
	a.SetFaults(pos.Faults{Drop: 0.2, Delay: 0.1, Duplicate: 0.1, ApproveThenLose: 0.1, Close: 0.05, DelayBy: 400 * time.Millisecond})

	const n = 30
	var (
		mu       sync.Mutex
		approved = map[string]bool{} // RRNs
		unknown  int
		wg       sync.WaitGroup
	)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			req := refundOf(fmt.Sprintf("%06d", i+1), 100)
			var resp pos.Response
			var err error
			for {
				resp, err = c.Send(context.Background(), req)
				if !errors.Is(err, pos.ErrNotSent) {
					break
				}
				time.Sleep(20 * time.Millisecond) // reconnecting after a Close fault
			}
			if err == nil {
				if !resp.Approved() {
					t.Errorf("refund %s declined %s", req.STAN, resp.ResponseCode)
					return
				}
				mu.Lock()
				approved[resp.RRN] = true
				mu.Unlock()
				return
			}
			mu.Lock()
			unknown++
			mu.Unlock()
			for try := 0; ; try++ {
				if try == 50 {
					t.Errorf("reversal of %s never acknowledged", req.STAN)
					return
				}
				rv, err := c.Reverse(context.Background(), pos.Reversal{Request: req, Repeat: try > 0, TransmittedAt: t0.Add(time.Minute)})
				if err == nil && rv.Approved() {
					return
				}
				time.Sleep(20 * time.Millisecond)
			}
		}()
	}
	wg.Wait()

	live := map[string]int{}
	for _, e := range entries(a, "refund") {
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
	if st.Dropped+st.Delayed+st.Duplicated+st.ApprovedThenLost+st.Closed == 0 || unknown == 0 {
		t.Errorf("no fault was injected: %+v", st)
	}
	t.Logf("approved %d, reversed %d, stats %+v", len(approved), unknown, st)
}
