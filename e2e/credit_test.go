package e2e_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rebound-returns/rebound/app/credit"
	"github.com/rebound-returns/rebound/contract"
	"github.com/rebound-returns/rebound/db"
	"github.com/rebound-returns/rebound/db/dbtest"
	"github.com/rebound-returns/rebound/workflows"
	"go.temporal.io/sdk/client"
)

// creditStore is app/credit's Store over the stack's database, as app/wire
// assembles it.
type creditStore struct {
	db.Credits
	db.Shoppers
	db.Merchants
}

type queuedOnly struct{}

func (queuedOnly) Deliver(context.Context, []string) error { return nil }

var creditCodeRe = regexp.MustCompile(`credit code is (RBC-[A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4})`)

// creditCode reads the newest credit code sent to contact from the dev
// outbox.
func (s *stack) creditCode(contact string) string {
	s.t.Helper()
	r := s.must(s.call("GET", "/v1/dev/outbox?to="+url.QueryEscape(contact), nil), 200)
	if m := creditCodeRe.FindSubmatch(r.Body); m != nil {
		return string(m[1])
	}
	s.t.Fatalf("no credit code reached %s: %s", contact, r.Body)
	return ""
}

// Store credit end to end: issued (as a shopper choosing credit will be),
// its code e-mailed; the merchant's checkout redeems part of it by the code
// with an Idempotency-Key (a retry replays), is refused more than is left,
// puts a redemption back; the shopper reads balance and history with the
// code; staff and finance see it; 100 redemptions racing never overdraw it.
func TestStoreCreditIssuedRedeemedReversedAndRead(t *testing.T) {
	t.Parallel()
	for _, e := range dbtest.Engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			t.Parallel()
			s := newStack(t, e)
			ctx := context.Background()
			uc := credit.New(credit.Deps{Store: creditStore{s.db.Credits, s.db.Shoppers, s.db.Merchants}, Delivery: queuedOnly{}})
			customer := "credit-" + e.Name + "@example.com"
			issued, err := uc.Issue(ctx, credit.IssueRequest{MerchantID: s.seed.MerchantID, Customer: customer, Amount: 5000, Currency: "EUR",
				Reference: "e2e/" + e.Name, Actor: "finance"})
			if err != nil || !issued.Created {
				t.Fatal(issued, err)
			}
			code := s.creditCode(customer)
			key := func(k string) []string { return []string{"X-API-Key", demoAPIKey, "Idempotency-Key", k} }

			// Partial redemption, replayed by its key.
			body := map[string]any{"code": strings.ToLower(code), "amount": 1200, "currency": "EUR", "order_reference": "WEB-77"}
			red := s.must(s.call("POST", "/v1/store-credit/redemptions", body, key("co-1")...), 201).json()
			if red["balance"] != float64(3800) || red["amount"] != float64(1200) {
				t.Fatalf("redemption %v", red)
			}
			again := s.must(s.call("POST", "/v1/store-credit/redemptions", body, key("co-1")...), 201)
			if again.Header.Get("Idempotent-Replayed") != "true" || again.json()["id"] != red["id"] {
				t.Fatalf("the retry was not replayed: %v %s", again.Header, again.Body)
			}
			// No key, too much, a wrong code.
			if r := s.call("POST", "/v1/store-credit/redemptions", body, "X-API-Key", demoAPIKey); r.Status != 422 || !strings.Contains(string(r.Body), "Idempotency-Key") {
				t.Fatalf("without a key: %d %s", r.Status, r.Body)
			}
			r := s.call("POST", "/v1/store-credit/redemptions", map[string]any{"code": code, "amount": 3801, "currency": "EUR"}, key("co-2")...)
			if r.Status != 422 || !strings.Contains(string(r.Body), `"amount"`) || !strings.Contains(string(r.Body), "38.00 EUR") {
				t.Fatalf("too much: %d %s", r.Status, r.Body)
			}
			s.must(s.call("POST", "/v1/store-credit/redemptions", map[string]any{"code": "RBC-AAAA-BBBB-CCCC", "amount": 1, "currency": "EUR"}, key("co-3")...), 404)
			s.must(s.call("POST", "/v1/store-credit/redemptions", body), 401)

			// A second redemption, then the first put back (twice: once).
			s.must(s.call("POST", "/v1/store-credit/redemptions", map[string]any{"code": code, "amount": 800, "currency": "EUR"}, key("co-4")...), 201)
			rev := s.must(s.call("POST", "/v1/store-credit/redemptions/"+red["id"].(string)+"/reversal", nil, "X-API-Key", demoAPIKey), 200).json()
			rev2 := s.must(s.call("POST", "/v1/store-credit/redemptions/"+red["id"].(string)+"/reversal", nil, "X-API-Key", demoAPIKey), 200).json()
			if rev["balance"] != float64(4200) || rev2["id"] != rev["id"] || rev2["balance"] != float64(4200) {
				t.Fatalf("reversal %v, again %v", rev, rev2)
			}

			// The shopper with the code: header or body, never the URL.
			bal := s.must(s.call("GET", "/v1/store-credit/balance", nil, "X-Credit-Code", code), 200).json()
			hist, _ := bal["history"].([]any)
			if bal["balance"] != float64(4200) || len(hist) != 4 || bal["merchant"] == nil {
				t.Fatalf("balance %v", bal)
			}
			var kinds []string
			for _, h := range hist {
				kinds = append(kinds, h.(map[string]any)["kind"].(string))
			}
			if strings.Join(kinds, ",") != "issued,redeemed,redeemed,reversed" {
				t.Fatalf("history kinds %v", kinds)
			}
			s.must(s.call("POST", "/v1/store-credit/balance", map[string]string{"code": code}), 200)
			s.must(s.call("POST", "/v1/store-credit/balance", map[string]string{"code": "RBC-AAAA-BBBB-CCCC"}), 404)

			// 100 redemptions at once over HTTP never overdraw what is left.
			var (
				wg   sync.WaitGroup
				mu   sync.Mutex
				told int64
				bad  []string
			)
			for i := range 100 {
				wg.Go(func() {
					r := s.call("POST", "/v1/store-credit/redemptions", map[string]any{"code": code, "amount": 70, "currency": "EUR"}, key(fmt.Sprint("race-", i))...)
					mu.Lock()
					defer mu.Unlock()
					switch r.Status {
					case 201:
						told += 70
					case 422:
					default:
						bad = append(bad, fmt.Sprintf("%d %s", r.Status, r.Body))
					}
				})
			}
			wg.Wait()
			if len(bad) > 0 {
				t.Fatalf("answers other than 201 or 422: %v", bad)
			}
			left, err := s.db.Credits.StoreCreditBalance(ctx, s.seed.MerchantID, customer)
			if err != nil || told != 4200/70*70 || left != 4200-told {
				t.Fatalf("told %d, left %d, %v", told, left, err)
			}

			// Staff and finance.
			fin := s.login("finance")
			list := s.must(s.call("GET", "/v1/merchant/store-credit?customer="+url.QueryEscape(customer), nil, bearer(fin)...), 200).json()
			items, _ := list["items"].([]any)
			if len(items) != 1 || items[0].(map[string]any)["balance"] != float64(left) || strings.Contains(fmt.Sprint(list), code) {
				t.Fatalf("staff list %v", list)
			}
			s.must(s.call("GET", "/v1/merchant/store-credit", nil, bearer(s.login("clerk"))...), 403)
			today := time.Now().UTC().Format(time.DateOnly)
			out := s.must(s.call("GET", "/v1/finance/store-credit/outstanding?from="+today+"&to="+today, nil, bearer(fin)...), 200).json()
			days, _ := out["days"].([]any)
			if len(days) != 1 || days[0].(map[string]any)["outstanding"] != float64(left) || days[0].(map[string]any)["issued"] != float64(5000) {
				t.Fatalf("outstanding %v", out)
			}
			csvAnswer := s.must(s.call("GET", "/v1/finance/store-credit/outstanding?from="+today+"&to="+today, nil, append(bearer(fin), "Accept", "text/csv")...), 200)
			rows, err := csv.NewReader(bytes.NewReader(csvAnswer.Body)).ReadAll()
			if err != nil || len(rows) != 2 || rows[1][0] != today || rows[1][6] != fmt.Sprint(left) {
				t.Fatalf("csv %v, %v", rows, err)
			}
			// The code is nowhere in the logs or the tables.
			if strings.Contains(s.logs.String(), code) {
				t.Fatal("the credit code is in the logs")
			}
		})
	}
}

