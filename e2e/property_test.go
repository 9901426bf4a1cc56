package e2e_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"go.temporal.io/sdk/client"

	"github.com/rebound-returns/rebound/acquirersim"
	"github.com/rebound-returns/rebound/activities"
	"github.com/rebound-returns/rebound/contract"
	"github.com/rebound-returns/rebound/db"
	"github.com/rebound-returns/rebound/db/dbtest"
	"github.com/rebound-returns/rebound/returns"
	"github.com/rebound-returns/rebound/workflows"
)

// The money rules, tried at random: card sales of random amounts, some
// returned in two parts, refunded at the counter while the acquirer loses,
// delays, duplicates, declines (91, 96), answers too late for itself (68),
// approves after the reversal, and pads its answers; while the worker is
// killed (at random and between a card answer and its record) and refund
// workflows fail or are terminated; while finance retries, marks refunded,
// gives store credit and ends escalated attempts with the acquirer's
// evidence, at random moments. Afterwards, against the simulator's ledger:
// no sale refunded beyond what it had, no refund paid twice, none lost, and
// every return at its end.
//
// REBOUND_PROPERTY_SEEDS sets how many seeds (3 by default, `make property`
// runs more); REBOUND_PROPERTY_SEED=n runs that one seed again. The seed
// decides the sales, the faults the simulator draws, the fault points and
// every random choice of the test; goroutine and network timing are the
// machine's, so a rerun repeats the run's shape, not every interleaving.
func TestPropertyNoRefundIsPaidTwiceOrLost(t *testing.T) {
	e := lastEngine(t)
	for _, seed := range propertySeeds(t) {
		t.Run(fmt.Sprintf("seed=%d", seed), func(t *testing.T) {
			t.Logf("reproduce with REBOUND_PROPERTY_SEED=%d go test ./e2e -run 'TestPropertyNoRefundIsPaidTwiceOrLost'", seed)
			runProperty(t, e, seed)
		})
	}
}

func propertySeeds(t *testing.T) []uint64 {
	if v := os.Getenv("REBOUND_PROPERTY_SEED"); v != "" {
		seed, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			t.Fatalf("REBOUND_PROPERTY_SEED: %v", err)
		}
		return []uint64{seed}
	}
	n := 3
	if v := os.Getenv("REBOUND_PROPERTY_SEEDS"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil || n < 1 {
			t.Fatalf("REBOUND_PROPERTY_SEEDS: want a positive count")
		}
	}
	// New seeds each day, the same ones all day: a failure in CI can be
	// rerun by its seed.
	day := uint64(time.Now().UTC().Unix() / 86400)
	seeds := make([]uint64, n)
	for i := range seeds {
		seeds[i] = day*1000 + uint64(i)
	}
	return seeds
}

// propSale is one card sale of the property run and its returns.
type propSale struct {
	order   *db.Order
	returns []string
}

