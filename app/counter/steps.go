package counter

import (
	"context"
	"strings"

	"github.com/rebound-returns/rebound/contract"
	"github.com/rebound-returns/rebound/returns"
)

// The two steps of a card refund that did not happen at the counter: a
// supervisor's word on a refund without the card, and finance's resolution
// of a refund that failed.

// ApprovalRequest is a supervisor's decision on a refund without the card.
type ApprovalRequest struct {
	ReturnID   string
	MerchantID string
	Supervisor returns.Actor
	Decision   string // workflows.DecisionApprove or DecisionDecline
	Note       string
}

// Approve sends the supervisor's decision to the return's workflow.
func (s *Service) Approve(ctx context.Context, req ApprovalRequest) (Result, error) {
	switch {
	case req.Decision != contract.DecisionApprove && req.Decision != contract.DecisionDecline:
		return Result{}, &InvalidError{Field: "decision", Reason: "must be approve or decline"}
	case req.Decision == contract.DecisionDecline && strings.TrimSpace(req.Note) == "":
		return Result{}, &InvalidError{Field: "note", Reason: "is required to decline"}
	case len(req.Note) > maxNote:
		return Result{}, &InvalidError{Field: "note", Reason: "must be at most 500 characters"}
	}
	r, err := s.returnOf(ctx, req.ReturnID, req.MerchantID)
	if err != nil {
		return Result{}, err
	}
	err = s.d.Workflow.RefundApproval(ctx, r.ID, contract.RefundApprovalRequest{Decision: req.Decision, Note: req.Note, Actor: req.Supervisor})
	if err != nil {
		return Result{ReturnID: r.ID}, &SendError{err}
	}
	return Result{ReturnID: r.ID, Sent: true}, nil
}

// ResolutionRequest is finance's way out of a failed refund.
type ResolutionRequest struct {
	ReturnID   string
	MerchantID string
	Actor      returns.Actor
	Action     string // workflows.ResolveRetry, ResolveMarkRefunded or ResolveStoreCredit
	Note       string
}

// Resolve sends finance's resolution to the return's workflow.
func (s *Service) Resolve(ctx context.Context, req ResolutionRequest) (Result, error) {
	switch req.Action {
	case contract.ResolveRetry, contract.ResolveMarkRefunded, contract.ResolveStoreCredit:
	default:
		return Result{}, &InvalidError{Field: "action", Reason: "must be retry, mark_refunded or store_credit"}
	}
	if strings.TrimSpace(req.Note) == "" || len(req.Note) > maxNote {
		return Result{}, &InvalidError{Field: "note", Reason: "is required (at most 500 characters): say why"}
	}
	r, err := s.returnOf(ctx, req.ReturnID, req.MerchantID)
	if err != nil {
		return Result{}, err
	}
	err = s.d.Workflow.RefundResolution(ctx, r.ID, contract.RefundResolutionRequest{Action: req.Action, Note: req.Note, Actor: req.Actor})
	if err != nil {
		return Result{ReturnID: r.ID}, &SendError{err}
	}
	return Result{ReturnID: r.ID, Sent: true}, nil
}

// maxNote is the longest note a step takes, in bytes.
const maxNote = 500
