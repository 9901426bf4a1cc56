package activities_test

import (
	"context"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/rebound-returns/rebound/activities"
	"github.com/rebound-returns/rebound/db"
	"github.com/rebound-returns/rebound/db/dbtest"
	"github.com/rebound-returns/rebound/pos"
	"github.com/rebound-returns/rebound/returns"
)

// lateShop is a card sale of 10000 on the merchant's terminal; each case
// of a test refunds part of it with an attempt of its own.
type lateShop struct {
	t     *testing.T
	d     *db.DB
	m     *db.Merchant
	order *db.Order
}

const lateTerminal = "LV000001"

func newLateShop(t *testing.T, d *db.DB) *lateShop {
	t.Helper()
	ctx := context.Background()
	m := &db.Merchant{Slug: "late", Name: "Late"}
	must(t, d.Merchants.CreateMerchant(ctx, m))
	st := &db.Store{MerchantID: m.ID, Code: "main", Name: "Main"}
	must(t, d.Merchants.CreateStore(ctx, st))
	must(t, d.Merchants.CreateTerminal(ctx, &db.Terminal{MerchantID: m.ID, StoreID: st.ID, TerminalID: lateTerminal, Kind: db.TerminalVirtual}))
	must(t, d.Merchants.CreateTerminal(ctx, &db.Terminal{MerchantID: m.ID, StoreID: st.ID, TerminalID: "LP000001", Kind: db.TerminalPhysical}))
	o := &db.Order{MerchantID: m.ID, OrderNumber: "L-1", Currency: "EUR", PlacedAt: time.Now().Add(-48 * time.Hour), RequestHash: "h",
		Lines: []db.OrderLine{{LineID: "1", Name: "x", Quantity: 10, UnitPrice: 1000}},
		Payment: &db.Payment{Channel: returns.ChannelCardPresent, Amount: 10000, Currency: "EUR", TerminalID: "LP000001",
			STAN: "000042", RRN: "l00000000042", ApprovalCode: "AP0001", MaskedPAN: "411111******1111", CardFingerprint: "fp_0000001"}}
	must(t, d.Orders.CreateOrder(ctx, o))
	return &lateShop{t: t, d: d, m: m, order: o}
}

// attempt refunds 1000 of the sale by one attempt brought along states,
// with its reversal's STAN when reversed says so.
func (s *lateShop) attempt(reversed bool, states ...returns.AttemptState) *db.RefundAttempt {
	s.t.Helper()
	ctx := context.Background()
	r := &db.Return{MerchantID: s.m.ID, OrderID: s.order.ID, Status: "refund_pending", Method: "in_store", Contact: "a@b.c",
		ContactKind: "email", Currency: "EUR", Lines: []db.ReturnLine{{LineID: "1", Quantity: 1, Reason: "other"}}}
	must(s.t, s.d.Returns.CreateReturn(ctx, r))
	ref, err := s.d.Refunds.CreateRefund(ctx, &db.Refund{ID: db.NewID(), ReturnID: r.ID, OrderID: s.order.ID, MerchantID: s.m.ID,
		Channel: returns.ChannelCardPresent, Amount: 1000, Currency: "EUR", Status: returns.RefundStatusPending, Quote: db.JSON("{}")})
	must(s.t, err)
	a, err := s.d.Refunds.CreateAttempt(ctx, &db.RefundAttempt{ID: db.NewID(), RefundID: ref.ID, Kind: returns.AttemptRefund,
		Amount: 1000, TerminalID: lateTerminal}, time.Now())
	must(s.t, err)
	for _, st := range states {
		if moved, err := s.d.Refunds.MoveAttempt(ctx, a.ID, st, nil); err != nil || !moved {
			s.t.Fatalf("move to %s: %v, %v", st, moved, err)
		}
	}
	if reversed {
		_, err = s.d.Refunds.ReversalSTAN(ctx, a.ID, time.Now())
		must(s.t, err)
	}
	a, err = s.d.Refunds.AttemptByID(ctx, a.ID)
	must(s.t, err)
	return a
}

// answer is a late answer of mti with code to the attempt's message (0210)
// or its reversal (0410).
func answer(a *db.RefundAttempt, mti, code string) pos.Response {
	stan := a.STAN
	if mti == pos.MTIReversalResponse {
		stan = a.ReversalSTAN
	}
	return pos.Response{MTI: mti, TerminalID: a.TerminalID, STAN: stan, ResponseCode: code}
}

