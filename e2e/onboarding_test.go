package e2e_test

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"github.com/rebound-returns/rebound/cli"
	"github.com/rebound-returns/rebound/returns"
)

// problemNaming checks a 4xx problem names every one of fields.
func (s *stack) problemNaming(r response, status int, fields ...string) {
	s.t.Helper()
	for _, f := range fields {
		s.problem(r, status, `"field":"`+f+`"`)
	}
}

// orderFor is an online order whose customer is contact.
func orderFor(number, contact string) map[string]any {
	o := order(number, "online")
	o["customer"].(map[string]any)["email"] = contact
	return o
}

// firstLogin logs in with a one-time password, is held to changing it, and
// answers a token that works once it is changed.
func (s *stack) firstLogin(merchant, username, oneTime string) string {
	s.t.Helper()
	r := s.must(s.call("POST", "/v1/auth/login", map[string]string{"merchant": merchant, "username": username, "password": oneTime}), 200).json()
	if r["password_change_required"] != true {
		s.t.Fatalf("log-in with a one-time password: %v", r)
	}
	token := r["token"].(string)
	// Someone else who saw the one-time password logged in too.
	other := s.must(s.call("POST", "/v1/auth/login", map[string]string{"merchant": merchant, "username": username, "password": oneTime}), 200).json()["token"].(string)
	// Nothing but the password change is open until then.
	s.problem(s.call("GET", "/v1/merchant/staff", nil, bearer(token)...), 403, "")
	s.problem(s.call("GET", "/v1/admin/merchants", nil, bearer(token)...), 403, "")
	s.problem(s.call("POST", "/v1/auth/password", map[string]string{"current_password": oneTime, "new_password": "short"}, bearer(token)...), 422, "new_password")
	s.problem(s.call("POST", "/v1/auth/password", map[string]string{"current_password": "wrong-password", "new_password": "a long new password 1"}, bearer(token)...), 422, "current_password")
	s.must(s.call("POST", "/v1/auth/password", map[string]string{"current_password": oneTime, "new_password": "a long new password 1"}, bearer(token)...), 204)
	s.problem(s.call("POST", "/v1/auth/login", map[string]string{"merchant": merchant, "username": username, "password": oneTime}), 401, "")
	// The change ends every other session opened with the old password.
	s.problem(s.call("GET", "/v1/auth/session", nil, bearer(other)...), 401, "")
	s.must(s.call("GET", "/v1/auth/session", nil, bearer(token)...), 200)
	return token
}

// fileAndVerify files a return for an online order of the merchant and
// verifies it with the code sent.
func (s *stack) fileAndVerify(merchant, number, contact string) map[string]any {
	s.t.Helper()
	id := s.must(s.call("POST", "/v1/returns", map[string]any{
		"merchant": merchant, "order_number": number, "contact": contact, "method": "ship",
		"lines": []map[string]any{{"line_id": "L1", "quantity": 1, "reason": "too_small"}},
	}), 201).json()["id"].(string)
	v := s.must(s.call("POST", "/v1/returns/"+id+"/verify", map[string]string{"code": s.code(contact)}), 200).json()
	ret := v["return"].(map[string]any)
	if ret["merchant"] != merchant || ret["status"] == "pending_verification" {
		s.t.Fatalf("the return filed with %s: %v", merchant, ret)
	}
	return ret
}

