package credit

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rebound-returns/rebound/app/apperr"
	"github.com/rebound-returns/rebound/auth"
	"github.com/rebound-returns/rebound/db"
	"github.com/rebound-returns/rebound/returns"
)

var testNow = time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)

func newTestService() (*Service, *fakeStore, *fakeDelivery) {
	st, dl := newFakeStore(), &fakeDelivery{}
	return New(Deps{Store: st, Delivery: dl, Now: func() time.Time { return testNow }, PageSize: 2, PageMax: 3}), st, dl
}

var codeInText = regexp.MustCompile(`RBC-[A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4}`)

// issue issues a credit and returns its code, read from the message.
func issue(t *testing.T, s *Service, st *fakeStore, merchantID, customer string, amount int64, ref string) (Issued, string) {
	t.Helper()
	got, err := s.Issue(context.Background(), IssueRequest{MerchantID: merchantID, Customer: customer, Amount: amount, Currency: "EUR", Reference: ref, Actor: "finance"})
	if err != nil || !got.Created {
		t.Fatalf("Issue = %+v, %v", got, err)
	}
	msg := st.outbox[len(st.outbox)-1]
	code := codeInText.FindString(msg.BodyText)
	if code == "" {
		t.Fatalf("no code in the message %q", msg.BodyText)
	}
	return got, code
}

func TestIssueSendsTheCodeOnceAndKeepsItHashed(t *testing.T) {
	s, st, dl := newTestService()
	got, code := issue(t, s, st, "m1", "sam@example.com", 2500, "goodwill/1")
	msg := st.outbox[0]
	if !msg.Sensitive || msg.Recipient != "sam@example.com" || msg.Channel != "email" || !strings.Contains(msg.BodyText, "25.00 EUR") {
		t.Fatalf("message %+v", msg)
	}
	if !strings.Contains(msg.BodyText, "until 2027-11-20") || got.ExpiresAt == nil || !got.ExpiresAt.Equal(testNow.AddDate(1, 0, 0)) {
		t.Fatalf("the policy's 365 days are not the credit's: %v, %q", got.ExpiresAt, msg.BodyText)
	}
	c := st.credits[0]
	if c.CodeHash != auth.HashCreditCode(code) || strings.Contains(fmt.Sprintf("%+v", *c), code) || c.CodeLast4 != code[len(code)-4:] || got.CodeLast4 != c.CodeLast4 {
		t.Fatalf("credit %+v keeps the code other than hashed", c)
	}
	if len(dl.ids) != 1 || dl.ids[0] != msg.ID {
		t.Fatalf("delivered %v, want the message %s", dl.ids, msg.ID)
	}
	// The same reference issues nothing more.
	again, err := s.Issue(context.Background(), IssueRequest{MerchantID: "m1", Customer: "sam@example.com", Amount: 2500, Currency: "EUR", Reference: "goodwill/1"})
	if err != nil || again.Created || len(st.outbox) != 1 || len(dl.ids) != 1 {
		t.Fatalf("issued twice: %+v, %v, %d messages", again, err, len(st.outbox))
	}
	// A merchant without a validity: never expires; a phone gets an SMS.
	s.d.Delivery = &fakeDelivery{err: errBoom} // a failed hand-over leaves the message queued
	n, err := s.Issue(context.Background(), IssueRequest{MerchantID: "m2", Customer: "+4915100000", Phone: true, Amount: 1, Currency: "EUR", Reference: "r2"})
	if err != nil || !n.Created || n.ExpiresAt != nil || st.outbox[1].Channel != "sms" || strings.Contains(st.outbox[1].BodyText, "until") {
		t.Fatalf("issue without validity = %+v, %v, %+v", n, err, st.outbox[1])
	}
	// Each credit's message is deduplicated by its own credit: the second
	// credit ever issued does not collide with the first in the outbox.
	if st.outbox[0].DedupeKey != "store-credit/"+got.CreditID || st.outbox[1].DedupeKey != "store-credit/"+n.CreditID {
		t.Fatalf("dedupe keys %q, %q for credits %s, %s", st.outbox[0].DedupeKey, st.outbox[1].DedupeKey, got.CreditID, n.CreditID)
	}
}

