package db_test

import (
	"cmp"
	"context"
	"errors"
	"github.com/rebound-returns/rebound/returns"
	"reflect"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rebound-returns/rebound/db"
	"github.com/rebound-returns/rebound/db/dbtest"
)

// shownReturn is a return of a card sale with a line the order has and one
// it does not, inspected, and two refunds: the first failed, the latest
// frozen with a declined and an approved attempt.
func shownReturn(t *testing.T, d *db.DB) (s *sale, r *db.Return, latest *db.Refund) {
	t.Helper()
	ctx := context.Background()
	s = newSale(t, d, "view")
	r = &db.Return{MerchantID: s.m.ID, OrderID: s.order.ID, Status: "refund_pending", Method: "in_store", Channel: "card_present",
		Contact: "a@b.c", ContactKind: "email", Currency: "EUR", Lines: []db.ReturnLine{
			{LineID: "9", Quantity: 1, Reason: "damaged", Note: "not in the order"},
			{LineID: "1", Quantity: 2, Reason: "other"}}}
	must(t, d.Returns.CreateReturn(ctx, r))
	good, refund := "opened", int64(2000)
	_, _, err := d.Returns.ApplyTransition(ctx, db.Transition{ReturnID: r.ID, Seq: 1, Status: "refund_pending", Actor: "clerk", ActorRole: "clerk",
		At: time.Now(), ReasonCodes: db.JSON(`[{"line_id":"1","code":"outside_return_window"}]`), RefundAmount: &refund,
		Lines: []db.LineVerdict{{LineID: "1", Accepted: 2, Condition: &good, RefundAmount: &refund}}}, nil)
	must(t, err)
	first, err := d.Refunds.CreateRefund(ctx, &db.Refund{ID: db.NewID(), ReturnID: r.ID, OrderID: s.order.ID, MerchantID: s.m.ID,
		Channel: returns.ChannelCardPresent, Amount: 2000, Currency: "EUR", Status: returns.RefundStatusPending, Quote: db.JSON("{}")})
	must(t, err)
	s.mustAttempt(first, 2000, returns.AttemptSent, returns.AttemptDeclined)
	must(t, d.Refunds.FinishRefund(ctx, first.ID, returns.RefundStatusFailed, "05", time.Now()))
	f := &db.Freeze{MerchantID: s.m.ID, Reason: "acquirer outage", CreatedBy: "op", CreatedRole: "operator"}
	must(t, d.Freezes.CreateFreeze(ctx, f))
	time.Sleep(2 * time.Millisecond) // the latest is the last created
	latest, err = d.Refunds.CreateRefund(ctx, &db.Refund{ID: db.NewID(), ReturnID: r.ID, OrderID: s.order.ID, MerchantID: s.m.ID,
		Channel: returns.ChannelCardPresent, Amount: 2000, ShippingAmount: 0, Currency: "EUR", Status: returns.RefundStatusPending,
		Quote: db.JSON("{}"), FrozenBy: &f.ID})
	must(t, err)
	s.mustAttempt(latest, 2000, returns.AttemptSent, returns.AttemptDeclined)
	s.mustAttempt(latest, 2000, returns.AttemptSent, returns.AttemptApproved)
	return s, r, latest
}

