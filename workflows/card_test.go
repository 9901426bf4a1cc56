package workflows_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"go.temporal.io/sdk/testsuite"

	"github.com/rebound-returns/rebound/acquirersim"
	"github.com/rebound-returns/rebound/activities"
	"github.com/rebound-returns/rebound/auth"
	"github.com/rebound-returns/rebound/contract"
	"github.com/rebound-returns/rebound/db"
	"github.com/rebound-returns/rebound/faultpoint"
	"github.com/rebound-returns/rebound/logging"
	"github.com/rebound-returns/rebound/pos"
	"github.com/rebound-returns/rebound/returns"
	"github.com/rebound-returns/rebound/workflows"
)

// The card refund tests run against the real acquirer simulator over TCP,
// with faults scripted per message.

const acquirerMerchant = "DEMO00000000001"

// scripted wraps the acquirer client: before each message it may set the
// simulator's faults, so a test says "lose the answer to the first send".
type scripted struct {
	inner  *pos.Client
	sim    *acquirersim.Acquirer
	mu     sync.Mutex
	calls  int
	script func(call int, reversal bool) acquirersim.Faults
}

func (s *scripted) before(reversal bool) {
	s.mu.Lock()
	s.calls++
	n := s.calls
	s.mu.Unlock()
	if s.script != nil {
		s.sim.SetFaults(s.script(n, reversal))
	}
}

func (s *scripted) Send(ctx context.Context, r pos.Request) (pos.Response, error) {
	s.before(false)
	return s.inner.Send(ctx, r)
}

func (s *scripted) Reverse(ctx context.Context, rv pos.Reversal) (pos.Response, error) {
	s.before(true)
	return s.inner.Reverse(ctx, rv)
}

// cardSide is what a card test looks at afterwards.
type cardSide struct {
	sim *acquirersim.Acquirer
}

// acquirerSide sets up the acquirer for a card-present order: terminals,
// the sale (unless noSale), a client with a short ISO timeout.
func acquirerSide(side *cardSide, script func(call int, reversal bool) acquirersim.Faults, adjust func(sim *acquirersim.Acquirer, sale *acquirersim.Sale)) func(*testing.T, *db.DB, *db.Merchant, *db.Order, *testsuite.TestWorkflowEnvironment, activities.Set) {
	return func(t *testing.T, d *db.DB, m *db.Merchant, o *db.Order, env *testsuite.TestWorkflowEnvironment, acts activities.Set) {
		ctx := context.Background()
		must(t, d.Exec(ctx, "UPDATE merchants SET acquirer_merchant_id = ? WHERE id = ?", acquirerMerchant, m.ID))
		sim := acquirersim.New(acquirersim.Config{Now: env.Now, Logger: slog.New(slog.DiscardHandler)})
		must(t, sim.Start("127.0.0.1:0"))
		t.Cleanup(func() { _ = sim.Close() })
		sim.AddTerminal("T0000001", acquirerMerchant)
		sim.AddTerminal("R0000001", acquirerMerchant)
		p := o.Payment
		sale := acquirersim.Sale{TerminalID: p.TerminalID, MerchantID: acquirerMerchant, STAN: p.STAN, RRN: p.RRN, ApprovalCode: p.ApprovalCode,
			MaskedPAN: p.MaskedPAN, Currency: p.Currency, Amount: p.Amount, At: o.PlacedAt}
		if adjust != nil {
			adjust(sim, &sale)
		}
		if sale.Amount > 0 {
			must(t, sim.AddSale(sale))
		}
		client, err := pos.NewClient(pos.ClientConfig{Addr: sim.Addr(), SendTimeout: 300 * time.Millisecond,
			OnLate: activities.LateResponses{DB: d}.Record, Logger: slog.New(slog.DiscardHandler)})
		must(t, err)
		cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		must(t, client.Connect(cctx))
		t.Cleanup(func() { _ = client.Close() })
		acts.Cards.POS = &scripted{inner: client, sim: sim, script: script}
		side.sim = sim
	}
}

// cardReturn runs an in-store card return to refund_pending and then the
// counter procedure; more(f) adds steps after it.
func cardReturn(t *testing.T, o options, more func(f *fixture)) (*fixture, *cardSide) {
	t.Helper()
	side := &cardSide{}
	if o.method == "" {
		o.method = returns.MethodInStore
	}
	o.channel = returns.ChannelCardPresent
	if o.card == nil {
		o.card = acquirerSide(side, nil, nil)
	}
	f := newFixture(t, o)
	f.at(minute, func() { f.update(contract.UpdateVerify, verify, nil, nil) })
	if f.in.Method == returns.MethodInStore {
		f.at(hour, func() { f.update(contract.UpdateReceive, contract.ReceiveRequest{Actor: clerk}, nil, nil) })
	} else {
		f.at(hour, func() { f.carrier("d1", contract.CarrierDelivered) })
	}
	f.at(2*hour, func() { f.update(contract.UpdateInspect, allNew, nil, nil) })
	if f.in.Method == returns.MethodInStore {
		f.at(3*hour, func() {
			f.update(contract.UpdateCounterRefund, contract.CounterRefundRequest{Actor: clerk, AuthorisedBy: "sup", TerminalID: "T0000001"}, nil, nil)
		})
	}
	if more != nil {
		more(f)
	}
	return f, side
}

