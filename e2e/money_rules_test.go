package e2e_test

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rebound-returns/rebound/contract"
	"github.com/rebound-returns/rebound/returns"

	"github.com/rebound-returns/rebound/acquirersim"
	"github.com/rebound-returns/rebound/activities"
	"github.com/rebound-returns/rebound/auth"
	"github.com/rebound-returns/rebound/db"
	"github.com/rebound-returns/rebound/faultpoint"
	"github.com/rebound-returns/rebound/pos"
)

// Issue 12's sequences, each through the real stack: the API, a Temporal
// server, the database and the strict acquirer simulator.

// scriptedPOS sets the simulator's faults before each message of a sale
// (by its STAN) from a script: "lose the answer to the first send, drop
// every reversal".
type scriptedPOS struct {
	inner  activities.Acquirer
	sim    *acquirersim.Acquirer
	mu     sync.Mutex
	calls  map[string]int
	script map[string]func(call int, reversal bool) acquirersim.Faults
}

func newScriptedPOS(sim *acquirersim.Acquirer, inner activities.Acquirer) *scriptedPOS {
	return &scriptedPOS{inner: inner, sim: sim, calls: map[string]int{}, script: map[string]func(int, bool) acquirersim.Faults{}}
}

// on scripts the messages of the sale with this STAN.
func (p *scriptedPOS) on(saleSTAN string, script func(call int, reversal bool) acquirersim.Faults) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.script[saleSTAN] = script
}

func (p *scriptedPOS) before(r pos.Request, reversal bool) func() {
	p.mu.Lock()
	p.calls[r.Original.STAN]++
	n, script := p.calls[r.Original.STAN], p.script[r.Original.STAN]
	if script == nil {
		p.mu.Unlock()
		return func() {}
	}
	// The simulator's faults are global: one scripted message at a time.
	p.sim.SetFaults(script(n, reversal))
	return func() {
		p.sim.SetFaults(acquirersim.Faults{})
		p.mu.Unlock()
	}
}

func (p *scriptedPOS) Send(ctx context.Context, r pos.Request) (pos.Response, error) {
	defer p.before(r, false)()
	return p.inner.Send(ctx, r)
}

func (p *scriptedPOS) Reverse(ctx context.Context, rv pos.Reversal) (pos.Response, error) {
	defer p.before(rv.Request, true)()
	return p.inner.Reverse(ctx, rv)
}

// scriptedStack is a stack whose worker's acquirer client is scripted.
func scriptedStack(t *testing.T, opts stackOptions) (*stack, *scriptedPOS) {
	var sp *scriptedPOS
	opts.acquirer = func(sim *acquirersim.Acquirer, c activities.Acquirer) activities.Acquirer {
		sp = newScriptedPOS(sim, c)
		return sp
	}
	s := newStackOpts(t, lastEngine(t), opts)
	return s, sp
}

// counterUpdate authorises a case's refund at the counter (the checks of
// the procedure are the counter test's).
func (s *stack) counterUpdate(c cardCase) {
	s.t.Helper()
	if err := s.updateReturn(c.returnID, contract.UpdateCounterRefund, contract.CounterRefundRequest{
		Actor: returns.Actor{Kind: returns.ActorStaff, Name: "clerk", Role: "clerk"}, AuthorisedBy: "supervisor", TerminalID: "T0000001"}); err != nil {
		s.t.Fatal(err)
	}
}