func TestOnboardingThroughTheAPIAndTheShellThenReturnsAgainstEach(t *testing.T) {
	s := newStack(t, lastEngine(t))
	ctx := context.Background()

	// The first operator comes from the shell.
	var out, errOut bytes.Buffer
	env := func(k string) (string, bool) {
		if k == "REBOUND_DATABASE_URL" {
			return s.dbURL, true
		}
		return "", false
	}
	if code := cli.Main([]string{"admin", "create-operator", "--username", "ops-one", "--email", "ops@example.com"}, &out, &errOut, env); code != 0 {
		t.Fatalf("create-operator: %d %s", code, errOut.String())
	}
	opPassword := regexp.MustCompile(`one-time password (\S+)`).FindStringSubmatch(out.String())[1]
	op := s.firstLogin("", "ops-one", opPassword)

	// Through the API: bad input is named field by field, then a merchant.
	s.problemNaming(s.call("POST", "/v1/admin/merchants", map[string]string{"slug": "X!", "name": "", "currency": "euro",
		"time_zone": "Mars/Base", "admin_username": "a"}, bearer(op)...), 422, "slug", "name", "currency", "time_zone", "admin_username", "return_address")
	s.problem(s.call("POST", "/v1/admin/merchants", map[string]string{"slug": "nordic", "name": "Nordic", "currency": "SEK"},
		bearer(s.login("admin"))...), 403, "")
	created := s.must(s.call("POST", "/v1/admin/merchants", map[string]string{"slug": "nordic", "name": "Nordic Boots", "currency": "SEK",
		"time_zone": "Europe/Stockholm", "acquirer_merchant_id": "NORDIC00000001", "admin_username": "nordic-admin",
		"return_address": "Returns, Hamngatan 1, 111 47 Stockholm",
		"admin_email":    "admin@nordic.example"}, bearer(op)...), 201).json()
	s.problem(s.call("POST", "/v1/admin/merchants", map[string]string{"slug": "nordic", "name": "Again", "currency": "SEK",
		"admin_username": "someone-else", "return_address": "x"}, bearer(op)...), 409, "slug")
	if created["merchant"].(map[string]any)["time_zone"] != "Europe/Stockholm" {
		t.Fatalf("onboarded %v", created)
	}
	apiKey := created["api_key"].(map[string]any)["key"].(string)
	// Neither the password nor the key is kept anywhere in clear.
	for _, table := range []string{"idempotency_keys", "audit_log", "staff_users", "api_keys"} {
		vals, err := s.db.TextValues(ctx, table)
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range vals {
			if strings.Contains(v, apiKey) || strings.Contains(v, created["admin"].(map[string]any)["one_time_password"].(string)) {
				t.Fatalf("%s holds a secret of the onboarding in clear", table)
			}
		}
	}
	keyID := created["api_key"].(map[string]any)["id"].(string)
	adminPassword := created["admin"].(map[string]any)["one_time_password"].(string)
	list := s.must(s.call("GET", "/v1/admin/merchants", nil, bearer(op)...), 200).json()["items"].([]any)
	if len(list) != 2 {
		t.Fatalf("operators see %d merchants", len(list))
	}

	// Through the shell: a second merchant.
	out.Reset()
	if code := cli.Main([]string{"admin", "create-merchant", "--slug", "harbour", "--name", "Harbour Outfitters", "--currency", "EUR",
		"--time-zone", "Europe/Lisbon", "--admin-username", "harbour-admin", "--return-address", "Rua do Porto 2, Lisboa"}, &out, &errOut, env); code != 0 {
		t.Fatalf("create-merchant: %d %s", code, errOut.String())
	}
	shellKey := regexp.MustCompile(`API key\s+(rbk_\S+)`).FindStringSubmatch(out.String())[1]
	shellAdmin := regexp.MustCompile(`one-time password (\S+)`).FindStringSubmatch(out.String())[1]
	out.Reset()
	if code := cli.Main([]string{"admin", "list-merchants"}, &out, &errOut, env); code != 0 || !strings.Contains(out.String(), "harbour") {
		t.Fatalf("list-merchants: %d %s", code, out.String())
	}

	// Each merchant's key registers its orders, and a return is filed
	// against each.
	s.must(s.call("POST", "/v1/orders", orderFor("N-1", "n1@example.com"), "X-API-Key", apiKey), 201)
	s.must(s.call("POST", "/v1/orders", orderFor("H-1", "h1@example.com"), "X-API-Key", shellKey), 201)
	ret0 := s.fileAndVerify("nordic", "N-1", "n1@example.com")["id"].(string)
	s.fileAndVerify("harbour", "H-1", "h1@example.com")
	// The shell's admin logs in as the API's does.
	harbourAdmin := s.firstLogin("harbour", "harbour-admin", shellAdmin)
	if staff := s.must(s.call("GET", "/v1/merchant/staff", nil, bearer(harbourAdmin)...), 200).json()["items"].([]any); len(staff) != 1 {
		t.Fatalf("harbour's staff %v", staff)
	}
	// A key sees only its own merchant's orders.
	s.problem(s.call("GET", "/v1/orders/H-1", nil, "X-API-Key", apiKey), 404, "")

	// The new admin runs the merchant: staff, a terminal, keys, policy.
	admin := s.firstLogin("nordic", "nordic-admin", adminPassword)
	inv := s.must(s.call("POST", "/v1/merchant/staff", map[string]string{"username": "nordic-clerk", "role": "clerk", "email": "clerk@nordic.example"}, bearer(admin)...), 201).json()
	s.problem(s.call("POST", "/v1/merchant/staff", map[string]string{"username": "nordic-clerk", "role": "clerk"}, bearer(admin)...), 409, "username")
	s.problemNaming(s.call("POST", "/v1/merchant/staff", map[string]string{"username": "x", "role": "boss"}, bearer(admin)...), 422, "role", "username")
	clerkID := inv["staff"].(map[string]any)["id"].(string)
	// A one-time password opens no return either.
	otp := s.must(s.call("POST", "/v1/auth/login", map[string]string{"merchant": "nordic", "username": "nordic-clerk", "password": inv["one_time_password"].(string)}), 200).json()["token"].(string)
	s.problem(s.call("GET", "/v1/returns/"+ret0, nil, bearer(otp)...), 403, "password-change-required")
	clerk := s.firstLogin("nordic", "nordic-clerk", inv["one_time_password"].(string))
	s.must(s.call("GET", "/v1/merchant/returns", nil, bearer(clerk)...), 200)
	s.must(s.call("PATCH", "/v1/merchant/staff/"+clerkID, map[string]any{"role": "supervisor"}, bearer(admin)...), 200)
	// A new role means a new log-in.
	s.problem(s.call("GET", "/v1/merchant/returns", nil, bearer(clerk)...), 401, "")
	s.must(s.call("PATCH", "/v1/merchant/staff/"+clerkID, map[string]any{"disabled": true}, bearer(admin)...), 200)
	s.problem(s.call("POST", "/v1/auth/login", map[string]string{"merchant": "nordic", "username": "nordic-clerk", "password": "a long new password 1"}), 401, "")
	// Another merchant's admin cannot touch nordic's staff.
	s.problem(s.call("PATCH", "/v1/merchant/staff/"+clerkID, map[string]any{"disabled": false}, bearer(s.login("admin"))...), 404, "")

	s.must(s.call("POST", "/v1/merchant/terminals", map[string]string{"store_code": "STHLM-1", "store_name": "Stockholm",
		"terminal_id": "N0000001", "kind": "physical"}, bearer(admin)...), 201)
	s.must(s.call("POST", "/v1/merchant/terminals", map[string]string{"store_code": "STHLM-1", "terminal_id": "NV000001", "kind": "virtual"}, bearer(admin)...), 201)
	s.problem(s.call("POST", "/v1/merchant/terminals", map[string]string{"store_code": "STHLM-1", "terminal_id": "T0000001", "kind": "physical"}, bearer(admin)...), 409, "")
	s.problemNaming(s.call("POST", "/v1/merchant/terminals", map[string]string{"store_code": "", "terminal_id": "short", "kind": "pos"}, bearer(admin)...), 422, "store_code", "terminal_id", "kind")

	s.problem(s.call("PUT", "/v1/merchant/policy", map[string]any{"window_days": 400}, bearer(admin)...), 422, "window_days")
	pol := s.must(s.call("PUT", "/v1/merchant/policy", map[string]any{"window_days": 30, "auto_approve_limit": 100000}, bearer(admin)...), 200).json()
	if pol["policy"].(map[string]any)["window_days"].(float64) != 30 {
		t.Fatalf("policy %v", pol)
	}
	s.problem(s.call("PUT", "/v1/merchant/policy", map[string]any{"window_days": 30}, bearer(s.login("clerk"))...), 403, "")

	// A webhook endpoint gets a signed test delivery on demand.
	got := make(chan string, 1)
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var b bytes.Buffer
		_, _ = b.ReadFrom(r.Body)
		select {
		case got <- r.Header.Get("X-Rebound-Signature") + " " + b.String():
		default:
		}
	}))
	defer hook.Close()
	wh := s.must(s.call("POST", "/v1/merchant/webhooks", map[string]string{"url": hook.URL}, bearer(admin)...), 201).json()
	tr := s.must(s.call("POST", "/v1/merchant/webhooks/"+wh["id"].(string)+"/test", nil, bearer(admin)...), 200).json()
	if tr["delivered"] != true {
		t.Fatalf("test delivery %v", tr)
	}
	if d := <-got; !strings.Contains(d, "webhook.test") || len(strings.Fields(d)[0]) != 64 {
		t.Fatalf("the endpoint got %q", d)
	}
	recordDelivery(t, s, hook.URL, "deliver_webhook_test_v4")
	s.problem(s.call("POST", "/v1/merchant/webhooks/"+wh["id"].(string)+"/test", nil, bearer(s.login("admin"))...), 404, "")

	// A key works once created and fails once revoked.
	k := s.must(s.call("POST", "/v1/merchant/api-keys", map[string]string{"name": "warehouse"}, bearer(admin)...), 201).json()
	s.must(s.call("POST", "/v1/orders", orderFor("N-2", "n2@example.com"), "X-API-Key", k["key"].(string)), 201)
	keys := s.must(s.call("GET", "/v1/merchant/api-keys", nil, bearer(admin)...), 200).json()["items"].([]any)
	for _, it := range keys {
		if _, shown := it.(map[string]any)["key"]; shown {
			t.Fatal("a listed key shows its secret")
		}
	}
	s.must(s.call("DELETE", "/v1/merchant/api-keys/"+k["id"].(string), nil, bearer(admin)...), 204)
	s.problem(s.call("POST", "/v1/orders", order("N-3", "online"), "X-API-Key", k["key"].(string)), 401, "")
	s.must(s.call("DELETE", "/v1/merchant/api-keys/"+keyID, nil, bearer(admin)...), 204)
	s.problem(s.call("GET", "/v1/orders/N-1", nil, "X-API-Key", apiKey), 401, "")
	s.problem(s.call("DELETE", "/v1/merchant/api-keys/"+keyID, nil, bearer(admin)...), 404, "")
	// A return filed after the policy change gets the new policy: 30 days.
	ret := s.fileAndVerify("nordic", "N-2", "n2@example.com")
	r, err := s.db.Returns.ReturnByID(ctx, ret["id"].(string))
	if err != nil {
		t.Fatal(err)
	}
	if p, err := returns.ParsePolicy(r.Policy); err != nil || p.WindowDays != 30 || p.AutoApproveLimit != 100000 {
		t.Fatalf("the return's policy %s, %v", r.Policy, err)
	}

	// Every step is in the audit log.
	m, err := s.db.Merchants.MerchantBySlug(ctx, "nordic")
	if err != nil {
		t.Fatal(err)
	}
	log, err := s.db.Audit.AuditLog(ctx, m.ID, 100)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, e := range log {
		seen[e.Action+"/"+e.Outcome] = true
	}
	for _, want := range []string{"merchant.onboard/success", "staff.invite/success", "staff.change/success", "terminal.create/success",
		"policy.update/success", "api_key.create/success", "api_key.revoke/success", "auth.password/success", "webhook.create/success",
		"webhook.test/success"} {
		if !seen[want] {
			t.Errorf("no %s in the audit log: %v", want, seen)
		}
	}
	harbour, err := s.db.Merchants.MerchantBySlug(ctx, "harbour")
	if err != nil {
		t.Fatal(err)
	}
	if hl, _ := s.db.Audit.AuditLog(ctx, harbour.ID, 10); len(hl) == 0 || !strings.HasPrefix(hl[len(hl)-1].Actor, "shell") {
		t.Errorf("the shell's onboarding is not audited: %+v", hl)
	}
}
