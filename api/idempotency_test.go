package api

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/rebound-returns/rebound/auth"
	"github.com/rebound-returns/rebound/db"
	"github.com/rebound-returns/rebound/db/dbtest"
)

// An Idempotency-Key is the caller's own and names one request: the same key and body from the
// same caller on the same path replay a success; anything else does its own work.

// idemRig serves POST /v1/things/:id/act behind the idempotency middleware. Its handler counts
// its calls and answers the status the request's X-Answer asks for (201 by default), naming the
// call and the path. X-As picks the caller: "staff/<user>" or "integration" (with its
// X-API-Key); none is anonymous, known by its address.
type idemRig struct {
	h     http.Handler
	mu    sync.Mutex
	calls int
}

func newIdemRig(t *testing.T, d *db.DB) *idemRig {
	t.Helper()
	rig := &idemRig{}
	s, r := newRouter(wired(Deps{}, d, nil, nil))
	as := func(c *gin.Context) {
		switch who := c.GetHeader("X-As"); {
		case who == "integration":
			c.Set(principalKey, &principal{Kind: kindIntegration, MerchantID: "m1", Username: "api-key:rbk_"})
		case len(who) > len("staff/") && who[:len("staff/")] == "staff/":
			c.Set(principalKey, &principal{Kind: kindStaff, MerchantID: "m1", UserID: who[len("staff/"):], Role: "clerk"})
		}
	}
	r.POST("/v1/things/:id/act", as, s.idempotent, s.handle(func(c *gin.Context) error {
		rig.mu.Lock()
		rig.calls++
		n := rig.calls
		rig.mu.Unlock()
		status := http.StatusCreated
		if a := c.GetHeader("X-Answer"); a != "" {
			status, _ = strconv.Atoi(a)
		}
		if status >= 400 {
			return NewProblem(status, "refused", "refused on call "+strconv.Itoa(n))
		}
		c.JSON(status, map[string]any{"call": n, "path": c.Request.URL.Path})
		return nil
	}))
	rig.h = r
	return rig
}

type idemAnswer struct {
	status   int
	call     int // the handler's call that made the answer
	path     string
	replayed bool
}

// post sends body to /v1/things/{id}/act with the Idempotency-Key key and the headers given
// ("RemoteAddr" sets the caller's address).
func (rig *idemRig) post(t *testing.T, id, key, body string, header ...string) idemAnswer {
	t.Helper()
	req := httptest.NewRequest(http.MethodPost, "/v1/things/"+id+"/act", bytes.NewBufferString(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Idempotency-Key", key)
	for i := 0; i+1 < len(header); i += 2 {
		if header[i] == "RemoteAddr" {
			req.RemoteAddr = header[i+1]
			continue
		}
		req.Header.Set(header[i], header[i+1])
	}
	rec := httptest.NewRecorder()
	rig.h.ServeHTTP(rec, req)
	a := idemAnswer{status: rec.Code, replayed: rec.Header().Get("Idempotent-Replayed") == "true"}
	if rec.Code < 300 {
		var out struct {
			Call int    `json:"call"`
			Path string `json:"path"`
		}
		if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil {
			t.Fatalf("answer %d %s: %v", rec.Code, rec.Body, err)
		}
		a.call, a.path = out.Call, out.Path
	}
	return a
}

func (rig *idemRig) callCount() int {
	rig.mu.Lock()
	defer rig.mu.Unlock()
	return rig.calls
}

func TestIdempotencyKeyNamesOneConcretePath(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		rig := newIdemRig(t, d)
		clerk := []string{"X-As", "staff/u1"}
		first := rig.post(t, "R1", "k1", `{"amount":1}`, clerk...)
		other := rig.post(t, "R2", "k1", `{"amount":1}`, clerk...)
		if first.status != 201 || other.status != 201 || other.replayed || other.call == first.call || other.path != "/v1/things/R2/act" {
			t.Fatalf("the same key on two returns: %+v then %+v; want two pieces of work", first, other)
		}
		again := rig.post(t, "R1", "k1", `{"amount":1}`, clerk...)
		if again != (idemAnswer{201, first.call, "/v1/things/R1/act", true}) || rig.callCount() != 2 {
			t.Fatalf("the retry on R1: %+v after %d calls; want the first answer replayed", again, rig.callCount())
		}
		if a := rig.post(t, "R1", "k1", `{"amount":2}`, clerk...); a.status != http.StatusUnprocessableEntity || rig.callCount() != 2 {
			t.Fatalf("another body under the key: %+v, want 422 without a call", a)
		}
	})
}