// stopAt ends the test at d (the return waits for settlement or finance).
func (f *fixture) stopAt(d time.Duration) { f.at(d, func() { f.env.CancelWorkflow() }) }

func (f *fixture) attempts() []db.RefundAttempt {
	f.t.Helper()
	refunds, err := f.db.Refunds.RefundsOfReturn(context.Background(), f.in.ReturnID)
	must(f.t, err)
	if len(refunds) != 1 {
		f.t.Fatalf("%d refunds; want 1", len(refunds))
	}
	as, err := f.db.Refunds.AttemptsOfRefund(context.Background(), refunds[0].ID)
	must(f.t, err)
	return as
}

func (f *fixture) refund() db.Refund {
	f.t.Helper()
	refunds, err := f.db.Refunds.RefundsOfReturn(context.Background(), f.in.ReturnID)
	must(f.t, err)
	return refunds[0]
}

// live are the ledger's voids and refunds that stand (not reversed).
func live(sim *acquirersim.Acquirer) []acquirersim.Entry {
	var out []acquirersim.Entry
	for _, e := range sim.Ledger() {
		if e.Kind != "sale" && !e.Reversed {
			out = append(out, e)
		}
	}
	return out
}

func TestCounterRefundOfASettledSaleIsARefund(t *testing.T) {
	t.Parallel()
	f, side := cardReturn(t, options{}, func(f *fixture) { f.at(4*hour, func() { f.env.SignalWorkflow(contract.SignalSettled, nil) }) })
	res := f.run()
	if res.Status != returns.Closed || res.RefundAmount != 4999 {
		t.Fatalf("result %+v", res)
	}
	as := f.attempts()
	if len(as) != 1 || as[0].Kind != returns.AttemptRefund || as[0].State != returns.AttemptApproved || as[0].TerminalID != "R0000001" ||
		as[0].STAN != "000001" || as[0].RRN == "" || as[0].ApprovalCode == "" || as[0].ResponseCode != "00" {
		t.Fatalf("attempts %+v", as)
	}
	if r := f.refund(); r.Status != returns.RefundStatusSucceeded || r.AuthorisedBy != "sup" {
		t.Fatalf("refund %+v", r)
	}
	l := live(side.sim)
	if len(l) != 1 || l[0].Kind != "refund" || l[0].Amount != 4999 || l[0].STAN != "000001" || l[0].RRN != as[0].RRN || l[0].OriginalRRN != "633000000101" {
		t.Fatalf("ledger %+v", l)
	}
}

func TestSaleStillInItsBatchIsVoided(t *testing.T) {
	t.Parallel()
	// The shoes were the whole sale: returning them voids it, from the
	// sale's own terminal.
	side := &cardSide{}
	f, _ := cardReturn(t, options{placedAt: start.Add(-time.Hour), paid: 4999, card: voidsFromTheSaleTerminal(side, nil)}, nil)
	f.stopAt(5 * hour)
	f.env.ExecuteWorkflow(workflows.ReturnWorkflow, f.in)
	as := f.attempts()
	if len(as) != 1 || as[0].Kind != returns.AttemptVoid || as[0].State != returns.AttemptApproved || as[0].TerminalID != "T0000001" ||
		as[0].STAN < fmt.Sprint(db.PhysicalSTANFrom) {
		t.Fatalf("attempts %+v", as)
	}
	if l := live(side.sim); len(l) != 1 || l[0].Kind != "void" || l[0].OriginalSTAN != "000101" || l[0].TerminalID != "T0000001" {
		t.Fatalf("ledger %+v", l)
	}
	if s := f.readModel().Status; s != "awaiting_settlement" {
		t.Fatalf("status %s", s)
	}
}

// voidsFromTheSaleTerminal is acquirerSide for a host that takes voids
// only from the sale's own terminal (the strict default), with Rebound
// configured so.
func voidsFromTheSaleTerminal(side *cardSide, adjust func(sim *acquirersim.Acquirer, sale *acquirersim.Sale)) func(*testing.T, *db.DB, *db.Merchant, *db.Order, *testsuite.TestWorkflowEnvironment, activities.Set) {
	inner := acquirerSide(side, nil, adjust)
	return func(t *testing.T, d *db.DB, m *db.Merchant, o *db.Order, env *testsuite.TestWorkflowEnvironment, acts activities.Set) {
		inner(t, d, m, o, env, acts)
		acts.Cards.Card.VoidFromSaleTerminal = true
	}
}

// A part of a sale is refunded, even while its batch is open: hosts void
// only whole sales.
func TestPartOfASaleInItsBatchIsRefunded(t *testing.T) {
	t.Parallel()
	side := &cardSide{}
	f, _ := cardReturn(t, options{placedAt: start.Add(-time.Hour), card: acquirerSide(side, nil, nil)}, nil)
	f.stopAt(5 * hour)
	f.env.ExecuteWorkflow(workflows.ReturnWorkflow, f.in)
	as := f.attempts()
	if len(as) != 1 || as[0].Kind != returns.AttemptRefund || as[0].State != returns.AttemptApproved || as[0].TerminalID != "R0000001" {
		t.Fatalf("attempts %+v", as)
	}
	if l := live(side.sim); len(l) != 1 || l[0].Kind != "refund" || l[0].OriginalSTAN != "000101" {
		t.Fatalf("ledger %+v", l)
	}
}

