package db

import (
	"context"
	"errors"
	"fmt"
	"github.com/rebound-returns/rebound/returns"
	"time"

	"gorm.io/gorm"
)

// CreateReturn inserts r with its lines.
func (d Returns) CreateReturn(ctx context.Context, r *Return) error {
	now := time.Now().UTC()
	if r.ID == "" {
		r.ID = NewID()
	}
	if len(r.Policy) == 0 {
		r.Policy = JSON("{}")
	}
	if len(r.ReasonCodes) == 0 {
		r.ReasonCodes = JSON("[]")
	}
	r.CreatedAt, r.UpdatedAt = now, now
	for i := range r.Lines {
		r.Lines[i].ReturnID = r.ID
	}
	err := d.tx(ctx, func(tx *DB) error {
		if err := tx.with(ctx).Create(r).Error; err != nil {
			return err
		}
		return tx.writeReturnTerms(ctx, r)
	})
	if err != nil {
		return fmt.Errorf("create return: %w", translate(err))
	}
	return nil
}

// ReturnByID reads a return with its lines.
func (d Returns) ReturnByID(ctx context.Context, id string) (*Return, error) {
	var r Return
	err := d.with(ctx).
		Preload("Lines", func(g *gorm.DB) *gorm.DB { return g.Order("line_id") }).
		Where("id = ?", id).Take(&r).Error
	if err != nil {
		return nil, fmt.Errorf("return %s: %w", id, translate(err))
	}
	return &r, nil
}

// Timeline lists a return's events in the order they happened.
func (d Returns) Timeline(ctx context.Context, returnID string) ([]TimelineEvent, error) {
	var es []TimelineEvent
	if err := d.read(ctx).Where("return_id = ?", returnID).Order("seq").Find(&es).Error; err != nil {
		return nil, fmt.Errorf("timeline of %s: %w", returnID, err)
	}
	return es, nil
}

// DeleteUnstartedReturn removes a return whose workflow never started (its
// search terms go with it: ON DELETE CASCADE).
func (d Returns) DeleteUnstartedReturn(ctx context.Context, id string) error {
	err := d.tx(ctx, func(tx *DB) error {
		if err := tx.with(ctx).Where("return_id = ?", id).Delete(&ReturnLine{}).Error; err != nil {
			return err
		}
		return tx.with(ctx).Where("id = ? AND seq = 0", id).Delete(&Return{}).Error
	})
	if err != nil {
		return fmt.Errorf("delete return %s: %w", id, err)
	}
	return nil
}

// ReturnByTracking finds the return a parcel belongs to.
func (d Returns) ReturnByTracking(ctx context.Context, tracking string) (*Return, error) {
	var r Return
	if err := d.with(ctx).Where("tracking_number = ?", tracking).Take(&r).Error; err != nil {
		return nil, fmt.Errorf("return with tracking %s: %w", tracking, translate(err))
	}
	return &r, nil
}

// ReturnFilter selects a merchant's returns for a task list.
type ReturnFilter struct {
	MerchantID string
	Statuses   []string
	// Attention lists only returns flagged for attention.
	Attention bool
	// Queue, when set, is one of Queues().
	Queue string
	// Query, when set, keeps the returns it finds (search.go): a prefix of
	// an order number, tracking number, customer name, e-mail or phone, or
	// of the return's id.
	Query string
	// Before is the cursor: only returns with a smaller id (older).
	Before string
	Limit  int
}

// returnsWhere selects the filter's returns, its cursor aside.
func (d *conn) returnsWhere(ctx context.Context, f ReturnFilter) *gorm.DB {
	q := d.with(ctx).Model(&Return{}).Where("merchant_id = ?", f.MerchantID)
	if len(f.Statuses) > 0 {
		q = q.Where("status IN ?", f.Statuses)
	}
	if f.Attention {
		q = q.Where("attention <> ''")
	}
	if f.Queue != "" {
		q = inQueue(q, f.Queue)
	}
	if f.Query != "" {
		q = searchWhere(q, f.MerchantID, f.Query)
	}
	return q
}

