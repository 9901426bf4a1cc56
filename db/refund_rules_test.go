package db_test

import (
	"context"
	"errors"
	"fmt"
	"github.com/rebound-returns/rebound/returns"
	"sync"
	"testing"
	"time"

	"github.com/rebound-returns/rebound/db"
	"github.com/rebound-returns/rebound/db/dbtest"
)

// sale is a card sale of 4000 with the refunds of its returns.
type sale struct {
	t     *testing.T
	d     *db.DB
	m     *db.Merchant
	order *db.Order
	n     int
}

func newSale(t *testing.T, d *db.DB, slug string) *sale {
	t.Helper()
	ctx := context.Background()
	m := seedMerchant(t, d, slug)
	st := &db.Store{MerchantID: m.ID, Code: "main", Name: "Main"}
	must(t, d.Merchants.CreateStore(ctx, st))
	must(t, d.Merchants.CreateTerminal(ctx, &db.Terminal{MerchantID: m.ID, StoreID: st.ID, TerminalID: slug[:1] + "V000001", Kind: db.TerminalVirtual}))
	must(t, d.Merchants.CreateTerminal(ctx, &db.Terminal{MerchantID: m.ID, StoreID: st.ID, TerminalID: slug[:1] + "P000001", Kind: db.TerminalPhysical}))
	o := &db.Order{MerchantID: m.ID, OrderNumber: "S-1", Currency: "EUR", PlacedAt: time.Now().Add(-48 * time.Hour), RequestHash: "h",
		Lines: []db.OrderLine{{LineID: "1", Name: "x", Quantity: 4, UnitPrice: 1000}},
		Payment: &db.Payment{Channel: returns.ChannelCardPresent, Amount: 4000, Currency: "EUR", TerminalID: slug[:1] + "P000001",
			STAN: "000042", RRN: slug[:1] + "00000000042", ApprovalCode: "AP0001", MaskedPAN: "411111******1111", CardFingerprint: "fp_0000001"}}
	must(t, d.Orders.CreateOrder(ctx, o))
	return &sale{t: t, d: d, m: m, order: o}
}

// refund makes a return of the sale and its refund of amount.
func (s *sale) refund(amount int64) *db.Refund {
	s.t.Helper()
	ctx := context.Background()
	s.n++
	r := &db.Return{MerchantID: s.m.ID, OrderID: s.order.ID, Status: "refund_pending", Method: "in_store", Contact: "a@b.c",
		ContactKind: "email", Currency: "EUR", Lines: []db.ReturnLine{{LineID: "1", Quantity: 1, Reason: "other"}}}
	must(s.t, s.d.Returns.CreateReturn(ctx, r))
	ref, err := s.d.Refunds.CreateRefund(ctx, &db.Refund{ID: db.NewID(), ReturnID: r.ID, OrderID: s.order.ID, MerchantID: s.m.ID,
		Channel: returns.ChannelCardPresent, Amount: amount, Currency: "EUR", Status: returns.RefundStatusPending, Quote: db.JSON("{}")})
	must(s.t, err)
	return ref
}

func (s *sale) attempt(ref *db.Refund, amount int64) (*db.RefundAttempt, error) {
	return s.d.Refunds.CreateAttempt(context.Background(), &db.RefundAttempt{ID: db.NewID(), RefundID: ref.ID, Kind: returns.AttemptRefund,
		Amount: amount, TerminalID: s.m.Slug[:1] + "V000001"}, time.Now())
}

func (s *sale) mustAttempt(ref *db.Refund, amount int64, states ...returns.AttemptState) *db.RefundAttempt {
	s.t.Helper()
	a, err := s.attempt(ref, amount)
	must(s.t, err)
	s.move(a, states...)
	a, err = s.d.Refunds.AttemptByID(context.Background(), a.ID)
	must(s.t, err)
	return a
}

