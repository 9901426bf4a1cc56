package e2e_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/rebound-returns/rebound/contract"
	"github.com/rebound-returns/rebound/db/dbtest"
)

func TestOnlineOrderFromRegistrationToAwaitingSettlement(t *testing.T) {
	for _, e := range dbtest.Engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			t.Parallel()
			s := newStack(t, e)
			key := []string{"X-API-Key", demoAPIKey}
			body := order("W-1001", "online")
			created := s.must(s.call("POST", "/v1/orders", body, append(key, "Idempotency-Key", "order-k1")...), 201)
			replay := s.must(s.call("POST", "/v1/orders", body, append(key, "Idempotency-Key", "order-k1")...), 201)
			if replay.Header.Get("Idempotent-Replayed") != "true" || string(replay.Body) != string(created.Body) {
				t.Fatalf("the same key and body did not replay the first answer: %s", replay.Body)
			}
			s.must(s.call("POST", "/v1/orders", body, key...), 200) // idempotent on the order number
			changed := order("W-1001", "online")
			changed["shipping_amount"] = 0
			s.must(s.call("POST", "/v1/orders", changed, key...), 409)
			s.must(s.call("POST", "/v1/orders", changed, append(key, "Idempotency-Key", "order-k1")...), 422)
			got := s.must(s.call("GET", "/v1/orders/W-1001", nil, key...), 200).json()
			if got["payment"].(map[string]any)["gateway_payment_id"] != "pay_w-1001" {
				t.Fatalf("order read back: %v", got)
			}

			filed := s.must(s.call("POST", "/v1/returns", map[string]any{
				"merchant": "demo", "order_number": "W-1001", "contact": "PAT@example.com", "method": "ship",
				"lines": []map[string]any{
					{"line_id": "L1", "quantity": 2, "reason": "defective", "note": "seam came apart"},
					{"line_id": "L2", "quantity": 1, "reason": "not_as_described"},
				},
			}), 201).json()
			id := filed["id"].(string)
			if filed["status"] != "pending_verification" {
				t.Fatalf("filed: %v", filed)
			}
			code := s.code("pat@example.com")
			v := s.must(s.call("POST", "/v1/returns/"+id+"/verify", map[string]string{"code": code}), 200).json()
			shopper := v["token"].(string)
			if v["return"].(map[string]any)["status"] != "awaiting_review" {
				t.Fatalf("after verification: %v (worth more than the auto-approve limit)", v["return"])
			}
			// The code is single use.
			s.must(s.call("POST", "/v1/returns/"+id+"/verify", map[string]string{"code": code}), 422)

			sup := s.login("supervisor")
			clerk := s.login("clerk")
			s.must(s.call("POST", "/v1/merchant/returns/"+id+"/review", map[string]string{"decision": "approve"}, bearer(clerk)...), 403)
			approved := s.must(s.call("POST", "/v1/merchant/returns/"+id+"/review", map[string]string{"decision": "approve", "reason": "ok"}, bearer(sup)...), 200).json()
			tracking := approved["tracking_number"].(string)
			if approved["status"] != "awaiting_shipment" || tracking == "" || approved["label_url"] == "" {
				t.Fatalf("approved: %v", approved)
			}
			label := s.must(s.call("GET", "/v1/returns/"+id+"/label", nil, bearer(shopper)...), 200)
			if !strings.HasPrefix(string(label.Body), "%PDF-") || !strings.Contains(string(label.Body), tracking) {
				t.Fatal("the label is not a PDF with the tracking number")
			}
			s.must(s.carrier("c-1", tracking, "in_transit"), 202)
			if r := s.must(s.carrier("c-1", tracking, "in_transit"), 200).json(); r["duplicate"] != true {
				t.Fatalf("a repeated event: %v", r)
			}
			s.must(s.carrier("c-2", tracking, "delivered"), 202)
			s.waitStatus(id, shopper, "awaiting_inspection")

			inspected := s.must(s.call("POST", "/v1/merchant/returns/"+id+"/inspection", map[string]any{"lines": []map[string]any{
				{"line_id": "L1", "accepted_quantity": 1, "rejected_quantity": 1, "condition": "opened", "reason": "stained"},
				{"line_id": "L2", "accepted_quantity": 1, "rejected_quantity": 0, "condition": "new"},
			}}, bearer(clerk)...), 200).json()
			if inspected["status"] != "refund_pending" {
				t.Fatalf("inspected: %v", inspected["status"])
			}
			final := s.waitStatus(id, shopper, "awaiting_settlement")
			// Policy: one shirt paid 2500 less half the 300 discount = 2350,
			// opened: 10% (235) kept back → 2115; boots 8000 as new; both
			// reasons are the merchant's fault, so shipping 595 comes back.
			refund := final["refund"].(map[string]any)
			if refund["amount"].(float64) != 10710 || refund["status"] != "succeeded" || refund["shipping"].(float64) != 595 {
				t.Fatalf("refund %v; want 10710 succeeded", refund)
			}
			paid := s.gateway.Refunds()
			if len(paid) != 1 || paid[0].Amount != 10710 || paid[0].PaymentID != "pay_w-1001" {
				t.Fatalf("gateway paid %+v", paid)
			}
			var statuses []string
			for _, e := range final["timeline"].([]any) {
				statuses = append(statuses, e.(map[string]any)["status"].(string))
			}
			want := "submitted awaiting_review approved awaiting_shipment in_transit received awaiting_inspection refund_pending refunded awaiting_settlement"
			if strings.Join(statuses, " ") != want {
				t.Fatalf("timeline %v", statuses)
			}
			task := s.must(s.call("GET", "/v1/merchant/returns?status=awaiting_settlement", nil, bearer(sup)...), 200).json()
			if items := task["items"].([]any); len(items) != 1 || items[0].(map[string]any)["id"] != id {
				t.Fatalf("task list %v", task)
			}
			s.checkSecrets(id, code, demoPassword, shopper, sup, clerk, demoAPIKey)
			recordHistory(t, s, id, "return_online_ship_v5")
			recordWorkflow(t, s, contract.RefundWorkflowID(id, 1), "refund_online_v5")
		})
	}
}

