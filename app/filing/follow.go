package filing

import (
	"context"

	"github.com/rebound-returns/rebound/contract"
	"github.com/rebound-returns/rebound/returns"

	"github.com/rebound-returns/rebound/app/apperr"
)

// A shopper (or the merchant's staff) follows a return: reads it, fetches
// its label, cancels it.

// See says whether the caller may see a return of a merchant; a return
// they may not see is refused as one that does not exist.
type See func(merchantID, returnID string) bool

// Return is a return as its follower sees it before rendering.
type Return struct {
	ID             string
	MerchantID     string
	Status         string
	TrackingNumber string
}

// Return reads a return the caller may see.
func (s *Service) Return(ctx context.Context, id string, see See) (Return, error) {
	r, err := ReturnOf(ctx, s.d.Store, id, see)
	if err != nil {
		return Return{}, err
	}
	return Return{ID: r.ID, MerchantID: r.MerchantID, Status: r.Status, TrackingNumber: r.TrackingNumber}, nil
}

// Label renders the shipping label of a return the caller may see.
func (s *Service) Label(ctx context.Context, id string, see See) ([]byte, error) {
	r, err := ReturnOf(ctx, s.d.Store, id, see)
	if err != nil {
		return nil, err
	}
	if r.TrackingNumber == "" {
		return nil, errNoLabel
	}
	return s.d.Labels.Label(ctx, r)
}

// CancelRequest is a cancellation as the shopper or a staff member sends it.
type CancelRequest struct {
	ReturnID string
	Reason   string
	Actor    returns.Actor
	See      See
}

// MaxCancelReason bounds the reason a cancellation gives.
const MaxCancelReason = 500

// MayCancel refuses a staff role that may not cancel returns; the API asks
// before it reads the request.
func (s *Service) MayCancel(actor returns.Actor) error {
	if actor.Kind == returns.ActorStaff && !actor.Role.Admitted([]returns.Role{returns.RoleClerk}) {
		return apperr.Forbidden("forbidden", "your role ("+string(actor.Role)+") may not cancel returns")
	}
	return nil
}

// Cancel sends the cancellation of a return the caller may see to its
// workflow, and says which return it was.
func (s *Service) Cancel(ctx context.Context, req CancelRequest) (string, error) {
	if err := s.MayCancel(req.Actor); err != nil {
		return "", err
	}
	if len(req.Reason) > MaxCancelReason {
		return "", apperr.Invalid("reason", "must be at most 500 characters")
	}
	r, err := ReturnOf(ctx, s.d.Store, req.ReturnID, req.See)
	if err != nil {
		return "", err
	}
	if err := s.d.Workflow.Cancel(ctx, r.ID, contract.CancelRequest{Reason: req.Reason, Actor: req.Actor}); err != nil {
		return "", err
	}
	return r.ID, nil
}