// waitFor polls cond until it holds.
func (s *stack) waitFor(what string, within time.Duration, cond func() bool) {
	s.t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			s.t.Fatalf("%s: not within %s", what, within)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// waitWorkflow waits until a return's workflow (not only its read model,
// written a moment before) is in status.
func (s *stack) waitWorkflow(returnID, status string) {
	s.t.Helper()
	s.waitFor("workflow in "+status, 90*time.Second, func() bool {
		v, err := s.temporal.QueryWorkflow(context.Background(), contract.ReturnWorkflowID(returnID), "", contract.QueryStatus)
		var st contract.StatusView
		return err == nil && v.Get(&st) == nil && string(st.Status) == status
	})
}

// live are the ledger's voids and refunds of a sale that stand.
func (s *stack) liveFor(saleSTAN string) []acquirersim.Entry {
	var out []acquirersim.Entry
	for _, e := range s.acquirer.Ledger() {
		if e.Kind != "sale" && !e.Reversed && e.OriginalSTAN == saleSTAN {
			out = append(out, e)
		}
	}
	return out
}

// Sequence 1: an attempt approved, then the refund's workflow fails (a
// non-retryable error recording it) or an operator terminates it. The
// return waits on finance; finance's retry records the approved attempt as
// the refund and sends nothing.
func TestSequence1FinanceRetryAfterAnApprovedAttemptPaysOnce(t *testing.T) {
	t.Parallel()
	pts := &faultpoint.Points{}
	s := newStackOpts(t, lastEngine(t), stackOptions{faults: pts})
	cases := s.cardReturns(2)
	fin := s.login("finance")
	for i, how := range []string{"failed", "terminated"} {
		c := cases[i]
		if how == "failed" {
			pts.Arm(activities.FaultFinishRefund, 1, faultpoint.Fail)
		} else {
			pts.Arm(activities.FaultFinishRefund, 1, faultpoint.Block)
		}
		s.counterUpdate(c)
		s.waitFor("attempt approved", 30*time.Second, func() bool {
			as := s.attemptsOf(c.returnID)
			return len(as) == 1 && as[0].State == returns.AttemptApproved
		})
		if how == "terminated" {
			if err := s.temporal.TerminateWorkflow(context.Background(), contract.RefundWorkflowID(c.returnID, 1), "", "an operator's terminate"); err != nil {
				t.Fatal(err)
			}
		}
		s.waitWorkflow(c.returnID, "refund_failed")
		pts.Disarm(activities.FaultFinishRefund)
		r := s.must(s.call("POST", "/v1/finance/returns/"+c.returnID+"/refund-resolution",
			map[string]string{"action": "retry", "note": "the customer called"}, bearer(fin)...), 200).json()
		if r["status"] != "refunded" && r["status"] != "awaiting_settlement" {
			t.Fatalf("%s: after the retry the return is %v", how, r["status"])
		}
		s.waitFor("awaiting_settlement", 30*time.Second, func() bool { return s.readStatus(c.returnID) == "awaiting_settlement" })
		as := s.attemptsOf(c.returnID)
		if len(as) != 1 || as[0].State != returns.AttemptApproved {
			t.Fatalf("%s: attempts %+v; want the one approved attempt and no other", how, as)
		}
		if l := s.liveFor(c.order.Payment.STAN); len(l) != 1 {
			t.Fatalf("%s: the acquirer holds %d live refunds of the sale; want 1", how, len(l))
		}
		// Store credit on top would pay twice: refused.
		s.problem(s.call("POST", "/v1/finance/returns/"+c.returnID+"/refund-resolution",
			map[string]string{"action": "store_credit", "note": "and credit too"}, bearer(fin)...), 409, "")
	}
}

// Sequence 2: one merchant cannot register another's payment: not its
// gateway payment ID, not its card sale (RRN, or terminal and STAN of the
// day), not a sale on its terminal. The refusal does not say whose it is.
func TestSequence2APaymentBelongsToOneMerchant(t *testing.T) {
	t.Parallel()
	s := newStack(t, lastEngine(t))
	ctx := context.Background()
	s.must(s.call("POST", "/v1/orders", order("A-1", "online"), "X-API-Key", demoAPIKey), 201)
	s.must(s.call("POST", "/v1/orders", order("A-2", "card_present"), "X-API-Key", demoAPIKey), 201)
	// Merchant B, with a store and a terminal of its own, and an API key.
	b := &db.Merchant{Slug: "beta", Name: "Beta", Currency: "EUR", AcquirerMerchantID: "BETA00000000001", Policy: db.JSON("{}")}
	if err := s.db.Merchants.CreateMerchant(ctx, b); err != nil {
		t.Fatal(err)
	}
	st := &db.Store{MerchantID: b.ID, Code: "main", Name: "Beta Main"}
	if err := s.db.Merchants.CreateStore(ctx, st); err != nil {
		t.Fatal(err)
	}
	if err := s.db.Merchants.CreateTerminal(ctx, &db.Terminal{MerchantID: b.ID, StoreID: st.ID, TerminalID: "B0000001", Kind: db.TerminalPhysical}); err != nil {
		t.Fatal(err)
	}
	bKey := "rbk_e2e_beta_key_0123456789"
	if err := s.db.Staff.CreateAPIKey(ctx, &db.APIKey{MerchantID: b.ID, Name: "beta", Prefix: bKey[:10], KeyHash: auth.HashToken(bKey)}); err != nil {
		t.Fatal(err)
	}
	theirs := func(number string, pay func(p map[string]any)) map[string]any {
		o := order(number, "card_present")
		pay(o["payment"].(map[string]any))
		return o
	}
	online := order("B-1", "online")
	online["payment"].(map[string]any)["gateway_payment_id"] = "pay_a-1"
	for _, c := range []struct {
		name   string
		body   map[string]any
		status int
		field  string
	}{
		{"A's gateway payment", online, 409, ""},
		{"A's card sale by RRN", theirs("B-2", func(p map[string]any) { p["terminal_id"], p["rrn"] = "B0000001", saleRRN("A-2") }), 409, ""},
		{"A's card sale by terminal and STAN", theirs("B-3", func(p map[string]any) { p["stan"] = saleSTAN("A-2") }), 422, "payment.terminal_id"},
		{"a sale on A's terminal", theirs("B-4", func(p map[string]any) {}), 422, "payment.terminal_id"},
	} {
		r := s.call("POST", "/v1/orders", c.body, "X-API-Key", bKey)
		s.problem(r, c.status, c.field)
		for _, secret := range []string{"demo", "A-1", "A-2", "Demo"} {
			if strings.Contains(string(r.Body), secret) {
				t.Errorf("%s: the refusal names the other merchant's %q: %s", c.name, secret, r.Body)
			}
		}
	}
	// Its own sale is B's to register.
	s.must(s.call("POST", "/v1/orders", theirs("B-5", func(p map[string]any) { p["terminal_id"] = "B0000001" }), "X-API-Key", bKey), 201)
}

// Sequence 3: an attempt whose reversal is never acknowledged is escalated,
// and the refund is blocked — until finance ends it with evidence, through
// the work item or the attempt: confirmed approved makes it the refund
// (nothing sent again); confirmed never received lets the retry pay.
func TestSequence3FinanceEndsAnEscalatedAttemptWithEvidence(t *testing.T) {
	t.Parallel()
	s, sp := scriptedStack(t, stackOptions{})
	cases := s.cardReturns(2)
	fin := s.login("finance")
	// The first sale's refund is approved but its answer lost; the second's
	// never reaches the host; no reversal of either is ever answered.
	sp.on(cases[0].order.Payment.STAN, func(call int, reversal bool) acquirersim.Faults {
		if call == 1 {
			return acquirersim.Faults{ApproveThenLose: 1}
		}
		return acquirersim.Faults{Drop: 1}
	})
	sp.on(cases[1].order.Payment.STAN, func(int, bool) acquirersim.Faults { return acquirersim.Faults{Drop: 1} })
	for _, c := range cases {
		s.counterUpdate(c)
	}
	for _, c := range cases {
		s.waitWorkflow(c.returnID, "refund_failed")
		as := s.attemptsOf(c.returnID)
		if len(as) != 1 || as[0].State != returns.AttemptEscalated || as[0].ReversalTries != cardSettings.MaxReversals {
			t.Fatalf("attempts %+v; want one escalated after %d reversals", as, cardSettings.MaxReversals)
		}
		// Every resolution of the refund is blocked while it is in doubt.
		for _, action := range []string{"retry", "mark_refunded", "store_credit"} {
			s.problem(s.call("POST", "/v1/finance/returns/"+c.returnID+"/refund-resolution",
				map[string]string{"action": action, "note": "x"}, bearer(fin)...), 409, "escalated")
		}
	}
	// Through the work item: the acquirer's portal shows the first approved.
	items := s.must(s.call("GET", "/v1/finance/work-items", nil, bearer(fin)...), 200).json()["items"].([]any)
	first := s.attemptsOf(cases[0].returnID)[0]
	var itemID string
	for _, it := range items {
		m := it.(map[string]any)
		if m["kind"] == "reversal_unacknowledged" && m["return_id"] == cases[0].returnID {
			itemID = m["id"].(string)
		}
	}
	if itemID == "" {
		t.Fatalf("no reversal_unacknowledged work item for the first return: %v", items)
	}
	s.must(s.call("POST", "/v1/finance/work-items/"+itemID+"/resolve",
		map[string]string{"resolution": "confirmed_approved", "note": "acquirer portal: approved, RRN " + first.RRN}, bearer(fin)...), 200)
	s.waitFor("awaiting_settlement", 30*time.Second, func() bool { return s.readStatus(cases[0].returnID) == "awaiting_settlement" })
	if as := s.attemptsOf(cases[0].returnID); len(as) != 1 || as[0].State != db.AttemptConfirmedApproved || as[0].ResolvedBy != "finance" {
		t.Fatalf("attempts %+v; want the one attempt confirmed approved by finance, no other", as)
	}
	// Through the attempt: the second never reached the host.
	second := s.attemptsOf(cases[1].returnID)[0]
	sp.on(cases[1].order.Payment.STAN, func(int, bool) acquirersim.Faults { return acquirersim.Faults{} })
	r := s.must(s.call("POST", "/v1/finance/attempts/"+second.ID+"/resolution",
		map[string]string{"resolution": "confirmed_not_received", "note": "not in the acquirer's report of the day"}, bearer(fin)...), 200).json()
	if atts := r["attempts"].([]any); atts[0].(map[string]any)["state"] != "confirmed_not_received" {
		t.Fatalf("after the resolution: %v", r)
	}
	s.problem(s.call("POST", "/v1/finance/attempts/"+second.ID+"/resolution",
		map[string]string{"resolution": "confirmed_approved", "note": "changed my mind"}, bearer(fin)...), 409, "")
	s.must(s.call("POST", "/v1/finance/returns/"+cases[1].returnID+"/refund-resolution",
		map[string]string{"action": "retry", "note": "never received: pay it"}, bearer(fin)...), 200)
	s.waitFor("awaiting_settlement", 30*time.Second, func() bool { return s.readStatus(cases[1].returnID) == "awaiting_settlement" })
	for _, c := range cases {
		if l := s.liveFor(c.order.Payment.STAN); len(l) != 1 {
			t.Fatalf("return %s: %d live refunds at the acquirer; want 1", c.returnID, len(l))
		}
	}
	var audited int64
	if err := s.db.Raw(context.Background(), "SELECT COUNT(*) FROM audit_log WHERE action = 'attempt.resolution' AND outcome = 'success'", &audited); err != nil || audited != 1 {
		t.Fatalf("audited attempt resolutions: %d, %v", audited, err)
	}
	// The histories of the money rules' version guard it from now on.
	recordHistory(t, s, cases[0].returnID, "return_card_escalated_evidence_v4")
	recordWorkflow(t, s, contract.RefundWorkflowID(cases[0].returnID, 1), "refund_card_escalated_v4")
	recordWorkflow(t, s, contract.RefundWorkflowID(cases[1].returnID, 2), "refund_card_after_evidence_v4")
}

// Sequence 4: answers carrying fields Rebound does not use, with a
// secondary bitmap, are read: the refund is paid, the fields are kept for
// finance.
func TestSequence4AnswersWithUnusedFieldsAreRead(t *testing.T) {
	t.Parallel()
	s, sp := scriptedStack(t, stackOptions{})
	c := s.cardReturns(1)[0]
	sp.on(c.order.Payment.STAN, func(int, bool) acquirersim.Faults { return acquirersim.Faults{ExtraFields: true} })
	s.counterUpdate(c)
	s.waitFor("awaiting_settlement", 30*time.Second, func() bool { return s.readStatus(c.returnID) == "awaiting_settlement" })
	as := s.attemptsOf(c.returnID)
	if len(as) != 1 || as[0].State != returns.AttemptApproved {
		t.Fatalf("attempts %+v", as)
	}
	var fields map[string]string
	if err := json.Unmarshal(as[0].AnswerFields, &fields); err != nil || fields["15"] == "" || fields["63"] == "" {
		t.Fatalf("answer fields %s (%v); want DE15 and DE63 kept", as[0].AnswerFields, err)
	}
	refunds, _ := s.db.Refunds.RefundsOfReturn(context.Background(), c.returnID)
	detail := s.must(s.call("GET", "/v1/finance/refunds/"+refunds[0].ID, nil, bearer(s.login("finance"))...), 200).json()
	if af := detail["attempts"].([]any)[0].(map[string]any)["answer_fields"]; af == nil {
		t.Fatalf("finance does not see the answer's fields: %v", detail)
	}
}

// Sequence 5: late and conflicting answers. A reversal answered 25 before
// its original was processed waits for the original's fate: the host's
// late approval is then reversed by the repeat, finance is told, and only
// then does the next attempt go: one live refund. A late approval after an
// acknowledged reversal is a work item too.
func TestSequence5LateApprovalsBecomeWorkItems(t *testing.T) {
	t.Parallel()
	s, sp := scriptedStack(t, stackOptions{})
	cases := s.cardReturns(2)
	sp.on(cases[0].order.Payment.STAN, func(call int, reversal bool) acquirersim.Faults {
		if call == 1 {
			return acquirersim.Faults{ApproveAfterReversal: 1, DelayBy: fateWait / 2}
		}
		return acquirersim.Faults{}
	})
	sp.on(cases[1].order.Payment.STAN, func(call int, reversal bool) acquirersim.Faults {
		if call == 1 {
			return acquirersim.Faults{Delay: 1, DelayBy: 3 * isoTimeout}
		}
		return acquirersim.Faults{}
	})
	for _, c := range cases {
		s.counterUpdate(c)
	}
	for _, c := range cases {
		s.waitFor("awaiting_settlement", 60*time.Second, func() bool { return s.readStatus(c.returnID) == "awaiting_settlement" })
		if l := s.liveFor(c.order.Payment.STAN); len(l) != 1 {
			t.Fatalf("return %s: %d live refunds; want 1: %+v", c.returnID, len(l), s.acquirer.Ledger())
		}
	}
	first := s.attemptsOf(cases[0].returnID)
	if len(first) != 2 || first[0].State != returns.AttemptReversed || first[0].ReversalCode != "00" || first[0].LateResponseCode != "00" {
		t.Fatalf("attempts %+v; want the first reversed (a 25, then 00 once the late approval came), a second paid", first)
	}
	if gap := first[1].CreatedAt.Sub(*first[0].ReversalAt); gap < fateWait {
		t.Fatalf("the next attempt went %s after the 25; want after the original's time (%s)", gap, fateWait)
	}
	recordWorkflow(t, s, contract.RefundWorkflowID(cases[0].returnID, 1), "refund_card_fate_wait_v4")
	s.waitFor("late approvals as work items", 10*time.Second, func() bool {
		var n int64
		_ = s.db.Raw(context.Background(), "SELECT COUNT(*) FROM work_items WHERE kind = 'late_approval'", &n)
		return n == 2
	})
}

// Sequence 6: a sale is voided or refunded from its own data: registered
// with its own transmission time (ten minutes ago, in the open batch)
// although the order was placed days ago, the whole sale is voided, from
// its own terminal. The stack's cut-off is half a day after the sale, so
// that its batch is open whatever the wall clock says.
func TestSequence6TheSalesOwnTimeDecidesTheVoid(t *testing.T) {
	t.Parallel()
	sale := time.Now().UTC().Add(-10 * time.Minute)
	s := newStackOpts(t, lastEngine(t), stackOptions{cutoff: openBatchCutoff(sale)})
	o := order("V-1", "card_present")
	o["placed_at"] = time.Now().UTC().Add(-72 * time.Hour).Format(time.RFC3339)
	o["shipping_amount"] = 0 // so that both lines are the whole sale
	o["payment"].(map[string]any)["amount"] = 2*2500 - 300 + 8000
	p := o["payment"].(map[string]any)
	p["transmitted_at"], p["batch"] = sale.Format(time.RFC3339), "000042"
	s.must(s.call("POST", "/v1/orders", o, "X-API-Key", demoAPIKey), 201)
	got := s.must(s.call("GET", "/v1/orders/V-1", nil, "X-API-Key", demoAPIKey), 200).json()["payment"].(map[string]any)
	if got["transmitted_at"] != sale.Truncate(time.Second).Format(time.RFC3339) || got["batch"] != "000042" {
		t.Fatalf("payment as registered: %v", got)
	}
	id := s.fileInStore("V-1", []map[string]any{{"line_id": "L1", "quantity": 2, "reason": "too_large"}, {"line_id": "L2", "quantity": 1, "reason": "too_large"}})
	s.must(s.call("POST", "/v1/merchant/returns/"+id+"/in-store-refund", map[string]string{"terminal_id": "T0000001",
		"supervisor_username": "supervisor", "supervisor_password": demoPassword, "voucher_no": saleSTAN("V-1"),
		"card_fingerprint": "fp_secret_card_token_42"}, bearer(s.login("clerk"))...), 200)
	as := s.attemptsOf(id)
	if len(as) != 1 || as[0].Kind != returns.AttemptVoid || as[0].State != returns.AttemptApproved || as[0].TerminalID != "T0000001" {
		t.Fatalf("attempts %+v; want one void, from the sale's own terminal", as)
	}
}

// openBatchCutoff is a cut-off (time of day, UTC, whole minutes) about
// twelve hours after sale: the sale's batch stays open for that long, and
// the previous cut-off was as long before it.
func openBatchCutoff(sale time.Time) time.Duration {
	at := sale.UTC().Add(12 * time.Hour)
	c := at.Sub(at.Truncate(24 * time.Hour)).Truncate(time.Minute)
	if c == 0 {
		c = time.Minute // 0 would mean the default, 22:00
	}
	return c
}

// Sequence 7: a counter refund under a freeze answers at once, 202 with
// the freeze's reason, not after the counter's 30 s.
func TestSequence7ACounterRefundUnderAFreezeAnswersAtOnce(t *testing.T) {
	t.Parallel()
	s := newStack(t, lastEngine(t))
	id := s.toCounter("F-1")
	admin := s.login("admin")
	s.must(s.call("POST", "/v1/merchant/freezes", map[string]string{"reason": "terminal tampering suspected"}, bearer(admin)...), 201)
	start := time.Now()
	r := s.must(s.call("POST", "/v1/merchant/returns/"+id+"/in-store-refund", map[string]string{"terminal_id": "T0000001",
		"supervisor_username": "supervisor", "supervisor_password": demoPassword, "voucher_no": saleSTAN("F-1"),
		"card_fingerprint": "fp_secret_card_token_42"}, bearer(s.login("clerk"))...), 202).json()
	if took := time.Since(start); took > 15*time.Second {
		t.Fatalf("the counter waited %s", took)
	}
	ref := r["refund"].(map[string]any)
	if ref["frozen"] != true || ref["frozen_reason"] != "terminal tampering suspected" {
		t.Fatalf("refund %v; want frozen with the reason", ref)
	}
}

// fileInStore files and verifies an in-store return of a demo order's
// lines and brings it to refund_pending (reviewed, received, inspected).
func (s *stack) fileInStore(number string, lines []map[string]any) string {
	s.t.Helper()
	id := s.must(s.call("POST", "/v1/returns", map[string]any{"merchant": "demo", "order_number": number, "contact": "pat@example.com",
		"method": "in_store", "lines": lines}), 201).json()["id"].(string)
	s.must(s.call("POST", "/v1/returns/"+id+"/verify", map[string]string{"code": s.code("pat@example.com")}), 200)
	sup, clerk := s.login("supervisor"), s.login("clerk")
	if s.readStatus(id) == "awaiting_review" {
		s.must(s.call("POST", "/v1/merchant/returns/"+id+"/review", map[string]string{"decision": "approve"}, bearer(sup)...), 200)
	}
	s.must(s.call("POST", "/v1/merchant/returns/"+id+"/receive", map[string]string{}, bearer(clerk)...), 200)
	var inspected []map[string]any
	for _, l := range lines {
		inspected = append(inspected, map[string]any{"line_id": l["line_id"], "accepted_quantity": l["quantity"], "condition": "new"})
	}
	s.must(s.call("POST", "/v1/merchant/returns/"+id+"/inspection", map[string]any{"lines": inspected}, bearer(clerk)...), 200)
	s.waitFor("refund_pending", 10*time.Second, func() bool { return s.readStatus(id) == "refund_pending" })
	return id
}

// The settlement file ends escalated attempts too: one it holds was paid
// (the return waiting on finance goes on to settlement and closes with the
// file); one it does not hold past the overdue window never reached the
// acquirer (finance may then retry).
func TestReconciliationEndsEscalatedAttempts(t *testing.T) {
	t.Parallel()
	s, sp := scriptedStack(t, stackOptions{})
	ctx := context.Background()
	cases := s.cardReturns(2)
	sp.on(cases[0].order.Payment.STAN, func(call int, reversal bool) acquirersim.Faults {
		if call == 1 {
			return acquirersim.Faults{ApproveThenLose: 1}
		}
		return acquirersim.Faults{Drop: 1}
	})
	sp.on(cases[1].order.Payment.STAN, func(int, bool) acquirersim.Faults { return acquirersim.Faults{Drop: 1} })
	for _, c := range cases {
		s.counterUpdate(c)
	}
	for _, c := range cases {
		s.waitWorkflow(c.returnID, "refund_failed")
	}
	// The second was sent ten days ago: past the overdue window, a file
	// without it is evidence it never arrived.
	never := s.attemptsOf(cases[1].returnID)[0]
	old := time.Now().UTC().AddDate(0, 0, -10).Format("2006-01-02")
	if err := s.db.Exec(ctx, "UPDATE refund_attempts SET transmitted_day = ? WHERE id = ?", old, never.ID); err != nil {
		t.Fatal(err)
	}
	fin := s.login("finance")
	s.acquirer.CutOff()
	var file bytes.Buffer
	if err := pos.WriteSettlement(&file, s.acquirer.Settlement(time.Now().UTC().Truncate(24*time.Hour))); err != nil {
		t.Fatal(err)
	}
	up := s.must(s.upload(fin, "acquirer", "settlement.csv", file.Bytes()), 202).json()
	s.reconciled(fin, up["file"].(map[string]any)["id"].(string))

	paid := s.attemptsOf(cases[0].returnID)
	if len(paid) != 1 || paid[0].State != db.AttemptConfirmedApproved || paid[0].ResolvedBy != "reconciliation" {
		t.Fatalf("the attempt the file holds: %+v; want confirmed approved by reconciliation", paid)
	}
	s.waitFor("closed by the file", 30*time.Second, func() bool { return s.readStatus(cases[0].returnID) == "closed" })
	if got := s.attemptsOf(cases[1].returnID); got[0].State != db.AttemptConfirmedNotReceived || got[0].ResolvedBy != "reconciliation" {
		t.Fatalf("the attempt the file does not hold: %+v; want confirmed never received", got)
	}
	var open int64
	if err := s.db.Raw(ctx, "SELECT COUNT(*) FROM work_items WHERE kind = 'reversal_unacknowledged' AND status = 'open'", &open); err != nil || open != 0 {
		t.Fatalf("escalations still open: %d, %v", open, err)
	}
	sp.on(cases[1].order.Payment.STAN, func(int, bool) acquirersim.Faults { return acquirersim.Faults{} }) // the host answers again
	s.must(s.call("POST", "/v1/finance/returns/"+cases[1].returnID+"/refund-resolution",
		map[string]string{"action": "retry", "note": "the file shows it never arrived"}, bearer(fin)...), 200)
	s.waitFor("awaiting_settlement", 30*time.Second, func() bool { return s.readStatus(cases[1].returnID) == "awaiting_settlement" })
	for _, c := range cases {
		if l := s.liveFor(c.order.Payment.STAN); len(l) != 1 {
			t.Fatalf("return %s: %d live refunds; want 1", c.returnID, len(l))
		}
	}
}
