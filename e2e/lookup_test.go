package e2e_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rebound-returns/rebound/contract"
	"google.golang.org/protobuf/proto"
)

// Order lookups over HTTP on the real stack: the shopper proves the order
// is theirs with a code, reads its lines with the access token, and files
// a return that is verified from the start.

// lkProblem decodes a problem's type and the fields it names.
func lkProblem(t *testing.T, r response) (kind string, fields []string) {
	t.Helper()
	var p struct {
		Type   string `json:"type"`
		Errors []struct {
			Field string `json:"field"`
		} `json:"errors"`
	}
	if err := json.Unmarshal(r.Body, &p); err != nil {
		t.Fatalf("not a problem: %s", r.Body)
	}
	for _, e := range p.Errors {
		fields = append(fields, e.Field)
	}
	slices.Sort(fields)
	return p.Type, fields
}

// lkReturnable maps each line of the shopper's order view to its
// returnable quantity.
func lkReturnable(t *testing.T, view map[string]any) map[string]float64 {
	t.Helper()
	lines, ok := view["lines"].([]any)
	if !ok || len(lines) == 0 {
		t.Fatalf("order view without lines: %v", view)
	}
	out := map[string]float64{}
	for _, l := range lines {
		m := l.(map[string]any)
		n, ok := m["returnable"].(float64)
		if !ok {
			t.Fatalf("line without returnable: %v", m)
		}
		out[m["line_id"].(string)] = n
	}
	return out
}

// lkCodeMessages counts the messages to contact that carry a code.
func (s *stack) lkCodeMessages(contact string) int {
	s.t.Helper()
	r := s.must(s.call("GET", "/v1/dev/outbox?to="+url.QueryEscape(contact), nil), 200)
	var out struct{ Items []struct{ Text string } }
	if err := json.Unmarshal(r.Body, &out); err != nil {
		s.t.Fatal(err)
	}
	n := 0
	for _, m := range out.Items {
		if codeRe.MatchString(m.Text) {
			n++
		}
	}
	return n
}

// lkHistoryHolds reads a workflow's history as the server keeps it (no
// codec on this stack) and tells which of the strings are in its bytes.
func (s *stack) lkHistoryHolds(workflowID string, strs ...string) []string {
	s.t.Helper()
	var raw []byte
	it := s.temporal.GetWorkflowHistory(context.Background(), workflowID, "", false, 0)
	for it.HasNext() {
		ev, err := it.Next()
		if err != nil {
			s.t.Fatalf("history of %s: %v", workflowID, err)
		}
		b, err := proto.Marshal(ev)
		if err != nil {
			s.t.Fatal(err)
		}
		raw = append(raw, b...)
	}
	if len(raw) == 0 {
		s.t.Fatalf("no history for %s", workflowID)
	}
	var found []string
	for _, x := range strs {
		if bytes.Contains(raw, []byte(x)) {
			found = append(found, x)
		}
	}
	return found
}

