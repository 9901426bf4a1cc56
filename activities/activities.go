// Package activities holds the Temporal activities of the return lifecycle:
// methods on structs that carry their dependencies. Every activity is
// idempotent, so a retry after a crash never repeats a side effect.
package activities

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"

	"github.com/rebound-returns/rebound/db"
	"github.com/rebound-returns/rebound/faultpoint"
	"github.com/rebound-returns/rebound/notify"
	"github.com/rebound-returns/rebound/payments"
	"github.com/rebound-returns/rebound/shipping"
)

// Gateway is the part of the payment gateway client the refunds use. Every
// call names the merchant's gateway account.
type Gateway interface {
	CreateRefund(ctx context.Context, idempotencyKey string, r payments.RefundRequest) (payments.Refund, error)
	GetAccountRefund(ctx context.Context, account, id string) (payments.Refund, error)
}

// Activities are the lifecycle activities and what they need.
type Activities struct {
	DB      *db.DB
	Sender  notify.Sender
	Carrier shipping.Carrier
	Gateway Gateway
	// OTPSecret keys the HMAC under which codes are stored.
	OTPSecret []byte
	// KeepSensitive keeps a sent code's message body (dev only, where the
	// outbox is how people read their codes).
	KeepSensitive bool
	// PublicURL is the API's address as shoppers reach it, for links.
	PublicURL string
	Metrics   *Metrics
	Logger    *slog.Logger
	// Now is the clock (time.Now when nil).
	Now func() time.Time
	// POS sends card messages to the acquirer; Cutoff is its batch cut-off;
	// Card the worker's settings for card messages.
	POS    Acquirer
	Cutoff time.Duration
	Card   CardSettings
	// Faults are the fault points a test armed (nil: none).
	Faults *faultpoint.Points
	// Signal tells returns they were settled.
	Signal Signaller
	// SettlementDir is the settlement folder files are picked up from
	// (see package dropfolder); "" picks up nothing.
	SettlementDir string
}

func (a *Activities) now() time.Time {
	if a.Now != nil {
		return a.Now().UTC()
	}
	return time.Now().UTC()
}

func (a *Activities) log() *slog.Logger {
	if a.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return a.Logger
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
func (a *Activities) returnByID(ctx context.Context, id string) (*db.Return, error) {
	r, err := a.DB.ReturnByID(ctx, id)
	if errors.Is(err, db.ErrNotFound) {
		return nil, temporal.NewNonRetryableApplicationError("return "+id+" does not exist", ErrNotFound, err)
	}
	return r, err
}
