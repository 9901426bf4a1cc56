package credit_test

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"sync"
	"testing"

	"github.com/rebound-returns/rebound/app/apperr"
	"github.com/rebound-returns/rebound/app/credit"
	"github.com/rebound-returns/rebound/db"
	"github.com/rebound-returns/rebound/db/dbtest"
	"github.com/rebound-returns/rebound/returns"
)

// ledgerStore is the use case's Store over a real database, as app/wire
// assembles it.
type ledgerStore struct {
	db.Credits
	db.Shoppers
	db.Merchants
}

type noDelivery struct{}

func (noDelivery) Deliver(context.Context, []string) error { return nil }

// 100 redemptions at once through the use case, on SQLite and Postgres:
// the credit never goes below zero, and the redeemed entries add up to what
// the checkout was told.
func TestRedemptionsRacingOnARealLedger(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		m := &db.Merchant{Slug: "race", Name: "Race"}
		if err := d.Merchants.CreateMerchant(ctx, m); err != nil {
			t.Fatal(err)
		}
		s := credit.New(credit.Deps{Store: ledgerStore{d.Credits, d.Shoppers, d.Merchants}, Delivery: noDelivery{}})
		issued, err := s.Issue(ctx, credit.IssueRequest{MerchantID: m.ID, Customer: "sam@example.com", Amount: 5000, Currency: "EUR", Reference: "race/1", Actor: "test"})
		if err != nil || !issued.Created {
			t.Fatal(issued, err)
		}
		msgs, err := d.Outbox.OutboxTo(ctx, "sam@example.com", 1)
		if err != nil || len(msgs) != 1 {
			t.Fatal(msgs, err)
		}
		code := regexp.MustCompile(`RBC-[A-Z0-9-]{14}`).FindString(msgs[0].BodyText)
		var (
			wg        sync.WaitGroup
			mu        sync.Mutex
			told      int64
			succeeded int
		)
		for i := range 100 {
			wg.Go(func() {
				amount := int64(40 + i%5*10)
				r, err := s.Redeem(ctx, credit.Caller{MerchantID: m.ID, Actor: "checkout"},
					credit.RedeemRequest{Code: code, Amount: amount, Currency: "EUR", IdempotencyKey: fmt.Sprint("key-", i)})
				mu.Lock()
				defer mu.Unlock()
				switch {
				case err == nil:
					told += r.Amount
					succeeded++
					if r.Balance < 0 {
						t.Errorf("balance %d answered", r.Balance)
					}
				case !errors.Is(err, apperr.ErrInvalid):
					t.Error(err)
				}
			})
		}
		wg.Wait()
		es, err := d.Credits.CreditHistory(ctx, issued.CreditID)
		if err != nil {
			t.Fatal(err)
		}
		var redeemed, sum int64
		for _, e := range es {
			sum += e.Amount
			if e.Kind == returns.CreditRedeemed {
				redeemed -= e.Amount
			}
		}
		b, err := s.Balance(ctx, credit.BalanceRequest{Code: code, ClientIP: "192.0.2.1"})
		if err != nil {
			t.Fatal(err)
		}
		if redeemed != told || sum != b.Balance || b.Balance < 0 || b.Balance != 5000-told || succeeded == 100 {
			t.Fatalf("%d succeeded, told %d, ledger redeemed %d, entries sum %d, balance %d", succeeded, told, redeemed, sum, b.Balance)
		}
	})
}