// A void the acquirer refuses because the sale's batch has closed is paid
// as a refund at once, without finance.
func TestAVoidRefusedBecauseItsBatchClosedIsPaidAsARefund(t *testing.T) {
	t.Parallel()
	side := &cardSide{}
	closeTheBatch := func(sim *acquirersim.Acquirer, s *acquirersim.Sale) {
		_ = sim.AddSale(*s)
		s.Amount = 0
		sim.CutOff()
	}
	f, _ := cardReturn(t, options{placedAt: start.Add(-time.Hour), paid: 4999, card: voidsFromTheSaleTerminal(side, closeTheBatch)}, nil)
	f.stopAt(5 * hour)
	f.env.ExecuteWorkflow(workflows.ReturnWorkflow, f.in)
	as := f.attempts()
	if len(as) != 2 || as[0].Kind != returns.AttemptVoid || as[0].State != returns.AttemptDeclined || as[0].ResponseCode != "12" ||
		as[1].Kind != returns.AttemptRefund || as[1].State != returns.AttemptApproved {
		t.Fatalf("attempts %+v; want the void declined 12, then a refund approved", as)
	}
	if s := f.readModel().Status; s != "awaiting_settlement" {
		t.Fatalf("status %s", s)
	}
	if l := live(side.sim); len(l) != 1 || l[0].Kind != "refund" || l[0].Amount != 4999 {
		t.Fatalf("ledger %+v", l)
	}
	items, err := allWorkItems(f.db, f.merchant.ID, true)
	must(t, err)
	if len(items) != 0 {
		t.Fatalf("work items %+v; want none", items)
	}
}

func TestDeclinesKeepTheirCodeAndReachFinance(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name     string
		placedAt time.Time
		adjust   func(sim *acquirersim.Acquirer, sale *acquirersim.Sale)
		code     string
	}{
		{"13 more than is refundable", time.Time{}, func(_ *acquirersim.Acquirer, s *acquirersim.Sale) { s.Amount = 1000 }, "13"},
		{"25 original unknown", time.Time{}, func(_ *acquirersim.Acquirer, s *acquirersim.Sale) { s.Amount = 0 }, "25"},
		{"58 terminal not the merchant's", time.Time{}, func(sim *acquirersim.Acquirer, _ *acquirersim.Sale) { sim.AddTerminal("R0000001", "SOMEONEELSE0001") }, "58"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			side := &cardSide{}
			f, _ := cardReturn(t, options{placedAt: tc.placedAt, card: acquirerSide(side, nil, tc.adjust)}, nil)
			f.stopAt(5 * hour)
			f.env.ExecuteWorkflow(workflows.ReturnWorkflow, f.in)
			as := f.attempts()
			if len(as) != 1 || as[0].State != returns.AttemptDeclined || as[0].ResponseCode != tc.code {
				t.Fatalf("attempts %+v; want one declined with %s", as, tc.code)
			}
			r := f.readModel()
			if r.Status != "refund_failed" || r.StatusReason != tc.code {
				t.Fatalf("return %s (%q)", r.Status, r.StatusReason)
			}
			items, err := allWorkItems(f.db, f.merchant.ID, true)
			must(t, err)
			if len(items) != 1 || items[0].Kind != "refund_failed" {
				t.Fatalf("work items %+v", items)
			}
			if len(live(side.sim)) != 0 {
				t.Fatal("a declined refund is in the ledger")
			}
		})
	}
}

func TestUnknownOutcomeIsReversedBeforeANewAttempt(t *testing.T) {
	t.Parallel()
	side := &cardSide{}
	lose := func(call int, reversal bool) acquirersim.Faults {
		if call == 1 {
			return acquirersim.Faults{ApproveThenLose: 1} // approved at the acquirer, answer lost
		}
		return acquirersim.Faults{}
	}
	f, _ := cardReturn(t, options{card: acquirerSide(side, lose, nil)}, nil)
	f.stopAt(5 * hour)
	f.env.ExecuteWorkflow(workflows.ReturnWorkflow, f.in)
	as := f.attempts()
	if len(as) != 2 || as[0].State != returns.AttemptReversed || as[0].ReversalTries != 1 || as[1].State != returns.AttemptApproved || as[0].STAN == as[1].STAN {
		t.Fatalf("attempts %+v; want the first reversed, a second approved with a new STAN", as)
	}
	l := live(side.sim)
	if len(l) != 1 || l[0].STAN != as[1].STAN {
		t.Fatalf("ledger %+v; want exactly the second attempt", l)
	}
	if st := side.sim.Stats(); st.ApprovedThenLost != 1 || st.Reversals != 1 {
		t.Fatalf("stats %+v", st)
	}
}

