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

	enumspb "go.temporal.io/api/enums/v1"
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
// approves after the reversal (25 to the reversal), sees messages twice
// (94), pads its answers, and strands one refund (every reversal of it
// lost, so that it is escalated); while the worker is
// killed (at random and between a card answer and its record) and refund
// workflows fail or are terminated; while finance retries, marks refunded,
// gives store credit and ends escalated attempts with the acquirer's
// evidence, at random moments. Afterwards, against the simulator's ledger:
// no sale refunded beyond what it had, no refund paid twice, none lost, and
// every return at its end. And the run proves it did what it drew: every
// armed fault served (each is also forced once), the fault points hit, the
// kills and terminations done, an escalated attempt ended by finance with
// the acquirer's evidence.
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

// propertyFaults are the simulator's faults the property test draws, each
// with the largest probability it is drawn with and the counter that shows
// it served.
var propertyFaults = []struct {
	name   string
	max    float64
	p      func(*acquirersim.Faults) *float64
	served func(acquirersim.Stats) int
}{
	{"drop", 0.12, func(f *acquirersim.Faults) *float64 { return &f.Drop }, func(s acquirersim.Stats) int { return s.Dropped }},
	{"delay", 0.1, func(f *acquirersim.Faults) *float64 { return &f.Delay }, func(s acquirersim.Stats) int { return s.Delayed }},
	{"duplicate", 0.05, func(f *acquirersim.Faults) *float64 { return &f.Duplicate }, func(s acquirersim.Stats) int { return s.Duplicated }},
	{"approve_then_lose", 0.1, func(f *acquirersim.Faults) *float64 { return &f.ApproveThenLose },
		func(s acquirersim.Stats) int { return s.ApprovedThenLost }},
	{"issuer_unavailable", 0.05, func(f *acquirersim.Faults) *float64 { return &f.IssuerUnavailable },
		func(s acquirersim.Stats) int { return s.IssuerUnavailable }},
	{"system_malfunction", 0.05, func(f *acquirersim.Faults) *float64 { return &f.SystemMalfunction },
		func(s acquirersim.Stats) int { return s.SystemMalfunction }},
	{"late_response", 0.05, func(f *acquirersim.Faults) *float64 { return &f.LateResponse },
		func(s acquirersim.Stats) int { return s.LateResponses }},
	{"approve_after_reversal", 0.05, func(f *acquirersim.Faults) *float64 { return &f.ApproveAfterReversal },
		func(s acquirersim.Stats) int { return s.ApprovedAfterReversal }},
	{"duplicate_transmission", 0.05, func(f *acquirersim.Faults) *float64 { return &f.DuplicateTransmission },
		func(s acquirersim.Stats) int { return s.DuplicateTransmission }},
}

// propertyChaos is what one run drew and what of it landed.
type propertyChaos struct {
	killPoint, failPoint        string // the worker's fault points ("" when not drawn)
	wantKills, wantTerminations int
	kills, terminated           int
	failPointLanded             bool
}

