package api

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"

	"github.com/rebound-returns/rebound/db"
	"github.com/rebound-returns/rebound/db/dbtest"
)

// Issue 15: the reads through the whole router (every middleware, the
// caller's session, the handler, the JSON) on each engine, with the
// statements each request runs. Compare with loadgen's bare handler.

// BenchmarkGetReturn is GET /v1/returns/{id} as its clerk and its shopper.
func BenchmarkGetReturn(b *testing.B) {
	for _, e := range dbtest.Engines(b) {
		d := dbtest.Open(b, e)
		s := newShownReturn(b, d)
		var n atomic.Int64
		must(b, d.CountStatements(func() { n.Add(1) }))
		for _, who := range []struct{ name, token string }{{"staff", s.clerk}, {"shopper", s.shopper}} {
			b.Run(e.Name+"/"+who.name, func(b *testing.B) {
				benchGet(b, s.h, "/v1/returns/"+s.id, who.token, &n)
			})
		}
	}
}

// BenchmarkMerchantList is GET /v1/merchant/returns: a page of 50 of the
// merchant's returns.
func BenchmarkMerchantList(b *testing.B) {
	for _, e := range dbtest.Engines(b) {
		b.Run(e.Name, func(b *testing.B) {
			d := dbtest.Open(b, e)
			s := newShownReturn(b, d)
			for range 60 {
				newReturnOf(b, s.shop)
			}
			var n atomic.Int64
			must(b, d.CountStatements(func() { n.Add(1) }))
			benchGet(b, s.h, "/v1/merchant/returns?limit=50", s.clerk, &n)
		})
	}
}

func benchGet(b *testing.B, h http.Handler, path, token string, n *atomic.Int64) {
	b.Helper()
	req := httptest.NewRequest(http.MethodGet, path, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	b.ReportAllocs()
	n.Store(0)
	b.ResetTimer()
	for b.Loop() {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			b.Fatalf("%d %s", rec.Code, rec.Body)
		}
	}
	b.ReportMetric(float64(n.Load())/float64(b.N), "stmts/op")
}

// newReturnOf files one more return on the shop's first order.
func newReturnOf(b testing.TB, s *shop) {
	b.Helper()
	ctx := context.Background()
	first, err := s.d.Returns.ReturnByID(ctx, s.returnID)
	must(b, err)
	must(b, s.d.Returns.CreateReturn(ctx, &db.Return{MerchantID: s.merchant.ID, OrderID: first.OrderID, Status: "submitted", Method: "ship",
		Channel: "card_present", Contact: "pat@example.com", ContactKind: "email", Currency: "EUR",
		Lines: []db.ReturnLine{{LineID: "1", Quantity: 1, Reason: "other"}}}))
}
