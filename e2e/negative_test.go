package e2e_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"mime/multipart"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// negRequest is one request of the generated negative test.
type negRequest struct {
	op     specOp
	label  string
	who    *principal
	owner  string // the merchant owning the resource the path names, if any
	kind   string // the kind of that resource
	resID  string
	path   string // escaped path and query
	header []string
	body   []byte
	ctype  string
}

// negResult is what a request got.
type negResult struct {
	status int
	ctype  string
	body   []byte
	err    error
	// transport: refused by Go's HTTP server before Rebound saw it.
	transport bool
	// retryAfter is the answer's Retry-After, if any.
	retryAfter time.Duration
}

// negRun sends the requests and judges every answer.
type negRun struct {
	t        *testing.T
	s        *stack
	base     string
	client   *http.Client
	sent     atomic.Int64
	uniq     atomic.Int64
	mu       sync.Mutex
	findings map[string][]string // why → examples
	statuses map[int]int
	// transport counts requests Go's HTTP server refused itself.
	transport int
	a, b      *tenantFixture
}

// TestGeneratedNegativeRequestsOverTheSpec walks api/openapi.yaml (as the
// server serves it) and sends, for every route and parameter, wrong types,
// missing fields, oversize values, NUL bytes and invalid UTF-8 (in paths,
// queries, JSON values and keys, headers), odd IDs, another merchant's IDs
// and no, wrong or another merchant's credentials. It asserts that nothing
// answers 5xx (unless the spec documents it), that no request with one
// merchant's credentials succeeds on another's resource or shows another's
// data, that shopper tokens open only their own return, and that every 4xx
// is problem+json. A route the spec lists that the server does not serve
// fails the test.
func TestGeneratedNegativeRequestsOverTheSpec(t *testing.T) {
	start := time.Now()
	s := newStack(t, lastEngine(t))
	a, b, op := negFixtures(t, s)
	t.Logf("fixtures ready in %s", time.Since(start).Round(time.Millisecond))

	spec := s.must(s.call("GET", "/openapi.yaml", nil), 200).Body
	ops, err := loadSpec(spec)
	if err != nil {
		t.Fatal(err)
	}
	if len(ops) < 10 {
		t.Fatalf("the spec lists %d operations", len(ops))
	}
	// Log-out and password change end sessions and count failures: last.
	late := func(o specOp) int {
		switch o.Path {
		case "/v1/auth/logout":
			return 1
		case "/v1/auth/password":
			return 2
		}
		return 0
	}
	sort.SliceStable(ops, func(i, j int) bool { return late(ops[i]) < late(ops[j]) })

	r := &negRun{t: t, s: s, base: s.url, a: a, b: b, findings: map[string][]string{}, statuses: map[int]int{},
		client: &http.Client{Timeout: 60 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}

	staff := []*principal{op}
	for _, f := range []*tenantFixture{a, b} {
		for _, role := range []string{"admin", "supervisor", "clerk", "finance"} {
			staff = append(staff, f.staff[role])
		}
	}
	all := append([]*principal{}, staff...)
	for _, f := range []*tenantFixture{a, b} {
		all = append(all, &principal{name: f.name + " API key", tenant: f.name, header: []string{"X-API-Key", f.apiKey}}, f.shopper, f.other, f.order)
	}
	nobody := []*principal{
		{name: "nobody"},
		{name: "wrong bearer", header: bearer("rbs_" + strings.Repeat("0", 43))},
		{name: "wrong order token", header: bearer("rbo_" + strings.Repeat("0", 43))},
		{name: "bearer garbage", header: bearer("not a token")},
		{name: "bearer invalid UTF-8", header: bearer("rbs_\xff\xfe")},
		{name: "bearer oversize", header: bearer("rbs_" + strings.Repeat("A", 20_000))},
		{name: "bearer NUL", header: bearer("rbs_a\x00b")},
		{name: "basic auth", header: []string{"Authorization", "Basic bmVnOm5lZw=="}},
		{name: "empty bearer", header: []string{"Authorization", "Bearer "}},
		{name: "wrong API key", header: []string{"X-API-Key", "rbk_wrong"}},
		{name: "API key invalid UTF-8", header: []string{"X-API-Key", "rbk_\xff"}},
		{name: "API key NUL", header: []string{"X-API-Key", "rbk_\x00"}},
		{name: "wrong signature", header: []string{"X-Rebound-Signature", strings.Repeat("0", 64), "X-Gateway-Signature", strings.Repeat("0", 64)}},
	}
	all = append(all, nobody...)

	// The probe tells a route that is not served.
	if r.served(specOp{Method: "GET", Path: "/v1/neg-no-such-route"}, a) || r.served(specOp{Method: "PATCH", Path: "/v1/auth/login"}, a) {
		t.Fatal("the probe takes a route the server does not serve for one it serves")
	}
	for _, o := range ops {
		before := r.sent.Load()
		if !r.served(o, a) {
			t.Errorf("the spec lists %s but the server does not serve it", o)
			continue
		}
		// Other merchants first, while every resource is as made.
		r.matrix(o, all)
		inner := r.inner(o, a, op)
		r.variants(o, inner)
		r.refresh(staff)
		t.Logf("%-7s %-52s %5d requests, bad input as %s", o.Method, o.Path, r.sent.Load()-before, inner.name)
	}
	r.report(time.Since(start))
}

// fill puts values into the path's parameters: the resource of owner where
// a parameter names one, override for the parameter named over.
func (r *negRun) fill(o specOp, owner *tenantFixture, over, value string) (path, kind, id string) {
	path = o.Path
	for _, p := range o.Params {
		if p.In != "path" {
			continue
		}
		k := resourceKind(o.Path, p.Name)
		v := "00000000-0000-4000-8000-00000000dead"
		switch {
		case k == "slug":
			v = owner.slug
		case k != "" && owner.res[k] != "":
			v = owner.res[k]
			kind, id = k, v
		}
		if p.Name == over {
			v = value
		} else {
			v = url.PathEscape(v)
		}
		path = strings.ReplaceAll(path, "{"+p.Name+"}", v)
	}
	return path, kind, id
}

// template is the operation's plausible request: body and content type.
func template(o specOp) ([]byte, string) {
	switch o.BodyKind {
	case "json":
		if b, ok := validBodies()[o.String()]; ok {
			return encode(b, nil), "application/json"
		}
		return encode(sample(o.Body), nil), "application/json"
	case "multipart":
		return multipartBody(o.Body, "", "", "")
	}
	return nil, ""
}

// uniq is replaced, in every body sent, by a number of seven digits of
// the request's own, so that a body that must be new (an order number, a
// terminal, a carrier's event) is.
const uniq = "NEGUNIQ"

// validBodies are plausible bodies the schemas alone cannot give (a paid
// order that adds up, a filing that names an order, a terminal of the right
// shape), so that bad input in one field gets past the others to where it
// is used. A merchant's own staff and names stay out: no failure here may
// lock a real account.
func validBodies() map[string]any {
	o := order(uniq, "online")
	o["order_number"] = "NEG-" + uniq
	o["payment"].(map[string]any)["gateway_payment_id"] = "pay_neg_" + uniq
	return map[string]any{
		"POST /v1/orders": o,
		"POST /v1/returns": map[string]any{"merchant": "demo", "order_number": "NEGA-4", "contact": "nega4@example.com", "method": "ship",
			"lines": []any{map[string]any{"line_id": "L1", "quantity": 1, "reason": "too_small", "note": "neg"}}},
		"POST /v1/order-lookups": map[string]any{"merchant": "demo", "order_number": "NEGA-4", "contact": "nega4@example.com"},
		"POST /v1/merchant/terminals": map[string]any{"store_code": "NEG-" + uniq, "store_name": "Neg", "store_address": "1 Neg St",
			"terminal_id": "T" + uniq, "kind": "physical"},
		"POST /v1/carrier/events": map[string]any{"event_id": "ev-" + uniq, "tracking_number": "RB" + uniq, "event": "in_transit",
			"occurred_at": time.Now().UTC().Format(time.RFC3339)},
		"POST /v1/merchant/returns/{id}/inspection": map[string]any{"lines": []any{map[string]any{"line_id": "L1", "accepted_quantity": 1,
			"rejected_quantity": 0, "condition": "new", "reason": "neg", "note": "neg"}}},
		"POST /v1/merchant/returns/{id}/in-store-refund": map[string]any{"terminal_id": "T0000001", "supervisor_username": "neg-nobody",
			"supervisor_password": "neg", "voucher_no": "000000", "card_fingerprint": "fp_neg"},
		"POST /v1/admin/freezes":   map[string]any{"merchant": "negb", "reason": "neg", "store_code": "NEG", "terminal_id": "NEG00001"},
		"PUT /v1/catalog/variants": map[string]any{"variants": []any{catalogVariant("NEG-"+uniq, "NEG-PRODUCT", 999, 3, map[string]string{"size": "42"})}},
		// The order access token opens NEGA-3, whose line L1 is returnable.
		"POST /v1/shopper/quote":            map[string]any{"lines": []any{map[string]any{"line_id": "L1", "quantity": 1, "reason": "too_small", "resolution": "refund"}}},
		"POST /v1/store-credit/redemptions": map[string]any{"code": creditCodeMark, "amount": 1, "currency": "EUR", "order_reference": "NEG-" + uniq},
		"POST /v1/store-credit/balance":     map[string]any{"code": creditCodeMark},
	}
}

// creditCodeMark is replaced, in every body and header sent, by the credit
// code of the merchant owning the request's resource (A's when none).
const creditCodeMark = "NEGCREDITCODE"

// usesCreditCode is whether the operation names a store credit by its code
// (in the X-Credit-Code header or a body's code): a resource of a merchant
// that no path parameter names.
func usesCreditCode(o specOp) bool {
	if strings.HasPrefix(o.Path, "/v1/store-credit/") && o.BodyKind == "json" && asMap(o.Body["properties"])["code"] != nil {
		return true
	}
	return slices.ContainsFunc(o.Params, func(p specParam) bool { return p.In == "header" && p.Name == "X-Credit-Code" })
}

// validHeaders are the headers a plausible request of the operation sends,
// unless the request sets them itself: a fresh Idempotency-Key where the
// spec requires one, the credit code where a header carries it.
func validHeaders(o specOp) []string {
	var h []string
	for _, p := range o.Params {
		switch {
		case p.In == "header" && p.Name == "Idempotency-Key" && p.Required:
			h = append(h, p.Name, "neg-"+uniq)
		case p.In == "header" && p.Name == "X-Credit-Code":
			h = append(h, p.Name, creditCodeMark)
		}
	}
	return h
}

// multipartBody is a form with a sample of every field of schema s; field
// over gets value (and, when name is set, is sent as a file part called
// name).
func multipartBody(s map[string]any, over, value, name string) ([]byte, string) {
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	props := asMap(s["properties"])
	keys := make([]string, 0, len(props))
	for k := range props {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		v := fmt.Sprint(sample(asMap(props[k])))
		if k == over {
			v = value
		}
		if asMap(props[k])["format"] == "binary" || (k == over && name != "") {
			fn := "neg.csv"
			if name != "" {
				fn = name
			}
			part, _ := w.CreateFormFile(k, fn)
			_, _ = part.Write([]byte(v))
			continue
		}
		_ = w.WriteField(k, v)
	}
	_ = w.Close()
	return buf.Bytes(), w.FormDataContentType()
}

// served is whether the server serves the operation's route: asked by
// nobody, so that nothing changes.
func (r *negRun) served(o specOp, a *tenantFixture) bool {
	path, _, _ := r.fill(o, a, "", "")
	res := r.send(negRequest{op: o, label: "route served?", who: &principal{name: "nobody"}, path: path})
	var p struct{ Type, Detail string }
	_ = json.Unmarshal(res.body, &p)
	return !(res.status == 404 && p.Detail == "no such route") && !(res.status == 405 && strings.HasSuffix(p.Type, "method-not-allowed"))
}

// inner picks who sends the bad input: the first of A's principals that
// gets past authentication and roles, so that the input reaches the
// handler. The probe's body is refused as an unknown field.
func (r *negRun) inner(o specOp, a *tenantFixture, op *principal) *principal {
	var cands []*principal
	switch {
	case slices.Contains(o.Security, "apiKey"):
		return &principal{name: "A API key", tenant: "A", header: []string{"X-API-Key", a.apiKey}}
	case slices.Contains(o.Security, "carrierSignature"), slices.Contains(o.Security, "gatewaySignature"):
		return &principal{name: "signed"}
	case len(o.Security) == 0:
		return &principal{name: "nobody"}
	}
	cands = []*principal{a.staff["admin"], a.staff["supervisor"], a.staff["clerk"], a.staff["finance"], op, a.shopper, a.order}
	path, _, _ := r.fill(o, a, "", "")
	for _, p := range cands {
		if p.dead {
			continue
		}
		q := negRequest{op: o, label: "who may?", who: p, path: path}
		if o.Method != "GET" {
			q.body, q.ctype = []byte(`{"neg_probe_unknown_field":1}`), "application/json"
		}
		res := r.send(q)
		if res.status != 401 && res.status != 403 {
			return p
		}
	}
	return a.staff["admin"]
}

// matrix sends the plausible request as everyone on each merchant's
// resources (skipping a merchant's own staff on its own resources, which
// may succeed and change them).
func (r *negRun) matrix(o specOp, all []*principal) {
	body, ctype := template(o)
	owned := false
	for _, p := range o.Params {
		if p.In == "path" {
			if k := resourceKind(o.Path, p.Name); k != "" && k != "slug" {
				owned = true
			}
		}
	}
	if usesCreditCode(o) {
		owned = true
	}
	var reqs []negRequest
	for _, owner := range []*tenantFixture{r.a, r.b} {
		path, kind, id := r.fill(o, owner, "", "")
		if kind == "" && usesCreditCode(o) {
			kind, id = "credit code", owner.res["credit code"]
		}
		for _, p := range all {
			if p.dead || (owned && p.tenant == owner.name && !p.shopper) || (!owned && owner == r.b) {
				continue
			}
			if owned && p.shopper && p.ownReturn == id {
				continue
			}
			q := negRequest{op: o, label: "as " + p.name, who: p, path: path, body: body, ctype: ctype}
			if kind != "" {
				q.label += " on " + owner.name + "'s " + kind
				q.owner, q.kind, q.resID = owner.name, kind, id
			}
			reqs = append(reqs, q)
		}
	}
	r.sendAll(reqs)
}

// variants sends the bad input as inner, on A's resources.
func (r *negRun) variants(o specOp, inner *principal) {
	body, ctype := template(o)
	var reqs []negRequest
	req := func(label, path string, header []string, b []byte, ct string) negRequest {
		return negRequest{op: o, label: label, who: inner, path: path, header: header, body: b, ctype: ct}
	}
	path, _, _ := r.fill(o, r.a, "", "")
	// Path and query parameters, and documented headers.
	for _, p := range o.Params {
		valid := ""
		if p.In == "path" {
			if k := resourceKind(o.Path, p.Name); k != "" && k != "slug" && r.a.res[k] != "" && len(r.a.res[k]) == 36 {
				valid = r.a.res[k]
			}
		}
		for _, v := range paramValues(p, valid) {
			label := p.In + " " + p.Name + ": " + v.label
			switch p.In {
			case "path":
				pp, _, _ := r.fill(o, r.a, p.Name, v.value)
				reqs = append(reqs, req(label, pp, nil, body, ctype))
				if p.Name != "slug" {
					// B's resource, as A.
					if k := resourceKind(o.Path, p.Name); k != "" && r.b.res[k] != "" {
						pb, _, _ := r.fill(o, r.a, p.Name, url.PathEscape(r.b.res[k]))
						reqs = append(reqs, negRequest{op: o, label: p.Name + ": B's " + k + " as " + inner.name, who: inner, owner: "B", kind: k,
							resID: r.b.res[k], path: pb, body: body, ctype: ctype})
					}
				}
			case "query":
				reqs = append(reqs, req(label, path+"?"+url.QueryEscape(p.Name)+"="+v.value, nil, body, ctype))
				reqs = append(reqs, req(label+" (repeated)", path+"?"+url.QueryEscape(p.Name)+"="+v.value+"&"+url.QueryEscape(p.Name)+"=x", nil, body, ctype))
			case "header":
				raw, _ := url.PathUnescape(v.value)
				reqs = append(reqs, req(label, path, []string{p.Name, raw}, body, ctype))
			}
		}
	}
	// B's credit code, as A.
	if usesCreditCode(o) {
		reqs = append(reqs, negRequest{op: o, label: "B's credit code as " + inner.name, who: inner, owner: "B", kind: "credit code",
			resID: r.b.res["credit code"], path: path, body: body, ctype: ctype})
	}
	// Query parameters naming A's merchant and resources, asked by B.
	for _, p := range o.Params {
		if p.In != "query" || len(o.Security) == 0 {
			continue
		}
		for _, who := range []*principal{r.b.staff["admin"], r.b.staff["finance"], r.b.staff["supervisor"]} {
			for _, v := range []string{r.a.slug, r.a.res["return"], r.a.res["refund"], r.a.res["sku"], "all"} {
				reqs = append(reqs, negRequest{op: o, label: "query " + p.Name + ": A's " + v, who: who,
					path: path + "?" + url.QueryEscape(p.Name) + "=" + url.QueryEscape(v), body: body, ctype: ctype})
			}
		}
	}
	// An undocumented query parameter and odd query strings.
	for _, q := range []string{"neg%00=1", "%ff=%fe", "a=" + strings.Repeat("B", 20_000), "status=%00&cursor=%ff&limit=-1&merchant=negb"} {
		reqs = append(reqs, req("query "+q[:min(len(q), 20)], path+"?"+q, nil, body, ctype))
	}
	// Headers every route reads.
	for _, h := range []struct{ label, name, value string }{
		{"request id invalid UTF-8", "X-Request-ID", "\xff\xfe"},
		{"request id NUL", "X-Request-ID", "a\x00b"},
		{"request id oversize", "X-Request-ID", strings.Repeat("r", 20_000)},
		{"request id card number", "X-Request-ID", "4111111111111111"},
		{"idempotency key NUL", "Idempotency-Key", "k\x00"},
		{"idempotency key invalid UTF-8", "Idempotency-Key", "k\xff"},
		{"forwarded for garbage", "X-Forwarded-For", "\xff, 999.1.1.1, %00"},
		{"accept csv", "Accept", "text/csv"},
	} {
		reqs = append(reqs, req("header "+h.label, path, []string{h.name, h.value}, body, ctype))
	}
	// Bodies.
	switch o.BodyKind {
	case "json":
		for _, v := range bodyVariants(o.Body, validBodies()[o.String()]) {
			reqs = append(reqs, req("body "+v.Label, path, nil, v.Body, "application/json"))
		}
		for _, ct := range []string{"text/plain", "application/x-www-form-urlencoded", "application/json; charset=latin1", "\xff/\xfe", "multipart/form-data"} {
			reqs = append(reqs, req("content type "+ct, path, nil, body, ct))
		}
	case "multipart":
		for k := range asMap(o.Body["properties"]) {
			for _, odd := range []struct{ label, value string }{
				{"empty", ""}, {"NUL", "a\x00b"}, {"invalid UTF-8", "a\xff\xfeb"}, {"oversize", strings.Repeat("A", 100_000)},
				{"not in enum", "bogus"}, {"lines with NUL and invalid UTF-8", "settlement_date,\x00\n\xff\xfe,1\n"},
			} {
				b, ct := multipartBody(o.Body, k, odd.value, "")
				reqs = append(reqs, req("form "+k+": "+odd.label, path, nil, b, ct))
			}
			b, ct := multipartBody(o.Body, k, "x", "na\x00me\xff.csv")
			reqs = append(reqs, req("form "+k+": odd file name", path, nil, b, ct))
		}
		for _, w := range []struct{ label, body, ct string }{
			{"json instead", `{"source":"acquirer"}`, "application/json"},
			{"no boundary", "x", "multipart/form-data"},
			{"no parts", "--b--\r\n", "multipart/form-data; boundary=b"},
			{"truncated", "--b\r\nContent-Disposition: form-data; name=\"source\"\r\n\r\nacq", "multipart/form-data; boundary=b"},
			{"NUL part name", "--b\r\nContent-Disposition: form-data; name=\"so\x00urce\"\r\n\r\nacquirer\r\n--b--\r\n", "multipart/form-data; boundary=b"},
		} {
			reqs = append(reqs, req("form "+w.label, path, nil, []byte(w.body), w.ct))
		}
	default:
		// No body documented: one is sent anyway.
		reqs = append(reqs, req("undocumented body", path, nil, []byte(`{"neg":"\u0000","k\u0000":1}`), "application/json"))
		reqs = append(reqs, req("undocumented body invalid UTF-8", path, nil, []byte("{\"neg\":\"\xff\"}"), "application/json"))
	}
	r.sendAll(reqs)
}

// refresh logs principals whose session ended back in.
func (r *negRun) refresh(staff []*principal) {
	for _, p := range staff {
		if p.dead || p.relogin == nil {
			continue
		}
		res := r.send(negRequest{label: "session alive?", who: p, path: "/v1/auth/session"})
		if res.status == 200 {
			continue
		}
		if tok, ok := p.relogin(); ok {
			p.header = bearer(tok)
		} else {
			r.t.Logf("%s cannot log in again; left out from here on", p.name)
			p.dead = true
		}
	}
}
