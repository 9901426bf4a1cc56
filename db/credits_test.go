package db_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/rebound-returns/rebound/db"
	"github.com/rebound-returns/rebound/db/dbtest"
	"github.com/rebound-returns/rebound/returns"
)

// issueTestCredit issues a credit of amount EUR to a customer of m.
func issueTestCredit(t *testing.T, d *db.DB, m *db.Merchant, customer, codeHash string, amount int64, at time.Time) *db.StoreCredit {
	t.Helper()
	c := &db.StoreCredit{MerchantID: m.ID, Customer: customer, Amount: amount, Currency: "EUR", CodeHash: codeHash, CodeLast4: "WXYZ", CreatedBy: "finance"}
	added, err := d.Credits.IssueCredit(context.Background(), c, "issue/"+codeHash, at, nil)
	if err != nil || !added {
		t.Fatalf("IssueCredit = %v, %v", added, err)
	}
	return c
}

// entriesSum is the sum of a credit's entries.
func entriesSum(t *testing.T, d *db.DB, creditID string) (sum int64, redeemed int64) {
	t.Helper()
	es, err := d.Credits.CreditHistory(context.Background(), creditID)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range es {
		sum += e.Amount
		if e.Kind == returns.CreditRedeemed {
			redeemed -= e.Amount
		}
	}
	return sum, redeemed
}