// Credit past its date expires on the real server: the expiry workflow (as
// its daily schedule starts it) appends an expired entry for what is left,
// and a second run finds nothing more to do.
func TestStoreCreditPastItsDateExpires(t *testing.T) {
	t.Parallel()
	for _, e := range dbtest.Engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			t.Parallel()
			s := newStack(t, e)
			ctx := context.Background()
			uc := credit.New(credit.Deps{Store: creditStore{s.db.Credits, s.db.Shoppers, s.db.Merchants}, Delivery: queuedOnly{}})
			customer := "expiring-" + e.Name + "@example.com"
			issued, err := uc.Issue(ctx, credit.IssueRequest{MerchantID: s.seed.MerchantID, Customer: customer, Amount: 2500, Currency: "EUR",
				Reference: "e2e-expiry/" + e.Name, Actor: "finance"})
			if err != nil || !issued.Created {
				t.Fatal(issued, err)
			}
			code := s.creditCode(customer)
			s.must(s.call("POST", "/v1/store-credit/redemptions", map[string]any{"code": code, "amount": 500, "currency": "EUR"},
				"X-API-Key", demoAPIKey, "Idempotency-Key", "expiry-1"), 201)
			// Its date passed yesterday.
			if err := s.db.Exec(ctx, "UPDATE store_credits SET expires_at = ? WHERE customer = ?", time.Now().UTC().Add(-24*time.Hour), customer); err != nil {
				t.Fatal(err)
			}
			run := func(id string) contract.CreditExpiryResult {
				wr, err := s.temporal.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: id, TaskQueue: contract.TaskQueue},
					workflows.CreditExpiryWorkflow, contract.CreditExpiryInput{})
				if err != nil {
					t.Fatal(err)
				}
				var res contract.CreditExpiryResult
				if err := wr.Get(ctx, &res); err != nil {
					t.Fatal(err)
				}
				return res
			}
			if res := run("credit-expiry-e2e-1"); res.Expired != 1 {
				t.Fatalf("the first run expired %d credits, want 1", res.Expired)
			}
			left, err := s.db.Credits.StoreCreditBalance(ctx, s.seed.MerchantID, customer)
			if err != nil || left != 0 {
				t.Fatalf("left %d after expiry, %v", left, err)
			}
			bal := s.must(s.call("GET", "/v1/store-credit/balance", nil, "X-Credit-Code", code), 200).json()
			hist, _ := bal["history"].([]any)
			if len(hist) != 3 || hist[2].(map[string]any)["kind"] != "expired" || hist[2].(map[string]any)["amount"] != float64(-2000) {
				t.Fatalf("history after expiry %v", hist)
			}
			if res := run("credit-expiry-e2e-2"); res.Expired != 0 {
				t.Fatalf("a second run expired %d credits, want none", res.Expired)
			}
			recordWorkflow(t, s, "credit-expiry-e2e-1", "credit_expiry_v1")
		})
	}
}