func TestIssueRefusesBadRequests(t *testing.T) {
	for name, tc := range map[string]struct {
		req   IssueRequest
		field string
	}{
		"no customer":   {IssueRequest{MerchantID: "m1", Amount: 1, Currency: "EUR", Reference: "r"}, "customer"},
		"zero amount":   {IssueRequest{MerchantID: "m1", Customer: "a@b.c", Currency: "EUR", Reference: "r"}, "amount"},
		"bad currency":  {IssueRequest{MerchantID: "m1", Customer: "a@b.c", Amount: 1, Currency: "euro", Reference: "r"}, "currency"},
		"no reference":  {IssueRequest{MerchantID: "m1", Customer: "a@b.c", Amount: 1, Currency: "EUR"}, "reference"},
		"unknown store": {IssueRequest{MerchantID: "nobody", Customer: "a@b.c", Amount: 1, Currency: "EUR", Reference: "r"}, ""},
	} {
		t.Run(name, func(t *testing.T) {
			s, st, _ := newTestService()
			_, err := s.Issue(context.Background(), tc.req)
			if tc.field == "" {
				if !errors.Is(err, db.ErrNotFound) {
					t.Fatalf("err = %v", err)
				}
				return
			}
			if e := apperr.As(err); e == nil || !errors.Is(err, apperr.ErrInvalid) || e.Fields[0].Name != tc.field {
				t.Fatalf("err = %v, want invalid %s", err, tc.field)
			}
			if len(st.credits) != 0 {
				t.Fatal("a refused request issued credit")
			}
		})
	}
}

