// Package staff is what a merchant's staff do to returns: the task lists
// (the list of returns, the queue counts) and the human steps of a return —
// review, receive, inspection. It checks the step's input, finds the return
// among the merchant's, and sends the step to the return's workflow, which
// judges it against the return's state. It speaks plain Go and apperr
// refusals; the API binds, calls and renders the return as it now stands.
package staff

import (
	"context"
	"errors"

	"github.com/rebound-returns/rebound/app/apperr"
	"github.com/rebound-returns/rebound/contract"
	"github.com/rebound-returns/rebound/db"
	"github.com/rebound-returns/rebound/ids"
)

// Store is what the staff's reads and steps need (db.Returns satisfies it).
type Store interface {
	ReturnByID(ctx context.Context, id string) (*db.Return, error)
	CountReturns(ctx context.Context, f db.ReturnFilter) (int64, error)
	ListedReturns(ctx context.Context, f db.ReturnFilter) ([]db.ListedReturn, error)
	QueueCounts(ctx context.Context, merchantID string) (map[string]int64, error)
}

// Workflow sends a step to the return's workflow and waits until it is
// recorded; the workflow's refusal comes back as its error, which the
// service returns as it is.
type Workflow interface {
	Review(ctx context.Context, returnID string, req contract.ReviewRequest) error
	Receive(ctx context.Context, returnID string, req contract.ReceiveRequest) error
	Inspect(ctx context.Context, returnID string, req contract.InspectRequest) error
}

// Deps is what a Service is built from.
type Deps struct {
	Store    Store
	Workflow Workflow
}

// Service runs the staff's reads and steps.
type Service struct{ d Deps }

// New builds a Service.
func New(d Deps) *Service { return &Service{d: d} }

// errNoSuchReturn is a return that does not exist or is another
// merchant's: the two are the same answer.
var errNoSuchReturn = apperr.NotFound("", "no such return")

// returnOf reads the return if it is one of the merchant's.
func (s *Service) returnOf(ctx context.Context, returnID, merchantID string) (*db.Return, error) {
	if !ids.Valid(returnID) {
		return nil, errNoSuchReturn
	}
	r, err := s.d.Store.ReturnByID(ctx, returnID)
	if errors.Is(err, db.ErrNotFound) {
		return nil, errNoSuchReturn
	}
	if err != nil {
		return nil, err
	}
	if merchantID == "" || r.MerchantID != merchantID {
		return nil, errNoSuchReturn
	}
	return r, nil
}

// maxNote is the longest reason or note a step takes, in bytes.
const maxNote = 500