func TestReversalIsRepeatedUntilAcknowledged(t *testing.T) {
	t.Parallel()
	side := &cardSide{}
	faults := func(call int, reversal bool) acquirersim.Faults {
		switch {
		case call == 1: // approved at the acquirer, the answer lost
			return acquirersim.Faults{ApproveThenLose: 1}
		case call <= 3: // the first two reversals get no answer
			return acquirersim.Faults{Drop: 1}
		}
		return acquirersim.Faults{}
	}
	f, _ := cardReturn(t, options{card: acquirerSide(side, faults, nil)}, nil)
	f.stopAt(5 * hour)
	f.env.ExecuteWorkflow(workflows.ReturnWorkflow, f.in)
	as := f.attempts()
	if len(as) != 2 || as[0].State != returns.AttemptReversed || as[0].ReversalTries != 3 || as[0].ReversalCode != "00" ||
		as[0].ReversalSTAN == "" || as[0].ReversalSTAN == as[0].STAN || as[1].State != returns.AttemptApproved {
		t.Fatalf("attempts %+v", as)
	}
	if st := side.sim.Stats(); st.Reversals != 3 || st.Dropped != 2 {
		t.Fatalf("stats %+v; want three reversals (0400, 0401, 0401) with their own STAN, two dropped", st)
	}
	if l := live(side.sim); len(l) != 1 || l[0].STAN != as[1].STAN {
		t.Fatalf("ledger %+v; want exactly the second attempt", l)
	}
}

// A 25 to a reversal (no such message) is believed only once the original
// has had its time to arrive; only then may a new attempt go.
func TestAReversalAnswered25WaitsForTheOriginalsFate(t *testing.T) {
	t.Parallel()
	side := &cardSide{}
	dropFirst := func(call int, reversal bool) acquirersim.Faults {
		if call == 1 {
			return acquirersim.Faults{Drop: 1} // the send never reached the host
		}
		return acquirersim.Faults{}
	}
	f, _ := cardReturn(t, options{card: acquirerSide(side, dropFirst, nil)}, nil)
	f.stopAt(5 * hour)
	f.env.ExecuteWorkflow(workflows.ReturnWorkflow, f.in)
	as := f.attempts()
	if len(as) != 2 || as[0].State != returns.AttemptReversed || as[0].ReversalCode != "25" || as[0].ReversalTries != 2 || as[1].State != returns.AttemptApproved {
		t.Fatalf("attempts %+v; want the first reversed after two 25s, a second approved", as)
	}
	if waited := as[1].CreatedAt.Sub(*as[0].ReversalAt); waited < activities.DefaultFateWait {
		t.Fatalf("the second attempt went %s after the first 25; want at least %s", waited, activities.DefaultFateWait)
	}
	if l := live(side.sim); len(l) != 1 || l[0].STAN != as[1].STAN {
		t.Fatalf("ledger %+v", l)
	}
}

func TestReversalNeverAcknowledgedIsEscalatedAndBlocksRetry(t *testing.T) {
	t.Parallel()
	side := &cardSide{}
	var retry error
	f, _ := cardReturn(t, options{card: acquirerSide(side, func(int, bool) acquirersim.Faults { return acquirersim.Faults{Drop: 1} }, nil)}, func(f *fixture) {
		f.at(10*hour, func() {
			f.update(contract.UpdateRefundResolution, contract.RefundResolutionRequest{Action: contract.ResolveRetry, Note: "try again", Actor: staff}, nil, &retry)
		})
	})
	f.stopAt(11 * hour)
	f.env.ExecuteWorkflow(workflows.ReturnWorkflow, f.in)
	as := f.attempts()
	if len(as) != 1 || as[0].State != returns.AttemptEscalated || as[0].ReversalTries != 6 {
		t.Fatalf("attempts %+v", as)
	}
	if r := f.readModel(); r.Status != "refund_failed" || r.StatusReason != contract.FailReversalUnconfirmed {
		t.Fatalf("return %s %q", r.Status, r.StatusReason)
	}
	items, err := allWorkItems(f.db, f.merchant.ID, true)
	must(t, err)
	kinds := map[string]bool{}
	for _, w := range items {
		kinds[w.Kind] = true
	}
	if !kinds["reversal_unacknowledged"] || !kinds["refund_failed"] {
		t.Fatalf("work items %+v", items)
	}
	if !isAppError(retry, contract.ErrInvalidState) || !strings.Contains(retry.Error(), "escalated") {
		t.Fatalf("retry while escalated: %v; want refused", retry)
	}
}