func TestRedeemAndReverse(t *testing.T) {
	s, st, _ := newTestService()
	ctx := context.Background()
	_, code := issue(t, s, st, "m1", "sam@example.com", 5000, "r1")
	shop := Caller{MerchantID: "m1", Actor: "api-key:ab12"}
	red, err := s.Redeem(ctx, shop, RedeemRequest{Code: strings.ToLower(code), Amount: 1200, Currency: "EUR", OrderReference: "WEB-7", IdempotencyKey: "k1"})
	if err != nil || red.Amount != 1200 || red.Balance != 3800 || red.Replayed || red.OrderReference != "WEB-7" {
		t.Fatalf("Redeem = %+v, %v", red, err)
	}
	again, err := s.Redeem(ctx, shop, RedeemRequest{Code: code, Amount: 1200, Currency: "EUR", OrderReference: "WEB-7", IdempotencyKey: "k1"})
	if err != nil || !again.Replayed || again.ID != red.ID || again.Balance != 3800 {
		t.Fatalf("replay = %+v, %v", again, err)
	}
	for name, tc := range map[string]struct {
		c     Caller
		req   RedeemRequest
		kind  error
		field string
		code  string
	}{
		"no key":             {shop, RedeemRequest{Code: code, Amount: 1, Currency: "EUR"}, apperr.ErrInvalid, "Idempotency-Key", ""},
		"no code":            {shop, RedeemRequest{Amount: 1, Currency: "EUR", IdempotencyKey: "k"}, apperr.ErrInvalid, "code", ""},
		"negative amount":    {shop, RedeemRequest{Code: code, Amount: -5, Currency: "EUR", IdempotencyKey: "k"}, apperr.ErrInvalid, "amount", ""},
		"bad currency":       {shop, RedeemRequest{Code: code, Amount: 5, Currency: "eur", IdempotencyKey: "k"}, apperr.ErrInvalid, "currency", ""},
		"long reference":     {shop, RedeemRequest{Code: code, Amount: 5, Currency: "EUR", OrderReference: strings.Repeat("x", 101), IdempotencyKey: "k"}, apperr.ErrInvalid, "order_reference", ""},
		"too much":           {shop, RedeemRequest{Code: code, Amount: 3801, Currency: "EUR", IdempotencyKey: "k2"}, apperr.ErrInvalid, "amount", ""},
		"another currency":   {shop, RedeemRequest{Code: code, Amount: 1, Currency: "USD", IdempotencyKey: "k3"}, apperr.ErrInvalid, "currency", ""},
		"wrong code":         {shop, RedeemRequest{Code: "RBC-AAAA-AAAA-AAAA", Amount: 1, Currency: "EUR", IdempotencyKey: "k4"}, apperr.ErrNotFound, "", "credit-not-found"},
		"not a code":         {shop, RedeemRequest{Code: "hello", Amount: 1, Currency: "EUR", IdempotencyKey: "k5"}, apperr.ErrNotFound, "", "credit-not-found"},
		"another merchant's": {Caller{MerchantID: "m2"}, RedeemRequest{Code: code, Amount: 1, Currency: "EUR", IdempotencyKey: "k6"}, apperr.ErrNotFound, "", "credit-not-found"},
		"key, other body":    {shop, RedeemRequest{Code: code, Amount: 1100, Currency: "EUR", OrderReference: "WEB-7", IdempotencyKey: "k1"}, apperr.ErrConflict, "", "idempotency-key-reused"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := s.Redeem(ctx, tc.c, tc.req)
			e := apperr.As(err)
			if e == nil || !errors.Is(err, tc.kind) || (tc.field != "" && e.Fields[0].Name != tc.field) || (tc.code != "" && e.Code != tc.code) {
				t.Fatalf("err = %#v, want %v %s%s", e, tc.kind, tc.field, tc.code)
			}
			if strings.Contains(err.Error(), code) {
				t.Fatalf("the refusal %q repeats the code", err)
			}
		})
	}
	if e := apperr.As(func() error {
		_, err := s.Redeem(ctx, shop, RedeemRequest{Code: code, Amount: 3801, Currency: "EUR", IdempotencyKey: "k7"})
		return err
	}()); e == nil || !strings.Contains(e.Fields[0].Reason, "38.00 EUR") {
		t.Fatalf("the refusal does not tell what is left: %#v", e)
	}

	rev, err := s.Reverse(ctx, shop, red.ID)
	if err != nil || rev.Balance != 5000 || rev.Amount != 1200 || rev.Reverses == nil || *rev.Reverses != red.ID {
		t.Fatalf("Reverse = %+v, %v", rev, err)
	}
	rev2, err := s.Reverse(ctx, shop, red.ID)
	if err != nil || rev2.ID != rev.ID || rev2.Balance != 5000 {
		t.Fatalf("Reverse again = %+v, %v", rev2, err)
	}
	for name, id := range map[string]string{"a reversal": rev.ID, "unknown": db.NewID(), "not an id": "R1"} {
		if _, err := s.Reverse(ctx, shop, id); !errors.Is(err, apperr.ErrNotFound) {
			t.Errorf("reverse %s: %v", name, err)
		}
	}
	if _, err := s.Reverse(ctx, Caller{MerchantID: "m2"}, red.ID); !errors.Is(err, apperr.ErrNotFound) {
		t.Errorf("another merchant reversed: %v", err)
	}
	st.err = errBoom
	if _, err := s.Redeem(ctx, shop, RedeemRequest{Code: code, Amount: 1, Currency: "EUR", IdempotencyKey: "k9"}); !errors.Is(err, errBoom) {
		t.Errorf("a store failure: %v", err)
	}
}

func TestExpiredCreditIsAConflict(t *testing.T) {
	s, st, _ := newTestService()
	_, code := issue(t, s, st, "m1", "sam@example.com", 100, "r1")
	s.d.Now = func() time.Time { return testNow.AddDate(1, 0, 1) }
	_, err := s.Redeem(context.Background(), Caller{MerchantID: "m1"}, RedeemRequest{Code: code, Amount: 1, Currency: "EUR", IdempotencyKey: "k"})
	if e := apperr.As(err); e == nil || e.Code != "credit-expired" || !errors.Is(err, apperr.ErrConflict) {
		t.Fatalf("err = %v", err)
	}
}

