package db

import (
	"context"
	"fmt"
	"github.com/rebound-returns/rebound/returns"
	"time"
)

// Freeze is an emergency stop on a merchant's refunds: the whole merchant,
// one store or one terminal. New refund attempts wait while it holds.
type Freeze struct {
	ID          string
	MerchantID  string
	StoreID     *string
	TerminalID  *string
	Reason      string
	CreatedBy   string
	CreatedRole returns.Role
	CreatedAt   time.Time
	LiftedAt    *time.Time
	LiftedBy    string
}

func (Freeze) TableName() string { return "refund_freezes" }

// Scope says what a freeze covers, in words.
func (f *Freeze) Scope() string {
	switch {
	case f.TerminalID != nil:
		return "terminal " + *f.TerminalID
	case f.StoreID != nil:
		return "a store"
	}
	return "the whole merchant"
}

// CreateFreeze stores a new freeze.
func (d Freezes) CreateFreeze(ctx context.Context, f *Freeze) error {
	f.ID = NewID()
	f.CreatedAt = time.Now().UTC()
	if err := d.with(ctx).Create(f).Error; err != nil {
		return fmt.Errorf("create freeze: %w", translate(err))
	}
	return nil
}

// FreezeByID reads a freeze.
func (d Freezes) FreezeByID(ctx context.Context, id string) (*Freeze, error) {
	var f Freeze
	if err := d.with(ctx).Where("id = ?", id).Take(&f).Error; err != nil {
		return nil, fmt.Errorf("freeze %s: %w", id, translate(err))
	}
	return &f, nil
}

// Freezes lists a merchant's freezes (every merchant's when merchantID is
// empty), the ones in force first, newest first.
func (d Freezes) FreezesPage(ctx context.Context, merchantID string, activeOnly bool, p Page) (*Paged[Freeze], error) {
	q := d.with(ctx).Model(&Freeze{})
	if merchantID != "" {
		q = q.Where("merchant_id = ?", merchantID)
	}
	if activeOnly {
		q = q.Where("lifted_at IS NULL")
	}
	out, err := pageOf[Freeze](ctx, d.conn, q, "lifted_at IS NOT NULL, created_at DESC, id DESC", p)
	if err != nil {
		return nil, fmt.Errorf("freezes: %w", err)
	}
	return out, nil
}

// FreezeCovering finds a freeze in force over a refund of the merchant
// made through the given stores and terminals; nil when none.
func (d Freezes) FreezeCovering(ctx context.Context, merchantID string, storeIDs, terminalIDs []string) (*Freeze, error) {
	q := d.with(ctx).Where("merchant_id = ? AND lifted_at IS NULL", merchantID)
	cover := d.with(ctx).Where("store_id IS NULL AND terminal_id IS NULL")
	if len(storeIDs) > 0 {
		cover = cover.Or("store_id IN ?", storeIDs)
	}
	if len(terminalIDs) > 0 {
		cover = cover.Or("terminal_id IN ?", terminalIDs)
	}
	var fs []Freeze
	if err := q.Where(cover).Order("created_at").Limit(1).Find(&fs).Error; err != nil {
		return nil, fmt.Errorf("freeze covering: %w", err)
	}
	if len(fs) == 0 {
		return nil, nil
	}
	return &fs[0], nil
}

// LiftFreeze ends a freeze in force; a freeze of another merchant (unless
// merchantID is empty, for operators) or one lifted already is ErrNotFound.
// It answers the workflows of the refunds it was holding, to wake them.
func (d Freezes) LiftFreeze(ctx context.Context, merchantID, id, by string, at time.Time) (*Freeze, []string, error) {
	// A merchant's admin lifts the merchant's own freezes, not an
	// operator's (the admin may be what is suspected).
	var f Freeze
	var workflows []string
	err := d.tx(ctx, func(tx *DB) error {
		q := tx.with(ctx).Model(&Freeze{}).Where("id = ? AND lifted_at IS NULL", id)
		if merchantID != "" {
			q = q.Where("merchant_id = ? AND created_role <> 'operator'", merchantID)
		}
		res := q.Updates(map[string]any{"lifted_at": at.UTC(), "lifted_by": by})
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return ErrNotFound
		}
		if err := tx.with(ctx).Where("id = ?", id).Take(&f).Error; err != nil {
			return err
		}
		return tx.with(ctx).Model(&Refund{}).Where("frozen_by = ? AND workflow_id <> ''", id).Pluck("workflow_id", &workflows).Error
	})
	if err != nil {
		return nil, nil, fmt.Errorf("lift freeze %s: %w", id, translate(err))
	}
	return &f, workflows, nil
}

// HoldRefund records which freeze holds a refund (nil: none) and the
// workflow waiting on it.
func (d Freezes) HoldRefund(ctx context.Context, refundID string, freezeID *string, workflowID string) error {
	err := d.with(ctx).Model(&Refund{}).Where("id = ?", refundID).
		Updates(map[string]any{"frozen_by": freezeID, "workflow_id": workflowID, "updated_at": time.Now().UTC()}).Error
	if err != nil {
		return fmt.Errorf("hold refund %s: %w", refundID, err)
	}
	return nil
}
