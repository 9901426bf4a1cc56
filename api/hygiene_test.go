package api

import (
	"bytes"
	"context"
	"encoding/base64"
	"github.com/rebound-returns/rebound/returns"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/rebound-returns/rebound/auth"
	"github.com/rebound-returns/rebound/db"
	"github.com/rebound-returns/rebound/db/dbtest"
)

// hygieneRig is the API on a real store with one merchant ("demo"), a staff
// member of each role, an operator and an integration key, logged in by
// token; its log is kept to be searched.
type hygieneRig struct {
	t      *testing.T
	h      http.Handler
	d      *db.DB
	log    *bytes.Buffer
	tokens map[string]string // role → bearer token
	apiKey string
}

func newHygieneRig(t *testing.T, d *db.DB) *hygieneRig {
	t.Helper()
	ctx := context.Background()
	rig := &hygieneRig{t: t, d: d, log: &bytes.Buffer{}, tokens: map[string]string{}}
	m := &db.Merchant{Slug: "demo", Name: "Demo"}
	if err := d.Merchants.CreateMerchant(ctx, m); err != nil {
		t.Fatal(err)
	}
	for _, role := range []returns.Role{"clerk", "supervisor", "finance", "admin", "operator"} {
		u := &db.StaffUser{Username: "hy-" + string(role), Role: role, PasswordHash: "x"}
		if role != "operator" {
			u.MerchantID = &m.ID
		}
		if err := d.Staff.CreateStaff(ctx, u); err != nil {
			t.Fatal(err)
		}
		tok, _ := auth.NewToken("rbs_")
		if err := d.Staff.CreateSession(ctx, &db.Session{TokenHash: auth.HashToken(tok), Kind: db.SessionStaff, StaffUserID: &u.ID,
			MerchantID: u.MerchantID, Role: role, ExpiresAt: time.Now().Add(time.Hour)}); err != nil {
			t.Fatal(err)
		}
		rig.tokens[string(role)] = tok
	}
	rig.apiKey, _ = auth.NewToken("rbk_")
	if err := d.Staff.CreateAPIKey(ctx, &db.APIKey{ID: db.NewID(), MerchantID: m.ID, Name: "test", Prefix: rig.apiKey[:8],
		KeyHash: auth.HashToken(rig.apiKey), CreatedBy: "test", CreatedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	rig.h = NewHandler(wired(Deps{Dev: true, Logger: slog.New(slog.NewTextHandler(rig.log, nil))}, d, nil, nil))
	return rig
}

// do sends a request; as is a role ("" for none, "key" for the API key).
func (r *hygieneRig) do(method, target, body, as string, header ...string) *httptest.ResponseRecorder {
	r.t.Helper()
	req := httptest.NewRequest(method, "http://rebound.test/", strings.NewReader(body))
	// The target goes in raw, so that bytes no client library would send
	// (NUL, invalid UTF-8) reach the router.
	u, err := url.ParseRequestURI(target)
	if err != nil {
		r.t.Fatalf("%s: %v", target, err)
	}
	req.URL.Path, req.URL.RawPath, req.URL.RawQuery = u.Path, u.RawPath, u.RawQuery
	req.RequestURI = target
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	switch as {
	case "":
	case "key":
		req.Header.Set("X-API-Key", r.apiKey)
	default:
		req.Header.Set("Authorization", "Bearer "+r.tokens[as])
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header[header[i]] = []string{header[i+1]}
	}
	rec := httptest.NewRecorder()
	r.h.ServeHTTP(rec, req)
	return rec
}

type badRequest struct {
	name, method, target, body, as string
	header                         []string
	want                           int    // the status
	field                          string // the field the problem must name, if any
	param                          string // the path parameter under test
}

func (r *hygieneRig) expect(cases []badRequest) {
	r.t.Helper()
	for _, tc := range cases {
		if tc.param != "" && (strings.Contains(tc.target, "%00") || strings.Contains(tc.target, "%FF")) {
			tc.want, tc.field = 422, tc.param // bad text is refused before the id is read
		}
		rec := r.do(tc.method, tc.target, tc.body, tc.as, tc.header...)
		if rec.Code != tc.want || rec.Header().Get("Content-Type") != problemContentType {
			r.t.Errorf("%s: %s %q answers %d (%s), want %d problem+json: %s", tc.name, tc.method, tc.target, rec.Code,
				rec.Header().Get("Content-Type"), tc.want, rec.Body)
			continue
		}
		if tc.field != "" && !strings.Contains(rec.Body.String(), `"field":"`+tc.field+`"`) {
			r.t.Errorf("%s: the problem does not name %q: %s", tc.name, tc.field, rec.Body)
		}
	}
}

// Issue 13, finding 4: a NUL byte or invalid UTF-8 in any string that
// reaches SQL answered 500 on PostgreSQL. Each place the finding names now
// answers a 422 naming the field, on both engines.
func TestBadTextIsRefusedAtTheEdge(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		r := newHygieneRig(t, d)
		line := `{"order_number":"H-1","currency":"EUR","placed_at":"2026-11-01T10:00:00Z","shipping_amount":0,` +
			`"customer":{"name":"Pat","email":"pat@example.com"},` +
			`"lines":[{"line_id":"L1","name":"Sh%sirt","quantity":1,"unit_price":1000}],` +
			`"payment":{"channel":"online","amount":1000,"gateway_payment_id":"pay_h1"}}`
		r.expect([]badRequest{
			{name: "log-in username with NUL", method: "POST", target: "/v1/auth/login",
				body: `{"username":"hy-admin\u0000","password":"secret"}`, want: 422, field: "username"},
			{name: "log-in username, invalid UTF-8", method: "POST", target: "/v1/auth/login",
				body: "{\"username\":\"hy-\xff\xfe\",\"password\":\"secret\"}", want: 422, field: "username"},
			{name: "a key with NUL", method: "POST", target: "/v1/auth/login",
				body: `{"username":"a","password":"b","x\u0000":1}`, want: 422, field: "body"},
			{name: "slug in a path with NUL", method: "GET", target: "/v1/merchants/de%00mo", want: 422, field: "slug"},
			{name: "slug in a path, invalid UTF-8", method: "GET", target: "/v1/merchants/de%FFmo", want: 422, field: "slug"},
			{name: "order line name with NUL", method: "POST", target: "/v1/orders", as: "key",
				body: strings.Replace(line, "%s", `\u0000`, 1), want: 422, field: "lines[0].name"},
			{name: "order line name, invalid UTF-8", method: "POST", target: "/v1/orders", as: "key",
				body: strings.Replace(line, "%s", "\xc3\x28", 1), want: 422, field: "lines[0].name"},
			{name: "order number in a path with NUL", method: "GET", target: "/v1/orders/H%00-1", as: "key", want: 422, field: "order_number"},
			{name: "lookup slug with NUL", method: "POST", target: "/v1/order-lookups",
				body: `{"merchant":"demo\u0000","order_number":"H-1","contact":"pat@example.com"}`, want: 422, field: "merchant"},
			{name: "lookup slug, invalid UTF-8", method: "POST", target: "/v1/order-lookups",
				body: "{\"merchant\":\"de\xffmo\",\"order_number\":\"H-1\",\"contact\":\"pat@example.com\"}", want: 422, field: "merchant"},
			{name: "outbox to= with NUL", method: "GET", target: "/v1/dev/outbox?to=pat%00@example.com", want: 422, field: "to"},
			{name: "outbox to=, invalid UTF-8", method: "GET", target: "/v1/dev/outbox?to=pat%FF@example.com", want: 422, field: "to"},
			{name: "a query name, invalid UTF-8", method: "GET", target: "/v1/dev/outbox?t%FFo=x", want: 422, field: "query"},
			{name: "finance merchant= with NUL", method: "GET", target: "/v1/finance/refunds?merchant=de%00mo", as: "operator", want: 422, field: "merchant"},
			{name: "freezes merchant= with NUL", method: "GET", target: "/v1/admin/freezes?merchant=de%00mo", as: "operator", want: 422, field: "merchant"},
			{name: "Idempotency-Key, invalid UTF-8", method: "POST", target: "/v1/orders", as: "key",
				body: strings.Replace(line, "%s", "", 1), header: []string{"Idempotency-Key", "k\xff"}, want: 422, field: "Idempotency-Key"},
			{name: "Idempotency-Key with NUL", method: "POST", target: "/v1/orders", as: "key",
				body: strings.Replace(line, "%s", "", 1), header: []string{"Idempotency-Key", "k\x00"}, want: 422, field: "Idempotency-Key"},
		})
	})
}

