package web

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// findForm opens the portal's first step as a new shopper.
func findForm(t *testing.T, h http.Handler, merchant string) (*http.Cookie, string) {
	t.Helper()
	w := do(h, "GET", "/r/"+merchant, nil)
	wantStatus(t, w, http.StatusOK)
	c := cookieNamed(w, cookieAnon)
	if c == nil {
		t.Fatal("the portal set no pre-session cookie")
	}
	return c, csrfOf(t, w)
}

func TestPortalFindUnknownOrder(t *testing.T) {
	api := newFakeAPI()
	api.HandleFunc("POST /v1/order-lookups", func(w http.ResponseWriter, r *http.Request) {
		problem(w, http.StatusNotFound, "not-found", "Not Found", "no order A-404 at merchant acme for that contact", nil)
	})
	h := newHandler(t, api, true)
	visit, token := findForm(t, h, "acme")
	w := do(h, "POST", "/r/acme/find", url.Values{"csrf_token": {token}, "order_number": {"A-404"}, "contact": {"ann@example.com"}}, visit)
	wantStatus(t, w, http.StatusUnprocessableEntity)
	body := w.Body.String()
	mustContain(t, body, `class="problem"`, "We could not find an order with this number and e-mail address or phone number.",
		`value="A-404"`, `value="ann@example.com"`)
	mustNotContain(t, body, "no order A-404 at merchant acme")
}

func TestPortalFindFieldErrors(t *testing.T) {
	api := newFakeAPI()
	api.HandleFunc("POST /v1/order-lookups", func(w http.ResponseWriter, r *http.Request) {
		problem(w, http.StatusUnprocessableEntity, "validation", "Unprocessable Entity", "invalid", []fieldErr{{"contact", "is required"}})
	})
	h := newHandler(t, api, true)
	visit, token := findForm(t, h, "acme")
	w := do(h, "POST", "/r/acme/find", url.Values{"csrf_token": {token}, "order_number": {"A-1"}}, visit)
	wantStatus(t, w, http.StatusUnprocessableEntity)
	mustContain(t, w.Body.String(), `<p class="error" id="e-contact">is required</p>`)
}

func TestPortalFindRedirectsToTheCode(t *testing.T) {
	api := newFakeAPI()
	api.HandleFunc("POST /v1/order-lookups", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusCreated, map[string]string{"id": "LK-1", "sent_to": "a***@example.com"})
	})
	h := newHandler(t, api, true)
	visit, token := findForm(t, h, "acme")
	w := do(h, "POST", "/r/acme/find", url.Values{"csrf_token": {token}, "order_number": {" A-1001 "}, "contact": {" ann@example.com "}}, visit)
	wantStatus(t, w, http.StatusSeeOther)
	loc, err := url.Parse(w.Header().Get("Location"))
	if err != nil {
		t.Fatal(err)
	}
	if loc.Path != "/r/acme/lookups/LK-1" || len(loc.Query()) != 0 {
		t.Errorf("Location = %q", w.Header().Get("Location"))
	}
	sent := cookieNamed(w, cookieSentTo)
	if sent == nil || sent.Path != "/r/acme/lookups/LK-1" || !sent.HttpOnly {
		t.Fatalf("sent-to cookie %+v; want one for the lookup's pages", sent)
	}
	calls := api.callsTo("POST", "/v1/order-lookups")
	if len(calls) != 1 {
		t.Fatalf("lookup calls %d", len(calls))
	}
	var body map[string]string
	_ = json.Unmarshal(calls[0].Body, &body)
	if body["merchant"] != "acme" || body["order_number"] != "A-1001" || body["contact"] != "ann@example.com" {
		t.Errorf("lookup body %s", calls[0].Body)
	}
	if calls[0].Header.Get("Authorization") != "" {
		t.Error("a lookup went with a bearer token")
	}

	// The code page says where the code went.
	w = do(h, "GET", loc.String(), nil, visit, sent)
	wantStatus(t, w, http.StatusOK)
	mustContain(t, w.Body.String(), "<strong>a***@example.com</strong>", `action="/r/acme/lookups/LK-1/verify"`)
}

// Issue 13: a code page printed whatever a link's ?to= said ("We sent a
// code to <your bank's helpline>"). It prints only the API's masked
// contact, or a fixed text.
func TestPortalCodePagePrintsNoTextFromTheLink(t *testing.T) {
	h := newHandler(t, newFakeAPI(), true)
	for _, target := range []string{
		"/r/acme/lookups/LK-1?to=" + url.QueryEscape("call +1 555 0100 to confirm"),
		"/r/acme/lookups/LK-1?to=" + url.QueryEscape("<b>evil</b>"),
	} {
		w := do(h, "GET", target, nil)
		wantStatus(t, w, http.StatusOK)
		mustNotContain(t, w.Body.String(), "555 0100", "evil", "<strong>")
		mustContain(t, w.Body.String(), "We sent a 6-digit code.")
	}
	// Nor free text planted in the cookie.
	w := do(h, "GET", "/r/acme/lookups/LK-1", nil, &http.Cookie{Name: cookieSentTo, Value: url.QueryEscape("call us on 555 0100")})
	mustNotContain(t, w.Body.String(), "555 0100")
}

