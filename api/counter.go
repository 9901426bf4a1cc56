package api

import (
	"errors"
	"github.com/rebound-returns/rebound/returns"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/rebound-returns/rebound/app/audit"
	"github.com/rebound-returns/rebound/app/counter"
)

// Card refunds: the counter procedure, a supervisor's approval of refunds
// without the card, and finance's resolution of failed refunds.

func (s *server) routesCards(r *gin.RouterGroup) {
	// The counter waits for the acquirer's answer (up to
	// counter.DefaultWait), so its route has a longer deadline than others.
	slow := r.Group("", deadline(counter.DefaultWait+15*time.Second))
	slow.POST("/merchant/returns/:id/in-store-refund", s.staffOnly(returns.RoleClerk, returns.RoleSupervisor), s.idempotent, s.handle(s.inStoreRefund))
	std := r.Group("", deadline(s.deps.RequestTimeout))
	std.POST("/merchant/returns/:id/refund-approval", s.staffOnly(returns.RoleSupervisor), s.audited("refund.approval", s.refundApproval))
	std.POST("/finance/returns/:id/refund-resolution", s.staffOnly(returns.RoleFinance, returns.RoleAdmin), s.audited("refund.resolution", s.refundResolution))
}

type inStoreRefundRequest struct {
	TerminalID         string `json:"terminal_id"`
	SupervisorUsername string `json:"supervisor_username"`
	SupervisorPassword string `json:"supervisor_password"`
	VoucherNo          string `json:"voucher_no"`
	CardFingerprint    string `json:"card_fingerprint"`
}

// inStoreRefund runs the counter procedure (app/counter): 200 with the
// return once its refund has an outcome, 202 when a freeze holds it or the
// acquirer has not answered within counter.DefaultWait.
func (s *server) inStoreRefund(c *gin.Context) error {
	p := principalOf(c)
	var req inStoreRefundRequest
	if err := bind(c, &req); err != nil {
		return err
	}
	res, err := s.counter.Refund(c.Request.Context(), counter.Request{ReturnID: c.Param("id"), MerchantID: p.MerchantID,
		Clerk: staffActor(p), TerminalID: req.TerminalID, SupervisorUsername: req.SupervisorUsername,
		SupervisorPassword: req.SupervisorPassword, VoucherNo: req.VoucherNo, CardFingerprint: req.CardFingerprint})
	s.auditCounter(c, p, res, err)
	if err != nil {
		return err
	}
	if res.Outcome == counter.Settled {
		return s.respondReturn(c, http.StatusOK, res.ReturnID)
	}
	return s.respondReturn(c, http.StatusAccepted, res.ReturnID)
}

// auditCounter records the counter refund in the audit log: the check that
// refused it (denied when the answer is 403 or 423), or how the workflow
// took it. A request refused before the checks (bad input, not the clerk's
// return) is not recorded.
func (s *server) auditCounter(c *gin.Context, p *principal, res counter.Result, err error) {
	var check *counter.CheckError
	var send *counter.SendError
	switch {
	case errors.As(err, &check):
		outcome := audit.Failed
		if dp := domainProblem(err); dp != nil && (dp.Status == http.StatusForbidden || dp.Status == http.StatusLocked) {
			outcome = audit.Denied
		}
		s.audit(c, p, "refund.counter", "return", res.ReturnID, outcome, map[string]any{"check": check.Check})
	case errors.As(err, &send):
		s.auditOutcome(c, p, "refund.counter", res.ReturnID, err)
	case res.Sent:
		s.auditOutcome(c, p, "refund.counter", res.ReturnID, nil)
	}
}

type refundApprovalRequest struct {
	Decision string `json:"decision"`
	Note     string `json:"note,omitempty"`
}

func (s *server) refundApproval(c *gin.Context) error {
	p := principalOf(c)
	var req refundApprovalRequest
	if err := bind(c, &req); err != nil {
		return err
	}
	res, err := s.counter.Approve(c.Request.Context(), counter.ApprovalRequest{ReturnID: c.Param("id"), MerchantID: p.MerchantID,
		Supervisor: staffActor(p), Decision: req.Decision, Note: req.Note})
	if err != nil {
		return err
	}
	return s.respondReturn(c, http.StatusOK, res.ReturnID)
}

type refundResolutionRequest struct {
	Action string `json:"action"`
	Note   string `json:"note"`
}

func (s *server) refundResolution(c *gin.Context) error {
	p := principalOf(c)
	var req refundResolutionRequest
	if err := bind(c, &req); err != nil {
		return err
	}
	res, err := s.counter.Resolve(c.Request.Context(), counter.ResolutionRequest{ReturnID: c.Param("id"), MerchantID: p.MerchantID,
		Actor: staffActor(p), Action: req.Action, Note: req.Note})
	if err != nil {
		return err
	}
	return s.respondReturn(c, http.StatusOK, res.ReturnID)
}