// Issue 13, finding 4: ids that uuid.Parse accepts but are not in canonical
// form (urn:uuid:…, braces, upper case, no hyphens) went to PostgreSQL raw
// and answered 500 (or, upper case, found the row under another spelling).
// Every route that takes an id now answers as for an unknown id.
func TestIDsAreCanonicalOnly(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		r := newHygieneRig(t, d)
		id := uuid.Must(uuid.NewV7()).String()
		cursor := func(id string) string {
			return base64.RawURLEncoding.EncodeToString([]byte(`{"created_at":"2026-11-26T10:00:00Z","amount":100,"id":"` + id + `"}`))
		}
		for _, odd := range []string{"urn:uuid:" + id, "{" + id + "}", strings.ToUpper(id), strings.ReplaceAll(id, "-", ""),
			"not-an-id", id + "%00", "%FF" + id[2:]} {
			r.expect([]badRequest{
				{name: "return", param: "id", method: "GET", target: "/v1/returns/" + odd, as: "clerk", want: 404},
				{name: "return verify", param: "id", method: "POST", target: "/v1/returns/" + odd + "/verify", body: `{"code":"123456"}`, want: 404},
				{name: "return otp", param: "id", method: "POST", target: "/v1/returns/" + odd + "/otp", want: 404},
				{name: "return cancel", param: "id", method: "POST", target: "/v1/returns/" + odd + "/cancel", as: "clerk", want: 404},
				{name: "lookup verify", param: "id", method: "POST", target: "/v1/order-lookups/" + odd + "/verify", body: `{"code":"123456"}`, want: 404},
				{name: "finance refund", param: "refund_id", method: "GET", target: "/v1/finance/refunds/" + odd, as: "finance", want: 404},
				{name: "finance work item", param: "item_id", method: "POST", target: "/v1/finance/work-items/" + odd + "/resolve", as: "finance",
					body: `{"resolution":"written_off","note":"x"}`, want: 404},
				{name: "finance attempt", param: "attempt_id", method: "POST", target: "/v1/finance/attempts/" + odd + "/resolution", as: "finance",
					body: `{"resolution":"confirmed_reversed","note":"x"}`, want: 404},
				{name: "reconciliation", param: "file_id", method: "GET", target: "/v1/finance/reconciliations/" + odd, as: "finance", want: 404},
				{name: "staff", param: "id", method: "PATCH", target: "/v1/merchant/staff/" + odd, as: "admin", body: `{"role":"clerk"}`, want: 404},
				{name: "api key", param: "id", method: "DELETE", target: "/v1/merchant/api-keys/" + odd, as: "admin", want: 404},
				{name: "freeze (merchant)", param: "id", method: "POST", target: "/v1/merchant/freezes/" + odd + "/lift", as: "admin", want: 404},
				{name: "freeze (operator)", param: "id", method: "POST", target: "/v1/admin/freezes/" + odd + "/lift", as: "operator", want: 404},
				{name: "webhook", param: "id", method: "POST", target: "/v1/merchant/webhooks/" + odd + "/test", as: "admin", want: 404},
				{name: "returns cursor", method: "GET", target: "/v1/merchant/returns?cursor=" + odd, as: "clerk", want: 422, field: "cursor"},
			})
		}
		for _, odd := range []string{"urn:uuid:" + id, "{" + id + "}", strings.ToUpper(id), "", "x\\u0000"} {
			r.expect([]badRequest{{name: "refund-list cursor " + odd, method: "GET", target: "/v1/finance/refunds?cursor=" + cursor(odd),
				as: "finance", want: 422, field: "cursor"}})
		}
	})
}