func TestOrderLookupOpensTheOrderAndFilesAVerifiedReturn(t *testing.T) {
	t.Parallel()
	s := newStack(t, lastEngine(t))
	s.must(s.call("POST", "/v1/orders", order("P-3001", "online"), "X-API-Key", demoAPIKey), 201)

	// Missing fields are named.
	r := s.call("POST", "/v1/order-lookups", map[string]any{})
	s.problem(r, 422, "")
	if _, fields := lkProblem(t, r); !slices.Equal(fields, []string{"contact", "merchant", "order_number"}) {
		t.Fatalf("empty lookup names %v; want contact, merchant, order_number", fields)
	}
	r = s.call("POST", "/v1/order-lookups", map[string]any{"merchant": "demo", "contact": "  "})
	s.problem(r, 422, "")
	if _, fields := lkProblem(t, r); !slices.Equal(fields, []string{"contact", "order_number"}) {
		t.Fatalf("lookup without number and contact names %v", fields)
	}

	// An unknown order, merchant or contact: the same 404, and no code.
	var kinds []string
	for _, body := range []map[string]any{
		{"merchant": "demo", "order_number": "NOPE-1", "contact": "pat@example.com"},
		{"merchant": "demo", "order_number": "P-3001", "contact": "eve@example.com"},
		{"merchant": "demo", "order_number": "P-3001", "contact": "+46 70 999 99 99"},
		{"merchant": "nobody", "order_number": "P-3001", "contact": "pat@example.com"},
	} {
		r := s.call("POST", "/v1/order-lookups", body)
		s.problem(r, 404, "")
		kind, _ := lkProblem(t, r)
		detail, _ := r.json()["detail"].(string)
		kinds = append(kinds, kind+" | "+detail)
	}
	for _, k := range kinds {
		if k != kinds[0] || !strings.Contains(k, "no-such-order | ") {
			t.Fatalf("problems %q; want the same no-such-order type and detail for every mismatch", kinds)
		}
	}
	if n := s.lkCodeMessages("eve@example.com") + s.lkCodeMessages("pat@example.com"); n != 0 {
		t.Fatalf("%d codes sent for lookups that matched no order", n)
	}

	// The order's contact, typed in another case, gets a code.
	started := s.must(s.call("POST", "/v1/order-lookups",
		map[string]any{"merchant": "demo", "order_number": "P-3001", "contact": "PAT@example.com"}), 202)
	lk := started.json()
	lookupID, _ := lk["id"].(string)
	if lookupID == "" || lk["expires_at"] == nil || started.Header.Get("Location") != "/v1/order-lookups/"+lookupID {
		t.Fatalf("lookup started: %s (Location %q)", started.Body, started.Header.Get("Location"))
	}
	if sentTo, _ := lk["sent_to"].(string); sentTo == "" || strings.Contains(sentTo, "pat@") || !strings.HasSuffix(sentTo, "@example.com") {
		t.Fatalf("sent_to %q; want the contact masked", lk["sent_to"])
	}
	code := s.code("pat@example.com")

	// Bad codes are named; a lookup that is not one is not found.
	wrong := code[:5] + string('0'+(code[5]-'0'+1)%10)
	r = s.call("POST", "/v1/order-lookups/"+lookupID+"/verify", map[string]string{"code": wrong})
	s.problem(r, 422, "code")
	if _, fields := lkProblem(t, r); !slices.Equal(fields, []string{"code"}) {
		t.Fatalf("a wrong code names %v; want code", fields)
	}
	s.problem(s.call("POST", "/v1/order-lookups/"+lookupID+"/verify", map[string]string{"code": "12ab56"}), 422, "code")
	s.problem(s.call("POST", "/v1/order-lookups/not-a-lookup/verify", map[string]string{"code": code}), 404, "")

	// The right code answers the access token and the order.
	v := s.must(s.call("POST", "/v1/order-lookups/"+lookupID+"/verify", map[string]string{"code": code}), 200)
	verified := v.json()
	token, _ := verified["token"].(string)
	if !strings.HasPrefix(token, "rbo_") || verified["token_type"] != "Bearer" || verified["expires_at"] == nil {
		t.Fatalf("verified: %s", v.Body)
	}
	if v.Header.Get("Cache-Control") != "no-store" {
		t.Fatalf("a token answered with Cache-Control %q", v.Header.Get("Cache-Control"))
	}
	if o, _ := verified["order"].(map[string]any); o == nil || o["order_number"] != "P-3001" {
		t.Fatalf("verify answered order %v", verified["order"])
	}
	// The code is single use.
	s.problem(s.call("POST", "/v1/order-lookups/"+lookupID+"/verify", map[string]string{"code": code}), 422, "code")

	// The token opens the order, with what may still be returned.
	view := s.must(s.call("GET", "/v1/shopper/order", nil, bearer(token)...), 200).json()
	if view["order_number"] != "P-3001" || view["merchant"] != "demo" || view["currency"] != "EUR" {
		t.Fatalf("order view %v", view)
	}
	if got := lkReturnable(t, view); got["L1"] != 2 || got["L2"] != 1 || len(got) != 2 {
		t.Fatalf("returnable %v; want L1 2, L2 1", got)
	}

	// Other tokens do not open it.
	clerk := s.login("clerk")
	for name, h := range map[string][]string{
		"no token": nil, "a staff token": bearer(clerk), "a made-up order token": bearer("rbo_x"),
		"an API key": {"Authorization", "Bearer " + demoAPIKey},
	} {
		if r := s.call("GET", "/v1/shopper/order", nil, h...); r.Status != 401 {
			t.Errorf("%s on /v1/shopper/order: %d; want 401: %s", name, r.Status, r.Body)
		}
	}

	// Filing with the token: only lines and method, and both are checked.
	r = s.call("POST", "/v1/returns", map[string]any{}, bearer(token)...)
	s.problem(r, 422, "method")
	if _, fields := lkProblem(t, r); slices.Contains(fields, "merchant") || slices.Contains(fields, "order_number") || slices.Contains(fields, "contact") {
		t.Fatalf("filing with the token asks for %v", fields)
	}
	s.problem(s.call("POST", "/v1/returns", map[string]any{"method": "ship",
		"lines": []map[string]any{{"line_id": "L1", "quantity": 1, "reason": "too_small"}}}, bearer("rbo_x")...), 401, "")

	filed := s.must(s.call("POST", "/v1/returns", map[string]any{"method": "ship",
		"lines": []map[string]any{{"line_id": "L1", "quantity": 1, "reason": "too_small"}}}, bearer(token)...), 201)
	ret := filed.json()
	id, _ := ret["id"].(string)
	shopperToken, _ := ret["token"].(string)
	if id == "" || shopperToken == "" || shopperToken == token || filed.Header.Get("Location") != "/v1/returns/"+id {
		t.Fatalf("filed: %s", filed.Body)
	}
	if st, _ := ret["status"].(string); st == "" || st == "pending_verification" {
		t.Fatalf("a return filed with the order's token is %q; want it past verification", ret["status"])
	}
	if ret["verification"] != nil {
		t.Fatalf("a verified filing asks for verification: %v", ret["verification"])
	}

	// The shopper's token opens the return; the order's token does not.
	got := s.must(s.call("GET", "/v1/returns/"+id, nil, bearer(shopperToken)...), 200).json()
	if got["id"] != id {
		t.Fatalf("return read with the shopper token: %v", got)
	}
	s.problem(s.call("GET", "/v1/returns/"+id, nil, bearer(token)...), 401, "")
	// Worth less than the demo's auto-approve limit: approved, label booked.
	final := s.waitStatus(id, shopperToken, "awaiting_shipment")
	var statuses []string
	for _, e := range final["timeline"].([]any) {
		statuses = append(statuses, e.(map[string]any)["status"].(string))
	}
	if strings.Join(statuses, " ") != "submitted approved awaiting_shipment" {
		t.Fatalf("timeline %v", statuses)
	}
	// No code of its own was sent: the lookup's is the only one.
	if n := s.lkCodeMessages("pat@example.com"); n != 1 {
		t.Fatalf("%d codes sent to the shopper; want the lookup's only", n)
	}
	ctx := context.Background()
	if r, err := s.db.Returns.ReturnByID(ctx, id); err != nil || r.ReservedAt == nil || r.Contact != "pat@example.com" {
		t.Fatalf("read model %+v, %v; want reserved, for the lookup's contact", r, err)
	}

	// The return holds one shirt: one is left to return.
	if got := lkReturnable(t, s.must(s.call("GET", "/v1/shopper/order", nil, bearer(token)...), 200).json()); got["L1"] != 1 || got["L2"] != 1 {
		t.Fatalf("returnable after the return %v; want L1 1, L2 1", got)
	}

	// Neither the code nor a token is in either workflow's history (the
	// lookup's id is: the check reads the payloads).
	lookupWF := contract.LookupWorkflowID(lookupID)
	if found := s.lkHistoryHolds(lookupWF, lookupID); len(found) != 1 {
		t.Fatalf("the lookup's own id is not in its history: the check would not see a leak")
	}
	for _, wf := range []string{lookupWF, contract.ReturnWorkflowID(id)} {
		if found := s.lkHistoryHolds(wf, code, token, shopperToken); len(found) > 0 {
			for _, f := range found {
				t.Errorf("a secret (%.4s…) is in the history of %s", f, wf)
			}
		}
	}
	s.checkSecrets(id, code, token, shopperToken)
	recordWorkflow(t, s, lookupWF, "order_lookup_v4")
	// Nor is either stored in clear.
	for _, table := range []string{"order_lookups", "sessions"} {
		vals, err := s.db.TextValues(ctx, table)
		if err != nil {
			t.Fatal(err)
		}
		for _, val := range vals {
			if strings.Contains(val, token) || strings.Contains(val, shopperToken) || (table == "order_lookups" && strings.Contains(val, code)) {
				t.Errorf("table %s holds a secret in clear: %q", table, val)
			}
		}
	}
	l, err := s.db.Shoppers.LookupByID(ctx, lookupID)
	if err != nil || l.VerifiedAt == nil || l.TokenHash == nil || *l.TokenHash == token || l.Attempts != 1 {
		t.Fatalf("lookup row %+v, %v; want verified after one wrong try, the token's hash kept", l, err)
	}
}