// An approval that comes after its reversal was acknowledged is noted on
// the attempt, which stays reversed, and becomes a finance work item: the
// acquirer may hold a live refund beside the one that paid.
func TestLateApprovalAfterTheReversalOpensAWorkItem(t *testing.T) {
	t.Parallel()
	side := &cardSide{}
	late := func(call int, reversal bool) acquirersim.Faults {
		if call == 1 {
			return acquirersim.Faults{Delay: 1, DelayBy: time.Second} // past the 300ms timeout
		}
		return acquirersim.Faults{}
	}
	f, _ := cardReturn(t, options{card: acquirerSide(side, late, nil)}, nil)
	f.stopAt(5 * hour)
	f.env.ExecuteWorkflow(workflows.ReturnWorkflow, f.in)
	deadline := time.Now().Add(5 * time.Second)
	var as []db.RefundAttempt
	for time.Now().Before(deadline) {
		as = f.attempts()
		if as[0].LateResponseCode != "" {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if len(as) != 2 || as[0].State != returns.AttemptReversed || as[0].LateResponseCode != "00" || as[0].LateAt == nil || as[1].State != returns.AttemptApproved {
		t.Fatalf("attempts %+v; want the late approval noted on the reversed first attempt", as)
	}
	// The work item follows the note on the attempt.
	var items []db.WorkItem
	for deadline := time.Now().Add(5 * time.Second); len(items) == 0 && time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		var err error
		items, err = allWorkItems(f.db, f.merchant.ID, true)
		must(t, err)
	}
	if len(items) != 1 || items[0].Kind != "late_approval" || items[0].AttemptID == nil || *items[0].AttemptID != as[0].ID ||
		!strings.Contains(items[0].Summary, as[0].STAN) {
		t.Fatalf("open work items %+v; want one late_approval about the reversed attempt", items)
	}
	if l := live(side.sim); len(l) != 1 || l[0].STAN != as[1].STAN {
		t.Fatalf("ledger %+v", l)
	}
}

func TestDuplicateAnswerChangesNothing(t *testing.T) {
	t.Parallel()
	side := &cardSide{}
	twice := func(call int, reversal bool) acquirersim.Faults {
		if call == 1 {
			return acquirersim.Faults{Duplicate: 1}
		}
		return acquirersim.Faults{}
	}
	f, _ := cardReturn(t, options{card: acquirerSide(side, twice, nil)}, nil)
	f.stopAt(5 * hour)
	f.env.ExecuteWorkflow(workflows.ReturnWorkflow, f.in)
	as := f.attempts()
	if len(as) != 1 || as[0].State != returns.AttemptApproved {
		t.Fatalf("attempts %+v", as)
	}
	if l := live(side.sim); len(l) != 1 || side.sim.Stats().Duplicated != 1 {
		t.Fatalf("ledger %+v, stats %+v", l, side.sim.Stats())
	}
}

func TestRemoteCardRefundNeedsApprovalAboveTheThreshold(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name     string
		limit    int64
		decision string
		want     string
	}{
		{"under the threshold goes at once", 10000, "", "awaiting_settlement"},
		{"above it waits and is approved", 1000, contract.DecisionApprove, "awaiting_settlement"},
		{"above it and declined", 1000, contract.DecisionDecline, "refund_failed"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f, side := cardReturn(t, options{method: returns.MethodShip, policy: func(p *returns.Policy) { p.RemoteRefundApprovalLimit = tc.limit }}, func(f *fixture) {
				f.at(3*hour, func() {
					if tc.decision != "" {
						if f.status() != returns.RefundPending {
							t.Errorf("status %s before approval", f.status())
						}
						f.update(contract.UpdateRefundApproval, contract.RefundApprovalRequest{Decision: tc.decision, Note: "checked", Actor: staff}, nil, nil)
					} else if s := f.readModel().Status; s == "refund_pending" {
						t.Errorf("under the threshold the refund waited: %s", s)
					}
				})
			})
			f.stopAt(5 * hour)
			f.env.ExecuteWorkflow(workflows.ReturnWorkflow, f.in)
			if s := f.readModel().Status; s != tc.want {
				t.Fatalf("status %s; want %s", s, tc.want)
			}
			wantLive := 1
			if tc.want == "refund_failed" {
				wantLive = 0
			}
			if n := len(live(side.sim)); n != wantLive {
				t.Fatalf("%d live refunds; want %d", n, wantLive)
			}
		})
	}
}

func TestFinanceResolvesAFailedRefund(t *testing.T) {
	t.Parallel()
	for _, action := range []string{contract.ResolveRetry, contract.ResolveMarkRefunded, contract.ResolveStoreCredit} {
		t.Run(action, func(t *testing.T) {
			t.Parallel()
			side := &cardSide{}
			// The sale is unknown at first (25); a retry finds it.
			f, _ := cardReturn(t, options{card: acquirerSide(side, nil, func(_ *acquirersim.Acquirer, s *acquirersim.Sale) { s.Amount = 0 })}, func(f *fixture) {
				f.at(5*hour, func() {
					if action == contract.ResolveRetry {
						p := f.in.Order
						must(t, side.sim.AddSale(acquirersim.Sale{TerminalID: "T0000001", MerchantID: acquirerMerchant, STAN: "000101", RRN: "633000000101",
							ApprovalCode: "A1B2C3", MaskedPAN: "411111******1111", Currency: "EUR", Amount: p.Paid, At: p.PlacedAt}))
					}
					f.update(contract.UpdateRefundResolution, contract.RefundResolutionRequest{Action: action, Note: "customer called", Actor: staff}, nil, nil)
				})
				f.at(6*hour, func() { f.env.SignalWorkflow(contract.SignalSettled, nil) })
			})
			res := f.run()
			if res.Status != returns.Closed {
				t.Fatalf("status %s", res.Status)
			}
			credit, err := f.db.Credits.StoreCreditBalance(context.Background(), f.merchant.ID, shopper)
			must(t, err)
			switch action {
			case contract.ResolveRetry:
				as := f.attempts()
				if len(as) != 2 || as[0].ResponseCode != "25" || as[1].State != returns.AttemptApproved || len(live(side.sim)) != 1 {
					t.Fatalf("attempts %+v", as)
				}
			case contract.ResolveMarkRefunded:
				if r := f.refund(); r.Status != returns.RefundStatusSucceeded || r.FailureCode != "marked_refunded" {
					t.Fatalf("refund %+v", r)
				}
			case contract.ResolveStoreCredit:
				msgs := f.sent.to(shopper)
				last := msgs[len(msgs)-1]
				if credit != 4999 || !strings.Contains(last.Text, "credit code is RBC-") {
					t.Fatalf("credit %d, last message %q", credit, last.Text)
				}
				// The code e-mailed names the credit, whose ledger holds its issue.
				code := regexp.MustCompile(`RBC-[A-Z0-9-]{14}`).FindString(last.Text)
				c, err := f.db.Credits.CreditByCode(context.Background(), auth.HashCreditCode(code))
				must(t, err)
				es, err := f.db.Credits.CreditHistory(context.Background(), c.ID)
				must(t, err)
				if c.Balance != 4999 || len(es) != 1 || es[0].Kind != returns.CreditIssued || es[0].Amount != 4999 || es[0].ReturnID == nil {
					t.Fatalf("credit %+v, entries %+v", c, es)
				}
			}
			if action != contract.ResolveStoreCredit && credit != 0 {
				t.Fatalf("store credit %d", credit)
			}
		})
	}
}

