package e2e_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/rebound-returns/rebound/auth"
	"github.com/rebound-returns/rebound/db"
	"github.com/rebound-returns/rebound/db/dbtest"
)

// Issue 13, finding 3: before a code is verified a shopper learns nothing
// of an order but that what they typed matches it, and cannot try without
// limit.

// withoutRequestID is a problem's answer without what differs per request.
func withoutRequestID(b []byte) string {
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		return string(b)
	}
	delete(m, "request_id")
	out, _ := json.Marshal(m)
	return string(out)
}

func filing(number string, mut func(line map[string]any)) map[string]any {
	line := map[string]any{"line_id": "L1", "quantity": 1, "reason": "too_small"}
	if mut != nil {
		mut(line)
	}
	return map[string]any{"merchant": "demo", "order_number": number, "contact": "pat@example.com", "method": "ship",
		"lines": []map[string]any{line}}
}

func TestUnverifiedFilingsTellNothingOfTheOrder(t *testing.T) {
	t.Parallel()
	for _, e := range dbtest.Engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			s := newStack(t, e)
			s.must(s.call("POST", "/v1/orders", order("S-1", "card_present"), "X-API-Key", demoAPIKey), 201)

			// No such order, a wrong contact, a line the order has not, more
			// than was bought: one status, one body, one time.
			cases := map[string]map[string]any{
				"unknown order": filing("S-404", nil),
				"wrong contact": func() map[string]any {
					f := filing("S-1", nil)
					f["contact"] = "mallory@example.com"
					return f
				}(),
				"wrong line":     filing("S-1", func(l map[string]any) { l["line_id"] = "L9" }),
				"wrong quantity": filing("S-1", func(l map[string]any) { l["quantity"] = 5 }),
			}
			var first string
			took := map[string]time.Duration{}
			for _, name := range []string{"unknown order", "wrong contact", "wrong line", "wrong quantity"} {
				for range 2 {
					start := time.Now()
					r := s.call("POST", "/v1/returns", cases[name])
					d := time.Since(start)
					if old, ok := took[name]; !ok || d < old {
						took[name] = d
					}
					s.problem(r, 404, "no-such-order")
					body := withoutRequestID(r.Body)
					if first == "" {
						first = body
					} else if body != first {
						t.Errorf("%s answers %s; an unknown order answers %s", name, body, first)
					}
				}
			}
			var fastest, slowest time.Duration = time.Hour, 0
			for _, d := range took {
				fastest, slowest = min(fastest, d), max(slowest, d)
			}
			t.Logf("quickest answer per mismatch: %v", took)
			if fastest < 140*time.Millisecond || slowest-fastest > 100*time.Millisecond {
				t.Errorf("mismatches answer in %v; want each after the same least time", took)
			}

			// Lookups: an unknown order and a wrong contact, alike.
			lookups := map[string]map[string]any{
				"unknown order": {"merchant": "demo", "order_number": "S-404", "contact": "pat@example.com"},
				"wrong contact": {"merchant": "demo", "order_number": "S-1", "contact": "mallory@example.com"},
				"unknown shop":  {"merchant": "no-such-shop", "order_number": "S-1", "contact": "pat@example.com"},
			}
			var firstLookup string
			for name, body := range lookups {
				start := time.Now()
				r := s.call("POST", "/v1/order-lookups", body)
				d := time.Since(start)
				s.problem(r, 404, "no-such-order")
				if b := withoutRequestID(r.Body); firstLookup == "" {
					firstLookup = b
				} else if b != firstLookup {
					t.Errorf("lookup with %s answers %s; another mismatch %s", name, b, firstLookup)
				}
				if d < 140*time.Millisecond {
					t.Errorf("lookup with %s answered in %v; want the same least time as any mismatch", name, d)
				}
			}

			// A filing that matches but is not verified shows nothing of the
			// order or the customer, in the filing's answer or after it.
			filed := s.must(s.call("POST", "/v1/returns", filing("S-1", nil)), 201)
			placed := order("S-1", "card_present")["placed_at"].(string)[:10]
			for _, secret := range []string{"Pat", "Buyer", "4111", "541333", "T0000001", "Shirt", "2500", "2200", placed, saleRRN("S-1"), "fp_secret"} {
				if bytes.Contains(filed.Body, []byte(secret)) {
					t.Errorf("an unverified filing answers %q: %s", secret, filed.Body)
				}
			}
			id, _ := filed.json()["id"].(string)
			if id == "" || filed.json()["status"] != "pending_verification" {
				t.Fatalf("filed: %s", filed.Body)
			}
			for _, r := range []response{
				s.call("GET", "/v1/returns/"+id, nil),
				s.call("POST", "/v1/returns/"+id+"/otp", map[string]string{}),
			} {
				for _, secret := range []string{"Pat", "4111", "T0000001", "Shirt", placed} {
					if bytes.Contains(r.Body, []byte(secret)) {
						t.Errorf("an unverified return's answer holds %q: %s", secret, r.Body)
					}
				}
			}
		})
	}
}

