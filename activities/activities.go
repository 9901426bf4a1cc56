// Package activities holds the Temporal activities of the return lifecycle:
// methods on structs that carry their dependencies. Every activity is
// idempotent, so a retry after a crash never repeats a side effect.
package activities

import (
	"context"
	"fmt"

	"github.com/rebound-returns/rebound/db"
)

// Store is the part of the database the activities use.
type Store interface {
	ApplyTransition(ctx context.Context, t db.Transition) (bool, error)
}

// Activities are the lifecycle activities.
type Activities struct {
	Store Store
}

// RecordTransition writes a return's new status and timeline event to the
// read model. Replays and retries are harmless: the sequence number guards it.
func (a *Activities) RecordTransition(ctx context.Context, t db.Transition) error {
	if _, err := a.Store.ApplyTransition(ctx, t); err != nil {
		return fmt.Errorf("record transition: %w", err)
	}
	return nil
}