// While the acquirer cannot be reached at all, the reversal is repeated
// with back-off for the worker's patience (hours, not minutes): reversals
// that never left are no tries. An outage shorter than that ends with the
// attempt reversed and the refund paid by a new attempt.
func TestAnAcquirerOutageDoesNotEscalateAReversal(t *testing.T) {
	t.Parallel()
	side := &cardSide{}
	var mu sync.Mutex
	outage := 0
	faults := func(call int, reversal bool) acquirersim.Faults {
		if call == 1 {
			return acquirersim.Faults{ApproveThenLose: 1}
		}
		return acquirersim.Faults{}
	}
	f, _ := cardReturn(t, options{card: acquirerSide(side, faults, nil)}, nil)
	acts := f.acts.Cards
	log := &lockedLog{}
	acts.Logger = logging.New(log, "json", slog.LevelInfo)
	acts.Metrics = activities.NewMetrics(nil)
	inner := acts.POS
	acts.POS = outageFor(inner, func() bool {
		// The first 20 reversals find the acquirer unreachable.
		mu.Lock()
		defer mu.Unlock()
		outage++
		return outage <= 20
	})
	f.stopAt(12 * hour)
	f.env.ExecuteWorkflow(workflows.ReturnWorkflow, f.in)
	as := f.attempts()
	if len(as) != 2 || as[0].State != returns.AttemptReversed || as[0].ReversalTries != 1 || as[1].State != returns.AttemptApproved {
		t.Fatalf("attempts %+v; want the first reversed once it left, then a second approved", as)
	}
	items, err := allWorkItems(f.db, f.merchant.ID, false)
	must(t, err)
	if len(items) != 1 || items[0].Kind != "acquirer_unreachable" || items[0].Status != db.WorkResolved {
		t.Fatalf("work items %+v; want one about the outage, resolved when the reversal went through", items)
	}
	if l := live(side.sim); len(l) != 1 || l[0].STAN != as[1].STAN {
		t.Fatalf("ledger %+v", l)
	}
	// Each reversal that could not leave said so at WARN and was counted.
	if n := testutil.ToFloat64(acts.Metrics.ReversalsNotSent); n != 20 {
		t.Errorf("reversals not sent counted %v; want 20", n)
	}
	warned := 0
	for _, line := range log.lines(t) {
		if line["msg"] == "reversal not sent: the acquirer is unreachable" {
			if line["level"] != "WARN" || line["attempt_id"] != as[0].ID || line["stan"] != as[0].STAN || line["reversal_stan"] != as[0].ReversalSTAN {
				t.Errorf("log line %v; want a WARN naming the attempt and its STANs", line)
			}
			warned++
		}
	}
	if warned != 20 {
		t.Errorf("%d WARN lines about the unreachable acquirer; want 20", warned)
	}
}

// lockedLog keeps what a logger writes, from any goroutine.
type lockedLog struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *lockedLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

// lines are the JSON log lines written so far.
func (l *lockedLog) lines(t *testing.T) []map[string]any {
	t.Helper()
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []map[string]any
	for _, raw := range bytes.Split(bytes.TrimSpace(l.buf.Bytes()), []byte("\n")) {
		var line map[string]any
		if err := json.Unmarshal(raw, &line); err != nil {
			t.Fatalf("log line %q: %v", raw, err)
		}
		out = append(out, line)
	}
	return out
}

