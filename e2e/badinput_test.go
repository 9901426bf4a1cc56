package e2e_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/rebound-returns/rebound/auth"
	"github.com/rebound-returns/rebound/db"
	"github.com/rebound-returns/rebound/db/dbtest"
)

// problem checks an answer is a problem+json with the status and that it
// names what is wrong.
func (s *stack) problem(r response, status int, names string) {
	s.t.Helper()
	if r.Status != status || r.Header.Get("Content-Type") != "application/problem+json" {
		s.t.Errorf("status %d (%s), want %d problem+json: %s", r.Status, r.Header.Get("Content-Type"), status, r.Body)
		return
	}
	if names != "" && !strings.Contains(string(r.Body), names) {
		s.t.Errorf("problem does not name %q: %s", names, r.Body)
	}
}

func (s *stack) count(table string) int64 {
	s.t.Helper()
	var n int64
	switch table {
	case "returns":
		counts, err := s.db.Returns.CountByStatus(context.Background())
		if err != nil {
			s.t.Fatal(err)
		}
		for _, c := range counts {
			n += c
		}
	}
	return n
}

func TestBadInputGetsProblemsAndChangesNothing(t *testing.T) {
	e := dbtest.Engines(t)[len(dbtest.Engines(t))-1] // Postgres when there is one
	s := newStack(t, e)
	key := []string{"X-API-Key", demoAPIKey}
	s.must(s.call("POST", "/v1/orders", order("B-1", "online"), key...), 201)

	// Orders.
	o := order("B-2", "online")
	o["colour"] = "red"
	s.problem(s.call("POST", "/v1/orders", o, key...), 422, "colour")
	o = order("B-2", "online")
	o["lines"].([]map[string]any)[0]["quantity"] = "two"
	s.problem(s.call("POST", "/v1/orders", o, key...), 422, "quantity")
	o = order("B-2", "online")
	o["lines"].([]map[string]any)[1]["quantity"] = -1
	s.problem(s.call("POST", "/v1/orders", o, key...), 422, "lines[1].quantity")
	o = order("B-2", "card_present")
	o["customer"].(map[string]any)["name"] = "4111 1111 1111 1111"
	s.problem(s.call("POST", "/v1/orders", o, key...), 422, "customer.name")
	o = order("B-2", "card_present")
	o["payment"].(map[string]any)["masked_pan"] = "5413330089604111"
	s.problem(s.call("POST", "/v1/orders", o, key...), 422, "payment.masked_pan")
	o = order("B-2", "card_present")
	delete(o["payment"].(map[string]any), "transmitted_at")
	s.problem(s.call("POST", "/v1/orders", o, key...), 422, "payment.transmitted_at")
	o = order("B-2", "online")
	o["currency"] = "euro"
	s.problem(s.call("POST", "/v1/orders", o, key...), 422, "currency")
	s.problem(s.call("POST", "/v1/orders", `{"order_number": "B-2",`, key...), 400, "")
	s.problem(s.call("POST", "/v1/orders", order("B-2", "online")), 401, "X-API-Key")
	s.problem(s.call("POST", "/v1/orders", order("B-2", "online"), "X-API-Key", "rbk_wrong"), 401, "")
	s.problem(s.call("GET", "/v1/orders/B-2", nil, key...), 404, "")

	// Filing.
	file := func(mut func(m map[string]any)) map[string]any {
		m := map[string]any{"merchant": "demo", "order_number": "B-1", "contact": "pat@example.com", "method": "ship",
			"lines": []map[string]any{{"line_id": "L1", "quantity": 1, "reason": "too_small"}}}
		if mut != nil {
			mut(m)
		}
		return m
	}
	before := s.count("returns")
	s.problem(s.call("POST", "/v1/returns", file(func(m map[string]any) { m["lines"].([]map[string]any)[0]["quantity"] = -2 })), 422, "lines[0].quantity")
	// Before a code is verified, lines that do not fit the order are the
	// same answer as an order that is not there (issue 13).
	s.problem(s.call("POST", "/v1/returns", file(func(m map[string]any) { m["lines"].([]map[string]any)[0]["quantity"] = 3 })), 404, "no-such-order")
	s.problem(s.call("POST", "/v1/returns", file(func(m map[string]any) { m["lines"].([]map[string]any)[0]["line_id"] = "L9" })), 404, "no-such-order")
	s.problem(s.call("POST", "/v1/returns", file(func(m map[string]any) { m["method"] = "drone" })), 422, "method")
	s.problem(s.call("POST", "/v1/returns", file(func(m map[string]any) { m["extra"] = 1 })), 422, "extra")
	wrongContact := s.call("POST", "/v1/returns", file(func(m map[string]any) { m["contact"] = "mallory@example.com" }))
	unknownOrder := s.call("POST", "/v1/returns", file(func(m map[string]any) { m["order_number"] = "NOPE" }))
	s.problem(wrongContact, 404, "")
	if wc, uo := wrongContact.json(), unknownOrder.json(); wc["detail"] != uo["detail"] || wc["type"] != uo["type"] || unknownOrder.Status != 404 {
		t.Errorf("a wrong contact answers differently from an unknown order: %s vs %s", wrongContact.Body, unknownOrder.Body)
	}
	if after := s.count("returns"); after != before {
		t.Fatalf("bad filings left %d returns", after-before)
	}

	// Codes.
	filed := s.must(s.call("POST", "/v1/returns", file(nil), "Idempotency-Key", "ret-k1"), 201).json()
	s.problem(s.call("POST", "/v1/returns", file(func(m map[string]any) { m["method"] = "in_store" }), "Idempotency-Key", "ret-k1"), 422, "Idempotency-Key")
	id := filed["id"].(string)
	right := s.code("pat@example.com")
	wrong := "000000"
	if right == wrong {
		wrong = "111111"
	}
	s.problem(s.call("POST", "/v1/returns/"+id+"/verify", map[string]string{"code": "12ab56"}), 422, "code")
	for i := 0; i < 4; i++ {
		s.problem(s.call("POST", "/v1/returns/"+id+"/verify", map[string]string{"code": wrong}), 422, "code")
	}
	s.problem(s.call("POST", "/v1/returns/"+id+"/verify", map[string]string{"code": wrong}), 429, "")
	s.problem(s.call("POST", "/v1/returns/"+id+"/verify", map[string]string{"code": right}), 429, "") // locked even for the right code
	if st := s.readStatus(id); st != "pending_verification" {
		t.Fatalf("wrong codes moved the return to %s", st)
	}
	s.problem(s.call("POST", "/v1/returns/"+id+"/otp", map[string]string{}), 429, "") // cooldown
	s.problem(s.call("GET", "/v1/returns/"+id, nil), 401, "")

	// Another merchant's staff see nothing of it.
	other := s.otherMerchantSupervisor()
	s.problem(s.call("GET", "/v1/returns/"+id, nil, bearer(other)...), 404, "")
	s.problem(s.call("POST", "/v1/merchant/returns/"+id+"/review", map[string]string{"decision": "approve"}, bearer(other)...), 404, "")
	finance := s.login("finance")
	s.problem(s.call("POST", "/v1/merchant/returns/"+id+"/receive", map[string]string{}, bearer(finance)...), 403, "finance")

	// Carriers must sign.
	body := []byte(`{"event_id":"x","tracking_number":"RB1","event":"delivered","occurred_at":"2026-11-26T10:00:00Z"}`)
	s.problem(s.call("POST", "/v1/carrier/events", body, "X-Rebound-Signature", sign("wrong", body)), 401, "signature")
	s.problem(s.call("POST", "/v1/carrier/events", body), 401, "signature")
	bad := []byte(`{"event_id":"x","tracking_number":"RB1","event":"teleported","occurred_at":"yesterday"}`)
	s.problem(s.call("POST", "/v1/carrier/events", bad, "X-Rebound-Signature", sign(carrierSecret, bad)), 422, "event")

	// Log-in: the same answer for an unknown user and a wrong password;
	// ten failures lock the account, and each is audited.
	s.problem(s.call("POST", "/v1/auth/login", map[string]string{"merchant": "demo", "username": "nobody", "password": "x"}), 401, "wrong user name or password")
	for i := 0; i < 10; i++ {
		s.problem(s.call("POST", "/v1/auth/login", map[string]string{"merchant": "demo", "username": "admin", "password": "guess"}), 401, "wrong user name or password")
	}
	s.problem(s.call("POST", "/v1/auth/login", map[string]string{"merchant": "demo", "username": "admin", "password": demoPassword}), 423, "locked")
	entries, err := s.db.Audit.AuditLog(context.Background(), s.merchantID(), 100)
	if err != nil {
		t.Fatal(err)
	}
	failed := 0
	for _, e := range entries {
		if e.Action == "auth.login" && e.Actor == "admin" && e.Outcome != db.OutcomeSuccess {
			failed++
		}
		if strings.Contains(string(e.Detail), "guess") || strings.Contains(string(e.Detail), demoPassword) {
			t.Fatal("a password reached the audit log")
		}
	}
	if failed != 11 {
		t.Fatalf("%d failed log-ins audited; want 11 (10 wrong, 1 while locked)", failed)
	}
}

func (s *stack) readStatus(id string) string {
	s.t.Helper()
	r, err := s.db.Returns.ReturnByID(context.Background(), id)
	if err != nil {
		s.t.Fatal(err)
	}
	return r.Status
}

// otherMerchantSupervisor makes a second merchant with a supervisor and
// returns the supervisor's token.
func (s *stack) otherMerchantSupervisor() string {
	s.t.Helper()
	ctx := context.Background()
	m := &db.Merchant{Slug: "other", Name: "Other Shop"}
	if err := s.db.Merchants.CreateMerchant(ctx, m); err != nil {
		s.t.Fatal(err)
	}
	hash, _ := auth.HashPassword(demoPassword)
	if err := s.db.Staff.CreateStaff(ctx, &db.StaffUser{MerchantID: &m.ID, Username: "other-sup", Role: "supervisor", PasswordHash: hash}); err != nil {
		s.t.Fatal(err)
	}
	r := s.must(s.call("POST", "/v1/auth/login", map[string]string{"merchant": "other", "username": "other-sup", "password": demoPassword}), 200)
	var out struct{ Token string }
	_ = json.Unmarshal(r.Body, &out)
	return out.Token
}
