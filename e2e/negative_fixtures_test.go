package e2e_test

import (
	"bytes"
	"context"
	"encoding/json"
	"github.com/rebound-returns/rebound/returns"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rebound-returns/rebound/app/credit"
	"github.com/rebound-returns/rebound/auth"
	"github.com/rebound-returns/rebound/db"
	"github.com/rebound-returns/rebound/pos"
)

// The fixtures of the generated negative test: two merchants, each with
// staff of every role, an API key, a return with its shopper's token, an
// order access token, and one of each resource a route names by ID.

// principal is who a request is sent as.
type principal struct {
	name   string
	tenant string // "A", "B", or "" for the platform and for nobody
	// shopper is set for shopper and order access tokens: the return the
	// token opens ("" for an order access token, which opens none).
	shopper   bool
	ownReturn string
	header    []string
	// relogin gets a fresh session when the old one ended (a log-out, a
	// role change); nil when the principal is no session.
	relogin func() (string, bool)
	dead    bool
}

// tenantFixture is one merchant and what it holds.
type tenantFixture struct {
	name, slug string
	apiKey     string
	// res maps a resource kind (return, lookup, staff, key, webhook,
	// freeze, order, refund, attempt, item, file, sku, redemption, credit
	// code) to the ID of one the merchant holds (the code itself for a
	// credit code).
	res map[string]string
	// markers are strings only this merchant's answers may hold.
	markers []string
	staff   map[string]*principal // by role
	shopper *principal            // the token of res["return"]
	other   *principal            // a shopper token of another return
	order   *principal            // an order access token
}

const negPassword = "negative test password 1"

// negLogin logs a member in; log-in names the member's merchant (none for
// platform operators).
func (s *stack) negLogin(username, password, merchant string) (string, bool) {
	s.t.Helper()
	r := s.call("POST", "/v1/auth/login", map[string]string{"username": username, "password": password, "merchant": merchant})
	if r.Status != 200 {
		return "", false
	}
	return r.json()["token"].(string), true
}

func (s *stack) staffPrincipal(tenant, role, username, password, merchant string) *principal {
	s.t.Helper()
	tok, ok := s.negLogin(username, password, merchant)
	if !ok {
		s.t.Fatalf("log-in of %s failed", username)
	}
	p := &principal{name: tenant + " " + role, tenant: tenant, header: bearer(tok)}
	p.relogin = func() (string, bool) { return s.negLogin(username, password, merchant) }
	return p
}

// invite makes a member through the admin and, with login, gives them
// negPassword and logs them in.
func (s *stack) invite(admin []string, tenant, merchant, username, role string, login bool) (id string, p *principal) {
	s.t.Helper()
	inv := s.must(s.call("POST", "/v1/merchant/staff", map[string]string{"username": username, "role": role}, admin...), 201).json()
	id = inv["staff"].(map[string]any)["id"].(string)
	if !login {
		return id, nil
	}
	tok, ok := s.negLogin(username, inv["one_time_password"].(string), merchant)
	if !ok {
		s.t.Fatalf("first log-in of %s failed", username)
	}
	s.must(s.call("POST", "/v1/auth/password", map[string]string{"current_password": inv["one_time_password"].(string), "new_password": negPassword}, bearer(tok)...), 204)
	return id, s.staffPrincipal(tenant, role, username, negPassword, merchant)
}

// shopperAddr numbers the loopback addresses the fixtures' shopper
// requests come from: each its own, so that limits per client address
// (which the negative test itself runs into, by design) never refuse them.
var shopperAddr atomic.Int32