func TestOrderLookupsShareTheCodeLimits(t *testing.T) {
	t.Parallel()
	s := newStack(t, lastEngine(t))
	s.must(s.call("POST", "/v1/orders", order("P-3002", "card_present"), "X-API-Key", demoAPIKey), 201)
	body := map[string]any{"merchant": "demo", "order_number": "P-3002", "contact": "+46 70 111 22 33"}
	// A return's code and four lookups: five codes to the phone this hour.
	s.must(s.call("POST", "/v1/returns", map[string]any{"merchant": "demo", "order_number": "P-3002", "contact": "+46701112233",
		"method": "in_store", "lines": []map[string]any{{"line_id": "L2", "quantity": 1, "reason": "too_small"}}}), 201)
	for range 4 {
		s.must(s.call("POST", "/v1/order-lookups", body), 202)
	}
	r := s.call("POST", "/v1/order-lookups", body)
	s.problem(r, 429, "")
	if r.Header.Get("Retry-After") == "" {
		t.Fatalf("429 without Retry-After: %v", r.Header)
	}
	// The e-mail on the same order is another contact.
	lk := s.must(s.call("POST", "/v1/order-lookups", map[string]any{"merchant": "demo", "order_number": "P-3002", "contact": "pat@example.com"}), 202).json()
	lookupID, _ := lk["id"].(string)
	code := s.code("pat@example.com")
	// Five wrong codes lock the lookup: the fifth and the right one after it are 429.
	wrong := code[:5] + string('0'+(code[5]-'0'+1)%10)
	for try := 1; try <= 5; try++ {
		r := s.call("POST", "/v1/order-lookups/"+lookupID+"/verify", map[string]string{"code": wrong})
		if try < 5 {
			s.problem(r, 422, "code")
		} else {
			s.problem(r, 429, "")
		}
	}
	s.problem(s.call("POST", "/v1/order-lookups/"+lookupID+"/verify", map[string]string{"code": code}), 429, "")
	counts, err := s.db.Shoppers.CountCodes(context.Background(), "", "+46701112233", "", time.Now().Add(-time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if counts.ForContact != 5 {
		t.Fatalf("%d codes counted for the phone; want 5", counts.ForContact)
	}
}

// lkVerifiedToken looks an order up and enters its code: the order's
// access token.
func (s *stack) lkVerifiedToken(number, contact string) string {
	s.t.Helper()
	lk := s.must(s.call("POST", "/v1/order-lookups", map[string]any{"merchant": "demo", "order_number": number, "contact": contact}), 202).json()
	v := s.must(s.call("POST", "/v1/order-lookups/"+lk["id"].(string)+"/verify", map[string]string{"code": s.code(contact)}), 200).json()
	return v["token"].(string)
}

// BUG (api/idempotency.go idempotent() with api/shopper.go fileReturn()):
// a return filed with an order's access token answers the shopper's bearer
// token for the return, and POST /v1/returns keeps that answer under the
// Idempotency-Key in scope "public": the token is stored in clear in
// idempotency_keys.response_body (sessions keep only its hash), and a
// replay of the same key and body — with no Authorization header at all —
// hands it out again. A replay should be bound to the caller (the lookup),
// and no live token should be kept in clear.
func TestVerifiedFilingReplayGivesTheShopperTokenOnlyToTheOrderHolder(t *testing.T) {
	t.Parallel()
	s := newStack(t, lastEngine(t))
	s.must(s.call("POST", "/v1/orders", order("P-3003", "online"), "X-API-Key", demoAPIKey), 201)
	token := s.lkVerifiedToken("P-3003", "pat@example.com")
	body := map[string]any{"method": "ship", "lines": []map[string]any{{"line_id": "L1", "quantity": 1, "reason": "too_small"}}}
	filed := s.must(s.call("POST", "/v1/returns", body, append(bearer(token), "Idempotency-Key", "portal-k1")...), 201).json()
	shopperToken, _ := filed["token"].(string)
	if shopperToken == "" {
		t.Fatalf("filed without a token: %v", filed)
	}

	vals, err := s.db.TextValues(context.Background(), "idempotency_keys")
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range vals {
		if strings.Contains(v, shopperToken) {
			t.Errorf("idempotency_keys holds the shopper's bearer token in clear")
			break
		}
	}
	// Someone else, without the order's token, sends the same key and body.
	replay := s.call("POST", "/v1/returns", body, "Idempotency-Key", "portal-k1")
	if strings.Contains(string(replay.Body), shopperToken) {
		t.Errorf("a replay without the order's token answered %d with the shopper's token (Idempotent-Replayed %q)",
			replay.Status, replay.Header.Get("Idempotent-Replayed"))
	}
	// The holder's own retry (an answer lost on the way) replays the filing
	// with a new token that opens the same return, and files nothing new.
	again := s.must(s.call("POST", "/v1/returns", body, append(bearer(token), "Idempotency-Key", "portal-k1")...), 201)
	if again.Header.Get("Idempotent-Replayed") != "true" || again.json()["id"] != filed["id"] {
		t.Fatalf("the holder's retry: %s", again.Body)
	}
	fresh, _ := again.json()["token"].(string)
	if fresh == "" || fresh == shopperToken {
		t.Fatalf("the retry's token %q", fresh)
	}
	s.must(s.call("GET", "/v1/returns/"+filed["id"].(string), nil, bearer(fresh)...), 200)
}
