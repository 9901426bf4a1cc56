package events

import (
	"context"
	"errors"
	"time"

	"github.com/rebound-returns/rebound/app/apperr"
	"github.com/rebound-returns/rebound/contract"
	"github.com/rebound-returns/rebound/db"
)

// CarrierEvent is a carrier's tracking event as it sends it.
type CarrierEvent struct {
	EventID        string
	TrackingNumber string
	Event          string // workflows.CarrierInTransit, CarrierDelivered or CarrierException
	OccurredAt     string // RFC 3339
}

// CarrierResult is what became of the event: Matched to a return, and
// whether it was a Duplicate of one already kept.
type CarrierResult struct {
	Matched, Duplicate bool
}

// errHandOn asks the carrier to send the event again: the return's
// workflow did not take it.
var errHandOn error = &apperr.Error{Kind: apperr.ErrUnavailable, Code: "try-again",
	Detail: "the event could not be handed on; send it again", Wait: retryCarrier}

// Carrier checks the event, keeps it (once, by its id) with the return its
// tracking number names, if any, and signals that return's workflow.
func (s *Service) Carrier(ctx context.Context, req CarrierEvent) (CarrierResult, error) {
	at, err := req.validate()
	if err != nil {
		return CarrierResult{}, err
	}
	ev := &db.CarrierEvent{EventID: req.EventID, TrackingNumber: req.TrackingNumber, Event: req.Event, OccurredAt: at}
	r, err := s.d.Store.ReturnByTracking(ctx, req.TrackingNumber)
	switch {
	case errors.Is(err, db.ErrNotFound):
		r = nil
	case err != nil:
		return CarrierResult{}, err
	default:
		ev.ReturnID = &r.ID
	}
	fresh, err := s.d.Store.RecordCarrierEvent(ctx, ev)
	if err != nil {
		return CarrierResult{}, err
	}
	if r == nil {
		return CarrierResult{Duplicate: !fresh}, nil
	}
	// Signalled every time, repeats included: the workflow drops events it
	// has seen, and a carrier retrying after a failed signal must get
	// through.
	err = s.d.Workflow.CarrierEvent(ctx, r.ID,
		contract.CarrierEvent{EventID: req.EventID, TrackingNumber: req.TrackingNumber, Event: req.Event, OccurredAt: at})
	switch {
	case errors.Is(err, ErrEnded):
		// The return has ended; the event is kept for the record.
	case err != nil:
		return CarrierResult{}, errHandOn
	}
	return CarrierResult{Matched: true, Duplicate: !fresh}, nil
}

// validate checks every field and answers the time the event occurred.
func (req CarrierEvent) validate() (time.Time, error) {
	var errs []apperr.Field
	if req.EventID == "" || len(req.EventID) > 128 {
		errs = append(errs, apperr.Field{Name: "event_id", Reason: "is required (at most 128 characters)"})
	}
	if req.TrackingNumber == "" || len(req.TrackingNumber) > 64 {
		errs = append(errs, apperr.Field{Name: "tracking_number", Reason: "is required"})
	}
	switch req.Event {
	case contract.CarrierInTransit, contract.CarrierDelivered, contract.CarrierException:
	default:
		errs = append(errs, apperr.Field{Name: "event", Reason: "must be in_transit, delivered or exception"})
	}
	at, err := time.Parse(time.RFC3339, req.OccurredAt)
	if err != nil {
		errs = append(errs, apperr.Field{Name: "occurred_at", Reason: "must be an RFC 3339 time such as 2026-11-20T15:04:05Z"})
	}
	return at.UTC(), apperr.InvalidFields(errs...)
}