func (s *sale) move(a *db.RefundAttempt, states ...returns.AttemptState) {
	s.t.Helper()
	for _, st := range states {
		moved, err := s.d.Refunds.MoveAttempt(context.Background(), a.ID, st, nil)
		if err != nil || !moved {
			s.t.Fatalf("move attempt %d to %s: moved %v, %v", a.N, st, moved, err)
		}
	}
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// paths brings an attempt to each state by allowed moves.
var paths = map[returns.AttemptState][]returns.AttemptState{
	returns.AttemptPrepared:        nil,
	returns.AttemptSent:            {returns.AttemptSent},
	returns.AttemptApproved:        {returns.AttemptSent, returns.AttemptApproved},
	returns.AttemptDeclined:        {returns.AttemptSent, returns.AttemptDeclined},
	returns.AttemptUnknown:         {returns.AttemptSent, returns.AttemptUnknown},
	returns.AttemptReversalPending: {returns.AttemptSent, returns.AttemptUnknown, returns.AttemptReversalPending},
	returns.AttemptReversed:        {returns.AttemptSent, returns.AttemptUnknown, returns.AttemptReversalPending, returns.AttemptReversed},
	returns.AttemptEscalated:       {returns.AttemptSent, returns.AttemptUnknown, returns.AttemptReversalPending, returns.AttemptEscalated},
	db.AttemptConfirmedReversed:    {returns.AttemptSent, returns.AttemptUnknown, returns.AttemptEscalated, db.AttemptConfirmedReversed},
	db.AttemptConfirmedApproved:    {returns.AttemptSent, returns.AttemptUnknown, returns.AttemptEscalated, db.AttemptConfirmedApproved},
	db.AttemptConfirmedNotReceived: {returns.AttemptSent, returns.AttemptUnknown, returns.AttemptEscalated, db.AttemptConfirmedNotReceived},
}

// Rule 1: a settled attempt never moves again; a late answer cannot turn a
// reversed or declined attempt into a paying one.
func TestRuleSettledAttemptsNeverMove(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		s := newSale(t, d, "rules")
		for state, path := range paths {
			a := s.mustAttempt(s.refund(10), 10, path...)
			if a.State != state {
				t.Fatalf("reached %s, want %s", a.State, state)
			}
			for _, to := range []returns.AttemptState{returns.AttemptApproved, db.AttemptConfirmedApproved, returns.AttemptSent, returns.AttemptReversed} {
				moved, err := d.Refunds.MoveAttempt(ctx, a.ID, to, nil)
				if err != nil {
					t.Fatal(err)
				}
				if moved != db.AttemptMayMove(state, to) {
					t.Errorf("%s → %s moved %v; the rules say %v", state, to, moved, db.AttemptMayMove(state, to))
				}
				if moved {
					break
				}
			}
		}
		for _, final := range []returns.AttemptState{returns.AttemptApproved, returns.AttemptDeclined, returns.AttemptReversed, db.AttemptConfirmedApproved,
			db.AttemptConfirmedReversed, db.AttemptConfirmedNotReceived} {
			for _, to := range []returns.AttemptState{returns.AttemptPrepared, returns.AttemptSent, returns.AttemptApproved, returns.AttemptDeclined, returns.AttemptUnknown,
				returns.AttemptReversalPending, returns.AttemptReversed, returns.AttemptEscalated, db.AttemptConfirmedApproved} {
				if db.AttemptMayMove(final, to) {
					t.Errorf("%s is settled but may move to %s", final, to)
				}
			}
		}
	})
}

// Rule 2: at most one attempt of a refund pays, whatever writes the rows.
func TestRuleOnePayingAttemptPerRefund(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		s := newSale(t, d, "paid")
		ref := s.refund(1000)
		first := s.mustAttempt(ref, 1000, returns.AttemptSent, returns.AttemptApproved)
		// A second attempt slipped in past the other rules (a bug, a hand
		// edit) cannot pay too.
		second := db.NewID()
		must(t, d.Exec(ctx, "INSERT INTO refund_attempts (id, refund_id, n, kind, amount, state, terminal_id, stan, stan_day, created_at, updated_at) "+
			"VALUES (?, ?, 2, 'refund', 1000, 'sent', 'pV000001', '000777', '2026-01-01', ?, ?)", second, ref.ID, time.Now().UTC(), time.Now().UTC()))
		moved, err := d.Refunds.MoveAttempt(ctx, second, returns.AttemptApproved, nil)
		if moved || !errors.Is(err, db.ErrAlreadyPaid) {
			t.Fatalf("a second paying attempt: moved %v, %v; want ErrAlreadyPaid", moved, err)
		}
		if paid, err := d.Refunds.PayingAttempt(ctx, ref.ID); err != nil || paid == nil || paid.ID != first.ID {
			t.Fatalf("paying attempt %+v, %v; want the first", paid, err)
		}
	})
}