func TestCreditLedgerRedeemsReversesAndExpires(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		m, other := seedMerchant(t, d, "acme"), seedMerchant(t, d, "other")
		now := time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)
		c := issueTestCredit(t, d, m, "sam@example.com", "hash-1", 5000, now)
		if c.Balance != 5000 {
			t.Fatalf("issued balance %d", c.Balance)
		}
		// Issuing with a used reference adds nothing.
		again := &db.StoreCredit{MerchantID: m.ID, Customer: "sam@example.com", Amount: 100, Currency: "EUR", CodeHash: "hash-x"}
		if added, err := d.Credits.IssueCredit(ctx, again, "issue/hash-1", now, nil); err != nil || added {
			t.Fatalf("issue under a used reference = %v, %v", added, err)
		}
		if _, err := d.Credits.CreditByCode(ctx, "hash-x"); !errors.Is(err, db.ErrNotFound) {
			t.Fatalf("the refused issue left its credit: %v", err)
		}

		red := db.Redemption{MerchantID: m.ID, CodeHash: "hash-1", Amount: 1200, Currency: "EUR", OrderReference: "WEB-9", Actor: "api-key", Reference: "k1", At: now}
		got, err := d.Credits.RedeemCredit(ctx, red)
		if err != nil || got.Credit.Balance != 3800 || got.Entry.Amount != -1200 || got.Entry.Kind != returns.CreditRedeemed || got.Replayed {
			t.Fatalf("redeem = %+v, %v", got, err)
		}
		// The same reference again answers the first redemption.
		replay, err := d.Credits.RedeemCredit(ctx, red)
		if err != nil || !replay.Replayed || replay.Entry.ID != got.Entry.ID || replay.Credit.Balance != 3800 {
			t.Fatalf("replay = %+v, %v", replay, err)
		}
		for name, tc := range map[string]struct {
			r    db.Redemption
			want error
		}{
			"too much":          {db.Redemption{MerchantID: m.ID, CodeHash: "hash-1", Amount: 3801, Currency: "EUR", Reference: "k2", At: now}, db.ErrCreditInsufficient},
			"another currency":  {db.Redemption{MerchantID: m.ID, CodeHash: "hash-1", Amount: 1, Currency: "USD", Reference: "k3", At: now}, db.ErrCreditCurrency},
			"another merchant":  {db.Redemption{MerchantID: other.ID, CodeHash: "hash-1", Amount: 1, Currency: "EUR", Reference: "k4", At: now}, db.ErrNotFound},
			"no such code":      {db.Redemption{MerchantID: m.ID, CodeHash: "nope", Amount: 1, Currency: "EUR", Reference: "k5", At: now}, db.ErrNotFound},
			"an empty code":     {db.Redemption{MerchantID: m.ID, CodeHash: "", Amount: 1, Currency: "EUR", Reference: "k6", At: now}, db.ErrNotFound},
			"the same, refused": {db.Redemption{MerchantID: m.ID, CodeHash: "hash-1", Amount: 5000, Currency: "EUR", Reference: "k2", At: now}, db.ErrCreditInsufficient},
		} {
			res, err := d.Credits.RedeemCredit(ctx, tc.r)
			if !errors.Is(err, tc.want) {
				t.Errorf("%s: err = %v, want %v", name, err, tc.want)
			}
			if errors.Is(err, db.ErrCreditInsufficient) && res.Credit.Balance != 3800 {
				t.Errorf("%s: the refusal tells balance %d, want 3800", name, res.Credit.Balance)
			}
		}

		// A reversal puts the redemption back, once.
		if _, _, err := d.Credits.ReverseRedemption(ctx, other.ID, got.Entry.ID, "x", now); !errors.Is(err, db.ErrNotFound) {
			t.Fatalf("another merchant's reversal: %v", err)
		}
		rev, created, err := d.Credits.ReverseRedemption(ctx, m.ID, got.Entry.ID, "api-key", now.Add(time.Minute))
		if err != nil || !created || rev.Credit.Balance != 5000 || rev.Entry.Amount != 1200 || rev.Entry.Kind != returns.CreditReversed {
			t.Fatalf("reverse = %+v, %v, %v", rev, created, err)
		}
		rev2, created, err := d.Credits.ReverseRedemption(ctx, m.ID, got.Entry.ID, "api-key", now.Add(2*time.Minute))
		if err != nil || created || rev2.Entry.ID != rev.Entry.ID || rev2.Credit.Balance != 5000 {
			t.Fatalf("reverse again = %+v, %v, %v", rev2, created, err)
		}
		if _, _, err := d.Credits.ReverseRedemption(ctx, m.ID, rev.Entry.ID, "api-key", now); !errors.Is(err, db.ErrNotRedemption) {
			t.Fatalf("reversing a reversal: %v", err)
		}
		if sum, _ := entriesSum(t, d, c.ID); sum != 5000 {
			t.Fatalf("entries sum to %d, want 5000", sum)
		}

		// Expiry takes what is left of credits past their date, once.
		exp := now.Add(24 * time.Hour)
		e := &db.StoreCredit{MerchantID: m.ID, Customer: "kim@example.com", Amount: 700, Currency: "EUR", CodeHash: "hash-2", ExpiresAt: &exp}
		if added, err := d.Credits.IssueCredit(ctx, e, "issue/hash-2", now, nil); err != nil || !added {
			t.Fatal(added, err)
		}
		if _, err := d.Credits.RedeemCredit(ctx, db.Redemption{MerchantID: m.ID, CodeHash: "hash-2", Amount: 200, Currency: "EUR", Reference: "k7", At: now}); err != nil {
			t.Fatal(err)
		}
		if n, err := d.Credits.ExpireCredits(ctx, now.Add(time.Hour), 10); err != nil || n != 0 {
			t.Fatalf("expire before the date = %d, %v", n, err)
		}
		for i, want := range []int{1, 0} {
			if n, err := d.Credits.ExpireCredits(ctx, exp.Add(time.Duration(i)*time.Hour), 10); err != nil || n != want {
				t.Fatalf("expiry run %d = %d, %v; want %d", i, n, err, want)
			}
		}
		if _, err := d.Credits.RedeemCredit(ctx, db.Redemption{MerchantID: m.ID, CodeHash: "hash-2", Amount: 1, Currency: "EUR", Reference: "k8", At: exp}); !errors.Is(err, db.ErrCreditExpired) {
			t.Fatalf("redeeming an expired credit: %v", err)
		}
		if sum, _ := entriesSum(t, d, e.ID); sum != 0 {
			t.Fatalf("the expired credit's entries sum to %d", sum)
		}
		bal, err := d.Credits.StoreCreditBalance(ctx, m.ID, "kim@example.com")
		if err != nil || bal != 0 {
			t.Fatalf("expired balance = %d, %v", bal, err)
		}

		// Staff's list and finance's movements.
		cs, err := d.Credits.CustomerCredits(ctx, m.ID, "", "", 10)
		if err != nil || len(cs) != 2 {
			t.Fatalf("credits = %d, %v", len(cs), err)
		}
		if cs, err := d.Credits.CustomerCredits(ctx, m.ID, "sam@example.com", "", 10); err != nil || len(cs) != 1 || cs[0].ID != c.ID {
			t.Fatalf("sam's credits = %+v, %v", cs, err)
		}
		if cs, err := d.Credits.CustomerCredits(ctx, other.ID, "", "", 10); err != nil || len(cs) != 0 {
			t.Fatalf("another merchant sees %d credits, %v", len(cs), err)
		}
		before, days, err := d.Credits.CreditMovements(ctx, m.ID, now.Add(time.Hour), now.Add(72*time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		if before["EUR"] != 5000+700-200 {
			t.Fatalf("outstanding before = %v", before)
		}
		if len(days) != 1 || days[0].Day != "2026-11-21" || days[0].Kind != returns.CreditExpired || days[0].Amount != -500 {
			t.Fatalf("movements = %+v", days)
		}
	})
}