func TestShopperTriesAreCappedPerAddressAndOrder(t *testing.T) {
	t.Parallel()
	for _, e := range dbtest.Engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			s := newStack(t, e)
			s.must(s.call("POST", "/v1/orders", order("S-2", "online"), "X-API-Key", demoAPIKey), 201)

			// One order tried again and again: capped per order.
			statuses := []int{}
			for range 12 {
				statuses = append(statuses, s.call("POST", "/v1/returns", filing("S-2", func(l map[string]any) { l["line_id"] = "L9" })).Status)
			}
			if !slices.Equal(statuses[:10], slices.Repeat([]int{404}, 10)) || statuses[10] != 429 || statuses[11] != 429 {
				t.Fatalf("statuses of 12 tries on one order: %v; want 10×404 then 429", statuses)
			}
			// The right filing of that order is refused too now: the cap
			// does not tell a right try from a wrong one.
			r := s.call("POST", "/v1/returns", filing("S-2", nil))
			s.problem(r, 429, "rate-limited")
			if r.Header.Get("Retry-After") == "" {
				t.Fatalf("429 without Retry-After: %v", r.Header)
			}

			// 300 tries from one address, each on another order, filings
			// and lookups alike: capped per address.
			counts := map[int]int{}
			firstRefused := -1
			for i := range 300 {
				var r response
				if i%2 == 0 {
					r = s.call("POST", "/v1/returns", filing(fmt.Sprintf("X-%d", i), nil))
				} else {
					r = s.call("POST", "/v1/order-lookups", map[string]any{"merchant": "demo", "order_number": fmt.Sprintf("X-%d", i), "contact": "pat@example.com"})
				}
				counts[r.Status]++
				if r.Status == 429 && firstRefused < 0 {
					firstRefused = i
					if r.Header.Get("Retry-After") == "" || r.Header.Get("Content-Type") != "application/problem+json" {
						t.Fatalf("429 without Retry-After or problem+json: %v", r.Header)
					}
				}
				if firstRefused >= 0 && r.Status != 429 {
					t.Fatalf("try %d answered %d after the cap", i, r.Status)
				}
			}
			t.Logf("300 tries from one address: %v, first refused at try %d", counts, firstRefused)
			// 13 tries came before from this address; the cap is 30 an hour.
			if firstRefused != 30-13 || counts[429] != 300-firstRefused {
				t.Fatalf("300 tries: %v, first 429 at %d; want 429 from the 31st try of the hour", counts, firstRefused)
			}
		})
	}
}

// Issue 13, finding 9: one order access token filed unlimited returns (50
// in parallel made 50 workflows). It files at most 5 now.
func TestOneOrderAccessTokenFilesAFewReturnsAtMost(t *testing.T) {
	t.Parallel()
	for _, e := range dbtest.Engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			s := newStack(t, e)
			o := order("S-3", "online")
			o["lines"].([]map[string]any)[0]["quantity"] = 100
			o["payment"].(map[string]any)["amount"] = 100*2500 - 300 + 8000 + 595
			s.must(s.call("POST", "/v1/orders", o, "X-API-Key", demoAPIKey), 201)
			lk := s.must(s.call("POST", "/v1/order-lookups", map[string]any{"merchant": "demo", "order_number": "S-3", "contact": "pat@example.com"}), 202).json()
			lookupID, _ := lk["id"].(string)
			token, _ := s.must(s.call("POST", "/v1/order-lookups/"+lookupID+"/verify", map[string]string{"code": s.code("pat@example.com")}), 200).json()["token"].(string)
			before := s.count("returns")

			statuses := make([]int, 50)
			var wg sync.WaitGroup
			for i := range statuses {
				wg.Add(1)
				go func() {
					defer wg.Done()
					statuses[i] = s.call("POST", "/v1/returns", map[string]any{"method": "ship",
						"lines": []map[string]any{{"line_id": "L1", "quantity": 1, "reason": "too_small"}}}, bearer(token)...).Status
				}()
			}
			wg.Wait()
			counts := map[int]int{}
			for _, st := range statuses {
				counts[st]++
			}
			t.Logf("50 parallel filings with one token: %v", counts)
			if counts[201] != 5 || counts[429] != 45 {
				t.Fatalf("50 parallel filings with one token answered %v; want 5×201 and 45×429", counts)
			}
			if n := s.count("returns") - before; n != 5 {
				t.Fatalf("50 parallel filings with one token made %d returns; want 5", n)
			}
		})
	}
}