// Rule 3: a new attempt only when every earlier one of the refund cleared.
func TestRuleNewAttemptOnlyWhenEveryEarlierOneCleared(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		s := newSale(t, d, "next")
		for state, path := range paths {
			ref := s.refund(10)
			s.mustAttempt(ref, 10, path...)
			_, err := s.attempt(ref, 10)
			if db.AttemptClears(state) {
				if err != nil {
					t.Errorf("after a %s attempt: %v; want a new attempt", state, err)
				}
				continue
			}
			var rule *db.RuleError
			if !errors.Is(err, db.ErrAttemptBlocked) || !errors.As(err, &rule) {
				t.Errorf("after a %s attempt: %v; want ErrAttemptBlocked", state, err)
			}
		}
	})
}

// Rule 4: what every refund of a payment pays or may pay stays within it,
// across returns.
func TestRuleAttemptsNeverExceedThePayment(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		s := newSale(t, d, "cap")
		a, b, c := s.refund(2500), s.refund(1500), s.refund(100)
		inFlight := s.mustAttempt(a, 2500, returns.AttemptSent, returns.AttemptUnknown)
		s.mustAttempt(b, 1500, returns.AttemptSent, returns.AttemptApproved)
		if _, err := s.attempt(c, 100); !errors.Is(err, db.ErrExceedsPayment) {
			t.Fatalf("4000 paid or in doubt of 4000, 100 more: %v; want ErrExceedsPayment", err)
		}
		// The attempt in doubt is reversed: its 2500 are free again.
		s.move(inFlight, returns.AttemptReversalPending, returns.AttemptReversed)
		s.mustAttempt(c, 100, returns.AttemptSent, returns.AttemptApproved)
		if _, err := s.attempt(a, 2401); !errors.Is(err, db.ErrExceedsPayment) {
			t.Fatalf("1600 paid of 4000, 2401 more: %v; want ErrExceedsPayment", err)
		}
		if _, err := s.attempt(a, 2400); err != nil {
			t.Fatalf("1600 paid of 4000, 2400 more: %v", err)
		}
	})
}

// Rules 3 and 4 hold when attempts are made at once: of racing attempts of
// one refund exactly one is made, and of racing attempts of the refunds of
// one payment only as many as the payment has left for.
func TestRulesHoldUnderConcurrentAttempts(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		s := newSale(t, d, "race")
		// race runs try for each of n goroutines at once and answers the
		// attempts made and the errors of the others.
		race := func(n int, try func(i int) (*db.RefundAttempt, error)) (won []*db.RefundAttempt, lost []error) {
			var (
				wg    sync.WaitGroup
				mu    sync.Mutex
				start = make(chan struct{})
			)
			for i := range n {
				wg.Go(func() {
					<-start
					a, err := try(i)
					mu.Lock()
					defer mu.Unlock()
					if err != nil {
						lost = append(lost, err)
					} else {
						won = append(won, a)
					}
				})
			}
			close(start)
			wg.Wait()
			return won, lost
		}
		// Rule 3: eight attempts of one refund; the first blocks the others.
		one := s.refund(1000)
		won, lost := race(8, func(int) (*db.RefundAttempt, error) { return s.attempt(one, 1000) })
		if len(won) != 1 || len(lost) != 7 {
			t.Fatalf("racing attempts of one refund: %d made, %d refused; want 1 and 7", len(won), len(lost))
		}
		for _, err := range lost {
			if !errors.Is(err, db.ErrAttemptBlocked) {
				t.Fatalf("a racing attempt of one refund: %v; want ErrAttemptBlocked", err)
			}
		}
		// Rule 4: 1000 of 4000 are under way; eight returns ask 2000 each
		// at once: one fits.
		refunds := make([]*db.Refund, 8)
		for i := range refunds {
			refunds[i] = s.refund(2000)
		}
		won, lost = race(len(refunds), func(i int) (*db.RefundAttempt, error) { return s.attempt(refunds[i], 2000) })
		if len(won) != 1 || len(lost) != 7 {
			t.Fatalf("racing attempts of one payment: %d made, %d refused; want 1 and 7", len(won), len(lost))
		}
		for _, err := range lost {
			if !errors.Is(err, db.ErrExceedsPayment) {
				t.Fatalf("a racing attempt beyond the payment: %v; want ErrExceedsPayment", err)
			}
		}
		var total int64
		for _, ref := range append(refunds, one) {
			as, err := d.Refunds.AttemptsOfRefund(ctx, ref.ID)
			must(t, err)
			for _, a := range as {
				total += a.Amount
			}
		}
		if total != 3000 {
			t.Fatalf("attempts of the payment total %d; want 3000 of its 4000", total)
		}
	})
}