func runProperty(t *testing.T, e dbtest.Engine, seed uint64) {
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	s := newStackOpts(t, e, stackOptions{noWorker: true, seed: seed})
	env := s.workerEnv(t)
	var points []string
	if rng.IntN(3) > 0 {
		points = append(points, fmt.Sprintf("%s=kill@%d", activities.FaultAfterSend, 3+rng.IntN(5)))
	}
	if rng.IntN(3) > 0 {
		points = append(points, fmt.Sprintf("%s=fail@%d", activities.FaultFinishRefund, 3+rng.IntN(5)))
	}
	w := &workerProc{t: t, env: append(slices.Clone(env), "REBOUND_FAULTPOINTS="+strings.Join(points, ","))}
	w.start()
	t.Cleanup(w.stop)

	sales := s.propertySales(rng, 4+rng.IntN(3))
	faults := acquirersim.Faults{Drop: 0.12 * rng.Float64(), Delay: 0.1 * rng.Float64(), Duplicate: 0.05 * rng.Float64(),
		ApproveThenLose: 0.1 * rng.Float64(), IssuerUnavailable: 0.05 * rng.Float64(), SystemMalfunction: 0.05 * rng.Float64(),
		LateResponse: 0.05 * rng.Float64(), ApproveAfterReversal: 0.05 * rng.Float64(), ExtraFields: rng.IntN(2) == 0,
		DelayBy: 3 * isoTimeout}
	t.Logf("%d sales; fault points %v; faults %+v", len(sales), points, faults)
	s.acquirer.SetFaults(faults)

	var all []string
	for _, sl := range sales {
		all = append(all, sl.returns...)
	}
	// The counter refunds come one by one over the first seconds, so that
	// kills and terminations meet refunds under way.
	chaosUntil := time.Now().Add(15 * time.Second)
	var counterWG sync.WaitGroup
	for _, id := range all {
		after := time.Duration(rng.IntN(8000)) * time.Millisecond
		counterWG.Go(func() {
			time.Sleep(after)
			if err := s.updateReturn(id, contract.UpdateCounterRefund, contract.CounterRefundRequest{
				Actor: returns.Actor{Kind: returns.ActorStaff, Name: "clerk", Role: "clerk"}, AuthorisedBy: "supervisor", TerminalID: "T0000001"}); err != nil {
				t.Errorf("counter refund of %s: %v", id, err)
			}
		})
	}

	// Chaos for a while: kills and terminated refund workflows.
	var chaosWG sync.WaitGroup
	var chaosMu sync.Mutex
	chaosRNG := rand.New(rand.NewPCG(rng.Uint64(), rng.Uint64()))
	kills, terminated := 0, 0
	chaosWG.Go(func() {
		for time.Now().Before(chaosUntil) {
			chaosMu.Lock()
			d := time.Duration(300+chaosRNG.IntN(900)) * time.Millisecond
			act := chaosRNG.IntN(3)
			pick := chaosRNG.IntN(len(all))
			chaosMu.Unlock()
			time.Sleep(d)
			switch {
			case act == 0 && kills < 3:
				kills++
				w.kill()
				w.start()
			case act == 1 && terminated < 3:
				// The first refund under way from a random place.
				for i := range all {
					if s.terminateRunningRefund(all[(pick+i)%len(all)]) {
						terminated++
						break
					}
				}
			}
		}
	})

	// Finance works the failed refunds as they come, at random, then
	// (after the chaos) retries until everything is paid.
	fin := s.login("finance")
	acted := map[string]int{}
	deadline := time.Now().Add(4 * time.Minute)
	calm := false
	for {
		if !calm && time.Now().After(chaosUntil) {
			counterWG.Wait()
			chaosWG.Wait()
			calm = true
			s.acquirer.SetFaults(acquirersim.Faults{})
			w.mu.Lock()
			w.env = env // no fault points from now on
			w.mu.Unlock()
			w.kill()
			w.start()
		}
		done := 0
		for _, id := range all {
			switch st := s.readStatus(id); st {
			case "awaiting_settlement", "closed":
				done++
			case "refund_failed":
				s.financeActs(fin, id, rng, calm, acted)
			}
		}
		if calm && done == len(all) {
			break
		}
		if time.Now().After(deadline) {
			for _, id := range all {
				if st := s.readStatus(id); st != "awaiting_settlement" && st != "closed" {
					t.Logf("return %s stuck in %s: %s", id, st, s.describeRefund(id))
				}
			}
			t.Fatalf("seed %d: not every return reached its end within the deadline", seed)
		}
		time.Sleep(700 * time.Millisecond)
	}
	t.Logf("%d returns; %d kills, %d at fault points, %d refund workflows terminated; finance acted %v", len(all), kills,
		w.selfExits.Load(), terminated, acted)
	s.checkMoneyRules(t, seed, sales)
}