func runProperty(t *testing.T, e dbtest.Engine, seed uint64) {
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	s := newStackOpts(t, e, stackOptions{noWorker: true, seed: seed})
	env := s.workerEnv(t)
	// The fault points: a kill between a card answer and its record at
	// every few sends of a worker's life, and every refund's outcome
	// record failing (so its workflow fails) until one has. The random
	// kills and terminations wait until both have landed, so that no kill
	// of the test cuts short the lives the points need.
	var ch propertyChaos
	if rng.IntN(3) > 0 {
		ch.killPoint = fmt.Sprintf("%s=kill@%d", activities.FaultAfterSend, 2+rng.IntN(2))
	}
	if rng.IntN(3) > 0 {
		ch.failPoint = activities.FaultFinishRefund + "=fail@1"
	}
	ch.wantKills, ch.wantTerminations = rng.IntN(4), rng.IntN(4)
	withPoints := func(points ...string) []string {
		var armed []string
		for _, p := range points {
			if p != "" {
				armed = append(armed, p)
			}
		}
		return append(slices.Clone(env), "REBOUND_FAULTPOINTS="+strings.Join(armed, ","))
	}
	w := &workerProc{t: t, env: withPoints(ch.killPoint, ch.failPoint)}
	w.start()
	t.Cleanup(w.stop)

	sales := s.propertySales(rng, 4+rng.IntN(3))
	// Each fault is armed or not; an armed one is drawn at random and
	// also served once for certain (Force), so that the run proves it.
	faults := acquirersim.Faults{ExtraFields: rng.IntN(2) == 0, DelayBy: 3 * isoTimeout}
	var armed []string
	for _, f := range propertyFaults {
		if rng.IntN(2) == 0 {
			*f.p(&faults) = f.max * rng.Float64()
			armed = append(armed, f.name)
		}
	}
	rng.Shuffle(len(armed), func(i, j int) { armed[i], armed[j] = armed[j], armed[i] })
	t.Logf("%d sales; fault points %q %q; %d kills, %d terminations; faults %+v, forced %v", len(sales), ch.killPoint, ch.failPoint,
		ch.wantKills, ch.wantTerminations, faults, armed)
	s.acquirer.SetFaults(faults)
	if err := s.acquirer.Force(armed...); err != nil {
		t.Fatal(err)
	}
	// The first card message is stranded: its answer lost and every
	// reversal of it dropped, so that it is escalated and finance ends it
	// with the acquirer's evidence.
	s.acquirer.StrandNext()

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

	// Chaos for a while, and on until what was drawn has landed (a
	// minute at most): the fault points, then kills and terminated
	// refund workflows.
	chaosDone := make(chan struct{})
	chaosRNG := rand.New(rand.NewPCG(rng.Uint64(), rng.Uint64()))
	landUntil := chaosUntil.Add(time.Minute)
	go func() {
		defer close(chaosDone)
		for {
			pointsLanded := (ch.killPoint == "" || w.selfExits.Load() > 0) && (ch.failPoint == "" || ch.failPointLanded)
			done := pointsLanded && ch.kills >= ch.wantKills && ch.terminated >= ch.wantTerminations
			if (done && time.Now().After(chaosUntil)) || time.Now().After(landUntil) {
				return
			}
			d := time.Duration(300+chaosRNG.IntN(900)) * time.Millisecond
			act := chaosRNG.IntN(3)
			pick := chaosRNG.IntN(len(all))
			time.Sleep(d)
			if ch.failPoint != "" && !ch.failPointLanded {
				if failed, _ := s.refundRuns(all); failed > 0 {
					// Landed: the next workers run without it (the
					// kill point's next kill starts the next one).
					ch.failPointLanded = true
					w.mu.Lock()
					w.env = withPoints(ch.killPoint)
					w.mu.Unlock()
					if ch.killPoint == "" {
						w.kill()
						w.start()
					}
				}
				continue
			}
			if !pointsLanded {
				continue
			}
			switch {
			case act == 0 && ch.kills < ch.wantKills:
				if w.kill() {
					ch.kills++
				}
				w.start()
			case act == 1 && ch.terminated < ch.wantTerminations:
				// The first refund under way from a random place.
				hit := false
				for i := range all {
					if s.terminateRunningRefund(all[(pick+i)%len(all)]) {
						ch.terminated++
						hit = true
						break
					}
				}
				// Past the chaos's window every refund may have ended:
				// nothing is left to terminate, and the run says so
				// instead of waiting for one.
				if !hit && time.Now().After(chaosUntil) {
					t.Logf("seed %d: no refund under way to terminate after %d of %d terminations", seed, ch.terminated, ch.wantTerminations)
					ch.wantTerminations = ch.terminated
				}
			}
		}
	}()

	// Finance works the failed refunds as they come, at random, then
	// (after the chaos) retries until everything is paid.
	fin := s.login("finance")
	acted := map[string]int{}
	deadline := time.Now().Add(4 * time.Minute)
	calm := false
	for {
		chaosOver := false
		select {
		case <-chaosDone:
			chaosOver = true
		default:
		}
		if !calm && chaosOver {
			counterWG.Wait()
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
	failed, terminated := s.refundRuns(all)
	st := s.acquirer.Stats()
	t.Logf("%d returns; %d kills, %d at fault points, %d refund workflows terminated (%d failed); finance acted %v; acquirer %+v",
		len(all), ch.kills, w.selfExits.Load(), terminated, failed, acted, st)
	s.checkMoneyRules(t, seed, sales)
	s.checkChaosLanded(t, seed, &ch, w, all, armed, faults, acted)
}

// checkChaosLanded holds a run to what it drew: every armed fault served,
// the fault points hit, the kills and terminations done, and the stranded
// card message escalated and ended by finance with the acquirer's evidence.
func (s *stack) checkChaosLanded(t *testing.T, seed uint64, ch *propertyChaos, w *workerProc, all, armed []string,
	faults acquirersim.Faults, acted map[string]int) {
	st := s.acquirer.Stats()
	if q := s.acquirer.Forced(); len(q) > 0 {
		t.Errorf("seed %d: forced faults never served: %v", seed, q)
	}
	for _, f := range propertyFaults {
		if slices.Contains(armed, f.name) && f.served(st) == 0 {
			t.Errorf("seed %d: fault %s armed but never served (stats %+v)", seed, f.name, st)
		}
	}
	if faults.ExtraFields && st.ExtraFields == 0 {
		t.Errorf("seed %d: extra fields armed but no answer carried them", seed)
	}
	if ch.killPoint != "" && w.selfExits.Load() == 0 {
		t.Errorf("seed %d: the kill between a card answer and its record (%s) never landed", seed, ch.killPoint)
	}
	failed, terminated := s.refundRuns(all)
	if ch.failPoint != "" && failed == 0 {
		t.Errorf("seed %d: the failing outcome record (%s) never failed a refund workflow", seed, ch.failPoint)
	}
	if ch.kills != ch.wantKills {
		t.Errorf("seed %d: %d of %d kills landed", seed, ch.kills, ch.wantKills)
	}
	if ch.terminated != ch.wantTerminations || terminated < ch.terminated {
		t.Errorf("seed %d: %d of %d terminations landed (%d refund workflows terminated)", seed, ch.terminated, ch.wantTerminations, terminated)
	}
	if st.Stranded != 1 || st.StrandedReversals == 0 {
		t.Errorf("seed %d: the stranded card message and its reversals: %d, %d", seed, st.Stranded, st.StrandedReversals)
	}
	if acted["evidence/200"] == 0 {
		t.Errorf("seed %d: finance never ended an escalated attempt with evidence (acted %v)", seed, acted)
	}
	ctx := context.Background()
	confirmed := 0
	for _, id := range all {
		refunds, _ := s.db.Refunds.RefundsOfReturn(ctx, id)
		for _, ref := range refunds {
			atts, _ := s.db.Refunds.AttemptsOfRefund(ctx, ref.ID)
			for _, a := range atts {
				if a.State == db.AttemptConfirmedApproved || a.State == db.AttemptConfirmedReversed || a.State == db.AttemptConfirmedNotReceived {
					confirmed++
				}
			}
		}
	}
	if confirmed == 0 {
		t.Errorf("seed %d: no attempt ended by evidence", seed)
	}
}

// refundRuns counts the refund workflows of returns that failed and that
// were terminated, run by run.
func (s *stack) refundRuns(ids []string) (failed, terminated int) {
	ctx := context.Background()
	for _, id := range ids {
		for n := 1; ; n++ {
			d, err := s.temporal.DescribeWorkflowExecution(ctx, contract.RefundWorkflowID(id, n), "")
			if err != nil {
				break
			}
			switch d.GetWorkflowExecutionInfo().GetStatus() {
			case enumspb.WORKFLOW_EXECUTION_STATUS_FAILED:
				failed++
			case enumspb.WORKFLOW_EXECUTION_STATUS_TERMINATED:
				terminated++
			}
		}
	}
	return failed, terminated
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
			acted["evidence/"+strconv.Itoa(r.Status)]++
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