// Rule 4 counts money finance marked refunded outside Rebound: a succeeded
// refund none of whose attempts paid takes its amount from the payment, for
// new attempts and for "mark refunded" alike; a refund paid by its attempt
// counts once.
func TestRuleMarkedRefundedCountsAgainstThePayment(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		s := newSale(t, d, "marked")
		now := time.Now()
		fail := func(ref *db.Refund) {
			must(t, d.Refunds.FinishRefund(ctx, ref.ID, returns.RefundStatusFailed, "refund_workflow_failed", now))
		}
		mark := func(ref *db.Refund) error {
			_, err := d.Refunds.ResolveFailedRefund(ctx, ref.ID, db.ResolveMarkRefunded, "fin", now)
			return err
		}
		// 2500 declined, then paid at the till: finance marks it refunded.
		outside := s.refund(2500)
		s.mustAttempt(outside, 2500, returns.AttemptSent, returns.AttemptDeclined)
		fail(outside)
		must(t, mark(outside))
		// 1500 are left: an attempt of 2000 is refused, 1000 goes and pays.
		paid := s.refund(2000)
		if _, err := s.attempt(paid, 2000); !errors.Is(err, db.ErrExceedsPayment) {
			t.Fatalf("2500 marked refunded of 4000, 2000 more: %v; want ErrExceedsPayment", err)
		}
		s.mustAttempt(paid, 1000, returns.AttemptSent, returns.AttemptApproved)
		must(t, d.Refunds.FinishRefund(ctx, paid.ID, returns.RefundStatusSucceeded, "", now))
		// The refund its attempt paid counts once: 500 are left.
		last := s.refund(500)
		s.mustAttempt(last, 500, returns.AttemptSent, returns.AttemptDeclined)
		fail(last)
		must(t, mark(last))
		if got, err := d.Refunds.RefundByID(ctx, last.ID); err != nil || got.Status != returns.RefundStatusSucceeded || got.FailureCode != "marked_refunded" {
			t.Fatalf("the last 500 marked refunded: %+v, %v", got, err)
		}
		// Nothing is left: marking one more refunded is refused and leaves
		// it failed; no attempt may go either.
		over := s.refund(100)
		fail(over)
		if err := mark(over); !errors.Is(err, db.ErrExceedsPayment) {
			t.Fatalf("4000 of 4000 refunded, 100 more marked refunded: %v; want ErrExceedsPayment", err)
		}
		if got, err := d.Refunds.RefundByID(ctx, over.ID); err != nil || got.Status != returns.RefundStatusFailed {
			t.Fatalf("the refused refund: %+v, %v; want it still failed", got, err)
		}
		if _, err := s.attempt(s.refund(1), 1); !errors.Is(err, db.ErrExceedsPayment) {
			t.Fatalf("4000 of 4000 refunded, 1 more: %v; want ErrExceedsPayment", err)
		}
	})
}

