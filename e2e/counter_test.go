package e2e_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/rebound-returns/rebound/auth"
	"github.com/rebound-returns/rebound/contract"
	"github.com/rebound-returns/rebound/db"
	"github.com/rebound-returns/rebound/db/dbtest"
)

// wrongSTAN is a voucher number that is not stan.
func wrongSTAN(stan string) string {
	if stan == "004712" {
		return "004713"
	}
	return "004712"
}

// toCounter brings a card-present in-store return to refund_pending and
// answers its id.
func (s *stack) toCounter(number string) string {
	s.t.Helper()
	s.must(s.call("POST", "/v1/orders", order(number, "card_present"), "X-API-Key", demoAPIKey), 201)
	id := s.must(s.call("POST", "/v1/returns", map[string]any{
		"merchant": "demo", "order_number": number, "contact": "pat@example.com", "method": "in_store",
		"lines": []map[string]any{{"line_id": "L2", "quantity": 1, "reason": "too_large"}},
	}), 201).json()["id"].(string)
	shopper := s.must(s.call("POST", "/v1/returns/"+id+"/verify", map[string]string{"code": s.code("pat@example.com")}), 200).json()["token"].(string)
	sup, clerk := s.login("supervisor"), s.login("clerk")
	// Boots at 80.00 are above the auto-approve limit: a supervisor reviews.
	s.must(s.call("POST", "/v1/merchant/returns/"+id+"/review", map[string]string{"decision": "approve"}, bearer(sup)...), 200)
	s.must(s.call("POST", "/v1/merchant/returns/"+id+"/receive", map[string]string{}, bearer(clerk)...), 200)
	s.must(s.call("POST", "/v1/merchant/returns/"+id+"/inspection", map[string]any{"lines": []map[string]any{
		{"line_id": "L2", "accepted_quantity": 1, "condition": "new"}}}, bearer(clerk)...), 200)
	s.waitStatus(id, shopper, "refund_pending")
	return id
}