// An outage longer than the patience escalates the attempt to finance; the
// refund is blocked until finance ends it with evidence. Confirmed
// approved, the attempt is the refund: the return goes on to settlement and
// nothing is sent again.
func TestAnEscalatedAttemptEndsWithFinancesEvidence(t *testing.T) {
	t.Parallel()
	side := &cardSide{}
	faults := func(call int, reversal bool) acquirersim.Faults {
		if call == 1 {
			return acquirersim.Faults{ApproveThenLose: 1}
		}
		return acquirersim.Faults{}
	}
	var blocked, retried error
	var escalated db.RefundAttempt
	f, _ := cardReturn(t, options{card: acquirerSide(side, faults, nil)}, func(f *fixture) {
		f.at(10*hour, func() {
			f.update(contract.UpdateRefundResolution, contract.RefundResolutionRequest{Action: contract.ResolveRetry, Note: "again", Actor: staff}, nil, &blocked)
		})
		f.at(11*hour, func() {
			escalated = f.attempts()[0]
			moved, err := f.db.Refunds.ResolveAttempt(context.Background(), escalated.ID, db.Evidence{State: db.AttemptConfirmedApproved, By: "fin",
				Note: "the acquirer's portal shows it approved", At: f.env.Now()})
			if err != nil || !moved {
				t.Errorf("resolve: %v, %v", moved, err)
			}
			f.update(contract.UpdateRefundResolution, contract.RefundResolutionRequest{Action: contract.ResolveRetry, Note: "confirmed", Actor: staff}, nil, &retried)
		})
	})
	f.acts.Cards.POS = outageFor(f.acts.Cards.POS, func() bool { return true })
	f.stopAt(12 * hour)
	f.env.ExecuteWorkflow(workflows.ReturnWorkflow, f.in)
	if escalated.State != returns.AttemptEscalated || escalated.ReversalTries != 0 || escalated.UnreachableSince == nil {
		t.Fatalf("before finance: %+v; want escalated after the patience, no reversal sent", escalated)
	}
	if !isAppError(blocked, contract.ErrInvalidState) {
		t.Fatalf("retry while escalated: %v; want refused", blocked)
	}
	if retried != nil {
		t.Fatalf("retry after the evidence: %v", retried)
	}
	as := f.attempts()
	if len(as) != 1 || as[0].State != db.AttemptConfirmedApproved {
		t.Fatalf("attempts %+v; want the one attempt, confirmed approved, and no other", as)
	}
	if r := f.readModel(); r.Status != "awaiting_settlement" {
		t.Fatalf("return %s", r.Status)
	}
	if ref := f.refund(); ref.Status != returns.RefundStatusSucceeded {
		t.Fatalf("refund %+v", ref)
	}
	if l := live(side.sim); len(l) != 1 || l[0].STAN != as[0].STAN {
		t.Fatalf("ledger %+v", l)
	}
}

// outageFor makes reversals fail as if the acquirer were unreachable while
// down() says so (the message never leaves); sends go through.
func outageFor(inner activities.Acquirer, down func() bool) activities.Acquirer {
	return &outage{inner: inner, down: down, sendDown: func() bool { return false }}
}

// sendOutageFor does the same to sends.
func sendOutageFor(inner activities.Acquirer, down func() bool) activities.Acquirer {
	return &outage{inner: inner, down: func() bool { return false }, sendDown: down}
}

type outage struct {
	inner          activities.Acquirer
	down, sendDown func() bool
}

func (o *outage) Send(ctx context.Context, r pos.Request) (pos.Response, error) {
	if o.sendDown() {
		return pos.Response{}, fmt.Errorf("%w: not connected to the acquirer", pos.ErrNotSent)
	}
	return o.inner.Send(ctx, r)
}

func (o *outage) Reverse(ctx context.Context, rv pos.Reversal) (pos.Response, error) {
	if o.down() {
		return pos.Response{}, fmt.Errorf("%w: not connected to the acquirer", pos.ErrNotSent)
	}
	return o.inner.Reverse(ctx, rv)
}

// Issue 12, sequence 1: an attempt approved, then the refund's workflow
// fails before it records the outcome; finance's retry must not pay again.
// It records the approved attempt as the refund.
func TestFinanceRetryAfterTheRefundWorkflowFailedNeverPaysTwice(t *testing.T) {
	t.Parallel()
	side := &cardSide{}
	var retried error
	f, _ := cardReturn(t, options{card: acquirerSide(side, nil, nil)}, func(f *fixture) {
		f.at(5*hour, func() {
			f.update(contract.UpdateRefundResolution, contract.RefundResolutionRequest{Action: contract.ResolveRetry, Note: "try again", Actor: staff}, nil, &retried)
		})
	})
	pts := &faultpoint.Points{}
	pts.Arm(activities.FaultFinishRefund, 1, func(context.Context) error {
		pts.Disarm(activities.FaultFinishRefund)
		return faultpoint.ErrInjected
	})
	f.acts.Store.Faults = pts
	var failed string
	f.at(4*hour, func() { failed = f.readModel().Status })
	f.stopAt(6 * hour)
	f.env.ExecuteWorkflow(workflows.ReturnWorkflow, f.in)
	if failed != "refund_failed" {
		t.Fatalf("after the refund's workflow failed the return was %s; want refund_failed", failed)
	}
	if retried != nil {
		t.Fatalf("retry: %v", retried)
	}
	as := f.attempts()
	if len(as) != 1 || as[0].State != returns.AttemptApproved {
		t.Fatalf("attempts %+v; want the one approved attempt and no new one", as)
	}
	if l := live(side.sim); len(l) != 1 || l[0].STAN != as[0].STAN {
		t.Fatalf("ledger %+v; want exactly one live refund", l)
	}
	if r := f.readModel(); r.Status != "awaiting_settlement" {
		t.Fatalf("return %s", r.Status)
	}
	if ref := f.refund(); ref.Status != returns.RefundStatusSucceeded {
		t.Fatalf("refund %+v", ref)
	}
}

