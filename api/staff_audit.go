package api

import (
	"context"
	"errors"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/rebound-returns/rebound/app/audit"
)

// auditLog is where steps are recorded (*audit.Log).
type auditLog interface {
	Record(ctx context.Context, e audit.Entry) error
}

// audit appends a row to the audit log; a failure to write it is logged,
// never shown to the caller.
func (s *server) audit(c *gin.Context, p *principal, action, resourceType, resourceID, outcome string, detail map[string]any) {
	e := audit.Entry{Action: action, ResourceType: resourceType, ResourceID: resourceID, Outcome: outcome,
		Origin: c.ClientIP(), RequestID: c.GetString(requestIDKey), At: s.now(), Detail: detail}
	if p != nil {
		e.Actor, e.ActorRole, e.MerchantID = p.Username, p.Role, p.MerchantID
	}
	if err := s.auditLog.Record(c.Request.Context(), e); err != nil {
		s.log.ErrorContext(c.Request.Context(), "audit entry not written", "action", action, "err", err)
	}
}

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
	outcome := audit.Success
	var detail map[string]any
	if err != nil {
		outcome = audit.Failed
		pr := domainProblem(err)
		if pr != nil || errors.As(err, &pr) {
			detail = map[string]any{"status": pr.Status, "detail": pr.Detail}
			if pr.Status == http.StatusForbidden || pr.Status == http.StatusNotFound {
				outcome = audit.Denied
			}
		}
	}
	s.audit(c, p, action, resourceType, id, outcome, detail)
}