func TestPortalFindWithoutCSRFIsRefused(t *testing.T) {
	api := newFakeAPI()
	api.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) { t.Errorf("the API got %s", r.URL.Path) })
	h := newHandler(t, api, true)
	visit, _ := findForm(t, h, "acme")
	w := do(h, "POST", "/r/acme/find", url.Values{"order_number": {"A-1"}, "contact": {"x"}}, visit)
	wantStatus(t, w, http.StatusForbidden)
	mustContain(t, w.Body.String(), `class="area-portal"`)
}

func TestPortalItemsWithoutOrderAccessStartsAgain(t *testing.T) {
	api := newFakeAPI()
	api.HandleFunc("GET /v1/shopper/order", func(w http.ResponseWriter, r *http.Request) {
		problem(w, http.StatusUnauthorized, "unauthorized", "Unauthorized", "expired", nil)
	})
	h := newHandler(t, api, true)
	wantRedirect(t, do(h, "GET", "/r/acme/items", nil), http.StatusSeeOther, "/r/acme?expired=1")
	if n := len(api.callsTo("GET", "/v1/shopper/order")); n != 0 {
		t.Errorf("the order was asked for %d times without access", n)
	}
	// An access that ran out does the same.
	wantRedirect(t, do(h, "GET", "/r/acme/items", nil, &http.Cookie{Name: cookieOrder, Value: "old"}), http.StatusSeeOther, "/r/acme?expired=1")
	w := do(h, "GET", "/r/acme?expired=1", nil)
	wantStatus(t, w, http.StatusOK)
	mustContain(t, w.Body.String(), "Your time to choose items ran out.")
}

func shopperAPI() *fakeAPI {
	api := newFakeAPI()
	api.HandleFunc("GET /v1/shopper/order", func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer order-tok" {
			problem(w, http.StatusUnauthorized, "unauthorized", "Unauthorized", "expired", nil)
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{
			"merchant": "acme", "merchant_name": "Acme Outdoor", "order_number": "A-1001", "currency": "EUR",
			"placed_at": "2026-03-01T12:00:00Z", "channel": "online",
			"lines": []map[string]any{
				{"line_id": "L1", "name": "Trail shoe", "quantity": 2, "unit_paid": 8999, "returnable": 2},
				{"line_id": "L2", "name": "Gift card", "quantity": 1, "unit_paid": 5000, "returnable": 0, "why_not_returnable": "non_returnable_category"},
			},
			"reasons": []string{"too_small", "damaged"},
		})
	})
	return api
}

func TestPortalItemsFilesTheReturn(t *testing.T) {
	api := shopperAPI()
	api.HandleFunc("POST /v1/returns", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusCreated, map[string]string{"id": "R5", "token": "return-tok"})
	})
	h := newHandler(t, api, false)
	order := &http.Cookie{Name: cookieOrder, Value: "order-tok"}
	w := do(h, "GET", "/r/acme/items", nil, order)
	wantStatus(t, w, http.StatusOK)
	mustContain(t, w.Body.String(), "Trail shoe", "89.99 EUR each", "Non returnable category.", `name="qty.L1"`)
	token := csrfOf(t, w)

	// A token made for the pre-session does not pass for the order's access.
	visit, anonToken := findForm(t, h, "acme")
	wantStatus(t, do(h, "POST", "/r/acme/items", url.Values{"csrf_token": {anonToken}, "qty.L1": {"1"}, "reason.L1": {"too_small"}}, order, visit),
		http.StatusForbidden)

	// Nothing chosen, or no reason: marked before the API is asked.
	w = do(h, "POST", "/r/acme/items", url.Values{"csrf_token": {token}, "qty.L1": {"0"}}, order)
	wantStatus(t, w, http.StatusUnprocessableEntity)
	mustContain(t, w.Body.String(), `<p class="error" id="e-items">choose at least one item to return</p>`)
	w = do(h, "POST", "/r/acme/items", url.Values{"csrf_token": {token}, "qty.L1": {"1"}}, order)
	wantStatus(t, w, http.StatusUnprocessableEntity)
	mustContain(t, w.Body.String(), `<p class="error" id="e-reason.L1">tell us why you are returning it</p>`)
	if n := len(api.callsTo("POST", "/v1/returns")); n != 0 {
		t.Fatalf("returns filed: %d", n)
	}

	w = do(h, "POST", "/r/acme/items", url.Values{"csrf_token": {token}, "qty.L1": {"2"}, "reason.L1": {"too_small"}, "note.L1": {" tight "},
		"method": {"in_store"}}, order)
	wantRedirect(t, w, http.StatusSeeOther, "/r/acme/returns/R5")
	if c := cookieNamed(w, cookieShopper); c == nil || c.Value != "return-tok" || c.Path != "/r/" || !c.Secure || !c.HttpOnly {
		t.Errorf("return cookie %+v", c)
	}
	if c := cookieNamed(w, cookieOrder); c == nil || c.MaxAge >= 0 {
		t.Errorf("order cookie not cleared: %+v", c)
	}
	calls := api.callsTo("POST", "/v1/returns")
	want := `{"lines":[{"line_id":"L1","quantity":2,"reason":"too_small","note":"tight"}],"method":"in_store"}`
	if len(calls) != 1 || string(calls[0].Body) != want || calls[0].Header.Get("Authorization") != "Bearer order-tok" {
		t.Errorf("return calls %+v, want body %s", calls, want)
	}
}

