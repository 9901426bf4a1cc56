package api

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/rebound-returns/rebound/auth"
	"github.com/rebound-returns/rebound/db"
	"github.com/rebound-returns/rebound/returns"
	"github.com/rebound-returns/rebound/workflows"
)

// Card refunds: the counter procedure, a supervisor's approval of refunds
// without the card, and finance's resolution of failed refunds.

func (s *server) routesCards(r *gin.RouterGroup) {
	// The counter waits for the acquirer's answer (up to counterWait), so
	// its route has a longer deadline than others.
	slow := r.Group("", deadline(counterWait+15*time.Second))
	slow.POST("/merchant/returns/:id/in-store-refund", s.staffOnly("clerk", "supervisor"), s.idempotent, s.handle(s.inStoreRefund))
	std := r.Group("", deadline(s.deps.RequestTimeout))
	std.POST("/merchant/returns/:id/refund-approval", s.staffOnly("supervisor"), s.audited("refund.approval", s.refundApproval))
	std.POST("/finance/returns/:id/refund-resolution", s.staffOnly("finance", "admin"), s.audited("refund.resolution", s.refundResolution))
}

// counterWait is how long the counter waits for the acquirer before it
// answers 202 and lets the refund finish on its own.
const counterWait = 30 * time.Second

type inStoreRefundRequest struct {
	TerminalID         string `json:"terminal_id"`
	SupervisorUsername string `json:"supervisor_username"`
	SupervisorPassword string `json:"supervisor_password"`
	VoucherNo          string `json:"voucher_no"`
	CardFingerprint    string `json:"card_fingerprint"`
}

// counterCheck is one failed check of the counter procedure: what the
// audit log and the answer say (never the password).
type counterCheck struct {
	check   string
	problem *Problem
}

func (s *server) inStoreRefund(c *gin.Context) error {
	p := principalOf(c)
	var req inStoreRefundRequest
	if err := bind(c, &req); err != nil {
		return err
	}
	var missing []FieldError
	for field, v := range map[string]string{"terminal_id": req.TerminalID, "supervisor_username": req.SupervisorUsername,
		"supervisor_password": req.SupervisorPassword, "voucher_no": req.VoucherNo, "card_fingerprint": req.CardFingerprint} {
		if strings.TrimSpace(v) == "" {
			missing = append(missing, FieldError{field, "is required"})
		}
	}
	if len(missing) > 0 {
		return Invalid(sortFields(missing)...)
	}
	r, err := s.visibleReturn(c)
	if err != nil {
		return err
	}
	if failed := s.counterChecks(c, r, req); failed != nil {
		s.audit(c, p, "refund.counter", "return", r.ID, outcomeOf(failed.problem), map[string]any{"check": failed.check})
		return failed.problem
	}
	var res workflows.ActionResult
	err = s.update(c.Request.Context(), r.ID, workflows.UpdateCounterRefund, workflows.CounterRefundRequest{
		Actor: staffActor(p), AuthorisedBy: strings.ToLower(req.SupervisorUsername), TerminalID: req.TerminalID}, &res)
	s.auditOutcome(c, p, "refund.counter", r.ID, err)
	if err != nil {
		return err
	}
	return s.awaitRefund(c, r.ID)
}

func outcomeOf(p *Problem) string {
	if p.Status == http.StatusForbidden || p.Status == http.StatusLocked {
		return db.OutcomeDenied
	}
	return db.OutcomeFailed
}

// counterChecks runs the checks of the counter procedure in order and
// returns the first that fails.
func (s *server) counterChecks(c *gin.Context, r *db.Return, req inStoreRefundRequest) *counterCheck {
	ctx := c.Request.Context()
	fail := func(check string, p *Problem) *counterCheck { return &counterCheck{check, p} }
	if r.Method != workflows.MethodInStore || r.Channel != workflows.ChannelCardPresent {
		return fail("return", NewProblem(http.StatusConflict, "invalid-state", "only an in-store return of a card sale is refunded at the counter"))
	}
	if r.Status != string(returns.RefundPending) {
		return fail("return", NewProblem(http.StatusConflict, "invalid-state", "the return is "+r.Status))
	}
	t, err := s.deps.DB.TerminalByID(ctx, req.TerminalID)
	if err != nil || t.MerchantID != r.MerchantID {
		return fail("terminal", Invalid(FieldError{"terminal_id", "is not a terminal of this merchant"}))
	}
	if pr := s.checkSupervisor(c, r.MerchantID, req.SupervisorUsername, req.SupervisorPassword); pr != nil {
		return fail("supervisor", pr)
	}
	order, err := s.deps.DB.OrderByID(ctx, r.OrderID)
	if err != nil || order.Payment == nil {
		return fail("sale", NewProblem(http.StatusConflict, "invalid-state", "the sale's payment is not known"))
	}
	return s.checkSale(c, r, order, req)
}