// Issue 13, finding 9: a return's page under another merchant's address
// showed it under that merchant's brand; the shopper's timeline named
// staff by their user names.
func TestShoppersSeeTheirReturnUnderItsOwnBrandAndStaffByRole(t *testing.T) {
	t.Parallel()
	for _, e := range dbtest.Engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			s := newStack(t, e)
			ctx := context.Background()
			s.otherMerchantSupervisor() // the merchant "other", "Other Shop"
			hash, err := auth.HashPassword(demoPassword)
			if err != nil {
				t.Fatal(err)
			}
			mid := s.merchantID()
			if err := s.db.Staff.CreateStaff(ctx, &db.StaffUser{MerchantID: &mid, Username: "jane.doe", DisplayName: "Jane Doe",
				Email: "jane@demo.example", Role: "supervisor", PasswordHash: hash}); err != nil {
				t.Fatal(err)
			}
			s.must(s.call("POST", "/v1/orders", order("S-4", "online"), "X-API-Key", demoAPIKey), 201)
			lk := s.must(s.call("POST", "/v1/order-lookups", map[string]any{"merchant": "demo", "order_number": "S-4", "contact": "pat@example.com"}), 202).json()
			lookupID, _ := lk["id"].(string)
			access, _ := s.must(s.call("POST", "/v1/order-lookups/"+lookupID+"/verify", map[string]string{"code": s.code("pat@example.com")}), 200).json()["token"].(string)
			filed := s.must(s.call("POST", "/v1/returns", map[string]any{"method": "ship",
				"lines": []map[string]any{{"line_id": "L1", "quantity": 1, "reason": "too_small"}}}, bearer(access)...), 201).json()
			id, _ := filed["id"].(string)
			shopper, _ := filed["token"].(string)
			jane := s.login("jane.doe")
			s.must(s.call("POST", "/v1/returns/"+id+"/cancel", map[string]string{"reason": "asked by phone"}, bearer(jane)...), 200)

			// The shopper's timeline says "staff"; staff still see the name.
			mine := s.must(s.call("GET", "/v1/returns/"+id, nil, bearer(shopper)...), 200)
			if bytes.Contains(mine.Body, []byte("jane.doe")) {
				t.Fatalf("the shopper's view names the staff member: %s", mine.Body)
			}
			var actors []string
			for _, ev := range mine.json()["timeline"].([]any) {
				actors = append(actors, ev.(map[string]any)["actor"].(string))
			}
			if !slices.Contains(actors, "staff") {
				t.Fatalf("the shopper's timeline actors %v; want the cancel by \"staff\"", actors)
			}
			if staffView := s.must(s.call("GET", "/v1/returns/"+id, nil, bearer(jane)...), 200); !bytes.Contains(staffView.Body, []byte("jane.doe")) {
				t.Fatalf("the staff view lost the name: %s", staffView.Body)
			}

			// The portal shows the return under its own merchant only.
			page := func(merchant string) response {
				req, _ := http.NewRequest("GET", s.url+"/r/"+merchant+"/returns/"+id, nil)
				req.AddCookie(&http.Cookie{Name: "rebound_return", Value: shopper})
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				defer resp.Body.Close()
				b, _ := io.ReadAll(resp.Body)
				return response{Status: resp.StatusCode, Header: resp.Header, Body: b}
			}
			if own := page("demo"); own.Status != 200 || !bytes.Contains(own.Body, []byte("S-4")) || bytes.Contains(own.Body, []byte("jane.doe")) {
				t.Fatalf("own merchant's page: %d %s", own.Status, own.Body)
			}
			other := page("other")
			if other.Status != 404 || bytes.Contains(other.Body, []byte("Other Shop")) || bytes.Contains(other.Body, []byte("S-4")) {
				t.Fatalf("another merchant's address shows the return: %d %s", other.Status, other.Body)
			}
		})
	}
}

// Asking for new codes counts as trying the order, under the same caps.
func TestCodeRequestsCountAsTriesOnTheOrder(t *testing.T) {
	t.Parallel()
	for _, e := range dbtest.Engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			s := newStack(t, e)
			s.must(s.call("POST", "/v1/orders", order("S-5", "online"), "X-API-Key", demoAPIKey), 201)
			id, _ := s.must(s.call("POST", "/v1/returns", filing("S-5", nil)), 201).json()["id"].(string)
			// The filing and nine requests for a code: ten tries on the
			// order (the codes themselves wait for their cooldown).
			for i := range 9 {
				r := s.call("POST", "/v1/returns/"+id+"/otp", map[string]string{})
				if r.Status == 429 && bytes.Contains(r.Body, []byte("for this order")) {
					t.Fatalf("code request %d refused for the order's tries: %s", i+1, r.Body)
				}
			}
			for _, r := range []response{
				s.call("POST", "/v1/returns/"+id+"/otp", map[string]string{}),
				s.call("POST", "/v1/returns", filing("S-5", nil)),
				s.call("POST", "/v1/order-lookups", map[string]any{"merchant": "demo", "order_number": "S-5", "contact": "pat@example.com"}),
			} {
				s.problem(r, 429, "too many tries for this order")
				if r.Header.Get("Retry-After") == "" {
					t.Fatalf("429 without Retry-After: %v", r.Header)
				}
			}
		})
	}
}
