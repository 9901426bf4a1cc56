package db_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/rebound-returns/rebound/db"
	"github.com/rebound-returns/rebound/db/dbtest"
	"github.com/rebound-returns/rebound/returns"
)

// A settlement file of the acquirer settles the merchant's attempts in
// doubt: one a row matches paid (confirmed_approved); an escalated one sent
// on or before the last day due that no file shows never reached the
// acquirer (confirmed_not_received); one still within the window stays
// escalated.
func TestSettleDoubtsEndsEscalatedAttemptsWithTheFile(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		s := newSale(t, d, "settle")
		escalated := []returns.AttemptState{returns.AttemptSent, returns.AttemptUnknown, returns.AttemptReversalPending, returns.AttemptEscalated}
		// sent brings an attempt of 1000 to escalated, sent on day.
		sent := func(day, rrn string) *db.RefundAttempt {
			a := s.mustAttempt(s.refund(1000), 1000, escalated...)
			must(t, d.Refunds.SetAttempt(ctx, a.ID, map[string]any{"transmitted_day": day, "rrn": rrn}))
			a, err := d.Refunds.AttemptByID(ctx, a.ID)
			must(t, err)
			return a
		}
		const lastDue = "2026-11-24"
		settled := sent("2026-11-23", "s00000000001")
		absent := sent("2026-11-23", "s00000000002")
		recent := sent("2026-11-25", "s00000000003")

		f := &db.SettlementFile{MerchantID: s.m.ID, Source: db.SourceAcquirer, Filename: "settle-20261126.csv"}
		must(t, d.Settlement.CreateSettlementFile(ctx, f))
		_, err := d.Settlement.StageItems(ctx, &itemList{items: []db.SettlementItem{{FileID: f.ID, Line: 2, SettlementDay: "2026-11-26",
			TransactionDay: settled.TransmittedDay, TerminalID: settled.TerminalID, STAN: settled.STAN, RRN: settled.RRN,
			ProcessingCode: "200000", Amount: settled.Amount, Currency: "EUR"}}})
		must(t, err)
		must(t, d.Settlement.MatchSettlementFile(ctx, f))
		at := time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)
		moved, err := d.Settlement.SettleDoubts(ctx, f, lastDue, at)
		must(t, err)
		var ids []string
		for _, m := range moved {
			if m.State != returns.AttemptEscalated {
				t.Errorf("moved attempt %d answered as %s; want as it was, escalated", m.N, m.State)
			}
			ids = append(ids, m.ID)
		}
		if len(ids) != 2 || !slices.Contains(ids, settled.ID) || !slices.Contains(ids, absent.ID) {
			t.Fatalf("moved %v; want the settled attempt %s and the absent one %s", ids, settled.ID, absent.ID)
		}
		for _, c := range []struct {
			name string
			a    *db.RefundAttempt
			want returns.AttemptState
		}{
			{"the attempt the file shows", settled, db.AttemptConfirmedApproved},
			{"the attempt absent past the window", absent, db.AttemptConfirmedNotReceived},
			{"the attempt absent within the window", recent, returns.AttemptEscalated},
		} {
			got, err := d.Refunds.AttemptByID(ctx, c.a.ID)
			must(t, err)
			if got.State != c.want {
				t.Errorf("%s: %s; want %s", c.name, got.State, c.want)
			}
			if c.want == returns.AttemptEscalated {
				if got.Resolution != "" || got.ResolvedAt != nil {
					t.Errorf("%s: resolved %+v; want untouched", c.name, got)
				}
				continue
			}
			if got.Resolution != c.want || got.ResolvedBy != "reconciliation" || got.ResolvedAt == nil || !got.ResolvedAt.Equal(at) ||
				got.ResolutionNote == "" {
				t.Errorf("%s: resolution %q by %q at %v (%q); want %s by reconciliation at %v", c.name, got.Resolution, got.ResolvedBy,
					got.ResolvedAt, got.ResolutionNote, c.want, at)
			}
		}
		// The settled attempt pays its refund; a second run moves nothing.
		if paid, err := d.Refunds.PayingAttempt(ctx, settled.RefundID); err != nil || paid == nil || paid.ID != settled.ID {
			t.Fatalf("paying attempt %+v, %v; want the settled one", paid, err)
		}
		again, err := d.Settlement.SettleDoubts(ctx, f, lastDue, at)
		if err != nil || len(again) != 0 {
			t.Fatalf("a second run moved %+v, %v; want nothing", again, err)
		}
	})
}