// propertySales makes n card sales of random amounts, half of today (their
// batch open: voided when returned whole), and returns each to
// refund_pending, whole or in two parts.
func (s *stack) propertySales(rng *rand.Rand, n int) []propSale {
	s.t.Helper()
	ctx := context.Background()
	m, err := s.db.Merchants.MerchantBySlug(ctx, "demo")
	if err != nil {
		s.t.Fatal(err)
	}
	policy, err := returns.ParsePolicy(m.Policy)
	if err != nil {
		s.t.Fatal(err)
	}
	pj, _ := db.ToJSON(policy)
	now := time.Now().UTC().Truncate(time.Second)
	var sales []propSale
	var updates []cardCase
	for i := range n {
		units := 1 + rng.IntN(2)
		price := int64(500 + 100*rng.IntN(40))
		placed := now.Add(-72 * time.Hour)
		if rng.IntN(2) == 0 && now.Hour() < 21 {
			placed = now.Add(-20 * time.Minute) // in the open batch
		}
		number := fmt.Sprintf("Q-%d", i)
		o := &db.Order{MerchantID: m.ID, OrderNumber: number, Currency: "EUR", PlacedAt: placed, CustomerName: "Kim",
			CustomerEmail: fmt.Sprintf("q%d@example.com", i), RequestHash: "t",
			Lines: []db.OrderLine{{LineID: "1", Name: "Bag", Category: "bags", Quantity: units, UnitPrice: price}},
			Payment: &db.Payment{Channel: returns.ChannelCardPresent, Amount: int64(units) * price, Currency: "EUR", TerminalID: "T0000001",
				STAN: saleSTAN(number), RRN: saleRRN(number), ApprovalCode: "AP0001", MaskedPAN: "411111******1111",
				CardFingerprint: fmt.Sprintf("fp_card_q%04d", i), SaleAt: &placed}}
		if err := s.db.Orders.CreateOrder(ctx, o); err != nil {
			s.t.Fatal(err)
		}
		if err := s.acquirer.AddSale(acquirersim.Sale{TerminalID: "T0000001", MerchantID: m.AcquirerMerchantID, STAN: o.Payment.STAN,
			RRN: o.Payment.RRN, ApprovalCode: "AP0001", MaskedPAN: "411111******1111", Currency: "EUR", Amount: o.Payment.Amount, At: placed}); err != nil {
			s.t.Fatal(err)
		}
		parts := []int{units}
		if units == 2 && rng.IntN(2) == 0 {
			parts = []int{1, 1}
		}
		sale := propSale{order: o}
		for _, q := range parts {
			lines := []returns.RequestedLine{{LineID: "1", Quantity: q, Reason: "changed_mind"}}
			r := &db.Return{MerchantID: m.ID, OrderID: o.ID, Status: string(returns.PendingVerification), Method: returns.MethodInStore,
				Contact: o.CustomerEmail, ContactKind: "email", Currency: "EUR", Channel: returns.ChannelCardPresent, Policy: pj,
				Lines: []db.ReturnLine{{LineID: "1", Quantity: q, Reason: "changed_mind"}}}
			if err := s.db.Returns.CreateReturn(ctx, r); err != nil {
				s.t.Fatal(err)
			}
			in := contract.ReturnInput{ReturnID: r.ID, MerchantID: m.ID, OrderID: o.ID, Method: returns.MethodInStore,
				Channel: returns.ChannelCardPresent, ClientIP: "198.51.100.7", Policy: policy,
				Order: returns.Order{Number: number, Currency: "EUR", PlacedAt: placed, Paid: o.Payment.Amount,
					Lines: []returns.OrderLine{{LineID: "1", Name: "Bag", Category: "bags", Quantity: units, UnitPrice: price}}},
				Lines: lines, FiledAt: now}
			if _, err := s.temporal.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: contract.ReturnWorkflowID(r.ID), TaskQueue: contract.TaskQueue},
				workflows.ReturnWorkflow, in); err != nil {
				s.t.Fatal(err)
			}
			sale.returns = append(sale.returns, r.ID)
			updates = append(updates, cardCase{order: o, returnID: r.ID})
		}
		sales = append(sales, sale)
	}
	staff := returns.Actor{Kind: returns.ActorStaff, Name: "supervisor", Role: "supervisor"}
	s.parallel(updates, func(c cardCase) error {
		if err := s.updateReturn(c.returnID, contract.UpdateVerify, contract.VerifyRequest{ChallengeID: "test"}); err != nil {
			return err
		}
		if s.workflowStatus(c.returnID) == string(returns.AwaitingReview) {
			if err := s.updateReturn(c.returnID, contract.UpdateReview, contract.ReviewRequest{Decision: contract.DecisionApprove, Actor: staff}); err != nil {
				return err
			}
		}
		r, err := s.db.Returns.ReturnByID(ctx, c.returnID)
		if err != nil {
			return err
		}
		if err := s.updateReturn(c.returnID, contract.UpdateReceive, contract.ReceiveRequest{Actor: staff}); err != nil {
			return err
		}
		return s.updateReturn(c.returnID, contract.UpdateInspect, contract.InspectRequest{Actor: staff,
			Lines: []returns.InspectedLine{{LineID: "1", AcceptedQuantity: r.Lines[0].Quantity, Condition: returns.ConditionNew}}})
	})
	return sales
}