// Issue 12, sequence 6: a void is decided from the sale's own time, is
// never sent after its batch's cut-off (one that could not leave before
// becomes a refund), and its reversal is not sent after the cut-off either:
// hosts refuse it, only the settlement file can tell.
func TestAVoidIsNeverSentOrReversedAfterItsCutoff(t *testing.T) {
	t.Parallel()
	t.Run("not sent before the cut-off: a refund", func(t *testing.T) {
		t.Parallel()
		side := &cardSide{}
		f, _ := cardReturn(t, options{placedAt: start.Add(-time.Hour), paid: 4999, card: voidsFromTheSaleTerminal(side, nil)}, nil)
		cutoff := start.Add(3*hour + 2*minute) // the counter refund is at 3h
		f.acts.Cards.Cutoff = cutoff.Sub(start.Truncate(24 * time.Hour))
		f.acts.Cards.POS = sendOutageFor(f.acts.Cards.POS, func() bool { return f.env.Now().Before(cutoff) })
		f.stopAt(5 * hour)
		f.env.ExecuteWorkflow(workflows.ReturnWorkflow, f.in)
		as := f.attempts()
		if len(as) != 2 || as[0].Kind != returns.AttemptVoid || as[0].State != returns.AttemptDeclined || as[0].ResponseCode != activities.NotSentCutoff ||
			as[1].Kind != returns.AttemptRefund || as[1].State != returns.AttemptApproved {
			t.Fatalf("attempts %+v; want the void never sent after the cut-off, then a refund", as)
		}
		if l := live(side.sim); len(l) != 1 || l[0].Kind != "refund" {
			t.Fatalf("ledger %+v", l)
		}
	})
	t.Run("answer lost, cut-off passed: escalated to the file", func(t *testing.T) {
		t.Parallel()
		side := &cardSide{}
		faults := func(call int, reversal bool) acquirersim.Faults {
			switch call {
			case 1:
				return acquirersim.Faults{ApproveThenLose: 1}
			case 2:
				return acquirersim.Faults{Drop: 1}
			}
			return acquirersim.Faults{}
		}
		f, _ := cardReturn(t, options{placedAt: start.Add(-time.Hour), paid: 4999, card: voidsFromTheSaleTerminal(side, nil)}, nil)
		f.acts.Cards.POS.(*scripted).script = faults
		f.acts.Cards.Cutoff = 3*hour + 3*time.Second + start.Sub(start.Truncate(24*time.Hour))
		f.stopAt(5 * hour)
		f.env.ExecuteWorkflow(workflows.ReturnWorkflow, f.in)
		as := f.attempts()
		if len(as) != 1 || as[0].Kind != returns.AttemptVoid || as[0].State != returns.AttemptEscalated || as[0].ReversalTries != 1 || as[0].ReversalCode != activities.NotSentCutoff {
			t.Fatalf("attempts %+v; want the void escalated, its one reversal before the cut-off", as)
		}
		if st := side.sim.Stats(); st.Reversals != 1 {
			t.Fatalf("stats %+v: a reversal left after the cut-off", st)
		}
		items, err := allWorkItems(f.db, f.merchant.ID, true)
		must(t, err)
		found := false
		for _, w := range items {
			found = found || w.Kind == "reversal_unacknowledged" && strings.Contains(w.Summary, "batch settled before it could be reversed")
		}
		if !found {
			t.Fatalf("work items %+v", items)
		}
	})
}

// Issue 12, sequence 7: a freeze holds the re-sends of an attempt prepared
// before it (one that could not leave), not only new attempts.
func TestAFreezeHoldsTheResendOfAnAttemptThatNeverLeft(t *testing.T) {
	t.Parallel()
	side := &cardSide{}
	f, _ := cardReturn(t, options{card: acquirerSide(side, nil, nil)}, nil)
	down := true
	f.acts.Cards.POS = sendOutageFor(f.acts.Cards.POS, func() bool { return down })
	var freezeID string
	f.at(3*hour+time.Minute, func() {
		fr := &db.Freeze{MerchantID: f.merchant.ID, Reason: "fraud check", CreatedBy: "op", CreatedRole: "operator"}
		must(t, f.db.Freezes.CreateFreeze(context.Background(), fr))
		freezeID = fr.ID
		down = false // the acquirer is back, but the freeze holds the re-send
	})
	var held []db.RefundAttempt
	f.at(4*hour, func() {
		held = f.attempts()
		_, _, err := f.db.Freezes.LiftFreeze(context.Background(), "", freezeID, "op", f.env.Now()) // as the operator who froze it
		must(t, err)
	})
	f.stopAt(6 * hour)
	f.env.ExecuteWorkflow(workflows.ReturnWorkflow, f.in)
	if len(held) != 1 || held[0].State != returns.AttemptPrepared || held[0].TransmittedAt != nil {
		t.Fatalf("during the freeze: %+v; want the attempt prepared, not sent", held)
	}
	as := f.attempts()
	if len(as) != 1 || as[0].State != returns.AttemptApproved || !as[0].TransmittedAt.After(start.Add(4*hour)) {
		t.Fatalf("attempts %+v; want it sent only after the lift", as)
	}
}

// allWorkItems reads every work item of a merchant (a test's few) in one page.
func allWorkItems(d *db.DB, merchantID string, onlyOpen bool) ([]db.WorkItem, error) {
	p, err := d.Finance.WorkItems(context.Background(), db.WorkItemFilter{MerchantID: merchantID, OnlyOpen: onlyOpen, Limit: db.CountCap})
	if err != nil {
		return nil, err
	}
	return p.Items, nil
}
