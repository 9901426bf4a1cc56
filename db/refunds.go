package db

import (
	"context"
	"errors"
	"fmt"
	"github.com/rebound-returns/rebound/returns"
	"time"

	"gorm.io/gorm/clause"
)

// LockOrder takes the order's row lock until the transaction ends, so that
// reservations and refunds on one order happen one at a time. (SQLite's
// transactions already hold the database's one write lock.)
func (d Orders) LockOrder(ctx context.Context, orderID string) error {
	var o Order
	q := d.with(ctx).Select("id").Where("id = ?", orderID)
	if d.dialect == Postgres {
		q = q.Clauses(clause.Locking{Strength: "UPDATE"})
	}
	if err := q.Take(&o).Error; err != nil {
		return fmt.Errorf("lock order %s: %w", orderID, translate(err))
	}
	return nil
}

// releasedStatuses no longer hold what they asked for.
var releasedStatuses = []returns.Status{returns.PendingVerification, returns.Ineligible, returns.Declined, returns.Cancelled, returns.Expired}

// TakenUnits sums, per line of an order, the units other verified returns
// hold: what inspection accepted once inspected, else what they asked for.
func (d Orders) TakenUnits(ctx context.Context, orderID, exceptReturnID string) (map[string]int, error) {
	var rows []struct {
		LineID string
		Units  int
	}
	err := d.with(ctx).Table("return_lines AS l").
		Select("l.line_id, SUM(COALESCE(l.accepted_quantity, l.quantity)) AS units").
		Joins("JOIN returns AS r ON r.id = l.return_id").
		Where("r.order_id = ? AND r.id <> ? AND r.reserved_at IS NOT NULL AND r.status NOT IN ?", orderID, exceptReturnID, releasedStatuses).
		Group("l.line_id").Scan(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("units taken on order %s: %w", orderID, err)
	}
	out := map[string]int{}
	for _, r := range rows {
		out[r.LineID] = r.Units
	}
	return out, nil
}

// Reserve marks a return as holding its quantities.
func (d Returns) Reserve(ctx context.Context, returnID string, at time.Time) error {
	err := d.with(ctx).Model(&Return{}).Where("id = ? AND reserved_at IS NULL", returnID).
		Updates(map[string]any{"reserved_at": at.UTC(), "verified_at": at.UTC()}).Error
	if err != nil {
		return fmt.Errorf("reserve return %s: %w", returnID, err)
	}
	return nil
}

// RefundHistory is what other returns of an order already refunded (paid or
// in flight).
type RefundHistory struct {
	UnitsRefunded    map[string]int
	ShippingRefunded bool
	Refunded         int64
}

// RefundHistoryOf reads an order's refund history, leaving out one return.
func (d Refunds) RefundHistoryOf(ctx context.Context, orderID, exceptReturnID string) (RefundHistory, error) {
	h := RefundHistory{UnitsRefunded: map[string]int{}}
	live := []returns.RefundStatus{returns.RefundStatusPending, returns.RefundStatusSucceeded}
	var sums struct {
		Refunded int64
		Shipping int64
	}
	err := d.with(ctx).Model(&Refund{}).
		Select("COALESCE(SUM(amount + credit_amount), 0) AS refunded, COALESCE(SUM(shipping_amount), 0) AS shipping").
		Where("order_id = ? AND return_id <> ? AND status IN ?", orderID, exceptReturnID, live).Scan(&sums).Error
	if err != nil {
		return h, fmt.Errorf("refund history of %s: %w", orderID, err)
	}
	h.Refunded, h.ShippingRefunded = sums.Refunded, sums.Shipping > 0
	var rows []struct {
		LineID string
		Units  int
	}
	err = d.with(ctx).Table("return_lines AS l").
		Select("l.line_id, SUM(l.accepted_quantity) AS units").
		Where("l.return_id IN (?)", d.with(ctx).Model(&Refund{}).Select("return_id").
			Where("order_id = ? AND return_id <> ? AND status IN ?", orderID, exceptReturnID, live)).
		Where("l.accepted_quantity IS NOT NULL").
		Group("l.line_id").Scan(&rows).Error
	if err != nil {
		return h, fmt.Errorf("refund history of %s: %w", orderID, err)
	}
	for _, r := range rows {
		h.UnitsRefunded[r.LineID] = r.Units
	}
	return h, nil
}

// RefundByID reads a refund.
func (d Refunds) RefundByID(ctx context.Context, id string) (*Refund, error) {
	var r Refund
	if err := d.with(ctx).Where("id = ?", id).Take(&r).Error; err != nil {
		return nil, fmt.Errorf("refund %s: %w", id, translate(err))
	}
	return &r, nil
}

// CreateRefund inserts r; if a refund with its id exists it is returned
// instead, so a retried activity creates nothing twice.
func (d Refunds) CreateRefund(ctx context.Context, r *Refund) (*Refund, error) {
	if existing, err := d.RefundByID(ctx, r.ID); err == nil {
		return existing, nil
	} else if !errors.Is(err, ErrNotFound) {
		return nil, err
	}
	now := time.Now().UTC()
	r.CreatedAt, r.UpdatedAt = now, now
	if err := d.with(ctx).Create(r).Error; err != nil {
		return nil, fmt.Errorf("create refund: %w", translate(err))
	}
	return r, nil
}

// AttemptByID reads an attempt.
func (d Refunds) AttemptByID(ctx context.Context, id string) (*RefundAttempt, error) {
	var a RefundAttempt
	if err := d.with(ctx).Where("id = ?", id).Take(&a).Error; err != nil {
		return nil, fmt.Errorf("attempt %s: %w", id, translate(err))
	}
	return &a, nil
}

// FinishRefund records a refund's outcome once; a finished refund keeps its
// first outcome.
func (d Refunds) FinishRefund(ctx context.Context, id string, status returns.RefundStatus, failureCode string, at time.Time) error {
	err := d.with(ctx).Model(&Refund{}).Where("id = ? AND status = ?", id, returns.RefundStatusPending).
		Updates(map[string]any{"status": status, "failure_code": failureCode, "finished_at": at.UTC(), "updated_at": at.UTC()}).Error
	if err != nil {
		return fmt.Errorf("finish refund %s: %w", id, err)
	}
	return nil
}

// RefundsOfReturn lists a return's refunds, oldest first.
func (d Refunds) RefundsOfReturn(ctx context.Context, returnID string) ([]Refund, error) {
	var rs []Refund
	if err := d.with(ctx).Where("return_id = ?", returnID).Order("created_at, id").Find(&rs).Error; err != nil {
		return nil, fmt.Errorf("refunds of %s: %w", returnID, err)
	}
	return rs, nil
}
