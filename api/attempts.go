package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/rebound-returns/rebound/db"
	"github.com/rebound-returns/rebound/returns"
	"github.com/rebound-returns/rebound/workflows"
)

// Finance ends a card attempt in doubt (its outcome unknown, its reversal
// unacknowledged or escalated) with the evidence of what the acquirer
// holds: confirmed_reversed, confirmed_approved or confirmed_not_received.

// evidenceStates are the resolutions of an attempt in doubt.
var evidenceStates = []string{db.AttemptConfirmedReversed, db.AttemptConfirmedApproved, db.AttemptConfirmedNotReceived}

type attemptResolutionRequest struct {
	Resolution string `json:"resolution"`
	Note       string `json:"note"`
}

func (r attemptResolutionRequest) validate() error {
	if !oneOf(r.Resolution, evidenceStates...) {
		return Invalid(FieldError{"resolution", "must be one of " + strings.Join(evidenceStates, ", ")})
	}
	if strings.TrimSpace(r.Note) == "" || len(r.Note) > 500 {
		return Invalid(FieldError{"note", "is required (at most 500 characters): the evidence"})
	}
	return nil
}

// resolveAttempt is POST /v1/finance/attempts/{attempt_id}/resolution.
func (s *server) resolveAttempt(c *gin.Context) error {
	var req attemptResolutionRequest
	if err := bind(c, &req); err != nil {
		return err
	}
	if err := req.validate(); err != nil {
		return err
	}
	ctx := c.Request.Context()
	notFound := NewProblem(http.StatusNotFound, "not-found", "no such attempt")
	id := c.Param("attempt_id")
	if !validID(id) {
		return notFound
	}
	att, err := s.deps.DB.AttemptByID(ctx, id)
	if errors.Is(err, db.ErrNotFound) {
		return notFound
	}
	if err != nil {
		return err
	}
	ref, err := s.deps.DB.RefundByID(ctx, att.RefundID)
	if err != nil {
		return err
	}
	if p := principalOf(c); p.Role != "operator" && p.MerchantID != ref.MerchantID {
		return notFound
	}
	if err := s.settleAttempt(ctx, principalOf(c), att, ref, req); err != nil {
		return err
	}
	return s.showRefund(c, ref.ID)
}

// settleAttempt ends an attempt in doubt with finance's evidence, closes its
// work items, and when it paid a refund whose return waits on finance
// (refund_failed) records it as the refund: nothing is sent again, the
// return goes on to settlement.
func (s *server) settleAttempt(ctx context.Context, p *principal, att *db.RefundAttempt, ref *db.Refund, req attemptResolutionRequest) error {
	moved, err := s.deps.DB.ResolveAttempt(ctx, att.ID, db.Evidence{State: req.Resolution, By: p.Username, Note: req.Note, At: s.now()})
	if err != nil {
		return err
	}
	if !moved {
		return NewProblem(http.StatusConflict, "invalid-state", fmt.Sprintf("attempt %d is %s: it is not in doubt", att.N, att.State))
	}
	if _, err := s.deps.DB.ResolveWorkItemsOf(ctx, att.ID, "", req.Resolution, req.Note, p.Username); err != nil {
		return err
	}
	if req.Resolution != db.AttemptConfirmedApproved {
		return nil
	}
	r, err := s.deps.DB.ReturnByID(ctx, ref.ReturnID)
	if err != nil || r.Status != string(returns.RefundFailed) {
		return err // still refunding: the refund's workflow reads the attempt
	}
	return s.update(ctx, r.ID, workflows.UpdateRefundResolution, workflows.RefundResolutionRequest{Action: workflows.ResolveRetry,
		Note: fmt.Sprintf("attempt %d confirmed approved: %s", att.N, req.Note), Actor: staffActor(p)}, nil)
}
