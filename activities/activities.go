// Package activities holds the Temporal activities of the return lifecycle,
// by part: codes and messages, shipping, card refunds, gateway refunds,
// settlement (pick-up and reconciliation) and the store (steps, refunds
// and the read model). Each part is a struct that carries only its own
// dependencies; Set gathers them for a worker that runs them all. Every
// activity is idempotent, so a retry after a crash never repeats a side
// effect.
package activities

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/rebound-returns/rebound/returns"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"

	"github.com/rebound-returns/rebound/db"
)

// Base is what every part shares: the database, the logger and the clock.
// Its methods are unexported, so embedding it adds no activity to a part
// (Temporal registers a struct's exported methods, and two parts may not
// both have one of the same name).
type Base struct {
	DB     *db.DB
	Logger *slog.Logger
	// Now is the clock (time.Now when nil).
	Now func() time.Time
}

func (b *Base) now() time.Time {
	if b.Now != nil {
		return b.Now().UTC()
	}
	return time.Now().UTC()
}

func (b *Base) log() *slog.Logger {
	if b.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return b.Logger
}

// workflowID is the id of the workflow an activity runs for ("" outside one).
func workflowID(ctx context.Context) (id string) {
	defer func() {
		if recover() != nil {
			id = ""
		}
	}()
	return activity.GetInfo(ctx).WorkflowExecution.ID
}

// ErrNotFound is the type of an activity error about a row that is gone;
// retrying cannot bring it back.
const ErrNotFound = "not_found"

// returnByID reads a return; a missing one is a non-retryable error.
func (b *Base) returnByID(ctx context.Context, id string) (*db.Return, error) {
	r, err := b.DB.Returns.ReturnByID(ctx, id)
	if errors.Is(err, db.ErrNotFound) {
		return nil, temporal.NewNonRetryableApplicationError("return "+id+" does not exist", ErrNotFound, err)
	}
	return r, err
}

// unknown records that an attempt's outcome is unknown: it is to be
// reversed before anything new goes (card refunds, and the recovery of
// what an ended run left).
func (b *Base) unknown(ctx context.Context, attemptID, why, reason string) (CardOutcome, error) {
	_, err := b.DB.Refunds.MoveAttempt(ctx, attemptID, returns.AttemptUnknown, map[string]any{"unknown_reason": why, "reversal_reason": reason})
	return CardOutcome{State: CardUnknown}, err
}
