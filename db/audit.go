package db

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// AppendAudit adds an entry to the append-only audit log. The database
// refuses any later update or delete of it.
func (d Audit) AppendAudit(ctx context.Context, e *AuditEntry) error {
	if e.At.IsZero() {
		e.At = time.Now()
	}
	e.At = e.At.UTC()
	if len(e.Detail) == 0 {
		e.Detail = JSON("{}")
	}
	if err := d.with(ctx).Create(e).Error; err != nil {
		return fmt.Errorf("append audit %s: %w", e.Action, err)
	}
	return nil
}

// AuditLog lists a merchant's newest audit entries first, up to limit.
func (d Audit) AuditLog(ctx context.Context, merchantID string, limit int) ([]AuditEntry, error) {
	var es []AuditEntry
	err := d.with(ctx).Where("merchant_id = ?", merchantID).Order("id DESC").Limit(limit).Find(&es).Error
	if err != nil {
		return nil, fmt.Errorf("audit log of %s: %w", merchantID, err)
	}
	return es, nil
}

// AuditFilter selects audit entries, a page at a time, newest first.
type AuditFilter struct {
	// MerchantID scopes the entries to one merchant; empty is every
	// merchant's (and those of no merchant), for an operator.
	MerchantID string
	// Actor is a username, exactly.
	Actor string
	// Action is an action exactly, or, ending in ".", every action it
	// begins (refund. is refund.approve, refund.counter, …).
	Action string
	// ResourceType and ResourceID are the object acted on, exactly.
	ResourceType, ResourceID string
	// From and To bound the entries' time, From inclusive, To exclusive
	// (open when zero).
	From, To time.Time
	// After is the id the page before ended at (0: the first page).
	After int64
	// Limit is the page size; one more row is read to tell whether a next
	// page exists.
	Limit int
}

// AuditEntries lists the audit entries f selects newest first (by id, over
// the index audit_log (merchant_id, id) for a merchant), a page at a time,
// with how many it selects (counted up to CountCap+1).
func (d Audit) AuditEntries(ctx context.Context, f AuditFilter) (*Paged[AuditEntry], error) {
	q := d.read(ctx).Model(&AuditEntry{})
	if f.MerchantID != "" {
		q = q.Where("merchant_id = ?", f.MerchantID)
	}
	if f.Actor != "" {
		q = q.Where("actor = ?", f.Actor)
	}
	if prefix, ok := strings.CutSuffix(f.Action, "."); ok {
		q = q.Where("substr(action, 1, ?) = ?", len(prefix)+1, prefix+".")
	} else if f.Action != "" {
		q = q.Where("action = ?", f.Action)
	}
	if f.ResourceType != "" {
		q = q.Where("resource_type = ?", f.ResourceType)
	}
	if f.ResourceID != "" {
		q = q.Where("resource_id = ?", f.ResourceID)
	}
	if !f.From.IsZero() {
		q = q.Where("at >= ?", f.From.UTC())
	}
	if !f.To.IsZero() {
		q = q.Where("at < ?", f.To.UTC())
	}
	total, err := d.countCapped(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("audit entries: %w", err)
	}
	if f.After > 0 {
		q = q.Where("id < ?", f.After)
	}
	var es []AuditEntry
	if err := q.Order("id DESC").Limit(f.Limit + 1).Find(&es).Error; err != nil {
		return nil, fmt.Errorf("audit entries: %w", err)
	}
	p := &Paged[AuditEntry]{Items: es, Total: total}
	if len(es) > f.Limit {
		p.Items, p.More = es[:f.Limit], true
	}
	return p, nil
}
