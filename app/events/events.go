// Package events takes in what the world outside reports about returns and
// refunds once its signature was checked at the edge: a carrier's tracking
// event (matched to a return by its tracking number, kept, and handed to
// the return's workflow) and the payment gateway's outcome of a refund
// (matched by the attempt it references and handed to the refund's
// workflow). It speaks plain Go and apperr refusals; the API verifies,
// binds, calls and renders.
package events

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/rebound-returns/rebound/contract"
	"github.com/rebound-returns/rebound/db"
)

// Store is what the intake reads and writes (app/wire assembles it from db's stores).
type Store interface {
	ReturnByTracking(ctx context.Context, tracking string) (*db.Return, error)
	RecordCarrierEvent(ctx context.Context, e *db.CarrierEvent) (fresh bool, err error)
	AttemptByID(ctx context.Context, id string) (*db.RefundAttempt, error)
	RefundByID(ctx context.Context, id string) (*db.Refund, error)
}

// ErrEnded is what Workflow answers when the workflow has ended (it is no
// longer there to be signalled).
var ErrEnded = errors.New("the workflow has ended")

// Workflow signals the workflows (workflows.SignalCarrierEvent to a
// return's, SignalGatewayResult to a refund's); an ended one is ErrEnded.
type Workflow interface {
	CarrierEvent(ctx context.Context, returnID string, ev contract.CarrierEvent) error
	GatewayResult(ctx context.Context, workflowID string, res contract.GatewayResult) error
}

// Deps is what a Service is built from.
type Deps struct {
	Store Store
	// Exchanges records the outcomes of exchanges' holds and charges (nil:
	// those events are not matched).
	Exchanges ExchangeStore
	Workflow  Workflow
	Log       *slog.Logger
}

// Service takes in the events.
type Service struct{ d Deps }

// New builds a Service.
func New(d Deps) *Service {
	if d.Log == nil {
		d.Log = slog.New(slog.DiscardHandler)
	}
	return &Service{d: d}
}

// retryCarrier is how long a carrier is asked to wait before it sends an
// event again that could not be handed on.
const retryCarrier = 5 * time.Second
