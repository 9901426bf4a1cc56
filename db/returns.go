package db

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm"
)

// CreateReturn inserts r with its lines.
func (d *DB) CreateReturn(ctx context.Context, r *Return) error {
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
	if err := d.with(ctx).Create(r).Error; err != nil {
		return fmt.Errorf("create return: %w", translate(err))
	}
	return nil
}

// ReturnByID reads a return with its lines.
func (d *DB) ReturnByID(ctx context.Context, id string) (*Return, error) {
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
func (d *DB) Timeline(ctx context.Context, returnID string) ([]TimelineEvent, error) {
	var es []TimelineEvent
	if err := d.with(ctx).Where("return_id = ?", returnID).Order("seq").Find(&es).Error; err != nil {
		return nil, fmt.Errorf("timeline of %s: %w", returnID, err)
	}
	return es, nil
}