// Counter tries of a sale's voucher number and card: they are counted on
// the sale, whose secrets they guess, whichever return, terminal or clerk
// sends them.
const (
	maxCounterFailures = 5
	counterLockoutFor  = 30 * time.Minute
)

var counterLockout = db.Lockout{Limit: maxCounterFailures, For: counterLockoutFor}

// checkSale checks the voucher number from the sale's slip and the card's
// fingerprint, after claiming a try on the sale.
func (s *server) checkSale(c *gin.Context, r *db.Return, order *db.Order, req inStoreRefundRequest) *counterCheck {
	ctx := c.Request.Context()
	sale := order.Payment
	fail := func(check string, p *Problem) *counterCheck { return &counterCheck{check, p} }
	try, err := s.deps.DB.ClaimCounterTry(ctx, sale.ID, counterLockout, s.now())
	if err != nil {
		s.log.Error("counter try not claimed", "err", err)
		return fail("sale", NewProblem(http.StatusServiceUnavailable, "unavailable", "the sale's checks could not be counted; try again"))
	}
	if !try.Claimed {
		p := NewProblem(http.StatusLocked, "sale-locked", "too many wrong voucher numbers or cards for this sale; try again later")
		p.retryAfter = try.LockedUntil.Sub(s.now())
		return fail("sale", p)
	}
	var failed *counterCheck
	switch {
	case strings.TrimSpace(req.VoucherNo) != sale.STAN:
		failed = fail("voucher", Invalid(FieldError{"voucher_no", "does not match the voucher number of the sale"}))
	case subtle.ConstantTimeCompare([]byte(req.CardFingerprint), []byte(sale.CardFingerprint)) != 1:
		failed = fail("card", Invalid(FieldError{"card_fingerprint", "is not the card the sale was paid with"}))
	}
	if failed == nil {
		if err := s.deps.DB.CounterSucceeded(ctx, sale.ID, try); err != nil {
			s.log.Error("counter success not recorded", "err", err)
		}
		return nil
	}
	if try.Locks {
		s.tellAdmins(ctx, r.MerchantID, "Counter refund locked",
			fmt.Sprintf("Counter refunds of order %s were locked for %s after %d wrong voucher numbers or cards.",
				order.OrderNumber, counterLockoutFor, maxCounterFailures))
	}
	return failed
}

// checkSupervisor checks that a supervisor of the merchant authorises with
// their password. Tries count towards the same lock-out as log-ins, claimed
// before the password is hashed; when it locks, the merchant's admins are
// told.
func (s *server) checkSupervisor(c *gin.Context, merchantID, username, password string) *Problem {
	ctx := c.Request.Context()
	denied := NewProblem(http.StatusForbidden, "supervisor-denied", "the supervisor's authorisation failed")
	refuse := func(p *Problem) *Problem {
		// Every refusal costs the time of a check, in the same pool.
		if err := s.deps.Passwords.Burn(ctx, password); errors.Is(err, auth.ErrBusy) {
			return errBusy()
		}
		return p
	}
	// Only the merchant's own members are looked up: another merchant's
	// member of the same name is neither found nor counted against.
	u, err := s.deps.DB.StaffByUsername(ctx, merchantID, username)
	if err != nil || u.MerchantID == nil || *u.MerchantID != merchantID || u.Disabled {
		return refuse(denied)
	}
	if u.MustChangePassword {
		// A one-time password was handed over: it authorises nothing.
		return refuse(NewProblem(http.StatusForbidden, "supervisor-denied", u.Username+" has not yet chosen their own password"))
	}
	if u.Role != "supervisor" {
		return refuse(NewProblem(http.StatusForbidden, "not-a-supervisor", u.Username+" is not a supervisor"))
	}
	ok, try, err := s.tryPassword(ctx, u, password)
	if errors.Is(err, auth.ErrBusy) {
		return errBusy()
	}
	if err != nil {
		s.log.Error("supervisor password not checked", "err", err)
		return denied
	}
	if !try.Claimed {
		p := NewProblem(http.StatusLocked, "supervisor-locked", "the supervisor's account is locked after too many failures")
		p.retryAfter = try.LockedUntil.Sub(s.now())
		return p
	}
	if ok {
		if err := s.deps.DB.PasswordSucceeded(ctx, u.ID, try); err != nil {
			s.log.Error("supervisor success not recorded", "err", err)
		}
		return nil
	}
	if try.Locks {
		s.tellAdmins(ctx, merchantID, "Supervisor account locked",
			fmt.Sprintf("The account of supervisor %s was locked after %d failed authorisations at the counter.", u.Username, maxLoginFailures))
	}
	return denied
}