func TestCounterRefundChecksEachStepThenPaysOnce(t *testing.T) {
	e := dbtest.Engines(t)[len(dbtest.Engines(t))-1]
	s := newStack(t, e)
	ctx := context.Background()
	id := s.toCounter("C-3001")
	clerk := s.login("clerk")
	good := map[string]string{"terminal_id": "T0000001", "supervisor_username": "supervisor", "supervisor_password": demoPassword,
		"voucher_no": saleSTAN("C-3001"), "card_fingerprint": "fp_secret_card_token_42"}
	with := func(k, v string) map[string]string {
		m := map[string]string{}
		for a, b := range good {
			m[a] = b
		}
		m[k] = v
		return m
	}
	// Another merchant, with a terminal and a supervisor of its own.
	other := &db.Merchant{Slug: "other", Name: "Other"}
	if err := s.db.Merchants.CreateMerchant(ctx, other); err != nil {
		t.Fatal(err)
	}
	st := &db.Store{MerchantID: other.ID, Code: "x", Name: "X"}
	if err := s.db.Merchants.CreateStore(ctx, st); err != nil {
		t.Fatal(err)
	}
	if err := s.db.Merchants.CreateTerminal(ctx, &db.Terminal{MerchantID: other.ID, StoreID: st.ID, TerminalID: "X0000001", Kind: db.TerminalPhysical}); err != nil {
		t.Fatal(err)
	}
	hash, _ := auth.HashPassword(demoPassword)
	if err := s.db.Staff.CreateStaff(ctx, &db.StaffUser{MerchantID: &other.ID, Username: "other-sup", Role: "supervisor", PasswordHash: hash}); err != nil {
		t.Fatal(err)
	}
	if err := s.db.Staff.CreateStaff(ctx, &db.StaffUser{MerchantID: &s.merchantIDPtr()[0], Username: "sup2", Role: "supervisor", PasswordHash: hash, Email: "sup2@demo.example"}); err != nil {
		t.Fatal(err)
	}

	path := "/v1/merchant/returns/" + id + "/in-store-refund"
	checks := []struct {
		name   string
		body   map[string]string
		status int
		names  string
	}{
		{"wrong password", with("supervisor_password", "wrong-password"), 403, "authorisation failed"},
		{"a clerk instead of a supervisor", with("supervisor_username", "clerk"), 403, "not a supervisor"},
		{"another merchant's supervisor", with("supervisor_username", "other-sup"), 403, "authorisation failed"},
		{"wrong voucher", with("voucher_no", wrongSTAN(saleSTAN("C-3001"))), 422, "voucher_no"},
		{"another card", with("card_fingerprint", "fp_someone_elses_card"), 422, "card_fingerprint"},
		{"another merchant's terminal", with("terminal_id", "X0000001"), 422, "terminal_id"},
		{"a terminal that does not exist", with("terminal_id", "Z9999999"), 422, "terminal_id"},
		{"a field missing", with("voucher_no", ""), 422, "voucher_no"},
	}
	for _, c := range checks {
		r := s.call("POST", path, c.body, bearer(clerk)...)
		s.problem(r, c.status, c.names)
		if strings.Contains(string(r.Body), demoPassword) || strings.Contains(string(r.Body), "wrong-password") {
			t.Errorf("%s: the answer echoes a password", c.name)
		}
	}
	// Finance may not start counter refunds.
	s.problem(s.call("POST", path, good, bearer(s.login("finance"))...), 403, "")
	if st := s.acquirer.Stats(); st.Requests != 0 {
		t.Fatalf("failed checks sent %d messages to the acquirer", st.Requests)
	}
	audit, err := s.db.Audit.AuditLog(ctx, s.merchantID(), 200)
	if err != nil {
		t.Fatal(err)
	}
	denied := map[string]bool{}
	for _, a := range audit {
		if a.Action == "refund.counter" && a.Outcome != db.OutcomeSuccess {
			var d struct{ Check string }
			_ = json.Unmarshal(a.Detail, &d)
			denied[d.Check] = true
		}
		if strings.Contains(string(a.Detail), "wrong-password") {
			t.Fatal("a password reached the audit log")
		}
	}
	for _, check := range []string{"supervisor", "voucher", "card", "terminal"} {
		if !denied[check] {
			t.Errorf("the failed %s check is not audited: %v", check, denied)
		}
	}

	// Ten failed authorisations lock a supervisor, and the admin hears of it.
	wrongSup2 := with("supervisor_username", "sup2")
	wrongSup2["supervisor_password"] = "guess"
	for range 10 {
		s.problem(s.call("POST", path, wrongSup2, bearer(clerk)...), 403, "")
	}
	s.problem(s.call("POST", path, map[string]string{"terminal_id": "T0000001", "supervisor_username": "sup2", "supervisor_password": demoPassword,
		"voucher_no": saleSTAN("C-3001"), "card_fingerprint": "fp_secret_card_token_42"}, bearer(clerk)...), 423, "locked")
	admin, err := s.db.Outbox.OutboxTo(ctx, "admin@demo.example", 10)
	if err != nil || len(admin) == 0 || !strings.Contains(admin[0].Subject, "locked") {
		t.Fatalf("the admin was not told: %+v, %v", admin, err)
	}

	// The right supervisor, voucher, card and terminal: the card is refunded, once.
	ok := s.must(s.call("POST", path, good, append(bearer(clerk), "Idempotency-Key", "counter-1")...), 200).json()
	refund := ok["refund"].(map[string]any)
	if refund["status"] != "succeeded" || refund["amount"].(float64) != 8000 {
		t.Fatalf("refund %v", refund)
	}
	again := s.must(s.call("POST", path, good, append(bearer(clerk), "Idempotency-Key", "counter-1")...), 200)
	if again.Header.Get("Idempotent-Replayed") != "true" {
		t.Fatal("the same key did not replay")
	}
	s.problem(s.call("POST", path, good, bearer(clerk)...), 409, "") // no second refund
	var live int
	for _, e := range s.acquirer.Ledger() {
		if e.Kind != "sale" && !e.Reversed {
			live++
		}
	}
	if live != 1 || s.acquirer.Stats().Requests != 1 {
		t.Fatalf("%d live refunds, %d requests; want exactly one", live, s.acquirer.Stats().Requests)
	}
	s.checkSecrets(id, demoPassword, "fp_secret_card_token_42")
	recordHistory(t, s, id, "return_card_counter_v5")
	recordWorkflow(t, s, contract.RefundWorkflowID(id, 1), "refund_card_v5")
}

func (s *stack) merchantIDPtr() []string { return []string{s.merchantID()} }
