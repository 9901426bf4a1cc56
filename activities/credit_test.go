package activities_test

import (
	"context"
	"testing"
	"time"

	"github.com/rebound-returns/rebound/activities"
	"github.com/rebound-returns/rebound/db"
	"github.com/rebound-returns/rebound/db/dbtest"
	"github.com/rebound-returns/rebound/returns"
)

// The expiry activity takes what is left of the credits past their date,
// more than one batch of them, and a second run expires nothing.
func TestExpireCreditsTakesWhatIsLeftOnce(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		m := &db.Merchant{Slug: "exp", Name: "Exp"}
		if err := d.Merchants.CreateMerchant(ctx, m); err != nil {
			t.Fatal(err)
		}
		now := time.Date(2026, 11, 20, 0, 15, 0, 0, time.UTC)
		past, future := now.Add(-time.Hour), now.Add(time.Hour)
		const due = 503 // more than one batch
		for i := range due + 2 {
			exp := past
			if i >= due {
				exp = future
			}
			c := &db.StoreCredit{MerchantID: m.ID, Customer: "c@example.com", Amount: 100, Currency: "EUR", CodeHash: db.NewID(), ExpiresAt: &exp}
			if _, err := d.Credits.IssueCredit(ctx, c, "issue/"+c.CodeHash, past.Add(-time.Hour), nil); err != nil {
				t.Fatal(err)
			}
		}
		a := &activities.Store{Base: activities.Base{DB: d, Now: func() time.Time { return now }}}
		for run, want := range []int{due, 0} {
			n, err := a.ExpireCredits(ctx)
			if err != nil || n != want {
				t.Fatalf("run %d expired %d, %v; want %d", run, n, err, want)
			}
		}
		left, err := d.Credits.StoreCreditBalance(ctx, m.ID, "c@example.com")
		if err != nil || left != 200 {
			t.Fatalf("left %d, %v; want the two credits not yet due", left, err)
		}
		_, days, err := d.Credits.CreditMovements(ctx, m.ID, now.Add(-24*time.Hour), now.Add(24*time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		var expired int64
		for _, day := range days {
			if day.Kind == returns.CreditExpired {
				expired += day.Amount
			}
		}
		if expired != -100*due {
			t.Fatalf("expired entries sum to %d", expired)
		}
	})
}