// 100 redemptions at once against one credit never take it below zero,
// and what the ledger says was redeemed is what the callers were told.
func TestCreditRedemptionsRacingNeverOverdraw(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		m := seedMerchant(t, d, "race")
		now := time.Now().UTC()
		c := issueTestCredit(t, d, m, "sam@example.com", "race-hash", 10_000, now)
		var (
			wg        sync.WaitGroup
			mu        sync.Mutex
			told      int64
			succeeded int
			errs      []error
		)
		for i := range 100 {
			wg.Go(func() {
				amount := int64(150 + i%7*10)
				res, err := d.Credits.RedeemCredit(ctx, db.Redemption{MerchantID: m.ID, CodeHash: "race-hash", Amount: amount,
					Currency: "EUR", Reference: fmt.Sprintf("r%d", i), At: now})
				mu.Lock()
				defer mu.Unlock()
				switch {
				case err == nil:
					told += amount
					succeeded++
					if res.Credit.Balance < 0 {
						errs = append(errs, fmt.Errorf("balance %d after a redemption", res.Credit.Balance))
					}
				case !errors.Is(err, db.ErrCreditInsufficient):
					errs = append(errs, err)
				}
			})
		}
		wg.Wait()
		for _, err := range errs {
			t.Error(err)
		}
		sum, redeemed := entriesSum(t, d, c.ID)
		bal, err := d.Credits.StoreCreditBalance(ctx, m.ID, "sam@example.com")
		if err != nil {
			t.Fatal(err)
		}
		if redeemed != told || sum != bal || bal < 0 || bal != 10_000-told {
			t.Fatalf("told %d, ledger redeemed %d, entries sum %d, balance %d", told, redeemed, sum, bal)
		}
		if succeeded == 100 {
			t.Fatalf("all 100 redemptions succeeded, worth more than the credit, leaving %d", bal)
		}
	})
}

// What the fallback of failed refunds wrote before the ledger is each an
// issued entry, with its balance.
func TestCreditsOfBeforeTheLedgerAreIssuedEntries(t *testing.T) {
	t.Parallel()
	for _, e := range dbtest.Engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			ctx := context.Background()
			d := dbtest.Open(t, e)
			mig, err := db.NewMigrator(d, nil)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := mig.DownTo(ctx, 13); err != nil {
				t.Fatal(err)
			}
			m := seedMerchant(t, d, "old")
			id := db.NewID()
			if err := d.Exec(ctx, `INSERT INTO store_credits (id, merchant_id, customer, amount, currency, code_hash, code_last4, created_by, created_at)
				VALUES (?, ?, 'sam@example.com', 4999, 'EUR', 'old-hash', 'ABCD', 'fin', ?)`, id, m.ID, time.Now().UTC()); err != nil {
				t.Fatal(err)
			}
			if _, err := mig.Up(ctx); err != nil {
				t.Fatal(err)
			}
			c, err := d.Credits.CreditByCode(ctx, "old-hash")
			if err != nil || c.Balance != 4999 {
				t.Fatalf("old credit = %+v, %v", c, err)
			}
			es, err := d.Credits.CreditHistory(ctx, id)
			if err != nil || len(es) != 1 || es[0].Kind != returns.CreditIssued || es[0].Amount != 4999 || es[0].Actor != "fin" {
				t.Fatalf("old credit's entries = %+v, %v", es, err)
			}
			red, err := d.Credits.RedeemCredit(ctx, db.Redemption{MerchantID: m.ID, CodeHash: "old-hash", Amount: 999, Currency: "EUR", Reference: "k", At: time.Now()})
			if err != nil || red.Credit.Balance != 4000 {
				t.Fatalf("redeem the old credit = %+v, %v", red, err)
			}
		})
	}
}