func TestPortalItemsMapsLineErrors(t *testing.T) {
	api := shopperAPI()
	api.HandleFunc("POST /v1/returns", func(w http.ResponseWriter, r *http.Request) {
		problem(w, http.StatusUnprocessableEntity, "validation", "Unprocessable Entity", "invalid", []fieldErr{
			{"lines[0].reason", "is not a reason of this shop"}, {"lines", "too many lines"}})
	})
	h := newHandler(t, api, true)
	order := &http.Cookie{Name: cookieOrder, Value: "order-tok"}
	token := csrfOf(t, do(h, "GET", "/r/acme/items", nil, order))
	w := do(h, "POST", "/r/acme/items", url.Values{"csrf_token": {token}, "qty.L1": {"1"}, "reason.L1": {"damaged"}}, order)
	wantStatus(t, w, http.StatusUnprocessableEntity)
	mustContain(t, w.Body.String(), `<p class="error" id="e-reason.L1">is not a reason of this shop</p>`,
		`<p class="error" id="e-items">too many lines</p>`)
}

func TestPortalItemsOfAnotherMerchantRedirects(t *testing.T) {
	h := newHandler(t, shopperAPI(), true)
	w := do(h, "GET", "/r/other/items", nil, &http.Cookie{Name: cookieOrder, Value: "order-tok"})
	wantRedirect(t, w, http.StatusSeeOther, "/r/acme/items")
}

func TestPortalTrackWithoutAccessOffersACode(t *testing.T) {
	api := newFakeAPI()
	api.HandleFunc("GET /v1/returns/{id}", func(w http.ResponseWriter, r *http.Request) {
		problem(w, http.StatusNotFound, "not-found", "Not Found", "no such return", nil)
	})
	h := newHandler(t, api, true)
	for _, cookies := range [][]*http.Cookie{nil, {{Name: cookieShopper, Value: "someone-else"}}} {
		w := do(h, "GET", "/r/acme/returns/R5", nil, cookies...)
		wantStatus(t, w, http.StatusOK)
		mustContain(t, w.Body.String(), "Open your return", `action="/r/acme/returns/R5/code"`, `action="/r/acme/returns/R5/verify"`)
	}
	if n := len(api.callsTo("GET", "/v1/returns/R5")); n != 1 {
		t.Errorf("the return was asked for %d times, want once (with the cookie)", n)
	}
}

func TestPortalTrackShowsTheReturn(t *testing.T) {
	api := newFakeAPI()
	api.HandleFunc("GET /v1/returns/{id}", func(w http.ResponseWriter, r *http.Request) {
		v := returnJSON("R5", "awaiting_shipment")
		v["tracking_number"] = "TRK123"
		writeJSON(w, http.StatusOK, v)
	})
	h := newHandler(t, api, true)
	w := do(h, "GET", "/r/acme/returns/R5", nil, &http.Cookie{Name: cookieShopper, Value: "return-tok"})
	wantStatus(t, w, http.StatusOK)
	mustContain(t, w.Body.String(), "Send your parcel", "TRK123", `href="/r/acme/returns/R5/label"`, "Cancel my return")
}

