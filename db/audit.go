package db

import (
	"context"
	"fmt"
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