func TestRefusalsAreNotReplayed(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		rig := newIdemRig(t, d)
		clerk := []string{"X-As", "staff/u1"}
		for _, status := range []string{"409", "422", "400", "404"} {
			key := "k-" + status
			for try := 1; try <= 2; try++ {
				before := rig.callCount()
				a := rig.post(t, "R1", key, `{"amount":1}`, append(clerk, "X-Answer", status)...)
				if strconv.Itoa(a.status) != status || a.replayed || rig.callCount() != before+1 {
					t.Fatalf("%s, try %d: %+v; want the handler to answer again", status, try, a)
				}
			}
			// Corrected, or once the conflict is gone, the same key does the work once.
			done := rig.post(t, "R1", key, `{"amount":2}`, clerk...)
			again := rig.post(t, "R1", key, `{"amount":2}`, clerk...)
			if done.status != 201 || done.replayed || !again.replayed || again.call != done.call {
				t.Fatalf("%s then a good request: %+v, %+v; want it done once and replayed", status, done, again)
			}
		}
		// A timed-out request may still finish: its key stays in flight.
		if a := rig.post(t, "R9", "k-504", `{}`, append(clerk, "X-Answer", "504")...); a.status != http.StatusGatewayTimeout {
			t.Fatalf("504: %+v", a)
		}
		before := rig.callCount()
		if a := rig.post(t, "R9", "k-504", `{}`, clerk...); a.status != http.StatusConflict || rig.callCount() != before {
			t.Fatalf("retry after a 504: %+v; want 409 in flight without a call", a)
		}
		// A server error is released.
		rig.post(t, "R8", "k-500", `{}`, append(clerk, "X-Answer", "500")...)
		if a := rig.post(t, "R8", "k-500", `{}`, clerk...); a.status != 201 || a.replayed {
			t.Fatalf("retry after a 500: %+v; want the work done", a)
		}
	})
}

func TestIdempotencyKeyIsTheCallersOwn(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		rig := newIdemRig(t, d)
		callers := map[string][]string{
			"clerk u1":             {"X-As", "staff/u1"},
			"clerk u2":             {"X-As", "staff/u2"},
			"API key A":            {"X-As", "integration", "X-API-Key", "rbk_key_a"},
			"API key B":            {"X-As", "integration", "X-API-Key", "rbk_key_b"},
			"address 1":            {"RemoteAddr", "198.51.100.7:4000"},
			"address 2":            {"RemoteAddr", "203.0.113.9:4000"},
			"order access token 1": {"Authorization", "Bearer " + prefixOrderAccess + "one"},
			"order access token 2": {"Authorization", "Bearer " + prefixOrderAccess + "two"},
		}
		firsts := map[string]int{}
		for name, h := range callers {
			a := rig.post(t, "R1", "shared-key", `{"amount":1}`, h...)
			if a.status != 201 || a.replayed {
				t.Fatalf("%s with a key another caller used: %+v; want its own answer", name, a)
			}
			firsts[name] = a.call
		}
		if rig.callCount() != len(callers) {
			t.Fatalf("%d calls for %d callers", rig.callCount(), len(callers))
		}
		for _, name := range []string{"clerk u1", "API key A", "address 1"} {
			if a := rig.post(t, "R1", "shared-key", `{"amount":1}`, callers[name]...); !a.replayed || a.call != firsts[name] {
				t.Errorf("%s retrying: %+v; want its own first answer (call %d)", name, a, firsts[name])
			}
		}
	})
}

