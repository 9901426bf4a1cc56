package db

import (
	"context"
	"fmt"
	"time"

	"github.com/rebound-returns/rebound/returns"
)

// ListedReturn is a return as the staff's task list shows it, with its
// order's number.
type ListedReturn struct {
	ID, OrderNumber, Status             string
	Method                              returns.Method
	Channel                             returns.Channel
	Attention, TrackingNumber, Currency string
	RefundAmount                        *int64
	CreatedAt, UpdatedAt                time.Time
}

// ListedReturns lists the filter's returns newest first (ids are
// time-ordered) with their orders' numbers, in one statement: only the
// columns the list shows, the number read by the order's primary key.
func (d Returns) ListedReturns(ctx context.Context, f ReturnFilter) ([]ListedReturn, error) {
	q := d.returnsWhere(ctx, f)
	if f.Before != "" {
		q = q.Where("id < ?", f.Before)
	}
	var rs []ListedReturn
	// A scalar subquery rather than a join keeps the filter's columns
	// unambiguous: returnsWhere names returns' columns bare.
	err := d.prepared(q).Select(`returns.id, (SELECT o.order_number FROM orders o WHERE o.id = returns.order_id) AS order_number,
		returns.status, returns.method, returns.channel, returns.attention, returns.tracking_number, returns.currency,
		returns.refund_amount, returns.created_at, returns.updated_at`).
		Order("id DESC").Limit(f.Limit).Scan(&rs).Error
	if err != nil {
		return nil, fmt.Errorf("list returns: %w", err)
	}
	return rs, nil
}