// A merchant offering more than refunds: the shopper picks per line, sees
// what each gives (the quote) and files with the choice; an exchange needs
// the variant wanted, and the API's refusal of it marks the line's field.
func TestPortalItemsChooseResolutionsAndQuote(t *testing.T) {
	api := newFakeAPI()
	api.HandleFunc("GET /v1/shopper/order", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]any{
			"merchant": "acme", "merchant_name": "Acme Outdoor", "order_number": "A-1001", "currency": "EUR",
			"placed_at": "2026-03-01T12:00:00Z", "channel": "online",
			"lines":       []map[string]any{{"line_id": "L1", "name": "Trail shoe", "quantity": 2, "unit_paid": 8999, "returnable": 2}},
			"reasons":     []string{"too_small"},
			"resolutions": []string{"refund", "store_credit", "exchange"}, "credit_bonus": map[string]any{"basis_points": 1000, "cap": 2000},
		})
	})
	api.HandleFunc("POST /v1/shopper/quote", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]any{"currency": "EUR",
			"lines": []map[string]any{{"line_id": "L1", "quantity": 1, "options": []map[string]any{
				{"resolution": "refund", "amount": 8999, "bonus": 0}, {"resolution": "store_credit", "amount": 8999, "bonus": 900},
				{"resolution": "exchange", "amount": 8999, "bonus": 0}}}},
			"chosen": map[string]any{"total": 8999, "credit": 8999, "bonus": 900}})
	})
	api.HandleFunc("POST /v1/returns", func(w http.ResponseWriter, r *http.Request) {
		if strings.Contains(readAll(r), `"variant_sku":"HAT"`) {
			problem(w, http.StatusUnprocessableEntity, "validation", "Unprocessable Entity", "invalid", []fieldErr{
				{"lines[0].variant_sku", "must be a variant of the product ordered (Trail shoe)"}})
			return
		}
		writeJSON(w, http.StatusCreated, map[string]string{"id": "R6", "token": "return-tok"})
	})
	h := newHandler(t, api, false)
	order := &http.Cookie{Name: cookieOrder, Value: "order-tok"}
	w := do(h, "GET", "/r/acme/items", nil, order)
	wantStatus(t, w, http.StatusOK)
	mustContain(t, w.Body.String(), `name="resolution.L1" value="refund" checked`, `value="store_credit"> Store credit <span class="muted">&#43;10% bonus (up to 20.00 EUR)</span>`,
		`name="variant.L1"`, `value="quote"`)
	token := csrfOf(t, w)

	w = do(h, "POST", "/r/acme/items", url.Values{"csrf_token": {token}, "qty.L1": {"1"}, "reason.L1": {"too_small"},
		"resolution.L1": {"store_credit"}, "action": {"quote"}}, order)
	wantStatus(t, w, http.StatusOK)
	mustContain(t, w.Body.String(), "What you get", "Store credit: 89.99 EUR &#43; 9.00 EUR bonus", "Store credit: 98.99 EUR (a bonus of 9.00 EUR included)",
		`value="store_credit" checked`)
	if n := len(api.callsTo("POST", "/v1/returns")); n != 0 {
		t.Fatalf("a quote filed %d returns", n)
	}
	quotes := api.callsTo("POST", "/v1/shopper/quote")
	if want := `{"lines":[{"line_id":"L1","quantity":1,"reason":"too_small","resolution":"store_credit"}]}`; len(quotes) != 1 || string(quotes[0].Body) != want {
		t.Fatalf("quote calls %+v; want %s", quotes, want)
	}

	w = do(h, "POST", "/r/acme/items", url.Values{"csrf_token": {token}, "qty.L1": {"1"}, "reason.L1": {"too_small"}, "resolution.L1": {"exchange"}}, order)
	wantStatus(t, w, http.StatusUnprocessableEntity)
	mustContain(t, w.Body.String(), `<p class="error" id="e-variant.L1">tell us which size or variant you want instead</p>`)
	w = do(h, "POST", "/r/acme/items", url.Values{"csrf_token": {token}, "qty.L1": {"1"}, "reason.L1": {"too_small"}, "resolution.L1": {"exchange"},
		"variant.L1": {"HAT"}}, order)
	wantStatus(t, w, http.StatusUnprocessableEntity)
	mustContain(t, w.Body.String(), `<p class="error" id="e-variant.L1">must be a variant of the product ordered (Trail shoe)</p>`)
	w = do(h, "POST", "/r/acme/items", url.Values{"csrf_token": {token}, "qty.L1": {"1"}, "reason.L1": {"too_small"}, "resolution.L1": {"exchange"},
		"variant.L1": {"SHOE-44"}, "method": {"ship"}}, order)
	wantRedirect(t, w, http.StatusSeeOther, "/r/acme/returns/R6")
	calls := api.callsTo("POST", "/v1/returns")
	if want := `"resolution":"exchange","variant_sku":"SHOE-44"`; len(calls) != 2 || !strings.Contains(string(calls[1].Body), want) {
		t.Fatalf("return calls %+v; want %s", calls, want)
	}
}

func readAll(r *http.Request) string {
	b, _ := io.ReadAll(r.Body)
	return string(b)
}