// workflowStatus asks a return's workflow where it stands.
func (s *stack) workflowStatus(returnID string) string {
	v, err := s.temporal.QueryWorkflow(context.Background(), contract.ReturnWorkflowID(returnID), "", contract.QueryStatus)
	var st contract.StatusView
	if err != nil || v.Get(&st) != nil {
		return ""
	}
	return string(st.Status)
}

// terminateRunningRefund terminates the refund workflow of a return if one
// is running, as an operator might.
func (s *stack) terminateRunningRefund(returnID string) bool {
	refunds, err := s.db.Refunds.RefundsOfReturn(context.Background(), returnID)
	if err != nil || len(refunds) == 0 || refunds[0].WorkflowID == "" || refunds[0].Status != returns.RefundStatusPending {
		return false
	}
	return s.temporal.TerminateWorkflow(context.Background(), refunds[0].WorkflowID, "", "property test: an operator's terminate") == nil
}

// financeActs is finance looking at a failed refund: an escalated attempt is
// ended with the acquirer's evidence (its ledger); otherwise a retry, or
// during the chaos at random "mark refunded" or store credit. Refusals
// (409) are part of the game.
func (s *stack) financeActs(token, returnID string, rng *rand.Rand, calm bool, acted map[string]int) {
	if s.workflowStatus(returnID) != "refund_failed" {
		return
	}
	refunds, err := s.db.Refunds.RefundsOfReturn(context.Background(), returnID)
	if err != nil || len(refunds) == 0 {
		return
	}
	atts, err := s.db.Refunds.AttemptsOfRefund(context.Background(), refunds[0].ID)
	if err != nil {
		return
	}
	for _, a := range atts {
		// An escalated attempt needs the evidence; others a run left in
		// doubt are taken up by the retry's run.
		if a.State == returns.AttemptEscalated && time.Since(a.UpdatedAt) > 2*fateWait {
			ev := s.evidence(a)
			r := s.call("POST", "/v1/finance/attempts/"+a.ID+"/resolution", map[string]string{"resolution": string(ev), "note": "the acquirer's ledger"}, bearer(token)...)
			if r.Status != 200 && r.Status != 409 {
				s.t.Errorf("resolving attempt %s: %d %s", a.ID, r.Status, r.Body)
			}
			acted["evidence"]++
			return
		}
	}
	action := "retry"
	if !calm {
		switch rng.IntN(8) {
		case 0:
			action = "mark_refunded"
		case 1:
			action = "store_credit"
		}
	}
	r := s.call("POST", "/v1/finance/returns/"+returnID+"/refund-resolution", map[string]string{"action": action, "note": "property test"}, bearer(token)...)
	if r.Status != 200 && r.Status != 409 {
		s.t.Errorf("%s on %s: %d %s", action, returnID, r.Status, r.Body)
	}
	acted[action+"/"+strconv.Itoa(r.Status)]++
}