// Many redemptions at once through the use case: what the callers were
// told adds up to what left the credit, and it never goes below zero.
func TestRedeemRacing(t *testing.T) {
	s, st, _ := newTestService()
	_, code := issue(t, s, st, "m1", "sam@example.com", 1000, "r1")
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		told int64
	)
	for i := range 100 {
		wg.Go(func() {
			r, err := s.Redeem(context.Background(), Caller{MerchantID: "m1"}, RedeemRequest{Code: code, Amount: 30, Currency: "EUR", IdempotencyKey: fmt.Sprint(i)})
			if err == nil {
				mu.Lock()
				told += r.Amount
				mu.Unlock()
			} else if !errors.Is(err, apperr.ErrInvalid) {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if told != 990 || st.credits[0].Balance != 10 {
		t.Fatalf("told %d, balance %d", told, st.credits[0].Balance)
	}
}

func TestBalanceForTheCodeHolder(t *testing.T) {
	s, st, _ := newTestService()
	ctx := context.Background()
	_, code := issue(t, s, st, "m1", "sam@example.com", 5000, "r1")
	if _, err := s.Redeem(ctx, Caller{MerchantID: "m1", Actor: "api-key:x"}, RedeemRequest{Code: code, Amount: 700, Currency: "EUR", IdempotencyKey: "k"}); err != nil {
		t.Fatal(err)
	}
	b, err := s.Balance(ctx, BalanceRequest{Code: " " + strings.ReplaceAll(code, "-", " ") + " ", ClientIP: "192.0.2.1"})
	if err != nil || b.Merchant != "Acme" || b.Balance != 4300 || len(b.History) != 2 || b.History[1].Kind != string(returns.CreditRedeemed) || b.History[1].Amount != -700 {
		t.Fatalf("Balance = %+v, %v", b, err)
	}
	if b.Customer != "" || b.History[1].Actor != "" {
		t.Fatalf("the holder is told the customer or the actor: %+v", b)
	}
	for name, req := range map[string]BalanceRequest{"empty": {ClientIP: "192.0.2.1"}} {
		if _, err := s.Balance(ctx, req); !errors.Is(err, apperr.ErrInvalid) {
			t.Errorf("%s: %v", name, err)
		}
	}
	if _, err := s.Balance(ctx, BalanceRequest{Code: "RBC-AAAA-AAAA-AAAA", ClientIP: "192.0.2.1"}); !errors.Is(err, apperr.ErrNotFound) {
		t.Fatalf("wrong code: %v", err)
	}
	// Guessing codes from one address is capped.
	var err2 error
	for i := 0; i < 40 && err2 == nil; i++ {
		_, err2 = s.Balance(ctx, BalanceRequest{Code: fmt.Sprintf("RBC-AAAA-AAAA-%04d", i), ClientIP: "198.51.100.9"})
		if errors.Is(err2, apperr.ErrNotFound) {
			err2 = nil
		}
	}
	if e := apperr.As(err2); e == nil || !errors.Is(err2, apperr.ErrLimited) || e.Wait <= 0 {
		t.Fatalf("40 guesses from one address: %v", err2)
	}
	// The right code from another address still works, and the tries
	// never keep the code.
	if _, err := s.Balance(ctx, BalanceRequest{Code: code, ClientIP: "203.0.113.5"}); err != nil {
		t.Fatal(err)
	}
	for _, tr := range st.tries {
		if strings.Contains(tr.OrderKey, code) || tr.Action != TryCredit {
			t.Fatalf("try %+v", tr)
		}
	}
}

func TestStaffListPages(t *testing.T) {
	s, st, _ := newTestService()
	ctx := context.Background()
	for i := range 3 {
		issue(t, s, st, "m1", "sam@example.com", int64(100*(i+1)), fmt.Sprint("r", i))
	}
	issue(t, s, st, "m1", "kim@example.com", 900, "rk")
	issue(t, s, st, "m2", "sam@example.com", 900, "rm2")
	p1, err := s.Credits(ctx, ListQuery{MerchantID: "m1", Customer: "sam@example.com"})
	if err != nil || len(p1.Items) != 2 || !p1.More || p1.Total != 3 || p1.Items[0].Amount != 300 || len(p1.Items[0].History) != 1 {
		t.Fatalf("page 1 = %+v, %v", p1, err)
	}
	p2, err := s.Credits(ctx, ListQuery{MerchantID: "m1", Customer: "sam@example.com", After: p1.Items[1].ID, Limit: 50})
	if err != nil || len(p2.Items) != 1 || p2.More || p2.Items[0].Amount != 100 {
		t.Fatalf("page 2 = %+v, %v", p2, err)
	}
	all, err := s.Credits(ctx, ListQuery{MerchantID: "m1", Limit: 10})
	if err != nil || len(all.Items) != 3 || all.Total != 4 {
		t.Fatalf("limit above the max: %d items, %v", len(all.Items), err)
	}
	if _, err := s.Credits(ctx, ListQuery{MerchantID: "m1", Customer: strings.Repeat("x", 321)}); !errors.Is(err, apperr.ErrInvalid) {
		t.Fatalf("a long customer: %v", err)
	}
	if _, err := s.Credits(ctx, ListQuery{MerchantID: "m1", Bad: []apperr.Field{{Name: "cursor", Reason: "bad"}}}); !errors.Is(err, apperr.ErrInvalid) {
		t.Fatalf("a bad cursor: %v", err)
	}
}

func TestOutstandingPerDay(t *testing.T) {
	s, st, _ := newTestService()
	ctx := context.Background()
	st.opening = map[string]int64{"EUR": 1000}
	st.days = []db.CreditDay{
		{Day: "2026-11-02", Currency: "EUR", Kind: returns.CreditIssued, Amount: 500},
		{Day: "2026-11-02", Currency: "EUR", Kind: returns.CreditRedeemed, Amount: -300},
		{Day: "2026-11-03", Currency: "EUR", Kind: returns.CreditReversed, Amount: 100},
		{Day: "2026-11-03", Currency: "USD", Kind: returns.CreditIssued, Amount: 700},
		{Day: "2026-11-03", Currency: "EUR", Kind: returns.CreditExpired, Amount: -50},
	}
	days, err := s.Outstanding(ctx, OutstandingQuery{MerchantID: "m1", From: "2026-11-01", To: "2026-11-03"})
	if err != nil {
		t.Fatal(err)
	}
	want := []OutstandingDay{
		{Day: "2026-11-01", Currency: "EUR", Outstanding: 1000},
		{Day: "2026-11-01", Currency: "USD", Outstanding: 0},
		{Day: "2026-11-02", Currency: "EUR", Issued: 500, Redeemed: -300, Outstanding: 1200},
		{Day: "2026-11-02", Currency: "USD", Outstanding: 0},
		{Day: "2026-11-03", Currency: "EUR", Reversed: 100, Expired: -50, Outstanding: 1250},
		{Day: "2026-11-03", Currency: "USD", Issued: 700, Outstanding: 700},
	}
	if fmt.Sprint(days) != fmt.Sprint(want) {
		t.Fatalf("days\n%v\nwant\n%v", days, want)
	}
	def, err := s.Outstanding(ctx, OutstandingQuery{MerchantID: "m1"})
	if err != nil || len(def) != 60 || def[len(def)-1].Day != "2026-11-20" || def[0].Day != "2026-10-22" {
		t.Fatalf("the default range: %d rows, %v", len(def), err)
	}
	for name, q := range map[string]struct{ from, to, field string }{
		"bad from":  {"2026-13-01", "", "from"},
		"bad to":    {"", "tomorrow", "to"},
		"backwards": {"2026-11-03", "2026-11-01", "to"},
		"too long":  {"2025-01-01", "2026-11-01", "to"},
	} {
		_, err := s.Outstanding(ctx, OutstandingQuery{MerchantID: "m1", From: q.from, To: q.to})
		if e := apperr.As(err); e == nil || e.Fields[0].Name != q.field {
			t.Errorf("%s: %v", name, err)
		}
	}
	st.err = errBoom
	if _, err := s.Outstanding(ctx, OutstandingQuery{MerchantID: "m1"}); !errors.Is(err, errBoom) {
		t.Errorf("a store failure: %v", err)
	}
}