// itemsOf are the work items about an attempt.
func itemsOf(t *testing.T, d *db.DB, merchantID, attemptID string) []db.WorkItem {
	t.Helper()
	p, err := d.Finance.WorkItems(context.Background(), db.WorkItemFilter{MerchantID: merchantID, Limit: db.CountCap})
	must(t, err)
	var out []db.WorkItem
	for _, w := range p.Items {
		if w.AttemptID != nil && *w.AttemptID == attemptID {
			out = append(out, w)
		}
	}
	return out
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// A late answer that contradicts what Rebound holds becomes a finance work
// item of its kind; a late acknowledgement of an escalated attempt's
// reversal ends it confirmed reversed and closes its work items. The
// attempt's state never moves from a settled one.
func TestLateAnswersThatContradictBecomeWorkItems(t *testing.T) {
	t.Parallel()
	sent, unknown, pending := returns.AttemptSent, returns.AttemptUnknown, returns.AttemptReversalPending
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		s := newLateShop(t, d)
		metrics := activities.NewMetrics(nil)
		late := activities.LateResponses{DB: d, Metrics: metrics}
		for _, c := range []struct {
			name     string
			reversed bool
			path     []returns.AttemptState
			mti      string
			kind     string // the work item opened, "" none
			state    returns.AttemptState
		}{
			{"a 0410 approved on an approved attempt", true, []returns.AttemptState{sent, returns.AttemptApproved},
				pos.MTIReversalResponse, "conflicting_answer", returns.AttemptApproved},
			{"a 0210 approval on a declined attempt", false, []returns.AttemptState{sent, returns.AttemptDeclined},
				pos.MTIRequestResponse, "conflicting_answer", returns.AttemptDeclined},
			{"a 0210 approval on an attempt confirmed never received", false, []returns.AttemptState{sent, unknown, returns.AttemptEscalated, db.AttemptConfirmedNotReceived},
				pos.MTIRequestResponse, "conflicting_answer", db.AttemptConfirmedNotReceived},
			{"a 0210 approval after the reversal", true, []returns.AttemptState{sent, unknown, pending, returns.AttemptReversed},
				pos.MTIRequestResponse, "late_approval", returns.AttemptReversed},
			{"a 0210 approval on an approved attempt", false, []returns.AttemptState{sent, returns.AttemptApproved},
				pos.MTIRequestResponse, "", returns.AttemptApproved},
		} {
			a := s.attempt(c.reversed, c.path...)
			late.Record(answer(a, c.mti, pos.CodeApproved))
			got, err := d.Refunds.AttemptByID(ctx, a.ID)
			must(t, err)
			if got.State != c.state || got.LateMTI != c.mti || got.LateResponseCode != pos.CodeApproved || got.LateAt == nil {
				t.Errorf("%s: attempt %s, late %s %s at %v; want %s with the late answer noted", c.name, got.State, got.LateMTI,
					got.LateResponseCode, got.LateAt, c.state)
			}
			items := itemsOf(t, d, s.m.ID, a.ID)
			if c.kind == "" {
				if len(items) != 0 {
					t.Errorf("%s: work items %+v; want none", c.name, items)
				}
				continue
			}
			if len(items) != 1 || items[0].Kind != c.kind || items[0].Status != db.WorkOpen || items[0].RefundID == nil ||
				*items[0].RefundID != a.RefundID || items[0].ReturnID == nil {
				t.Errorf("%s: work items %+v; want one open %s about the refund", c.name, items, c.kind)
			}
			// The same answer again files nothing more.
			late.Record(answer(a, c.mti, pos.CodeApproved))
			if again := itemsOf(t, d, s.m.ID, a.ID); len(again) != 1 {
				t.Errorf("%s repeated: %d work items; want 1", c.name, len(again))
			}
		}
		if n := testutil.ToFloat64(metrics.LateAnswers.WithLabelValues("conflicting_answer")); n != 6 {
			t.Errorf("conflicting answers counted %v; want 6", n)
		}
		if n := testutil.ToFloat64(metrics.LateAnswers.WithLabelValues("late_approval")); n != 2 {
			t.Errorf("late approvals counted %v; want 2", n)
		}

		// An escalated attempt whose reversal the acquirer acknowledges late
		// ends confirmed reversed, and finance's work item about it closes.
		esc := s.attempt(true, sent, unknown, pending, returns.AttemptEscalated)
		must(t, d.Finance.OpenWorkItem(ctx, &db.WorkItem{DedupeKey: "esc/" + esc.ID, MerchantID: s.m.ID, Kind: "reversal_unacknowledged",
			RefundID: &esc.RefundID, AttemptID: &esc.ID, Summary: "its reversal was never acknowledged"}))
		late.Record(answer(esc, pos.MTIReversalResponse, pos.CodeApproved))
		got, err := d.Refunds.AttemptByID(ctx, esc.ID)
		must(t, err)
		if got.State != db.AttemptConfirmedReversed || got.Resolution != db.AttemptConfirmedReversed || got.ResolvedBy != "acquirer" || got.ResolutionNote == "" {
			t.Fatalf("escalated attempt after a late 0410 00: %+v; want confirmed_reversed by the acquirer", got)
		}
		items := itemsOf(t, d, s.m.ID, esc.ID)
		if len(items) != 1 || items[0].Status != db.WorkResolved || items[0].Resolution != string(db.AttemptConfirmedReversed) {
			t.Fatalf("work items %+v; want the escalation's resolved confirmed_reversed", items)
		}
		// Its refund may go again: the attempt cleared.
		if _, err := d.Refunds.CreateAttempt(ctx, &db.RefundAttempt{ID: db.NewID(), RefundID: esc.RefundID, Kind: returns.AttemptRefund,
			Amount: 1000, TerminalID: lateTerminal}, time.Now()); err != nil {
			t.Fatalf("a new attempt after the confirmed reversal: %v", err)
		}
	})
}