// asShopper makes a shopper's request from a loopback address of its own.
func (s *stack) asShopper(method, path string, body any) response {
	s.t.Helper()
	j, err := json.Marshal(body)
	if err != nil {
		s.t.Fatal(err)
	}
	local := &net.TCPAddr{IP: net.IPv4(127, 0, 1, byte(10+shopperAddr.Add(1)%200))}
	c := &http.Client{Transport: &http.Transport{DialContext: (&net.Dialer{LocalAddr: local}).DialContext}}
	defer c.CloseIdleConnections()
	req, err := http.NewRequest(method, s.url+path, bytes.NewReader(j))
	if err != nil {
		s.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return response{Status: resp.StatusCode, Header: resp.Header, Body: b}
}

// filedReturn files a return for an order of the merchant and verifies it:
// its ID and its shopper's token.
func (s *stack) filedReturn(merchant, number, contact string) (string, string) {
	s.t.Helper()
	id := s.must(s.asShopper("POST", "/v1/returns", map[string]any{
		"merchant": merchant, "order_number": number, "contact": contact, "method": "ship",
		"lines": []map[string]any{{"line_id": "L1", "quantity": 1, "reason": "too_small"}},
	}), 201).json()["id"].(string)
	v := s.must(s.asShopper("POST", "/v1/returns/"+id+"/verify", map[string]string{"code": s.code(contact)}), 200).json()
	return id, v["token"].(string)
}

// lookupToken looks an order up and enters its code.
func (s *stack) lookupToken(merchant, number, contact string) string {
	s.t.Helper()
	lk := s.must(s.asShopper("POST", "/v1/order-lookups", map[string]any{"merchant": merchant, "order_number": number, "contact": contact}), 202).json()
	v := s.must(s.asShopper("POST", "/v1/order-lookups/"+lk["id"].(string)+"/verify", map[string]string{"code": s.code(contact)}), 200).json()
	return v["token"].(string)
}

// fillTenant makes the resources every merchant has: orders, two verified
// returns, an order access token, a lookup, a member, a key, a webhook.
func (s *stack) fillTenant(f *tenantFixture, hook string) {
	s.t.Helper()
	key := []string{"X-API-Key", f.apiKey}
	admin := f.staff["admin"].header
	lower := strings.ToLower(f.name)
	for i := 1; i <= 4; i++ {
		n := "NEG" + f.name + "-" + string(rune('0'+i))
		s.must(s.call("POST", "/v1/orders", orderFor(n, "neg"+lower+string(rune('0'+i))+"@example.com"), key...), 201)
	}
	f.res["order"] = "NEG" + f.name + "-1"
	ret, tok := s.filedReturn(f.slug, "NEG"+f.name+"-1", "neg"+lower+"1@example.com")
	f.res["return"] = ret
	f.shopper = &principal{name: f.name + " shopper", tenant: f.name, shopper: true, ownReturn: ret, header: bearer(tok)}
	ret2, tok2 := s.filedReturn(f.slug, "NEG"+f.name+"-2", "neg"+lower+"2@example.com")
	f.other = &principal{name: f.name + " shopper of another return", tenant: f.name, shopper: true, ownReturn: ret2, header: bearer(tok2)}
	f.order = &principal{name: f.name + " order access token", tenant: f.name, shopper: true, header: bearer(s.lookupToken(f.slug, "NEG"+f.name+"-3", "neg"+lower+"3@example.com"))}
	f.res["lookup"] = s.must(s.asShopper("POST", "/v1/order-lookups", map[string]any{"merchant": f.slug, "order_number": "NEG" + f.name + "-4",
		"contact": "neg" + lower + "4@example.com"}), 202).json()["id"].(string)
	f.res["staff"], _ = s.invite(admin, f.name, f.slug, "neg"+lower+"-victim", "clerk", false)
	f.res["key"] = s.must(s.call("POST", "/v1/merchant/api-keys", map[string]string{"name": "neg " + lower}, admin...), 201).json()["id"].(string)
	f.res["webhook"] = s.must(s.call("POST", "/v1/merchant/webhooks", map[string]string{"url": hook}, admin...), 201).json()["id"].(string)
	f.markers = append(f.markers, "NEG"+f.name+"-", "neg"+lower+"1@", "neg"+lower+"-victim", ret, ret2, f.res["lookup"], f.res["staff"], f.res["key"], f.res["webhook"])
	s.fillCatalogAndCredit(f)
}

// fillCatalogAndCredit makes the merchant's catalog variant, a store credit
// (issued as a shopper choosing credit is; its code read from the outbox)
// and a redemption of part of it.
func (s *stack) fillCatalogAndCredit(f *tenantFixture) {
	s.t.Helper()
	ctx := context.Background()
	key := []string{"X-API-Key", f.apiKey}
	f.res["sku"] = "NEG" + f.name + "-SKU1"
	s.must(s.call("PUT", "/v1/catalog/variants", map[string]any{"variants": []any{catalogVariant(f.res["sku"], "NEG"+f.name+"-P", 1500, 5, nil)}}, key...), 200)

	m, err := s.db.Merchants.MerchantBySlug(ctx, f.slug)
	if err != nil {
		s.t.Fatal(err)
	}
	contact := "neg" + strings.ToLower(f.name) + "-credit@example.com"
	uc := credit.New(credit.Deps{Store: creditStore{s.db.Credits, s.db.Shoppers, s.db.Merchants}, Delivery: queuedOnly{}})
	issued, err := uc.Issue(ctx, credit.IssueRequest{MerchantID: m.ID, Customer: contact, Amount: 1_000_000, Currency: "EUR",
		Reference: "neg/" + f.name, Actor: "negative test"})
	if err != nil || !issued.Created {
		s.t.Fatal(issued, err)
	}
	f.res["credit code"] = s.creditCode(contact)
	f.res["redemption"] = s.must(s.call("POST", "/v1/store-credit/redemptions", map[string]any{"code": f.res["credit code"], "amount": 100,
		"currency": "EUR", "order_reference": "NEG" + f.name + "-CHECKOUT"}, append(key, "Idempotency-Key", "neg-fixture-"+f.name)...), 201).json()["id"].(string)
	f.markers = append(f.markers, f.res["sku"], "NEG"+f.name+"-P", contact, issued.CreditID, f.res["credit code"], f.res["redemption"])
}

// freeze freezes the merchant's refunds.
func (s *stack) freeze(f *tenantFixture) {
	s.t.Helper()
	f.res["freeze"] = s.must(s.call("POST", "/v1/merchant/freezes", map[string]string{"reason": "negative test"},
		f.staff["admin"].header...), 201).json()["id"].(string)
	f.markers = append(f.markers, f.res["freeze"])
}

// negFixtures builds the two merchants: A is the demo merchant, with a
// refund (and its attempt), a reconciled file and a work item; B is
// onboarded by an operator through the API.
func negFixtures(t *testing.T, s *stack) (a, b *tenantFixture, op *principal) {
	hooked := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	t.Cleanup(hooked.Close)
	ctx := context.Background()

	hash, err := auth.HashPassword(negPassword)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.db.Staff.CreateStaff(ctx, &db.StaffUser{Username: "neg-operator", Role: "operator", PasswordHash: hash}); err != nil {
		t.Fatal(err)
	}
	op = s.staffPrincipal("", "operator", "neg-operator", negPassword, "")
	op.name = "operator"

	a = &tenantFixture{name: "A", slug: "demo", apiKey: demoAPIKey, res: map[string]string{}, staff: map[string]*principal{}}
	for _, role := range []string{"clerk", "supervisor", "finance", "admin"} {
		a.staff[role] = s.staffPrincipal("A", role, role, demoPassword, "demo")
	}

	created := s.must(s.call("POST", "/v1/admin/merchants", map[string]string{"slug": "negb", "name": "Negative B", "currency": "EUR",
		"time_zone": "Europe/Paris", "acquirer_merchant_id": "NEGB0000000001", "admin_username": "negb-admin",
		"return_address": "1 Rue B, Paris"}, op.header...), 201).json()
	b = &tenantFixture{name: "B", slug: "negb", apiKey: created["api_key"].(map[string]any)["key"].(string), res: map[string]string{}, staff: map[string]*principal{}}
	oneTime := created["admin"].(map[string]any)["one_time_password"].(string)
	tok, ok := s.negLogin("negb-admin", oneTime, "negb")
	if !ok {
		t.Fatal("negb-admin cannot log in")
	}
	s.must(s.call("POST", "/v1/auth/password", map[string]string{"current_password": oneTime, "new_password": negPassword}, bearer(tok)...), 204)
	b.staff["admin"] = s.staffPrincipal("B", "admin", "negb-admin", negPassword, "negb")
	for _, role := range []string{"clerk", "supervisor", "finance"} {
		_, b.staff[role] = s.invite(b.staff["admin"].header, "B", "negb", "negb-"+role, role, true)
	}

	s.fillTenant(a, hooked.URL)
	s.fillTenant(b, hooked.URL)

	// A's refund, its attempt, a reconciled file and its work item.
	cases := s.salesReturned(1, returns.ChannelOnline, "NEGR")
	s.waitRefundsSettled(cases, time.Minute)
	a.res["refund"] = s.attemptOfRefund(cases[0].returnID)
	a.res["attempt"] = s.attemptOf(cases[0].returnID).ID
	today := time.Now().UTC().Truncate(24 * time.Hour)
	var file bytes.Buffer
	if err := pos.WriteSettlement(&file, []pos.SettlementItem{{SettlementDate: today, TransactionDate: today, MerchantID: s.seed.AcquirerMerchantID,
		TerminalID: "T0000001", STAN: "999998", RRN: "799999999998", ApprovalCode: "NEG001", ProcessingCode: "200000", Amount: 1234,
		Currency: "EUR", MaskedPAN: "411111******1111", Batch: "000001"}}); err != nil {
		t.Fatal(err)
	}
	finance := strings.TrimPrefix(a.staff["finance"].header[1], "Bearer ")
	up := s.must(s.upload(finance, "acquirer", "neg.csv", file.Bytes()), 202).json()
	a.res["file"] = up["file"].(map[string]any)["id"].(string)
	s.reconciled(finance, a.res["file"])
	items := s.must(s.call("GET", "/v1/finance/work-items", nil, a.staff["finance"].header...), 200).json()["items"].([]any)
	if len(items) == 0 {
		t.Fatal("the planted settlement line made no work item")
	}
	a.res["item"] = items[0].(map[string]any)["id"].(string)
	a.markers = append(a.markers, a.res["refund"], a.res["attempt"], a.res["file"], a.res["item"])

	s.freeze(a)
	s.freeze(b)
	for _, f := range []*tenantFixture{a, b} {
		s.controls(f)
	}
	return a, b, op
}

// controls check that each merchant's credentials open its own resources,
// so that the refusals the negative test sees on another's are not those of
// broken credentials.
func (s *stack) controls(f *tenantFixture) {
	s.t.Helper()
	s.must(s.call("GET", "/v1/orders/"+f.res["order"], nil, "X-API-Key", f.apiKey), 200)
	s.must(s.call("GET", "/v1/returns/"+f.res["return"], nil, f.shopper.header...), 200)
	s.must(s.call("GET", "/v1/returns/"+f.res["return"], nil, f.staff["clerk"].header...), 200)
	s.must(s.call("GET", "/v1/shopper/order", nil, f.order.header...), 200)
	for _, role := range []string{"clerk", "supervisor", "finance", "admin"} {
		s.must(s.call("GET", "/v1/merchant/freezes", nil, f.staff[role].header...), 200)
	}
	if staff := string(s.must(s.call("GET", "/v1/merchant/staff", nil, f.staff["admin"].header...), 200).Body); !strings.Contains(staff, f.res["staff"]) {
		s.t.Fatalf("merchant %s's admin does not see its member %s: %s", f.name, f.res["staff"], staff)
	}
	s.must(s.call("GET", "/v1/catalog/variants/"+f.res["sku"], nil, "X-API-Key", f.apiKey), 200)
	s.must(s.call("GET", "/v1/store-credit/balance", nil, "X-Credit-Code", f.res["credit code"]), 200)
	for _, kind := range []string{"return", "lookup", "staff", "key", "webhook", "freeze", "order", "sku", "redemption", "credit code"} {
		if f.res[kind] == "" {
			s.t.Fatalf("merchant %s has no %s", f.name, kind)
		}
	}
}

// resourceKind is the kind of resource a path parameter names: by its name,
// or for {id} by the collection before it.
func resourceKind(path, param string) string {
	switch param {
	case "order_number":
		return "order"
	case "refund_id":
		return "refund"
	case "attempt_id":
		return "attempt"
	case "item_id":
		return "item"
	case "file_id":
		return "file"
	case "sku":
		return "sku"
	case "redemption_id":
		return "redemption"
	case "slug":
		return "slug"
	}
	segs := strings.Split(path, "/")
	for i, seg := range segs {
		if seg == "{"+param+"}" && i > 0 {
			switch segs[i-1] {
			case "returns":
				return "return"
			case "order-lookups":
				return "lookup"
			case "staff":
				return "staff"
			case "api-keys":
				return "key"
			case "webhooks":
				return "webhook"
			case "freezes":
				return "freeze"
			}
		}
	}
	return ""
}