func TestCardPresentInStoreReturnStopsAtRefundPending(t *testing.T) {
	for _, e := range dbtest.Engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			t.Parallel()
			s := newStack(t, e)
			s.must(s.call("POST", "/v1/orders", order("S-2001", "card_present"), "X-API-Key", demoAPIKey), 201)
			filed := s.must(s.call("POST", "/v1/returns", map[string]any{
				"merchant": "demo", "order_number": "S-2001", "contact": "+46701112233", "method": "in_store",
				"lines": []map[string]any{{"line_id": "L1", "quantity": 1, "reason": "too_small"}},
			}), 201).json()
			id := filed["id"].(string)
			code := s.code("+46701112233")
			v := s.must(s.call("POST", "/v1/returns/"+id+"/verify", map[string]string{"code": code}), 200).json()
			shopper := v["token"].(string)
			if v["return"].(map[string]any)["status"] != "awaiting_dropoff" {
				t.Fatalf("after verification: %v (under the auto-approve limit, in store)", v["return"])
			}
			clerk := s.login("clerk")
			s.must(s.call("POST", "/v1/merchant/returns/"+id+"/receive", map[string]string{"note": "at the counter"}, bearer(clerk)...), 200)
			s.must(s.call("POST", "/v1/merchant/returns/"+id+"/inspection", map[string]any{"lines": []map[string]any{
				{"line_id": "L1", "accepted_quantity": 1, "condition": "new"}}}, bearer(clerk)...), 200)
			final := s.waitStatus(id, shopper, "refund_pending")
			if r := final["refund"].(map[string]any); r["amount"].(float64) != 2350 || r["status"] != "pending" {
				t.Fatalf("refund %v; want 2350 pending the POS", r)
			}
			if n := len(s.gateway.Refunds()); n != 0 {
				t.Fatalf("a card sale went to the online gateway (%d refunds)", n)
			}
			// The shopper may not cancel once the goods are in.
			s.must(s.call("POST", "/v1/returns/"+id+"/cancel", map[string]string{}, bearer(shopper)...), 409)
			s.checkSecrets(id, code, demoPassword, shopper, clerk, "fp_secret_card_token_42", demoAPIKey)
			recordHistory(t, s, id, "return_card_in_store_v1")
			audit, err := s.db.Audit.AuditLog(context.Background(), s.merchantID(), 50)
			if err != nil {
				t.Fatal(err)
			}
			var actions []string
			for _, a := range audit {
				actions = append(actions, a.Action+":"+a.Outcome+":"+a.Actor)
			}
			for _, want := range []string{"return.receive:success:clerk", "return.inspect:success:clerk", "auth.login:success:clerk"} {
				if !strings.Contains(strings.Join(actions, " "), want) {
					t.Errorf("audit log lacks %s: %v", want, actions)
				}
			}
		})
	}
}

func (s *stack) merchantID() string {
	m, err := s.db.Merchants.MerchantBySlug(context.Background(), "demo")
	if err != nil {
		s.t.Fatal(err)
	}
	return m.ID
}

// checkSecrets searches the logs and the workflow histories of a return for
// secrets that must never be there.
func (s *stack) checkSecrets(returnID string, secrets ...string) {
	s.t.Helper()
	var history strings.Builder
	for _, id := range []string{contract.ReturnWorkflowID(returnID), contract.RefundWorkflowID(returnID, 1)} {
		it := s.temporal.GetWorkflowHistory(context.Background(), id, "", false, 0)
		for it.HasNext() {
			ev, err := it.Next()
			if err != nil {
				break // the refund may not exist
			}
			b, _ := json.Marshal(ev)
			history.Write(b)
		}
	}
	if history.Len() == 0 {
		s.t.Fatal("no history read")
	}
	logs := s.logs.String()
	if len(logs) == 0 {
		s.t.Fatal("no logs captured")
	}
	for _, secret := range secrets {
		if strings.Contains(logs, secret) {
			s.t.Errorf("a secret (%.4s…) is in the logs", secret)
		}
		if strings.Contains(history.String(), secret) {
			s.t.Errorf("a secret (%.4s…) is in the workflow history", secret)
		}
	}
}