// Rule 5: finance's resolutions never send money an attempt may have paid.
func TestRuleFinanceResolutionsNeverPayTwice(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		s := newSale(t, d, "fin")
		now := time.Now()
		fail := func(ref *db.Refund) {
			must(t, d.Refunds.FinishRefund(ctx, ref.ID, returns.RefundStatusFailed, "refund_workflow_failed", now))
		}
		// An approved attempt whose workflow then failed: a retry records
		// it as the refund (nothing new is sent); store credit is refused.
		paid := s.refund(1000)
		approved := s.mustAttempt(paid, 1000, returns.AttemptSent, returns.AttemptApproved)
		fail(paid)
		if _, err := d.Refunds.ResolveFailedRefund(ctx, paid.ID, db.ResolveStoreCredit, "fin", now); !errors.Is(err, db.ErrAlreadyPaid) {
			t.Fatalf("store credit over a paying attempt: %v; want ErrAlreadyPaid", err)
		}
		res, err := d.Refunds.ResolveFailedRefund(ctx, paid.ID, db.ResolveRetry, "fin", now)
		if err != nil || res.PaidBy == nil || res.PaidBy.ID != approved.ID || res.Refund.Status != returns.RefundStatusSucceeded {
			t.Fatalf("retry over a paying attempt: %+v, %v; want it paid by attempt %d", res, err, approved.N)
		}
		if _, err := s.attempt(paid, 1000); !errors.Is(err, db.ErrAttemptBlocked) {
			t.Fatalf("a new attempt after the paying one: %v", err)
		}
		// An attempt in doubt blocks every resolution.
		doubt := s.refund(1000)
		escalated := s.mustAttempt(doubt, 1000, returns.AttemptSent, returns.AttemptUnknown, returns.AttemptEscalated)
		fail(doubt)
		for _, action := range []string{db.ResolveRetry, db.ResolveMarkRefunded, db.ResolveStoreCredit} {
			if _, err := d.Refunds.ResolveFailedRefund(ctx, doubt.ID, action, "fin", now); !errors.Is(err, db.ErrAttemptBlocked) {
				t.Fatalf("%s with an escalated attempt: %v; want ErrAttemptBlocked", action, err)
			}
		}
		// Finance's evidence settles it: never received, so a retry may send.
		moved, err := d.Refunds.ResolveAttempt(ctx, escalated.ID, db.Evidence{State: db.AttemptConfirmedNotReceived, By: "fin",
			Note: "acquirer's report of 2 Dec shows no such STAN", At: now})
		if err != nil || !moved {
			t.Fatalf("resolve the escalated attempt: %v, %v", moved, err)
		}
		res, err = d.Refunds.ResolveFailedRefund(ctx, doubt.ID, db.ResolveRetry, "fin", now)
		if err != nil || res.PaidBy != nil || res.Refund.Status != returns.RefundStatusPending {
			t.Fatalf("retry after the evidence: %+v, %v", res, err)
		}
		s.mustAttempt(doubt, 1000, returns.AttemptSent, returns.AttemptApproved)
		// An attempt a terminated run left in doubt lets a retry through (its
		// run reverses it before anything new) but nothing else.
		orphan := s.refund(500)
		s.mustAttempt(orphan, 500, returns.AttemptSent, returns.AttemptUnknown)
		fail(orphan)
		for _, action := range []string{db.ResolveMarkRefunded, db.ResolveStoreCredit} {
			if _, err := d.Refunds.ResolveFailedRefund(ctx, orphan.ID, action, "fin", now); !errors.Is(err, db.ErrAttemptBlocked) {
				t.Fatalf("%s with an attempt in doubt: %v; want ErrAttemptBlocked", action, err)
			}
		}
		if res, err := d.Refunds.ResolveFailedRefund(ctx, orphan.ID, db.ResolveRetry, "fin", now); err != nil || res.Refund.Status != returns.RefundStatusPending {
			t.Fatalf("retry over an orphan in doubt: %+v, %v", res, err)
		}
		if _, err := s.attempt(orphan, 500); !errors.Is(err, db.ErrAttemptBlocked) {
			t.Fatalf("a new attempt beside the orphan in doubt: %v; want ErrAttemptBlocked", err)
		}
		// Only 1500 of 4000 are left: a failed refund of 2500 cannot reopen.
		big := s.refund(2500)
		fail(big)
		if _, err := d.Refunds.ResolveFailedRefund(ctx, big.ID, db.ResolveRetry, "fin", now); !errors.Is(err, db.ErrExceedsPayment) {
			t.Fatalf("retry beyond what is left: %v; want ErrExceedsPayment", err)
		}
		got, err := d.Refunds.AttemptByID(ctx, escalated.ID)
		if err != nil || got.Resolution != db.AttemptConfirmedNotReceived || got.ResolvedBy != "fin" || got.ResolutionNote == "" {
			t.Fatalf("the resolution is not on the attempt: %+v, %v", got, err)
		}
	})
}