// What the page's two reads answer is what the records say, read one table
// at a time as before.
func TestShownReadsAgreeWithTheRecords(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		_, r, latest := shownReturn(t, d)
		got, err := d.Returns.ReturnShown(ctx, r.ID)
		must(t, err)
		rec, err := d.Returns.ReturnByID(ctx, r.ID)
		must(t, err)
		o, err := d.Orders.OrderByID(ctx, rec.OrderID)
		must(t, err)
		m, err := d.Merchants.MerchantByID(ctx, rec.MerchantID)
		must(t, err)
		want := db.ReturnHead{ID: rec.ID, MerchantID: rec.MerchantID, OrderID: rec.OrderID, Status: rec.Status, Method: rec.Method,
			Channel: rec.Channel, Currency: rec.Currency, StatusReason: rec.StatusReason, Attention: rec.Attention,
			TrackingNumber: rec.TrackingNumber, LabelURL: rec.LabelURL, ReasonCodes: rec.ReasonCodes, RefundAmount: rec.RefundAmount,
			CreatedAt: rec.CreatedAt, UpdatedAt: rec.UpdatedAt, MerchantSlug: m.Slug, OrderNumber: o.OrderNumber,
			CustomerName: o.CustomerName, PlacedAt: o.PlacedAt, DeliveredAt: o.DeliveredAt, ShippingAmount: o.ShippingAmount}
		if !reflect.DeepEqual(got.ReturnHead, want) {
			t.Errorf("head\n got %+v\nwant %+v", got.ReturnHead, want)
		}
		if p := o.Payment; got.Payment == nil || *got.Payment != (db.PaymentShown{Channel: p.Channel, Amount: p.Amount,
			TerminalID: p.TerminalID, MaskedPAN: p.MaskedPAN}) {
			t.Errorf("payment %+v; want %+v", got.Payment, p)
		}
		if len(got.Lines) != len(rec.Lines) {
			t.Fatalf("%d lines; want %d", len(got.Lines), len(rec.Lines))
		}
		for _, l := range got.Lines {
			var ol db.OrderLine
			for _, x := range o.Lines {
				if x.LineID == l.LineID {
					ol = x
				}
			}
			var rl db.ReturnLine
			for _, x := range rec.Lines {
				if x.LineID == l.LineID {
					rl = x
				}
			}
			if !reflect.DeepEqual(l.ReturnLine, rl) || l.Name != ol.Name || l.UnitPrice != ol.UnitPrice {
				t.Errorf("line %+v; want %+v %q %d", l, rl, ol.Name, ol.UnitPrice)
			}
		}

		f, err := d.Returns.LatestRefundShown(ctx, r.ID)
		must(t, err)
		attempts, err := d.Refunds.AttemptsOfRefund(ctx, latest.ID)
		must(t, err)
		refunds, err := d.Refunds.RefundsOfReturn(ctx, r.ID)
		must(t, err)
		last := refunds[len(refunds)-1]
		freeze, err := d.Freezes.FreezeByID(ctx, *last.FrozenBy)
		must(t, err)
		if f == nil || f.ID != latest.ID || f.ID != last.ID || f.Amount != last.Amount || f.Status != last.Status ||
			f.Currency != last.Currency || *f.FrozenBy != *last.FrozenBy || f.FreezeReason != freeze.Reason || len(f.Attempts) != len(attempts) {
			t.Fatalf("latest refund %+v; want %+v with %d attempts", f, last, len(attempts))
		}
		for i, a := range attempts {
			if f.Attempts[i] != (db.AttemptShown{State: a.State, RRN: a.RRN, GatewayRefundID: a.GatewayRefundID}) {
				t.Errorf("attempt %d: %+v; want %+v", i, f.Attempts[i], a)
			}
		}
	})
}

// A return without refunds, payment or lines still shows; one that does
// not exist is not found.
func TestShownReadsOfABareReturn(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		m := seedMerchant(t, d, "bare")
		o := &db.Order{MerchantID: m.ID, OrderNumber: "B-1", Currency: "EUR", PlacedAt: time.Now(), RequestHash: "h",
			Lines: []db.OrderLine{{LineID: "1", Name: "x", Quantity: 1, UnitPrice: 100}}}
		must(t, d.Orders.CreateOrder(ctx, o))
		r := &db.Return{MerchantID: m.ID, OrderID: o.ID, Status: "submitted", Method: "ship", Channel: "online",
			Contact: "a@b.c", ContactKind: "email", Currency: "EUR"}
		must(t, d.Returns.CreateReturn(ctx, r))
		got, err := d.Returns.ReturnShown(ctx, r.ID)
		if err != nil || got.Payment != nil || len(got.Lines) != 0 || got.MerchantSlug != "bare" || got.OrderNumber != "B-1" {
			t.Fatalf("%+v, %v", got, err)
		}
		if f, err := d.Returns.LatestRefundShown(ctx, r.ID); f != nil || err != nil {
			t.Fatalf("refund %+v, %v", f, err)
		}
		if _, err := d.Returns.ReturnShown(ctx, db.NewID()); !errors.Is(err, db.ErrNotFound) {
			t.Fatalf("an unknown return: %v", err)
		}
	})
}

// Issue 15, finding 2: the page's return with its order, merchant, payment
// and lines is one statement; its latest refund with freeze and attempts
// one more.
func TestShownReadsAreOneStatementEach(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		_, r, _ := shownReturn(t, d)
		var n atomic.Int64
		must(t, d.CountStatements(func() { n.Add(1) }))
		for name, read := range map[string]func() error{
			"ReturnShown":       func() error { _, err := d.Returns.ReturnShown(ctx, r.ID); return err },
			"LatestRefundShown": func() error { _, err := d.Returns.LatestRefundShown(ctx, r.ID); return err },
		} {
			n.Store(0)
			must(t, read())
			if got := n.Load(); got != 1 {
				t.Errorf("%s ran %d statements; want 1", name, got)
			}
		}
		// The counter counts what the old reads ran: the return and its
		// lines are two.
		n.Store(0)
		_, err := d.Returns.ReturnByID(ctx, r.ID)
		if got := n.Load(); err != nil || got != 2 {
			t.Errorf("ReturnByID ran %d statements (%v); want 2", got, cmp.Or(err, errors.New("")))
		}
	})
}