// Through the real routes: an integration registers an order with a key; another API key of
// the same merchant does not get that answer, and a refused order is not kept.
func TestOrderRegistrationKeysAreEachAPIKeysOwn(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		m := &db.Merchant{Slug: "acme", Name: "Acme", Currency: "EUR", TimeZone: "UTC", Policy: db.JSON(`{"window_days":30}`)}
		if err := d.Merchants.CreateMerchant(ctx, m); err != nil {
			t.Fatal(err)
		}
		for _, key := range []string{"rbk_key_one", "rbk_key_two"} {
			if err := d.Staff.CreateAPIKey(ctx, &db.APIKey{MerchantID: m.ID, Name: key, Prefix: key[:10], KeyHash: auth.HashToken(key)}); err != nil {
				t.Fatal(err)
			}
		}
		h := NewHandler(wired(Deps{}, d, nil, nil))
		post := func(apiKey, idemKey string, body map[string]any) *httptest.ResponseRecorder {
			b, _ := json.Marshal(body)
			req := httptest.NewRequest(http.MethodPost, "/v1/orders", bytes.NewReader(b))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("X-API-Key", apiKey)
			req.Header.Set("Idempotency-Key", idemKey)
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			return rec
		}
		order := testOrder("A-1")
		if rec := post("rbk_key_one", "o-1", order); rec.Code != http.StatusCreated {
			t.Fatalf("register: %d %s", rec.Code, rec.Body)
		}
		if rec := post("rbk_key_one", "o-1", order); rec.Code != http.StatusCreated || rec.Header().Get("Idempotent-Replayed") != "true" {
			t.Fatalf("the same key's retry: %d %q", rec.Code, rec.Header().Get("Idempotent-Replayed"))
		}
		// The other key's request is handled: the order is there already, with this content.
		if rec := post("rbk_key_two", "o-1", order); rec.Code != http.StatusOK || rec.Header().Get("Idempotent-Replayed") != "" {
			t.Fatalf("another API key with the same Idempotency-Key: %d %q %s; want its own answer", rec.Code, rec.Header().Get("Idempotent-Replayed"), rec.Body)
		}

		// A refused registration (a bad field) is corrected under the same key.
		bad := testOrder("A-2")
		bad["currency"] = "euro"
		if rec := post("rbk_key_one", "o-2", bad); rec.Code != http.StatusUnprocessableEntity {
			t.Fatalf("bad currency: %d %s", rec.Code, rec.Body)
		}
		if rec := post("rbk_key_one", "o-2", testOrder("A-2")); rec.Code != http.StatusCreated {
			t.Fatalf("the corrected order under the same key: %d %s; want 201", rec.Code, rec.Body)
		}
		// A conflict is not replayed: once it is gone, the same request goes through.
		changed := testOrder("A-3")
		if rec := post("rbk_key_one", "o-3", changed); rec.Code != http.StatusCreated {
			t.Fatalf("A-3: %d %s", rec.Code, rec.Body)
		}
		changed["shipping_amount"] = 0
		for try := 1; try <= 2; try++ {
			rec := post("rbk_key_one", "o-4", changed)
			if rec.Code != http.StatusConflict || rec.Header().Get("Idempotent-Replayed") != "" {
				t.Fatalf("A-3 with other content, try %d: %d %q; want 409 from the handler", try, rec.Code, rec.Header().Get("Idempotent-Replayed"))
			}
		}
	})
}

// testOrder is a paid online order as an integration registers it.
func testOrder(number string) map[string]any {
	now := time.Now().UTC()
	return map[string]any{
		"order_number": number, "currency": "EUR",
		"placed_at":       now.Add(-48 * time.Hour).Format(time.RFC3339),
		"shipping_amount": 595,
		"customer":        map[string]any{"name": "Pat Buyer", "email": "pat@example.com"},
		"lines": []map[string]any{
			{"line_id": "L1", "sku": "SHIRT", "name": "Shirt", "category": "apparel", "quantity": 1, "unit_price": 2500, "discount": 0},
		},
		"payment": map[string]any{"channel": "online", "amount": 2500 + 595, "gateway_payment_id": "pay_" + number},
	}
}
