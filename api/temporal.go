package api

import (
	"context"
	"errors"
	"net/http"
	"time"

	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/rebound-returns/rebound/workflows"
)

// update sends an update to a return's workflow and waits until its step
// is recorded; a refusal becomes a 409 (state) or 422 (input) problem.
func (s *server) update(ctx context.Context, returnID, name string, arg, result any) error {
	h, err := s.deps.Temporal.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{
		WorkflowID:   workflows.ReturnWorkflowID(returnID),
		UpdateName:   name,
		Args:         []any{arg},
		WaitForStage: client.WorkflowUpdateStageCompleted,
	})
	if err == nil {
		err = h.Get(ctx, result)
	}
	return workflowProblem(err)
}

// workflowProblem maps what Temporal answers onto problems.
func workflowProblem(err error) error {
	if err == nil {
		return nil
	}
	var ae *temporal.ApplicationError
	if errors.As(err, &ae) {
		switch ae.Type() {
		case workflows.ErrInvalidState:
			return NewProblem(http.StatusConflict, "invalid-state", ae.Message())
		case workflows.ErrInvalidInput:
			return NewProblem(http.StatusUnprocessableEntity, "validation", ae.Message())
		case workflows.ErrRateLimited:
			p := NewProblem(http.StatusTooManyRequests, "rate-limited", ae.Message())
			var secs float64
			if ae.HasDetails() && ae.Details(&secs) == nil {
				p.retryAfter = time.Duration(secs * float64(time.Second))
			}
			return p
		}
	}
	var nf *serviceerror.NotFound
	if errors.As(err, &nf) {
		return NewProblem(http.StatusConflict, "invalid-state", "the return has ended")
	}
	return err
}