// evidence is what the acquirer holds of an attempt, from its ledger.
func (s *stack) evidence(a db.RefundAttempt) returns.AttemptState {
	for _, e := range s.acquirer.Ledger() {
		if e.Kind != "sale" && e.TerminalID == a.TerminalID && e.STAN == a.STAN && e.At.UTC().Format("2006-01-02") == a.STANDay {
			if e.Reversed {
				return db.AttemptConfirmedReversed
			}
			return db.AttemptConfirmedApproved
		}
	}
	return db.AttemptConfirmedNotReceived
}

// checkMoneyRules holds Rebound's books to the simulator's ledger.
func (s *stack) checkMoneyRules(t *testing.T, seed uint64, sales []propSale) {
	ctx := context.Background()
	type key struct{ terminal, stan, day string }
	live := map[key]acquirersim.Entry{}
	bySale := map[string]int64{}
	for _, e := range s.acquirer.Ledger() {
		if e.Kind == "sale" || e.Reversed {
			continue
		}
		k := key{e.TerminalID, e.STAN, e.At.UTC().Format("2006-01-02")}
		if _, dup := live[k]; dup {
			t.Errorf("seed %d: two live ledger entries for %v", seed, k)
		}
		live[k] = e
		bySale[e.OriginalRRN] += e.Amount
	}
	explained := map[key]bool{}
	for _, sl := range sales {
		if got := bySale[sl.order.Payment.RRN]; got > sl.order.Payment.Amount {
			t.Errorf("seed %d: sale %s of %d refunded %d at the acquirer", seed, sl.order.OrderNumber, sl.order.Payment.Amount, got)
		}
		for _, id := range sl.returns {
			refunds, err := s.db.Refunds.RefundsOfReturn(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			paid := 0
			for _, ref := range refunds {
				atts, err := s.db.Refunds.AttemptsOfRefund(ctx, ref.ID)
				if err != nil {
					t.Fatal(err)
				}
				for _, a := range atts {
					k := key{a.TerminalID, a.STAN, a.STANDay}
					e, inLedger := live[k]
					switch {
					case db.AttemptPays(a.State):
						paid++
						explained[k] = true
						if !inLedger || e.Amount != a.Amount {
							t.Errorf("seed %d: return %s: attempt %d (%s) pays but the acquirer holds %+v", seed, id, a.N, a.State, e)
						}
					case inLedger:
						t.Errorf("seed %d: return %s: attempt %d is %s but the acquirer holds it live: paid and not known", seed, id, a.N, a.State)
					}
					if db.AttemptInDoubt(a.State) {
						t.Errorf("seed %d: return %s: attempt %d still %s", seed, id, a.N, a.State)
					}
				}
			}
			ret, err := s.db.Returns.ReturnByID(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			switch {
			case paid > 1:
				t.Errorf("seed %d: return %s paid %d times", seed, id, paid)
			case ret.Status == "awaiting_settlement" && paid != 1:
				t.Errorf("seed %d: return %s awaits settlement with %d paying attempts", seed, id, paid)
			case ret.Status == "closed" && paid != 0:
				t.Errorf("seed %d: return %s closed by finance (marked refunded or store credit) and also paid on the card", seed, id)
			case ret.Status != "awaiting_settlement" && ret.Status != "closed":
				t.Errorf("seed %d: return %s ended %s", seed, id, ret.Status)
			}
		}
	}
	for k, e := range live {
		if !explained[k] {
			t.Errorf("seed %d: the acquirer holds a live %s of %d (%v) that no paying attempt explains", seed, e.Kind, e.Amount, k)
		}
	}
}
