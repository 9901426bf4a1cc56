package db_test

import (
	"context"
	"testing"

	"github.com/rebound-returns/rebound/db"
	"github.com/rebound-returns/rebound/db/dbtest"
	"github.com/rebound-returns/rebound/returns"
)

// Store credit a return issued instead of a refund counts against what the
// order still has to refund (its bonus does not: the merchant gives it),
// and a line's resolution is stored, a refund when none is given.
func TestRefundHistoryCountsCreditIssuedInstead(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		s := newSale(t, d, "credits")
		ref := s.refund(500)
		r := &db.Return{MerchantID: s.m.ID, OrderID: s.order.ID, Status: "refund_pending", Method: "in_store", Contact: "a@b.c",
			ContactKind: "email", Currency: "EUR", Lines: []db.ReturnLine{{LineID: "1", Quantity: 2, Reason: "other",
				Resolution: returns.ResolutionStoreCredit}}}
		must(t, d.Returns.CreateReturn(ctx, r))
		_, err := d.Refunds.CreateRefund(ctx, &db.Refund{ID: db.NewID(), ReturnID: r.ID, OrderID: s.order.ID, MerchantID: s.m.ID,
			Channel: returns.ChannelCardPresent, Amount: 0, CreditAmount: 2000, CreditBonus: 200, Currency: "EUR",
			Status: returns.RefundStatusPending, Quote: db.JSON("{}")})
		must(t, err)
		h, err := d.Refunds.RefundHistoryOf(ctx, s.order.ID, db.NewID())
		if err != nil || h.Refunded != 500+2000 {
			t.Fatalf("history %+v, %v; want 2500 refunded (credit counted, not its bonus)", h, err)
		}
		got, err := d.Returns.ReturnByID(ctx, r.ID)
		must(t, err)
		first, err := d.Returns.ReturnByID(ctx, ref.ReturnID)
		must(t, err)
		if got.Lines[0].Resolution != returns.ResolutionStoreCredit || first.Lines[0].Resolution != returns.ResolutionRefund {
			t.Fatalf("resolutions %q and %q; want store_credit and (by default) refund", got.Lines[0].Resolution, first.Lines[0].Resolution)
		}
	})
}
