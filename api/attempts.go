package api

import (
	"github.com/gin-gonic/gin"

	"github.com/rebound-returns/rebound/app/finance"
)

// Finance ends a card attempt in doubt (its outcome unknown, its reversal
// unacknowledged or escalated) with the evidence of what the acquirer
// holds: confirmed_reversed, confirmed_approved or confirmed_not_received
// (finance.Service.ResolveAttempt).

type attemptResolutionRequest struct {
	Resolution string `json:"resolution"`
	Note       string `json:"note"`
}

// resolveAttempt is POST /v1/finance/attempts/{attempt_id}/resolution; it
// answers the attempt's refund.
func (s *server) resolveAttempt(c *gin.Context) error {
	var req attemptResolutionRequest
	if err := bind(c, &req); err != nil {
		return err
	}
	ref, err := s.finance.ResolveAttempt(c.Request.Context(), financeCaller(c), c.Param("attempt_id"), finance.Resolution(req))
	if err != nil {
		return err
	}
	showRefund(c, ref)
	return nil
}
