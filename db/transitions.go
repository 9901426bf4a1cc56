package db

import (
	"context"
	"fmt"
	"time"
)

// Transition is one step of a return as the projection records it.
type Transition struct {
	ReturnID  string
	Seq       int64
	Status    string
	Actor     string
	ActorRole string
	Note      string
	At        time.Time
}

// ApplyTransition moves a return's read model to t.Status and appends its
// timeline event, in one transaction. It is idempotent and ordered: a
// transition whose sequence number is not newer than the row's changes
// nothing, so a retried or late write never overwrites a newer one. It
// reports whether it applied.
func (d *DB) ApplyTransition(ctx context.Context, t Transition) (bool, error) {
	applied := false
	err := d.Tx(ctx, func(tx *DB) error {
		res := tx.with(ctx).Model(&Return{}).
			Where("id = ? AND seq < ?", t.ReturnID, t.Seq).
			Updates(map[string]any{"status": t.Status, "seq": t.Seq, "updated_at": t.At.UTC()})
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return nil
		}
		applied = true
		return tx.with(ctx).Create(&TimelineEvent{
			ReturnID: t.ReturnID, Seq: t.Seq, Status: t.Status,
			Actor: t.Actor, ActorRole: t.ActorRole, Note: t.Note, At: t.At.UTC(),
		}).Error
	})
	if err != nil {
		return false, fmt.Errorf("return %s: apply transition %d to %s: %w", t.ReturnID, t.Seq, t.Status, translate(err))
	}
	return applied, nil
}