// CountReturns counts the filter's returns (its cursor aside), up to
// CountCap+1.
func (d Returns) CountReturns(ctx context.Context, f ReturnFilter) (int64, error) {
	n, err := d.countCapped(ctx, d.returnsWhere(ctx, f))
	if err != nil {
		return 0, fmt.Errorf("count returns: %w", err)
	}
	return n, nil
}

// ListReturns lists returns newest first (ids are time-ordered).
func (d Returns) ListReturns(ctx context.Context, f ReturnFilter) ([]Return, error) {
	q := d.returnsWhere(ctx, f)
	if f.Before != "" {
		q = q.Where("id < ?", f.Before)
	}
	var rs []Return
	if err := q.Order("id DESC").Limit(f.Limit).Find(&rs).Error; err != nil {
		return nil, fmt.Errorf("list returns: %w", err)
	}
	return rs, nil
}

// CountByStatus counts all returns by status (for metrics).
func (d Returns) CountByStatus(ctx context.Context) (map[string]int64, error) {
	var rows []struct {
		Status string
		N      int64
	}
	if err := d.with(ctx).Model(&Return{}).Select("status, COUNT(*) AS n").Group("status").Scan(&rows).Error; err != nil {
		return nil, fmt.Errorf("count returns: %w", err)
	}
	out := map[string]int64{}
	for _, r := range rows {
		out[r.Status] = r.N
	}
	return out, nil
}

// RecordCarrierEvent stores a tracking event once; a repeated event id
// reports false.
func (d Returns) RecordCarrierEvent(ctx context.Context, e *CarrierEvent) (bool, error) {
	e.ReceivedAt = time.Now().UTC()
	e.OccurredAt = e.OccurredAt.UTC()
	err := d.with(ctx).Create(e).Error
	if errors.Is(translate(err), ErrConflict) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("carrier event %s: %w", e.EventID, err)
	}
	return true, nil
}

// Queues are the task lists of the console, by name.
const (
	QueueReview    = "review"    // waiting for a supervisor's decision
	QueueReceive   = "receive"   // on their way to the merchant
	QueueInspect   = "inspect"   // in the merchant's hands, not yet inspected
	QueueCounter   = "counter"   // card refunds waiting at the store's counter
	QueueEscalated = "escalated" // flagged for attention
)

// Queues lists the queue names in the console's order.
func Queues() []string {
	return []string{QueueReview, QueueReceive, QueueInspect, QueueCounter, QueueEscalated}
}

// inQueue narrows q to the returns of a queue.
func inQueue(q *gorm.DB, queue string) *gorm.DB {
	switch queue {
	case QueueReview:
		return q.Where("status = ?", "awaiting_review")
	case QueueReceive:
		return q.Where("status IN ?", []string{"awaiting_shipment", "in_transit", "awaiting_dropoff"})
	case QueueInspect:
		return q.Where("status IN ?", []string{"received", "awaiting_inspection"})
	case QueueCounter:
		return q.Where("status = ? AND method = ? AND channel = ?", "refund_pending", returns.MethodInStore, returns.ChannelCardPresent)
	case QueueEscalated:
		return q.Where("attention <> ''")
	}
	return q.Where("1 = 0")
}

// QueueCounts counts a merchant's returns in each queue.
func (d Returns) QueueCounts(ctx context.Context, merchantID string) (map[string]int64, error) {
	out := make(map[string]int64, len(Queues()))
	for _, name := range Queues() {
		var n int64
		q := d.with(ctx).Model(&Return{}).Where("merchant_id = ?", merchantID)
		if err := inQueue(q, name).Count(&n).Error; err != nil {
			return nil, fmt.Errorf("count queue %s: %w", name, err)
		}
		out[name] = n
	}
	return out, nil
}
