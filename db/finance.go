package db

import (
	"context"
	"fmt"
	"github.com/rebound-returns/rebound/returns"
	"time"

	"gorm.io/gorm"
)

// RefundSort orders finance's refund list.
type RefundSort string

const (
	SortNewest     RefundSort = "newest"
	SortOldest     RefundSort = "oldest"
	SortAmountDesc RefundSort = "amount_desc"
	SortAmountAsc  RefundSort = "amount_asc"
)

// RefundCursor is where the previous page ended.
type RefundCursor struct {
	CreatedAt time.Time `json:"t,omitempty"`
	Amount    int64     `json:"a,omitempty"`
	ID        string    `json:"id"`
}

// RefundFilter selects refunds for finance.
type RefundFilter struct {
	MerchantID string // "" for every merchant (operators)
	Statuses   []returns.RefundStatus
	Channel    returns.Channel
	From, To   time.Time // created_at, From inclusive, To exclusive; zero = open
	MinAmount  *int64
	MaxAmount  *int64
	Sort       RefundSort
	After      *RefundCursor
	Limit      int
}

// RefundRow is a refund as finance lists it.
type RefundRow struct {
	Refund
	OrderNumber  string
	MerchantSlug string
	Attempts     int
}

// CountRefunds counts the refunds the filter selects (its cursor aside), up
// to CountCap+1.
func (d Finance) CountRefunds(ctx context.Context, f RefundFilter) (int64, error) {
	n, err := d.countCapped(ctx, d.refundsWhere(d.read(ctx).Table("refunds AS r"), f))
	if err != nil {
		return 0, fmt.Errorf("count refunds: %w", err)
	}
	return n, nil
}

// ListRefunds lists refunds by the filter, a page at a time.
func (d Finance) ListRefunds(ctx context.Context, f RefundFilter) ([]RefundRow, error) {
	q := d.read(ctx).Table("refunds AS r").
		Select("r.*, o.order_number AS order_number, m.slug AS merchant_slug, (SELECT COUNT(*) FROM refund_attempts AS a WHERE a.refund_id = r.id) AS attempts").
		Joins("JOIN orders AS o ON o.id = r.order_id").
		Joins("JOIN merchants AS m ON m.id = r.merchant_id")
	q = d.refundsWhere(q, f)
	switch f.Sort {
	case SortOldest:
		if f.After != nil {
			q = q.Where("(r.created_at, r.id) > (?, ?)", f.After.CreatedAt.UTC(), f.After.ID)
		}
		q = q.Order("r.created_at ASC, r.id ASC")
	case SortAmountDesc:
		if f.After != nil {
			q = q.Where("(r.amount, r.id) < (?, ?)", f.After.Amount, f.After.ID)
		}
		q = q.Order("r.amount DESC, r.id DESC")
	case SortAmountAsc:
		if f.After != nil {
			q = q.Where("(r.amount, r.id) > (?, ?)", f.After.Amount, f.After.ID)
		}
		q = q.Order("r.amount ASC, r.id ASC")
	default:
		if f.After != nil {
			q = q.Where("(r.created_at, r.id) < (?, ?)", f.After.CreatedAt.UTC(), f.After.ID)
		}
		q = q.Order("r.created_at DESC, r.id DESC")
	}
	var rows []RefundRow
	if err := q.Limit(f.Limit).Scan(&rows).Error; err != nil {
		return nil, fmt.Errorf("list refunds: %w", err)
	}
	return rows, nil
}

// refundsWhere narrows q (over refunds AS r) to the filter, its cursor aside.
func (d *conn) refundsWhere(q *gorm.DB, f RefundFilter) *gorm.DB {
	if f.MerchantID != "" {
		q = q.Where("r.merchant_id = ?", f.MerchantID)
	}
	if len(f.Statuses) > 0 {
		q = q.Where("r.status IN ?", f.Statuses)
	}
	if f.Channel != "" {
		q = q.Where("r.channel = ?", f.Channel)
	}
	if !f.From.IsZero() {
		q = q.Where("r.created_at >= ?", f.From.UTC())
	}
	if !f.To.IsZero() {
		q = q.Where("r.created_at < ?", f.To.UTC())
	}
	if f.MinAmount != nil {
		q = q.Where("r.amount >= ?", *f.MinAmount)
	}
	if f.MaxAmount != nil {
		q = q.Where("r.amount <= ?", *f.MaxAmount)
	}
	return q
}

// SummaryRow counts and sums refunds of one day, status, channel and currency.
type SummaryRow struct {
	Day      string               `json:"day"`
	Status   returns.RefundStatus `json:"status"`
	Channel  returns.Channel      `json:"channel"`
	Currency string               `json:"currency"`
	Count    int64                `json:"count"`
	Amount   int64                `json:"amount"`
}

// dayOf is the dialect's UTC day (YYYY-MM-DD) of a timestamp column.
func (d *conn) dayOf(column string) string {
	if d.dialect == Postgres {
		return "to_char(" + column + " AT TIME ZONE 'UTC', 'YYYY-MM-DD')"
	}
	return "substr(" + column + ", 1, 10)"
}

// dayText is a day dayOf selected, as YYYY-MM-DD: SQLite's driver hands a
// date-like text back as a time, which database/sql writes out in RFC 3339
// ("2026-12-02T00:00:00Z"), so the same day would otherwise read as two.
func dayText(s string) string {
	if len(s) > len(time.DateOnly) {
		return s[:len(time.DateOnly)]
	}
	return s
}

// RefundSummary counts and sums refunds by day, status, channel and currency.
func (d Finance) RefundSummary(ctx context.Context, merchantID string, from, to time.Time) ([]SummaryRow, error) {
	day := d.dayOf("created_at")
	q := d.with(ctx).Model(&Refund{}).
		Select(day + " AS day, status, channel, currency, COUNT(*) AS count, COALESCE(SUM(amount), 0) AS amount")
	if merchantID != "" {
		q = q.Where("merchant_id = ?", merchantID)
	}
	if !from.IsZero() {
		q = q.Where("created_at >= ?", from.UTC())
	}
	if !to.IsZero() {
		q = q.Where("created_at < ?", to.UTC())
	}
	var rows []SummaryRow
	if err := q.Group(day + ", status, channel, currency").Order("day, status, channel, currency").Scan(&rows).Error; err != nil {
		return nil, fmt.Errorf("refund summary: %w", err)
	}
	for i := range rows {
		rows[i].Day = dayText(rows[i].Day)
	}
	return rows, nil
}

// WorkItemByID reads a work item.
func (d Finance) WorkItemByID(ctx context.Context, id string) (*WorkItem, error) {
	var w WorkItem
	if err := d.with(ctx).Where("id = ?", id).Take(&w).Error; err != nil {
		return nil, fmt.Errorf("work item %s: %w", id, translate(err))
	}
	return &w, nil
}

// ResolveWorkItem closes an open work item once; it reports whether it did.
func (d Finance) ResolveWorkItem(ctx context.Context, id, resolution, note, by string) (bool, error) {
	res := d.with(ctx).Model(&WorkItem{}).Where("id = ? AND status = ?", id, WorkOpen).
		Updates(map[string]any{"status": WorkResolved, "resolution": resolution, "note": note, "resolved_by": by, "resolved_at": time.Now().UTC()})
	if res.Error != nil {
		return false, fmt.Errorf("resolve work item %s: %w", id, res.Error)
	}
	return res.RowsAffected == 1, nil
}
