package e2e_test

import (
	"bytes"
	"context"
	"github.com/rebound-returns/rebound/returns"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/rebound-returns/rebound/db"
	"github.com/rebound-returns/rebound/pos"
)

// A shopper on a phone finds an order, enters the code, chooses an item and
// files the return, then follows it.
func TestBrowserShopperFilesAndVerifiesAReturnOnAPhone(t *testing.T) {
	s := newStack(t, lastEngine(t))
	s.must(s.call("POST", "/v1/orders", order("P-2001", "online"), "X-API-Key", demoAPIKey), 201)
	b := newBrowser(t, s, 375, 740, true)

	// Every step fits the phone: nothing scrolls sideways.
	fits := func() {
		t.Helper()
		if w := eval[int](b, `document.documentElement.scrollWidth`); w > 375 {
			t.Errorf("%s is %d px wide on a 375 px screen", b.location(), w)
		}
	}
	b.open("/r/demo")
	fits()
	// A wrong contact is told, next to nothing that would confirm the order.
	b.do(fill(`[name="order_number"]`, "P-2001"), fill(`[name="contact"]`, "someone@example.com"))
	b.submit(`main button[type="submit"]`, `/r/demo/find$`)
	b.see("We could not find an order")
	b.do(fill(`[name="contact"]`, "pat@example.com"))
	b.submit(`main button[type="submit"]`, `/r/demo/lookups/`)
	b.see("p**@example.com")
	fits()
	b.do(fill(`[name="code"]`, "000000"))
	b.submit(`main button[type="submit"]`, `/verify$`)
	b.see("is not the code we sent")
	b.do(fill(`[name="code"]`, s.code("pat@example.com")))
	b.submit(`main button[type="submit"]`, `/r/demo/items$`)
	b.see("Shirt", "Boots", "23.50 EUR each")
	fits()

	// Nothing chosen, then a quantity without a reason: told beside the field.
	b.submit(`main button[type="submit"]`, `/r/demo/items$`)
	b.see("choose at least one item")
	b.do(chromedp.SetValue(chromedp.CSS(`[name="qty.L1"]`), "1"))
	b.submit(`main button[type="submit"]`, `/r/demo/items$`)
	if msg := eval[string](b, `document.getElementById("e-reason.L1").innerText`); !strings.Contains(msg, "why") {
		t.Fatalf("reason error %q", msg)
	}
	b.do(chromedp.SetValue(chromedp.CSS(`[name="reason.L1"]`), "too_small"),
		fill(`[name="note.L1"]`, "a size up, please"),
		chromedp.Click(chromedp.CSS(`input[name="method"][value="ship"]`)))
	b.submit(`main button[type="submit"]`, `/r/demo/returns/[0-9a-f-]+$`)
	b.see("Your return", "1 × Shirt (Too small)", "code verified before filing")

	fits()
	id := regexp.MustCompile(`[0-9a-f-]{36}$`).FindString(b.location())
	r, err := s.db.Returns.ReturnByID(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	if r.Status == "pending_verification" || len(r.Lines) != 1 || r.Lines[0].Quantity != 1 || r.Lines[0].Note != "a size up, please" {
		t.Fatalf("the return filed: %+v", r)
	}
	// Shipped returns get a label once approved; the page shows where it is.
	sup := s.login("supervisor")
	if r.Status == "awaiting_review" {
		s.must(s.call("POST", "/v1/merchant/returns/"+id+"/review", map[string]string{"decision": "approve"}, bearer(sup)...), 200)
	}
	b.open("/r/demo/returns/" + id)
	b.see("Send your parcel", "Download the label")
	b.screenshot("shopper-tracking")
}

// A clerk receives a parcel brought to the store and inspects it line by
// line.
func TestBrowserClerkReceivesAndInspectsAReturn(t *testing.T) {
	s := newStack(t, lastEngine(t))
	s.must(s.call("POST", "/v1/orders", order("C-2002", "card_present"), "X-API-Key", demoAPIKey), 201)
	id := s.must(s.call("POST", "/v1/returns", map[string]any{
		"merchant": "demo", "order_number": "C-2002", "contact": "pat@example.com", "method": "in_store",
		"lines": []map[string]any{{"line_id": "L1", "quantity": 2, "reason": "too_large"}},
	}), 201).json()["id"].(string)
	shopper := s.must(s.call("POST", "/v1/returns/"+id+"/verify", map[string]string{"code": s.code("pat@example.com")}), 200).json()["token"].(string)
	if st := s.waitSettled(id, shopper); st == "awaiting_review" {
		s.must(s.call("POST", "/v1/merchant/returns/"+id+"/review", map[string]string{"decision": "approve"}, bearer(s.login("supervisor"))...), 200)
	}
	s.waitStatus(id, shopper, "awaiting_dropoff")

	b := newBrowser(t, s, 1280, 900, false)
	b.consoleLogin("clerk")
	b.see("To receive 1")
	b.open("/console?queue=receive")
	b.see("C-2002")
	b.submit(`a[href="/console/returns/`+id+`"]`, `/console/returns/`+id+`$`)
	b.see("Receive the goods", "Pat Buyer", "card ending 4111 at terminal T0000001")
	b.do(fill(`[name="note"]`, "brought to the counter"))
	b.submit(`#receive-title ~ form button[type="submit"]`, `done=received`)
	b.see("The parcel is recorded as received.", "Inspection")

	// Three of two is refused beside the field; then one accepted, one
	// rejected with the reason the shopper is told.
	b.do(fill(`[name="accepted.L1"]`, "3"))
	b.submit(`#inspect-title ~ form button[type="submit"]`, `/inspection$`)
	if msg := eval[string](b, `document.getElementById("e-accepted.L1").innerText`); !strings.Contains(msg, "from 0 to 2") {
		t.Fatalf("accepted error %q", msg)
	}
	b.do(fill(`[name="accepted.L1"]`, "1"), fill(`[name="rejected.L1"]`, "1"),
		chromedp.SetValue(chromedp.CSS(`[name="condition.L1"]`), "opened"),
		fill(`[name="reason.L1"]`, "worn, with a stain"))
	b.submit(`#inspect-title ~ form button[type="submit"]`, `done=inspected`)
	b.see("The inspection is recorded.", "1 accepted (opened)", "1 rejected: worn, with a stain")
	b.screenshot("clerk-inspected")
	v := s.waitStatus(id, shopper, "refund_pending")
	if v["lines"].([]any)[0].(map[string]any)["rejected_quantity"].(float64) != 1 {
		t.Fatalf("after inspection %v", v)
	}
}

// waitSettled waits for a verified return to leave submitted.
func (s *stack) waitSettled(id, token string) string {
	s.t.Helper()
	for range 100 {
		st := s.must(s.call("GET", "/v1/returns/"+id, nil, bearer(token)...), 200).json()["status"].(string)
		if st != "submitted" && st != "pending_verification" {
			return st
		}
		time.Sleep(100 * time.Millisecond)
	}
	s.t.Fatalf("return %s stays submitted", id)
	return ""
}

// A supervisor refunds the card at the counter: the voucher number must
// match the slip; then the card is refunded once.
func TestBrowserSupervisorCompletesACounterRefund(t *testing.T) {
	s := newStack(t, lastEngine(t))
	id := s.toCounter("C-2003")
	b := newBrowser(t, s, 1280, 900, false)
	b.consoleLogin("supervisor")
	b.open("/console?queue=counter")
	b.see("C-2003")
	b.open("/console/returns/" + id)
	b.see("Refund at the counter", "80.00 EUR")
	counter := func(voucher string) {
		b.do(chromedp.SetValue(chromedp.CSS(`[name="terminal_id"]`), "T0000001"),
			fill(`[name="supervisor_username"]`, "supervisor"), fill(`[name="supervisor_password"]`, demoPassword),
			fill(`[name="voucher_no"]`, voucher), fill(`[name="card_fingerprint"]`, "fp_secret_card_token_42"))
	}
	counter("000000")
	b.submit(`#counter-title ~ form button[type="submit"]`, `/counter-refund$`)
	if msg := eval[string](b, `document.getElementById("e-voucher_no").innerText`); !strings.Contains(msg, "voucher number of the sale") {
		t.Fatalf("voucher error %q", msg)
	}
	// The password is never sent back into the page.
	if v := eval[string](b, `document.querySelector('[name="supervisor_password"]').value`); v != "" {
		t.Fatalf("the password came back in the form")
	}
	counter(saleSTAN("C-2003"))
	b.submit(`#counter-title ~ form button[type="submit"]`, `done=refunded`)
	b.see("The card refund went through.", "Refund", "80.00 EUR")
	b.screenshot("supervisor-counter-refund")
	refunds, err := s.db.Refunds.RefundsOfReturn(context.Background(), id)
	if err != nil || len(refunds) != 1 || refunds[0].Status != returns.RefundStatusSucceeded || refunds[0].AuthorisedBy != "supervisor" {
		t.Fatalf("refunds %+v, %v", refunds, err)
	}
	paid := 0
	for _, e := range s.acquirer.Ledger() {
		if e.Kind != "sale" && !e.Reversed && e.OriginalSTAN == saleSTAN("C-2003") {
			paid++
		}
	}
	if paid != 1 {
		t.Fatalf("the acquirer paid the sale back %d times", paid)
	}
}

// Finance uploads the acquirer's file through the dashboard, reads the
// reconciliation and resolves the line nobody expected.
func TestBrowserFinanceUploadsASettlementAndResolvesAWorkItem(t *testing.T) {
	s := newStack(t, lastEngine(t))
	cards := s.cardReturns(2)
	s.counterRefunds(cards)
	s.waitRefundsSettled(cards, time.Minute)
	s.acquirer.CutOff()
	items := s.acquirer.Settlement(time.Now().UTC().Truncate(24 * time.Hour))
	extra := items[0]
	extra.STAN, extra.RRN, extra.ProcessingCode, extra.Amount = "999999", "799999999999", "200000", 1234
	items = append(items, extra)
	var file bytes.Buffer
	if err := pos.WriteSettlement(&file, items); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "settlement-today.csv")
	if err := os.WriteFile(path, file.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}

	b := newBrowser(t, s, 1280, 1000, false)
	b.consoleLogin("finance")
	b.open("/console/finance")
	b.see("Refunds by day", "2 refunds over 14 days", "Download every refund")
	b.screenshot("finance-dashboard")
	b.do(chromedp.SetUploadFiles(chromedp.CSS(`[name="file"]`), []string{path}))
	b.submit(`#upload-title ~ form button[type="submit"]`, `/console/finance/reconciliations/`)
	for range 100 {
		if strings.Contains(b.mainText(), "Reconciled") {
			break
		}
		time.Sleep(300 * time.Millisecond)
		b.open(strings.TrimPrefix(b.location(), b.base))
	}
	b.see("Reconciled", "Matched\n2", "Unexpected at the acquirer\n1", "12.34 EUR")
	b.do(chromedp.SetValue(chromedp.CSS(`#work-title ~ .item [name="resolution"]`), "not_ours"))
	b.submit(`#work-title ~ .item button[type="submit"]`, `/resolve$`)
	b.see("is required") // a note is needed: told beside it
	b.do(chromedp.SetValue(chromedp.CSS(`#work-title ~ .item [name="resolution"]`), "not_ours"),
		fill(`#work-title ~ .item [name="note"]`, "another merchant's terminal"))
	b.submit(`#work-title ~ .item button[type="submit"]`, `done=resolved`)
	b.see("The resolution is recorded.", "Resolved: Not ours by finance")
	b.screenshot("finance-reconciliation")

	// The settlement history (issue 18) lists the upload with what its
	// reconciliation found and leads back to it; a filter keeps its values.
	b.open("/console/finance")
	b.submit(`nav[aria-label="Finance"] a[href="/console/finance/settlements"]`, `/console/finance/settlements$`)
	b.see("Settlement files", "1 in all.", "settlement-today.csv", "Uploaded by finance", "Reconciled")
	b.screenshot("finance-settlements")
	b.submit(`#files-title ~ .scroll a[href^="/console/finance/reconciliations/"]`, `/console/finance/reconciliations/`)
	b.see("Reconciliation of settlement-today.csv", "Matched\n2")
	b.open("/console/finance/settlements")
	b.do(chromedp.SetValue(chromedp.CSS(`#f-source`), "gateway"))
	b.submit(`#filter-title ~ form button[type="submit"]`, `source=gateway`)
	b.see("0 in all.", "No settlement files match.")
	if v := eval[string](b, `document.querySelector("#f-source").value`); v != "gateway" {
		t.Errorf("the filter forgot its source: %q", v)
	}
}

