package staff

import (
	"context"
	"strconv"
	"strings"

	"github.com/rebound-returns/rebound/app/apperr"
	"github.com/rebound-returns/rebound/contract"
	"github.com/rebound-returns/rebound/returns"
)

// Step names the return a member of staff acts on, and who they are.
type Step struct {
	ReturnID   string
	MerchantID string // the member's merchant: another's return is not found
	Actor      returns.Actor
}

// Review is a supervisor's decision on a return that waits for review.
type Review struct {
	Step
	Decision string // workflows.DecisionApprove or DecisionDecline
	Reason   string // required to decline: the shopper is told
}

// Review checks the decision and sends it to the return's workflow; it
// answers the return's id.
func (s *Service) Review(ctx context.Context, req Review) (string, error) {
	switch {
	case req.Decision != contract.DecisionApprove && req.Decision != contract.DecisionDecline:
		return "", apperr.Invalid("decision", "must be approve or decline")
	case req.Decision == contract.DecisionDecline && strings.TrimSpace(req.Reason) == "":
		return "", apperr.Invalid("reason", "is required to decline: the shopper is told")
	case len(req.Reason) > maxNote:
		return "", apperr.Invalid("reason", "must be at most 500 characters")
	}
	r, err := s.returnOf(ctx, req.ReturnID, req.MerchantID)
	if err != nil {
		return "", err
	}
	return r.ID, s.d.Workflow.Review(ctx, r.ID, contract.ReviewRequest{Decision: req.Decision, Reason: req.Reason, Actor: req.Actor})
}

// Receive is the parcel arriving at the merchant.
type Receive struct {
	Step
	Note string
}

// Receive sends the receipt to the return's workflow; it answers the
// return's id.
func (s *Service) Receive(ctx context.Context, req Receive) (string, error) {
	if len(req.Note) > maxNote {
		return "", apperr.Invalid("note", "must be at most 500 characters")
	}
	r, err := s.returnOf(ctx, req.ReturnID, req.MerchantID)
	if err != nil {
		return "", err
	}
	return r.ID, s.d.Workflow.Receive(ctx, r.ID, contract.ReceiveRequest{Actor: req.Actor, Note: req.Note})
}

// Inspection is what staff found in the parcel, line by line.
type Inspection struct {
	Step
	Lines []returns.InspectedLine
}

// Inspect checks the findings against the lines the shopper asked to
// return and sends them to the return's workflow; it answers the return's
// id.
func (s *Service) Inspect(ctx context.Context, req Inspection) (string, error) {
	for i, l := range req.Lines {
		if l.Condition != "" && !l.Condition.Valid() {
			return "", apperr.Invalid("lines["+strconv.Itoa(i)+"].condition", "must be new, opened or damaged")
		}
	}
	r, err := s.returnOf(ctx, req.ReturnID, req.MerchantID)
	if err != nil {
		return "", err
	}
	var requested []returns.RequestedLine
	for _, l := range r.Lines {
		requested = append(requested, returns.RequestedLine{LineID: l.LineID, Quantity: l.Quantity, Reason: l.Reason})
	}
	if errs := returns.ValidateInspection(requested, req.Lines); len(errs) > 0 {
		fields := make([]apperr.Field, len(errs))
		for i, e := range errs {
			fields[i] = apperr.Field{Name: e.Field, Reason: e.Message}
		}
		return "", apperr.InvalidFields(fields...)
	}
	return r.ID, s.d.Workflow.Inspect(ctx, r.ID, contract.InspectRequest{Lines: req.Lines, Actor: req.Actor})
}
