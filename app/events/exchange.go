package events

import (
	"context"
	"errors"

	"github.com/rebound-returns/rebound/activities"
	"github.com/rebound-returns/rebound/app/apperr"
	"github.com/rebound-returns/rebound/db"
	"github.com/rebound-returns/rebound/ids"
	"github.com/rebound-returns/rebound/payments"
	"github.com/rebound-returns/rebound/returns"
)

// ExchangeStore is what the intake of holds' and charges' outcomes reads
// and writes (db.ExchangePayments).
type ExchangeStore interface {
	ExchangePaymentByID(ctx context.Context, id string) (*db.ExchangePayment, error)
	ExchangePaymentOf(ctx context.Context, returnID string, kind db.ExchangePaymentKind) (*db.ExchangePayment, error)
	MoveExchangePayment(ctx context.Context, id string, to returns.AttemptState, set map[string]any) (bool, error)
}

// exchange records the gateway's outcome of an exchange's hold, its
// capture or release, or a charge on the exchange payment it is of: the
// event's reference is the hold's or the charge's row (the Idempotency-Key
// it was asked with); a capture or a void is recorded on the return's
// capture or release row. A decided row is not moved again. No workflow
// waits for these yet: an exchange workflow will learn them from the row
// (or a signal added here) — authorization.succeeded/failed after
// AuthorizeHold, authorization.captured after CaptureHold,
// authorization.voided after VoidHold, charge.succeeded/failed after
// ChargeDifference, each while its activity answered pending.
func (s *Service) exchange(ctx context.Context, ev payments.WebhookEvent) (matched bool, err error) {
	au := ev.Authorization
	if au == nil || au.Reference == "" {
		return false, apperr.Invalid("authorization.reference", "is required")
	}
	if s.d.Exchanges == nil || !ids.Valid(au.Reference) {
		return false, nil
	}
	row, err := s.d.Exchanges.ExchangePaymentByID(ctx, au.Reference)
	if errors.Is(err, db.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	switch ev.Type {
	case payments.EventAuthorizationCaptured:
		row, err = s.d.Exchanges.ExchangePaymentOf(ctx, row.ReturnID, db.ExchangeCapture)
	case payments.EventAuthorizationVoided:
		row, err = s.d.Exchanges.ExchangePaymentOf(ctx, row.ReturnID, db.ExchangeRelease)
	}
	if errors.Is(err, db.ErrNotFound) {
		s.d.Log.Info("gateway event of a hold Rebound did not capture or release", "event_type", ev.Type, "authorization_id", au.ID)
		return true, nil
	}
	if err != nil {
		return false, err
	}
	moved, err := s.d.Exchanges.MoveExchangePayment(ctx, row.ID, activities.ExchangeState(row.Kind, *au),
		map[string]any{"gateway_id": au.ID, "gateway_status": au.Status, "failure_code": au.FailureCode})
	if err != nil {
		return false, err
	}
	if !moved {
		s.d.Log.Info("gateway event for a decided exchange payment", "exchange_payment_id", row.ID, "event_type", ev.Type)
	}
	return true, nil
}