// tellAdmins e-mails the merchant's admins through the outbox; a small
// workflow delivers (and retries) it.
func (s *server) tellAdmins(ctx context.Context, merchantID, subject, text string) {
	emails, err := s.deps.DB.StaffEmails(ctx, merchantID, "admin")
	if err != nil {
		s.log.Error("admins not found", "err", err)
		return
	}
	var ids []string
	for _, e := range emails {
		m := &db.OutboxMessage{MerchantID: &merchantID, Channel: "email", Recipient: e, Subject: subject, BodyText: text}
		if err := s.deps.DB.QueueOutbox(ctx, m); err != nil {
			s.log.Error("admin message not queued", "err", err)
			return
		}
		ids = append(ids, m.ID)
	}
	if len(ids) == 0 {
		return
	}
	if _, err := s.deliver(ctx, ids); err != nil {
		s.log.Error("admin message not handed to delivery", "err", err)
	}
}

// awaitRefund answers 200 with the return once its refund has an outcome,
// 202 at once when a freeze holds it (with the freeze's reason), or 202
// after counterWait with the refund to follow.
func (s *server) awaitRefund(c *gin.Context, returnID string) error {
	ctx, cancel := context.WithTimeout(c.Request.Context(), counterWait)
	defer cancel()
	tick := time.NewTicker(200 * time.Millisecond)
	defer tick.Stop()
	for {
		refunds, err := s.deps.DB.RefundsOfReturn(ctx, returnID)
		if err == nil && len(refunds) > 0 {
			switch last := refunds[len(refunds)-1]; {
			case last.Status != db.RefundPending:
				return s.respondReturn(c, http.StatusOK, returnID)
			case last.FrozenBy != nil:
				return s.respondReturn(c, http.StatusAccepted, returnID)
			}
		}
		select {
		case <-ctx.Done():
			if errors.Is(c.Request.Context().Err(), context.Canceled) {
				return c.Request.Context().Err()
			}
			return s.respondReturn(c, http.StatusAccepted, returnID)
		case <-tick.C:
		}
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
	switch {
	case req.Decision != workflows.DecisionApprove && req.Decision != workflows.DecisionDecline:
		return Invalid(FieldError{"decision", "must be approve or decline"})
	case req.Decision == workflows.DecisionDecline && strings.TrimSpace(req.Note) == "":
		return Invalid(FieldError{"note", "is required to decline"})
	case len(req.Note) > 500:
		return Invalid(FieldError{"note", "must be at most 500 characters"})
	}
	return s.step(c, workflows.UpdateRefundApproval,
		workflows.RefundApprovalRequest{Decision: req.Decision, Note: req.Note, Actor: staffActor(p)})
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
	if !oneOf(req.Action, workflows.ResolveRetry, workflows.ResolveMarkRefunded, workflows.ResolveStoreCredit) {
		return Invalid(FieldError{"action", "must be retry, mark_refunded or store_credit"})
	}
	if strings.TrimSpace(req.Note) == "" || len(req.Note) > 500 {
		return Invalid(FieldError{"note", "is required (at most 500 characters): say why"})
	}
	return s.step(c, workflows.UpdateRefundResolution,
		workflows.RefundResolutionRequest{Action: req.Action, Note: req.Note, Actor: staffActor(p)})
}
