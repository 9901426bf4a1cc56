package events

import (
	"context"
	"errors"

	"github.com/rebound-returns/rebound/contract"
	"github.com/rebound-returns/rebound/db"
)

const (
	returnID  = "0b7c6f3e-4f1a-4d2b-9c3e-1a2b3c4d5e6f"
	attemptID = "2b7c6f3e-4f1a-4d2b-9c3e-1a2b3c4d5e6f"
)

var errStore = errors.New("store down")

// fakeStore knows one return (tracking "TRK1"), one refund with one
// attempt, and keeps the carrier events by id.
type fakeStore struct {
	kept      map[string]*db.CarrierEvent
	trackErr  error
	recordErr error
	attErr    error
	refundErr error
	calls     []string
}

func newFakeStore() *fakeStore { return &fakeStore{kept: map[string]*db.CarrierEvent{}} }

func (f *fakeStore) ReturnByTracking(_ context.Context, tracking string) (*db.Return, error) {
	f.calls = append(f.calls, "ReturnByTracking")
	if f.trackErr != nil {
		return nil, f.trackErr
	}
	if tracking != "TRK1" {
		return nil, db.ErrNotFound
	}
	return &db.Return{ID: returnID, TrackingNumber: "TRK1"}, nil
}

func (f *fakeStore) RecordCarrierEvent(_ context.Context, e *db.CarrierEvent) (bool, error) {
	f.calls = append(f.calls, "RecordCarrierEvent")
	if f.recordErr != nil {
		return false, f.recordErr
	}
	if _, ok := f.kept[e.EventID]; ok {
		return false, nil
	}
	f.kept[e.EventID] = e
	return true, nil
}

func (f *fakeStore) AttemptByID(_ context.Context, id string) (*db.RefundAttempt, error) {
	f.calls = append(f.calls, "AttemptByID")
	if f.attErr != nil {
		return nil, f.attErr
	}
	if id != attemptID {
		return nil, db.ErrNotFound
	}
	return &db.RefundAttempt{ID: attemptID, RefundID: "ref1"}, nil
}

func (f *fakeStore) RefundByID(_ context.Context, id string) (*db.Refund, error) {
	f.calls = append(f.calls, "RefundByID "+id)
	if f.refundErr != nil {
		return nil, f.refundErr
	}
	return &db.Refund{ID: id, WorkflowID: "refund/" + id}, nil
}

// fakeWorkflow records the signals and answers err.
type fakeWorkflow struct {
	err      error
	carrier  []contract.CarrierEvent
	to       []string
	gateway  []contract.GatewayResult
	gatewayT []string
}

func (w *fakeWorkflow) CarrierEvent(_ context.Context, id string, ev contract.CarrierEvent) error {
	w.to, w.carrier = append(w.to, id), append(w.carrier, ev)
	return w.err
}

func (w *fakeWorkflow) GatewayResult(_ context.Context, wfID string, res contract.GatewayResult) error {
	w.gatewayT, w.gateway = append(w.gatewayT, wfID), append(w.gateway, res)
	return w.err
}

func newService() (*Service, *fakeStore, *fakeWorkflow) {
	st, wf := newFakeStore(), &fakeWorkflow{}
	return New(Deps{Store: st, Workflow: wf}), st, wf
}
