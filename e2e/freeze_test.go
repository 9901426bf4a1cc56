package e2e_test

import (
	"bytes"
	"context"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/rebound-returns/rebound/contract"
	"github.com/rebound-returns/rebound/returns"

	"github.com/rebound-returns/rebound/acquirersim"
	"github.com/rebound-returns/rebound/cli"
	"github.com/rebound-returns/rebound/db"
)

// liveRefunds counts the acquirer's refunds and voids that stand (not
// reversed).
func (s *stack) liveRefunds() int {
	n := 0
	for _, e := range s.acquirer.Ledger() {
		if e.Kind != "sale" && !e.Reversed {
			n++
		}
	}
	return n
}

// heldBy waits until every case's refund is held by a freeze.
func (s *stack) heldBy(cases []cardCase, freezeID string) {
	s.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		held := 0
		for _, c := range cases {
			refunds, err := s.db.Refunds.RefundsOfReturn(context.Background(), c.returnID)
			if err != nil {
				s.t.Fatal(err)
			}
			if len(refunds) == 1 && refunds[0].FrozenBy != nil && *refunds[0].FrozenBy == freezeID {
				held++
			}
		}
		if held == len(cases) {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	s.t.Fatalf("the refunds were not held by freeze %s", freezeID)
}

// sentSoFar counts the attempts a refund has made.
func (s *stack) attemptsOf(returnID string) []db.RefundAttempt {
	s.t.Helper()
	refunds, err := s.db.Refunds.RefundsOfReturn(context.Background(), returnID)
	if err != nil || len(refunds) != 1 {
		s.t.Fatalf("refunds %v %v", refunds, err)
	}
	atts, err := s.db.Refunds.AttemptsOfRefund(context.Background(), refunds[0].ID)
	if err != nil {
		s.t.Fatal(err)
	}
	return atts
}

func TestRefundsStartedDuringAFreezeSendNothingUntilItIsLifted(t *testing.T) {
	s := newStack(t, lastEngine(t))
	admin := s.login("admin")
	s.problem(s.call("POST", "/v1/merchant/freezes", map[string]string{"reason": " "}, bearer(admin)...), 422, "reason")
	s.problem(s.call("POST", "/v1/merchant/freezes", map[string]string{"reason": "x"}, bearer(s.login("supervisor"))...), 403, "")
	f := s.must(s.call("POST", "/v1/merchant/freezes", map[string]string{"reason": "card skimmer suspected at the counter"}, bearer(admin)...), 201).json()
	freezeID := f["id"].(string)
	if f["scope"] != "merchant" || f["active"] != true {
		t.Fatalf("freeze %v", f)
	}
	// Every role sees it; the admins were told.
	if fs := s.must(s.call("GET", "/v1/merchant/freezes?active=true", nil, bearer(s.login("clerk"))...), 200).json()["items"].([]any); len(fs) != 1 {
		t.Fatalf("freezes seen by a clerk: %v", fs)
	}
	msgs := s.must(s.call("GET", "/v1/dev/outbox?to=admin@demo.example", nil), 200)
	if !strings.Contains(string(msgs.Body), "card skimmer suspected") {
		t.Fatalf("the admin was not told: %s", msgs.Body)
	}

	cards := s.cardReturns(2)
	s.counterRefunds(cards)
	s.heldBy(cards, freezeID)
	time.Sleep(time.Second) // time enough to send, were they not held
	if n := s.liveRefunds(); n != 0 {
		t.Fatalf("%d refunds reached the acquirer during the freeze", n)
	}
	for _, c := range cards {
		if atts := s.attemptsOf(c.returnID); len(atts) != 0 {
			t.Fatalf("a frozen refund prepared %d attempts", len(atts))
		}
	}
	v := s.must(s.call("GET", "/v1/returns/"+cards[0].returnID, nil, bearer(admin)...), 200).json()
	if v["refund"].(map[string]any)["frozen"] != true || v["status"] != "refund_pending" {
		t.Fatalf("a held refund shows %v", v["refund"])
	}

	lifted := s.must(s.call("POST", "/v1/merchant/freezes/"+freezeID+"/lift", nil, bearer(admin)...), 200).json()
	if lifted["refunds_released"].(float64) != 2 {
		t.Fatalf("lift %v", lifted)
	}
	s.problem(s.call("POST", "/v1/merchant/freezes/"+freezeID+"/lift", nil, bearer(admin)...), 404, "")
	statuses := s.waitRefundsSettled(cards, time.Minute)
	for id, st := range statuses {
		if st != "awaiting_settlement" && st != "closed" {
			t.Fatalf("return %s ended %s after the lift", id, st)
		}
	}
	if n := s.liveRefunds(); n != 2 {
		t.Fatalf("the acquirer holds %d refunds, want 2", n)
	}
	recordWorkflow(t, s, contract.RefundWorkflowID(cards[0].returnID, 1), "refund_card_frozen_v3")
}

func TestAReversalUnderWayWhenAFreezeStartsStillCompletes(t *testing.T) {
	s := newStack(t, lastEngine(t))
	// An operator freezes the sale's terminal from outside the merchant.
	var out, errOut bytes.Buffer
	env := func(k string) (string, bool) {
		if k == "REBOUND_DATABASE_URL" {
			return s.dbURL, true
		}
		return "", false
	}
	if code := cli.Main([]string{"admin", "create-operator", "--username", "ops-freeze"}, &out, &errOut, env); code != 0 {
		t.Fatalf("create-operator: %s", errOut.String())
	}
	op := s.firstLogin("", "ops-freeze", regexp.MustCompile(`one-time password (\S+)`).FindStringSubmatch(out.String())[1])

	cards := s.cardReturns(1)
	// The acquirer approves the refund and the answer is lost: Rebound does
	// not know, so it reverses.
	s.acquirer.SetFaults(acquirersim.Faults{ApproveThenLose: 1})
	s.counterRefunds(cards)
	deadline := time.Now().Add(30 * time.Second)
	for {
		atts := s.attemptsOf(cards[0].returnID)
		if len(atts) == 1 && (atts[0].State == returns.AttemptUnknown || atts[0].State == returns.AttemptReversalPending) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no unknown outcome: %+v", atts)
		}
		time.Sleep(50 * time.Millisecond)
	}
	f := s.must(s.call("POST", "/v1/admin/freezes", map[string]string{"merchant": "demo", "terminal_id": "T0000001",
		"reason": "terminal reported stolen"}, bearer(op)...), 201).json()
	if f["scope"] != "terminal" || f["terminal_id"] != "T0000001" {
		t.Fatalf("freeze %v", f)
	}
	s.acquirer.SetFaults(acquirersim.Faults{})
	// The merchant's admin cannot lift what the platform froze.
	s.problem(s.call("POST", "/v1/merchant/freezes/"+f["id"].(string)+"/lift", nil, bearer(s.login("admin"))...), 404, "")

	// The reversal goes through despite the freeze; the next attempt waits.
	for {
		atts := s.attemptsOf(cards[0].returnID)
		if atts[0].State == returns.AttemptReversed {
			break
		}
		if atts[0].State == returns.AttemptEscalated || time.Now().After(deadline.Add(30*time.Second)) {
			t.Fatalf("the reversal did not complete under the freeze: %+v", atts[0])
		}
		time.Sleep(50 * time.Millisecond)
	}
	s.heldBy(cards, f["id"].(string))
	time.Sleep(time.Second)
	if atts := s.attemptsOf(cards[0].returnID); len(atts) != 1 {
		t.Fatalf("a new attempt went out under the freeze: %d attempts", len(atts))
	}
	if n := s.liveRefunds(); n != 0 {
		t.Fatalf("%d refunds stand at the acquirer under the freeze", n)
	}

	s.must(s.call("POST", "/v1/admin/freezes/"+f["id"].(string)+"/lift", nil, bearer(op)...), 200)
	s.waitRefundsSettled(cards, time.Minute)
	atts := s.attemptsOf(cards[0].returnID)
	if len(atts) != 2 || atts[0].State != returns.AttemptReversed || atts[1].State != returns.AttemptApproved {
		t.Fatalf("attempts after the lift: %+v", atts)
	}
	if n := s.liveRefunds(); n != 1 {
		t.Fatalf("the acquirer holds %d live refunds, want exactly 1", n)
	}
}
