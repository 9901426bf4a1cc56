package activities_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rebound-returns/rebound/activities"
	"github.com/rebound-returns/rebound/db"
	"github.com/rebound-returns/rebound/db/dbtest"
	"github.com/rebound-returns/rebound/notify"
	"github.com/rebound-returns/rebound/returns"
)

type sentMessages struct {
	mu   sync.Mutex
	msgs []notify.Message
}

func (s *sentMessages) Send(_ context.Context, m notify.Message) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.msgs = append(s.msgs, m)
	return nil
}

// A return's credit lines are issued once per refund run however often
// the activity is retried: one credit of the amount and its bonus, one
// message with its code; a refund paying nothing to the payment is then
// succeeded.
func TestIssueReturnCreditOncePerRefund(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		m := &db.Merchant{Slug: "rc", Name: "RC Shop"}
		must := func(err error) {
			t.Helper()
			if err != nil {
				t.Fatal(err)
			}
		}
		must(d.Merchants.CreateMerchant(ctx, m))
		o := &db.Order{MerchantID: m.ID, OrderNumber: "RC-1", Currency: "EUR", PlacedAt: time.Now().Add(-time.Hour), CustomerEmail: "ann@example.com",
			RequestHash: "h", Lines: []db.OrderLine{{LineID: "shoes", Name: "Shoes", Quantity: 1, UnitPrice: 4999}},
			Payment: &db.Payment{Channel: returns.ChannelOnline, Amount: 4999, Currency: "EUR", GatewayPaymentID: "pay_rc"}}
		must(d.Orders.CreateOrder(ctx, o))
		r := &db.Return{MerchantID: m.ID, OrderID: o.ID, Status: string(returns.RefundPending), Method: returns.MethodShip,
			Contact: "ann@example.com", ContactKind: "email", Currency: "EUR", Channel: returns.ChannelOnline,
			Lines: []db.ReturnLine{{LineID: "shoes", Quantity: 1, Reason: "too_small", Resolution: returns.ResolutionStoreCredit}}}
		must(d.Returns.CreateReturn(ctx, r))
		ref, err := d.Refunds.CreateRefund(ctx, &db.Refund{ID: db.NewID(), ReturnID: r.ID, OrderID: o.ID, MerchantID: m.ID,
			Channel: returns.ChannelOnline, Amount: 0, CreditAmount: 4999, CreditBonus: 500, Currency: "EUR", Status: returns.RefundStatusPending})
		must(err)
		sent := &sentMessages{}
		set := activities.New(activities.Deps{DB: d, Sender: sent, OTPSecret: []byte("s")})
		for range 3 {
			must(set.Store.IssueReturnCredit(ctx, activities.ReturnCreditInput{ReturnID: r.ID, RefundID: ref.ID}))
		}
		balance, err := d.Credits.StoreCreditBalance(ctx, m.ID, "ann@example.com")
		if err != nil || balance != 5499 {
			t.Fatalf("balance %d, %v; want 5499 once", balance, err)
		}
		if len(sent.msgs) != 1 || !strings.Contains(sent.msgs[0].Text, "store credit of 54.99 EUR") ||
			!strings.Contains(sent.msgs[0].Text, "bonus of 5.00 EUR") || !strings.Contains(sent.msgs[0].Text, "credit code is ") {
			t.Fatalf("messages %+v; want one with the code", sent.msgs)
		}
		got, err := d.Refunds.RefundByID(ctx, ref.ID)
		if err != nil || got.Status != returns.RefundStatusSucceeded {
			t.Fatalf("refund %+v, %v; want succeeded", got, err)
		}
		// A refund of another return issues nothing for this one.
		if err := set.Store.IssueReturnCredit(ctx, activities.ReturnCreditInput{ReturnID: db.NewID(), RefundID: ref.ID}); err == nil {
			t.Fatal("a foreign return's refund was issued")
		}
	})
}
