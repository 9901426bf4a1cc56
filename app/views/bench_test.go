package views_test

import (
	"context"
	"github.com/rebound-returns/rebound/returns"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rebound-returns/rebound/app/views"
	"github.com/rebound-returns/rebound/db"
	"github.com/rebound-returns/rebound/db/dbtest"
)

// BenchmarkReturnView reads one return as its staff see it (three lines,
// five steps, a refund with two attempts) on each engine, and reports the
// statements each read runs.
func BenchmarkReturnView(b *testing.B) {
	for _, e := range dbtest.Engines(b) {
		b.Run(e.Name, func(b *testing.B) {
			d := dbtest.Open(b, e)
			id := seedShown(b, d)
			var n atomic.Int64
			if err := d.CountStatements(func() { n.Add(1) }); err != nil {
				b.Fatal(err)
			}
			svc, ctx := views.New(views.Deps{Store: d.Returns}), context.Background()
			who := views.Viewer{Staff: true, See: func(string, string) bool { return true }}
			n.Store(0)
			b.ResetTimer()
			for b.Loop() {
				if _, err := svc.Return(ctx, id, who); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(n.Load())/float64(b.N), "stmts/op")
		})
		b.Run(e.Name+"/table-by-table", func(b *testing.B) { benchTableByTable(b, e) })
	}
}

// benchTableByTable makes the reads the handler made before app/views (the
// return twice with its lines, then order, merchant, timeline, refunds and
// attempts): the measure the view is compared with.
func benchTableByTable(b *testing.B, e dbtest.Engine) {
	d := dbtest.Open(b, e)
	id := seedShown(b, d)
	ctx := context.Background()
	for b.Loop() {
		r, _ := d.Returns.ReturnByID(ctx, id)
		r, _ = d.Returns.ReturnByID(ctx, r.ID)
		_, _ = d.Orders.OrderByID(ctx, r.OrderID)
		_, _ = d.Merchants.MerchantByID(ctx, r.MerchantID)
		_, _ = d.Returns.Timeline(ctx, r.ID)
		fs, _ := d.Refunds.RefundsOfReturn(ctx, r.ID)
		if _, err := d.Refunds.AttemptsOfRefund(ctx, fs[len(fs)-1].ID); err != nil {
			b.Fatal(err)
		}
	}
}

func seedShown(b *testing.B, d *db.DB) string {
	ctx := context.Background()
	must := func(err error) {
		if err != nil {
			b.Fatal(err)
		}
	}
	m := &db.Merchant{Slug: "bench", Name: "Bench", Policy: db.JSON(`{"window_days":30}`)}
	must(d.Merchants.CreateMerchant(ctx, m))
	o := &db.Order{MerchantID: m.ID, OrderNumber: "B-1", Currency: "EUR", PlacedAt: time.Now(), RequestHash: "h",
		Lines:   []db.OrderLine{{LineID: "1", Name: "a", Quantity: 1, UnitPrice: 1000}, {LineID: "2", Name: "b", Quantity: 1, UnitPrice: 1000}},
		Payment: &db.Payment{Channel: returns.ChannelOnline, Amount: 2000, Currency: "EUR", GatewayPaymentID: "pay_1"}}
	must(d.Orders.CreateOrder(ctx, o))
	r := &db.Return{MerchantID: m.ID, OrderID: o.ID, Status: "refunded", Method: "ship", Channel: "online", Contact: "a@b.c",
		ContactKind: "email", Currency: "EUR", Lines: []db.ReturnLine{{LineID: "1", Quantity: 1, Reason: "other"},
			{LineID: "2", Quantity: 1, Reason: "other"}, {LineID: "3", Quantity: 1, Reason: "other"}}}
	must(d.Returns.CreateReturn(ctx, r))
	for i, st := range []string{"submitted", "approved", "awaiting_shipment", "received", "refund_pending"} {
		_, _, err := d.Returns.ApplyTransition(ctx, db.Transition{ReturnID: r.ID, Seq: int64(i + 1), Status: st, Actor: "system", At: time.Now()}, nil)
		must(err)
	}
	f, err := d.Refunds.CreateRefund(ctx, &db.Refund{ID: db.NewID(), ReturnID: r.ID, OrderID: o.ID, MerchantID: m.ID, Channel: returns.ChannelOnline,
		Amount: 2000, Currency: "EUR", Status: returns.RefundStatusPending, Quote: db.JSON("{}")})
	must(err)
	for _, end := range []returns.AttemptState{returns.AttemptDeclined, returns.AttemptApproved} {
		a, err := d.Refunds.CreateAttempt(ctx, &db.RefundAttempt{ID: db.NewID(), RefundID: f.ID, Kind: returns.AttemptOnline, Amount: 2000}, time.Now())
		must(err)
		for _, st := range []returns.AttemptState{returns.AttemptSent, end} {
			_, err := d.Refunds.MoveAttempt(ctx, a.ID, st, map[string]any{"gateway_refund_id": "re_" + a.ID[:8]})
			must(err)
		}
	}
	return r.ID
}
