package api

import (
	"errors"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/rebound-returns/rebound/db"
)

// audited runs a staff member's step and records it in the audit log with
// its outcome, whatever stopped it: bad input, another merchant's return,
// a state that does not fit, or success.
func (s *server) audited(action string, h func(c *gin.Context) error) gin.HandlerFunc {
	return s.handle(func(c *gin.Context) error {
		err := h(c)
		s.auditOutcome(c, principalOf(c), action, c.Param("id"), err)
		return err
	})
}

// auditOutcome records a staff step on a return and how it ended.
func (s *server) auditOutcome(c *gin.Context, p *principal, action, returnID string, err error) {
	s.auditResult(c, p, action, "return", returnID, err)
}

// auditResult records a staff step and how it ended: success, denied (the
// resource is not theirs or their role may not) or failed.
func (s *server) auditResult(c *gin.Context, p *principal, action, resourceType, id string, err error) {
	outcome := db.OutcomeSuccess
	var detail map[string]any
	if err != nil {
		outcome = db.OutcomeFailed
		pr := domainProblem(err)
		if pr != nil || errors.As(err, &pr) {
			detail = map[string]any{"status": pr.Status, "detail": pr.Detail}
			if pr.Status == http.StatusForbidden || pr.Status == http.StatusNotFound {
				outcome = db.OutcomeDenied
			}
		}
	}
	s.audit(c, p, action, resourceType, id, outcome, detail)
}