// A payment belongs to one merchant: its references cannot be registered by
// another, nor a sale on another merchant's terminal.
func TestPaymentsBelongToOneMerchant(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		a := newSale(t, d, "alpha")
		b := newSale(t, d, "beta")
		order := func(number string, p *db.Payment) *db.Order {
			return &db.Order{MerchantID: b.m.ID, OrderNumber: number, Currency: "EUR", PlacedAt: a.order.PlacedAt, RequestHash: number,
				Lines: []db.OrderLine{{LineID: "1", Name: "x", Quantity: 1, UnitPrice: 4000}}, Payment: p}
		}
		card := func(terminal, stan, rrn string) *db.Payment {
			return &db.Payment{Channel: returns.ChannelCardPresent, Amount: 4000, Currency: "EUR", TerminalID: terminal, STAN: stan, RRN: rrn,
				ApprovalCode: "AP0001", MaskedPAN: "411111******1111", CardFingerprint: "fp_0000001"}
		}
		ap := a.order.Payment
		for i, c := range []struct {
			name string
			p    *db.Payment
			want error
		}{
			{"alpha's terminal", card(ap.TerminalID, "000099", "b00000000099"), db.ErrForeignTerminal},
			{"alpha's RRN", card("bP000001", "000099", ap.RRN), db.ErrPaymentTaken},
			{"no such terminal", card("ZZ000001", "000099", "b00000000098"), db.ErrForeignTerminal},
			{"beta's own sale", card("bP000001", "000099", "b00000000099"), nil},
			{"the same sale again", card("bP000001", "000099", "b00000000097"), db.ErrPaymentTaken},
		} {
			err := d.Orders.CreateOrder(ctx, order(fmt.Sprintf("X-%d", i), c.p))
			if c.want == nil && err != nil || c.want != nil && !errors.Is(err, c.want) {
				t.Errorf("%s: %v; want %v", c.name, err, c.want)
			}
		}
		online := &db.Payment{Channel: returns.ChannelOnline, Amount: 4000, Currency: "EUR", GatewayPaymentID: "pay_alpha_1"}
		must(t, d.Orders.CreateOrder(ctx, &db.Order{MerchantID: a.m.ID, OrderNumber: "W-1", Currency: "EUR", PlacedAt: time.Now(), RequestHash: "w",
			Lines: []db.OrderLine{{LineID: "1", Name: "x", Quantity: 1, UnitPrice: 4000}}, Payment: online}))
		stolen := &db.Payment{Channel: returns.ChannelOnline, Amount: 4000, Currency: "EUR", GatewayPaymentID: "pay_alpha_1"}
		if err := d.Orders.CreateOrder(ctx, order("W-2", stolen)); !errors.Is(err, db.ErrPaymentTaken) {
			t.Fatalf("beta registers alpha's gateway payment: %v; want ErrPaymentTaken", err)
		}
		// Registering one's own order again is still a plain conflict.
		again := &db.Order{MerchantID: a.m.ID, OrderNumber: "W-1", Currency: "EUR", PlacedAt: time.Now(), RequestHash: "w",
			Lines:   []db.OrderLine{{LineID: "1", Name: "x", Quantity: 1, UnitPrice: 4000}},
			Payment: &db.Payment{Channel: returns.ChannelOnline, Amount: 4000, Currency: "EUR", GatewayPaymentID: "pay_alpha_1"}}
		if err := d.Orders.CreateOrder(ctx, again); !errors.Is(err, db.ErrConflict) || errors.Is(err, db.ErrPaymentTaken) {
			t.Fatalf("the same order again: %v; want ErrConflict", err)
		}
	})
}

// A gateway account refunds for one merchant: two merchants whose accounts
// (their own, or their slugs when they name none) are the same cannot both
// be stored, even when onboarding's check is raced past.
func TestAGatewayAccountBelongsToOneMerchant(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		seedMerchant(t, d, "gamma")
		own := &db.Merchant{Slug: "delta", Name: "Delta", GatewayAccount: "deltaeu", Policy: db.JSON(`{}`)}
		must(t, d.Merchants.CreateMerchant(ctx, own))
		for _, m := range []*db.Merchant{
			{Slug: "epsilon", Name: "E", GatewayAccount: "gamma", Policy: db.JSON(`{}`)}, // gamma's slug, its account
			{Slug: "zeta", Name: "Z", GatewayAccount: "deltaeu", Policy: db.JSON(`{}`)},  // delta's own account
			{Slug: "deltaeu", Name: "D", Policy: db.JSON(`{}`)},                          // a slug that is delta's account
		} {
			if err := d.Merchants.CreateMerchant(ctx, m); !errors.Is(err, db.ErrConflict) {
				t.Errorf("%s with account %q: %v; want a conflict", m.Slug, m.GatewayAccountName(), err)
			}
		}
		must(t, d.Merchants.CreateMerchant(ctx, &db.Merchant{Slug: "eta", Name: "Eta", GatewayAccount: "eta_eu", Policy: db.JSON(`{}`)}))
	})
}