// No page opens without the right role, and no form is taken without its
// CSRF token.
func TestPagesNeedTheRightRoleAndACSRFToken(t *testing.T) {
	s := newStack(t, lastEngine(t))
	id := s.toCounter("C-2004")
	visit := func() *http.Client {
		jar, _ := cookiejar.New(nil)
		return &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	}
	get := func(c *http.Client, path string) (int, string, string) {
		resp, err := c.Get(s.url + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var b bytes.Buffer
		_, _ = b.ReadFrom(resp.Body)
		return resp.StatusCode, resp.Header.Get("Location"), b.String()
	}
	tokenRe := regexp.MustCompile(`name="csrf_token" value="([^"]+)"`)
	csrf := func(c *http.Client, path string) string {
		_, _, body := get(c, path)
		m := tokenRe.FindStringSubmatch(body)
		if m == nil {
			t.Fatalf("no CSRF token on %s", path)
		}
		return m[1]
	}
	post := func(c *http.Client, path string, form url.Values) (int, string) {
		resp, err := c.PostForm(s.url+path, form)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		return resp.StatusCode, resp.Header.Get("Location")
	}
	login := func(user string) *http.Client {
		c := visit()
		code, loc := post(c, "/console/login", url.Values{"csrf_token": {csrf(c, "/console/login")}, "merchant": {"demo"}, "username": {user}, "password": {demoPassword}})
		if code != http.StatusSeeOther || loc != "/console" {
			t.Fatalf("log-in as %s: %d %s", user, code, loc)
		}
		return c
	}

	// Nobody logged in: every console page sends them to log in.
	anon := visit()
	for _, p := range []string{"/console", "/console/returns/" + id, "/console/finance", "/console/policy",
		"/console/finance/refunds.csv", "/console/finance/reconciliations/" + id} {
		if code, loc, _ := get(anon, p); code != http.StatusSeeOther || !strings.HasPrefix(loc, "/console/login") {
			t.Errorf("anonymous %s: %d %s", p, code, loc)
		}
	}
	// A stranger to the return sees no detail of it.
	if code, _, body := get(anon, "/r/demo/returns/"+id); code != http.StatusOK || strings.Contains(body, "Boots") || !strings.Contains(body, "Open your return") {
		t.Errorf("a stranger's tracking page: %d", code)
	}
	// Roles: the clerk has no finance pages, finance no floor forms.
	clerk, finance := login("clerk"), login("finance")
	for _, p := range []string{"/console/finance", "/console/finance/refunds.csv"} {
		if code, _, _ := get(clerk, p); code != http.StatusForbidden {
			t.Errorf("clerk on %s: %d", p, code)
		}
	}
	if code, _, _ := get(finance, "/console/finance"); code != http.StatusOK {
		t.Errorf("finance on its dashboard: %d", code)
	}
	ft := csrf(finance, "/console/finance")
	if code, _ := post(finance, "/console/returns/"+id+"/counter-refund", url.Values{"csrf_token": {ft}, "terminal_id": {"T0000001"}}); code != http.StatusForbidden {
		t.Errorf("finance posting a counter refund: %d", code)
	}
	ct := csrf(clerk, "/console")
	if code, _ := post(clerk, "/console/finance/work-items/"+id+"/resolve", url.Values{"csrf_token": {ct}, "resolution": {"other"}, "note": {"x"}}); code != http.StatusForbidden {
		t.Errorf("clerk resolving a work item: %d", code)
	}
	if code, _ := post(clerk, "/console/returns/"+id+"/review", url.Values{"csrf_token": {ct}, "decision": {"approve"}}); code != http.StatusForbidden {
		t.Errorf("clerk reviewing: %d", code)
	}

	// CSRF: a form without its token, or with another visitor's, is refused
	// and changes nothing.
	form := url.Values{"terminal_id": {"T0000001"}, "supervisor_username": {"supervisor"}, "supervisor_password": {demoPassword},
		"voucher_no": {saleSTAN("C-2004")}, "card_fingerprint": {"fp_secret_card_token_42"}}
	if code, _ := post(clerk, "/console/returns/"+id+"/counter-refund", form); code != http.StatusForbidden {
		t.Errorf("a counter refund without a CSRF token: %d", code)
	}
	form.Set("csrf_token", ft) // finance's token, in the clerk's session
	if code, _ := post(clerk, "/console/returns/"+id+"/counter-refund", form); code != http.StatusForbidden {
		t.Errorf("a counter refund with another session's token: %d", code)
	}
	if code, _ := post(visit(), "/console/login", url.Values{"username": {"clerk"}, "password": {demoPassword}}); code != http.StatusForbidden {
		t.Errorf("a log-in without a token: %d", code)
	}
	if code, _ := post(visit(), "/r/demo/find", url.Values{"order_number": {"C-2004"}, "contact": {"pat@example.com"}}); code != http.StatusForbidden {
		t.Errorf("a portal form without a token: %d", code)
	}
	if st := s.readStatus(id); st != "refund_pending" {
		t.Fatalf("the refused forms moved the return to %s", st)
	}
	refunds, _ := s.db.Refunds.RefundsOfReturn(context.Background(), id)
	for _, r := range refunds {
		if r.Status == returns.RefundStatusSucceeded {
			t.Fatal("a refused form refunded the card")
		}
	}

	// Session cookies are HttpOnly and SameSite=Lax (Secure outside dev).
	resp, err := visit().Get(s.url + "/console/login")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	for _, c := range resp.Cookies() {
		if !c.HttpOnly || c.SameSite != http.SameSiteLaxMode {
			t.Errorf("cookie %s: HttpOnly %v, SameSite %v", c.Name, c.HttpOnly, c.SameSite)
		}
	}
	// Logging out ends the session at the API too.
	code, _ := post(clerk, "/console/logout", url.Values{"csrf_token": {ct}})
	if code != http.StatusSeeOther {
		t.Fatalf("log-out: %d", code)
	}
	if code, loc, _ := get(clerk, "/console"); code != http.StatusSeeOther || !strings.HasPrefix(loc, "/console/login") {
		t.Errorf("after log-out /console: %d %s", code, loc)
	}
}

// An admin freezes refunds from the console in an emergency, every page
// then says so, and lifts the freeze.
func TestBrowserAdminFreezesAndLiftsRefunds(t *testing.T) {
	s := newStack(t, lastEngine(t))
	b := newBrowser(t, s, 1280, 900, false)
	b.consoleLogin("admin")
	b.open("/console/freezes")
	b.see("No refund has ever been frozen.")
	// A reason is required: told beside the field.
	b.do(chromedp.Click(chromedp.CSS(`input[name="scope"][value="terminal"]`)), fill(`[name="terminal_id"]`, "T0000001"))
	confirmYes := `window.confirm = () => true; true` // the admin answers the confirmation with yes
	eval[bool](b, confirmYes)
	b.submit(`#freeze-title ~ form button[type="submit"]`, `/console/freezes$`)
	if msg := eval[string](b, `document.getElementById("e-reason").innerText`); !strings.Contains(msg, "required") {
		t.Fatalf("reason error %q", msg)
	}
	b.do(fill(`[name="reason"]`, "terminal reported stolen"))
	eval[bool](b, confirmYes)
	b.submit(`#freeze-title ~ form button[type="submit"]`, `done=frozen`)
	b.see("Refunds are frozen for terminal T0000001: terminal reported stolen", "In force")
	b.open("/console")
	b.see("Refunds are frozen for terminal T0000001")
	b.screenshot("admin-freeze")
	b.open("/console/freezes")
	eval[bool](b, confirmYes)
	b.submit(`#list-title ~ .scroll form button[type="submit"]`, `done=lifted`)
	b.see("The freeze is lifted", "Lifted")
	if strings.Contains(b.mainText(), "Refunds are frozen for") {
		t.Fatal("the banner stays after the lift")
	}
	fs, err := s.db.Freezes.FreezesPage(context.Background(), s.merchantID(), true, db.Page{Limit: 50})
	if err != nil || len(fs.Items) != 0 {
		t.Fatalf("freezes in force after the lift: %v %v", fs, err)
	}
}

// An admin invites a member and makes a key from the console, each shown
// once; the key works until the admin revokes it there.
func TestBrowserAdminRunsStaffAndKeys(t *testing.T) {
	s := newStack(t, lastEngine(t))
	b := newBrowser(t, s, 1280, 900, false)
	b.consoleLogin("admin")
	b.open("/console/staff")
	b.see("clerk", "supervisor", "your account")
	b.do(fill(`[name="username"]`, "x"))
	b.submit(`#staff-title ~ form[action="/console/staff"] button[type="submit"]`, `/console/staff$`)
	if msg := eval[string](b, `document.getElementById("e-username").innerText`); !strings.Contains(msg, "3 to 64") {
		t.Fatalf("username error %q", msg)
	}
	b.do(fill(`[name="username"]`, "new-clerk"), fill(`[name="email"]`, "new@demo.example"))
	b.submit(`#staff-title ~ form[action="/console/staff"] button[type="submit"]`, `/console/staff$`)
	b.see("new-clerk is invited", "Invited (one-time password)")
	password := eval[string](b, `document.querySelector(".secret-value").textContent`)
	s.firstLogin("demo", "new-clerk", password)

	b.do(fill(`[name="name"]`, "warehouse"))
	b.submit(`#keys-title ~ form button[type="submit"]`, `/console/api-keys$`)
	b.see("The key warehouse is made")
	key := eval[string](b, `document.querySelector(".secret-value").textContent`)
	s.must(s.call("POST", "/v1/orders", orderFor("K-9", "k9@example.com"), "X-API-Key", key), 201)
	b.screenshot("admin-staff-keys")
	b.open("/console/staff")
	if strings.Contains(b.mainText(), key) {
		t.Fatal("the key is shown again")
	}
	eval[bool](b, `window.confirm = () => true; true`)
	// The newest key, warehouse, comes first in the list.
	if name := eval[string](b, `document.querySelector("#keys-title ~ .scroll tbody tr td").textContent`); name != "warehouse" {
		t.Fatalf("first key %q", name)
	}
	b.submit(`#keys-title ~ .scroll tbody tr:first-child form button[type="submit"]`, `done=revoked`)
	b.see("The key is revoked")
	s.problem(s.call("POST", "/v1/orders", orderFor("K-10", "k10@example.com"), "X-API-Key", key), 401, "")
	s.must(s.call("POST", "/v1/orders", orderFor("K-11", "k11@example.com"), "X-API-Key", demoAPIKey), 201)
}

// An admin changes the policy from the console; a bad amount is told beside
// its field; the API then holds the new rules and the deadlines it had.
func TestBrowserAdminChangesThePolicy(t *testing.T) {
	s := newStack(t, lastEngine(t))
	b := newBrowser(t, s, 1280, 900, false)
	b.consoleLogin("admin")
	b.open("/console/policy")
	b.see("Return window", "Change the rules")
	b.do(fill(`[name="window_days"]`, "30"), fill(`[name="auto_approve_limit"]`, "12,50"))
	b.submit(`#edit-title ~ form button[type="submit"]`, `/console/policy$`)
	if msg := eval[string](b, `document.getElementById("e-auto_approve_limit").innerText`); !strings.Contains(msg, "amount") {
		t.Fatalf("amount error %q", msg)
	}
	b.do(fill(`[name="auto_approve_limit"]`, "80.00"), fill(`[name="restocking_fees.opened"]`, "12.5"),
		chromedp.Click(chromedp.CSS(`input[name="review_reasons"][value="defective"]`)))
	b.submit(`#edit-title ~ form button[type="submit"]`, `done=saved`)
	b.see("The policy is saved", "30 days from delivery", "returns worth up to 80.00 EUR", "opened 12.50 %")
	pol := s.must(s.call("GET", "/v1/merchant/policy", nil, bearer(s.login("clerk"))...), 200).json()["policy"].(map[string]any)
	if pol["window_days"].(float64) != 30 || pol["auto_approve_limit"].(float64) != 8000 ||
		pol["restocking_fees"].(map[string]any)["opened"].(float64) != 1250 || pol["ship_within"] != "336h0m0s" {
		t.Fatalf("the policy after the save: %v", pol)
	}
	reviewed := pol["review_reasons"].([]any)
	if len(reviewed) != 2 { // the demo's not_as_described, and defective
		t.Fatalf("review reasons %v", reviewed)
	}
	b.screenshot("admin-policy")
}