// Issue 13, finding 5: a card number in Idempotency-Key was stored, in
// X-Request-ID it reached the audit and access logs, and as a JSON key it
// was echoed in the 422. Each is refused now, and neither the answer nor
// the log repeats it.
func TestCardNumbersAreRefusedWithoutEcho(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		r := newHygieneRig(t, d)
		const pan = "4111111111111111"
		written := map[string]string{ // how each case writes the number
			"Idempotency-Key": pan, "X-Request-ID": "4111-1111-1111-1111", "key": "4111/1111/1111/1111",
			"query": "4111_1111_1111_1111", "query name": "41111111 11111111", "path": "x4111111111111111",
			"value": "４１１１１１１１１１１１１１１１",
		}
		order := `{"order_number":"C-1","currency":"EUR","placed_at":"2026-11-01T10:00:00Z","shipping_amount":0,` +
			`"customer":{"name":"Pat","email":"pat@example.com"%s},` +
			`"lines":[{"line_id":"L1","name":"Shirt","quantity":1,"unit_price":1000}],` +
			`"payment":{"channel":"online","amount":1000,"gateway_payment_id":"pay_c1"}}`
		cases := []badRequest{
			{name: "Idempotency-Key", method: "POST", target: "/v1/orders", as: "key", body: strings.Replace(order, "%s", "", 1),
				header: []string{"Idempotency-Key", written["Idempotency-Key"]}, want: 422, field: "Idempotency-Key"},
			{name: "X-Request-ID", method: "GET", target: "/v1/merchant/returns", as: "clerk",
				header: []string{"X-Request-Id", written["X-Request-ID"]}, want: 422, field: "X-Request-ID"},
			{name: "key", method: "POST", target: "/v1/orders", as: "key",
				body: strings.Replace(order, "%s", `,"`+written["key"]+`":"x"`, 1), want: 422, field: "customer"},
			{name: "query", method: "GET", target: "/v1/merchant/returns?q=" + url.QueryEscape(written["query"]), as: "clerk", want: 422, field: "q"},
			{name: "query name", method: "GET", target: "/v1/merchant/returns?" + url.QueryEscape(written["query name"]) + "=1", as: "clerk", want: 422, field: "query"},
			{name: "path", method: "GET", target: "/v1/orders/" + written["path"], as: "key", want: 422, field: "order_number"},
			{name: "value", method: "POST", target: "/v1/orders", as: "key",
				body: strings.Replace(order, "%s", `,"phone":"`+written["value"]+`"`, 1), want: 422, field: "customer.phone"},
		}
		r.expect(cases)
		for _, tc := range cases {
			rec := r.do(tc.method, tc.target, tc.body, tc.as, tc.header...)
			answer := rec.Body.String() + strings.Join(rec.Header().Values("X-Request-ID"), " ")
			for _, w := range []string{written[tc.name], pan, url.QueryEscape(written[tc.name])} {
				if strings.Contains(answer, w) {
					t.Errorf("%s: the answer repeats the card number: %s", tc.name, answer)
				}
			}
		}
		for _, w := range written {
			if strings.Contains(r.log.String(), w) || strings.Contains(r.log.String(), pan) {
				t.Errorf("the log holds the card number %q:\n%s", w, r.log)
			}
		}
		var keys int64
		if err := d.Raw(context.Background(), "SELECT count(*) FROM idempotency_keys", &keys); err != nil {
			t.Fatal(err)
		}
		if keys != 0 {
			t.Errorf("%d idempotency keys stored; want none", keys)
		}
	})
}
