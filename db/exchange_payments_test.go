package db_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/rebound-returns/rebound/db"
	"github.com/rebound-returns/rebound/db/dbtest"
	"github.com/rebound-returns/rebound/returns"
)

// Racing preparations of a return's hold store one row and all answer it
// (one Idempotency-Key); another amount is refused; a decided row never
// moves again.
func TestExchangePaymentIsOncePerReturnAndKind(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		m := seedMerchant(t, d, "demo")
		ret := seedReturns(t, d, m, 1)[0]
		hold := db.ExchangePayment{MerchantID: m.ID, ReturnID: ret, Kind: db.ExchangeAuthorize, PaymentID: "pay_1", Amount: 5000, Currency: "EUR"}
		var wg sync.WaitGroup
		var mu sync.Mutex
		ids := map[string]int{}
		created := 0
		for range 16 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				p := hold
				row, made, err := d.ExchangePayments.PrepareExchangePayment(ctx, &p, time.Now())
				mu.Lock()
				defer mu.Unlock()
				if err != nil {
					t.Errorf("prepare: %v", err)
					return
				}
				ids[row.ID]++
				if made {
					created++
				}
			}()
		}
		wg.Wait()
		if len(ids) != 1 || created != 1 {
			t.Fatalf("ids %v, %d created; want one row made once", ids, created)
		}
		var id string
		for k := range ids {
			id = k
		}
		other := hold
		other.Amount = 4000
		if _, _, err := d.ExchangePayments.PrepareExchangePayment(ctx, &other, time.Now()); !errors.Is(err, db.ErrExchangePaymentDiffers) {
			t.Fatalf("another amount: %v", err)
		}
		for _, step := range []struct {
			to   returns.AttemptState
			want bool
		}{{returns.AttemptSent, true}, {returns.AttemptSent, true}, {returns.AttemptApproved, true}, {returns.AttemptDeclined, false}, {returns.AttemptSent, false}} {
			moved, err := d.ExchangePayments.MoveExchangePayment(ctx, id, step.to, map[string]any{"gateway_id": "au_1"})
			if err != nil || moved != step.want {
				t.Fatalf("move to %s = %v, %v; want %v", step.to, moved, err, step.want)
			}
		}
		if _, err := d.ExchangePayments.MoveExchangePayment(ctx, id, returns.AttemptPrepared, nil); err == nil {
			t.Fatal("a move back to prepared was allowed")
		}
		row, err := d.ExchangePayments.ExchangePaymentByID(ctx, id)
		if err != nil || row.State != returns.AttemptApproved || row.FinishedAt == nil || row.GatewayID != "au_1" {
			t.Fatalf("row = %+v, %v", row, err)
		}
		if _, err := d.ExchangePayments.ExchangePaymentOf(ctx, ret, db.ExchangeCharge); !errors.Is(err, db.ErrNotFound) {
			t.Fatalf("no charge: %v", err)
		}
	})
}
