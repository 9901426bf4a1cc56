package db_test

import (
	"context"
	"regexp"
	"slices"
	"testing"
	"time"

	"github.com/rebound-returns/rebound/db"
	"github.com/rebound-returns/rebound/db/dbtest"
	"github.com/rebound-returns/rebound/returns"
)

// The summary's days are UTC dates (YYYY-MM-DD) on both engines, one per
// day that has refunds, whatever time of day the refunds were made — the
// finance chart draws one bar per day it answers (issue 18: SQLite's
// answered a day as "2026-12-02T00:00:00Z" beside it).
func TestRefundSummaryDaysAreDates(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		s, r, _ := shownReturn(t, d)
		now := time.Now().UTC()
		yesterday := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC).Add(-time.Hour) // 23:00
		for _, at := range []time.Time{yesterday, yesterday.Add(-22 * time.Hour), time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)} {
			ref, err := d.Refunds.CreateRefund(ctx, &db.Refund{ID: db.NewID(), ReturnID: r.ID, OrderID: s.order.ID, MerchantID: s.m.ID,
				Channel: returns.ChannelCardPresent, Amount: 100, Currency: "EUR", Status: returns.RefundStatusFailed, Quote: db.JSON("{}")})
			must(t, err)
			must(t, d.Exec(ctx, "UPDATE refunds SET created_at = ? WHERE id = ?", at, ref.ID))
		}
		rows, err := d.Finance.RefundSummary(ctx, s.m.ID, time.Time{}, time.Time{})
		must(t, err)
		date := regexp.MustCompile(`^\d{4}-\d{2}-\d{2}$`)
		var days []string
		for _, row := range rows {
			if !date.MatchString(row.Day) {
				t.Errorf("a summary row's day is %q, not a date", row.Day)
			}
			if !slices.Contains(days, row.Day) {
				days = append(days, row.Day)
			}
		}
		want := []string{yesterday.Format(time.DateOnly), now.Format(time.DateOnly)}
		if !slices.Equal(days, want) {
			t.Fatalf("days %v, want %v (rows %+v)", days, want, rows)
		}
		// A day's bounds hold: from today on is today's only.
		rows, err = d.Finance.RefundSummary(ctx, s.m.ID, time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC), time.Time{})
		must(t, err)
		for _, row := range rows {
			if row.Day != now.Format(time.DateOnly) {
				t.Errorf("from today: a row of %q", row.Day)
			}
		}
	})
}
