package api

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"

	"github.com/rebound-returns/rebound/activities"
	"github.com/rebound-returns/rebound/auth"
	"github.com/rebound-returns/rebound/db"
	"github.com/rebound-returns/rebound/otp"
	"github.com/rebound-returns/rebound/returns"
	"github.com/rebound-returns/rebound/workflows"
)

// Shoppers file returns, prove the order is theirs with a code, and follow
// or cancel their return.

type fileReturnRequest struct {
	Merchant    string                  `json:"merchant"`
	OrderNumber string                  `json:"order_number"`
	Contact     string                  `json:"contact"`
	Lines       []returns.RequestedLine `json:"lines"`
	Method      string                  `json:"method"`
}

func (s *server) routesShopper(r *gin.RouterGroup) {
	r.POST("/returns", s.idempotent, s.handle(s.fileReturn))
	r.POST("/returns/:id/verify", s.handle(s.verifyCode))
	r.POST("/returns/:id/otp", s.handle(s.resendCode))
	s.routesLookup(r)
	seen := r.Group("/returns/:id", s.staffOrShopper())
	seen.GET("", s.handle(s.getReturn))
	seen.GET("/label", s.handle(s.getLabel))
	seen.POST("/cancel", s.handle(func(c *gin.Context) error {
		err := s.cancelReturn(c)
		if p := principalOf(c); p.Kind == kindStaff {
			s.auditOutcome(c, p, "return.cancel", c.Param("id"), err)
		}
		return err
	}))
}

// errNoSuchOrder is the one answer to every mismatch before a code is
// verified: merchant, order number, contact, or (filing) the lines.
var errNoSuchOrder = NewProblem(http.StatusNotFound, "no-such-order", "no order matches this merchant, order number and contact")

// contactOf matches what the shopper typed with the order's e-mail or
// phone, and says which it was.
func contactOf(o *db.Order, typed string) (contact, kind string, ok bool) {
	t := strings.TrimSpace(typed)
	if strings.Contains(t, "@") {
		e := strings.ToLower(t)
		return e, "email", o.CustomerEmail != "" && e == o.CustomerEmail
	}
	p := normalizePhone(t)
	return p, "phone", o.CustomerPhone != "" && p == o.CustomerPhone
}

// fileReturn files a return. A shopper names the order and its contact and
// gets a code to verify the return with; or, holding the access token of an
// order lookup they verified (the portal's way), files it verified at once
// and gets the return's token in the answer.
func (s *server) fileReturn(c *gin.Context) error {
	var req fileReturnRequest
	if err := bind(c, &req); err != nil {
		return err
	}
	ctx := c.Request.Context()
	lookup, err := s.lookupOfRequest(c)
	if err != nil {
		return err
	}
	var errs []FieldError
	if lookup == nil {
		for field, v := range map[string]string{"merchant": req.Merchant, "order_number": req.OrderNumber, "contact": req.Contact} {
			if strings.TrimSpace(v) == "" {
				errs = append(errs, FieldError{field, "is required"})
			}
		}
	}
	if req.Method != workflows.MethodShip && req.Method != workflows.MethodInStore {
		errs = append(errs, FieldError{"method", "must be ship or in_store"})
	}
	if len(errs) > 0 {
		return Invalid(sortFields(errs)...)
	}
	// What is wrong whatever the order is may be said at once.
	if errs := returns.ValidateShape(req.Lines); len(errs) > 0 {
		return Invalid(fieldErrors(errs, "")...)
	}
	var m *db.Merchant
	var o *db.Order
	var contact, kind string
	var order returns.Order
	if lookup != nil {
		if m, err = s.deps.DB.MerchantByID(ctx, lookup.MerchantID); err != nil {
			return err
		}
		if o, err = s.deps.DB.OrderByID(ctx, lookup.OrderID); err != nil {
			return err
		}
		contact, kind = lookup.Contact, lookup.ContactKind
		order = toDomainOrder(o)
		if errs := returns.ValidateRequest(order, req.Lines); len(errs) > 0 {
			return Invalid(fieldErrors(errs, "")...)
		}
		if err := s.claimLookupFiling(ctx, lookup); err != nil {
			return err
		}
	} else {
		if m, o, contact, kind, err = s.findOrderToFile(c, req); err != nil {
			return err
		}
		order = toDomainOrder(o)
		// The first code's limits are checked here, so that a shopper over
		// them hears so now instead of waiting for a code that never comes.
		if err := s.allowCode(ctx, contact, c.ClientIP()); err != nil {
			return err
		}
	}
	policy, err := returns.ParsePolicy(m.Policy)
	if err != nil {
		return err
	}
	policyJSON, err := db.ToJSON(policy)
	if err != nil {
		return err
	}
	r := &db.Return{MerchantID: m.ID, OrderID: o.ID, Status: string(returns.PendingVerification), Method: req.Method,
		Contact: contact, ContactKind: kind, Currency: o.Currency, Channel: o.Payment.Channel, Policy: policyJSON}
	for _, l := range req.Lines {
		r.Lines = append(r.Lines, db.ReturnLine{LineID: l.LineID, Quantity: l.Quantity, Reason: l.Reason, Note: l.Note})
	}
	if err := s.deps.DB.CreateReturn(ctx, r); err != nil {
		return err
	}
	in := workflows.ReturnInput{
		ReturnID: r.ID, MerchantID: m.ID, OrderID: o.ID, Method: req.Method, Channel: o.Payment.Channel,
		PaymentID: o.Payment.GatewayPaymentID, ClientIP: c.ClientIP(), Policy: policy, Order: order,
		Lines: req.Lines, FiledAt: r.CreatedAt,
	}
	if lookup != nil {
		in.VerifiedBy = lookup.ID
	}
	if err := s.startReturn(ctx, in); err != nil {
		return err
	}
	c.Header("Location", "/v1/returns/"+r.ID)
	if lookup != nil {
		// The workflow submits the return as it starts; the answer waits for
		// that, so that it shows where the return landed.
		s.awaitLeaving(ctx, r.ID, returns.PendingVerification, 10*time.Second)
		return s.respondOpened(c, http.StatusCreated, r)
	}
	// Until the code is verified the answer says nothing of the order.
	c.JSON(http.StatusCreated, gin.H{"id": r.ID, "status": r.Status,
		"verification": gin.H{"sent_to": maskContact(contact, kind), "expires_in_seconds": int(policy.VerifyWithin.D().Seconds())}})
	return nil
}

// awaitLeaving waits, up to max, for a return's read model to leave a status.
func (s *server) awaitLeaving(ctx context.Context, id string, st returns.Status, max time.Duration) {
	deadline := time.Now().Add(max)
	for time.Now().Before(deadline) {
		r, err := s.deps.DB.ReturnByID(ctx, id)
		if err != nil || r.Status != string(st) {
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// findOrderToFile finds the order an unverified filing names. The try is
// counted first; then no such order, a wrong contact and lines that do not
// fit the order are one answer, given after the same least time.
func (s *server) findOrderToFile(c *gin.Context, req fileReturnRequest) (*db.Merchant, *db.Order, string, string, error) {
	start := time.Now()
	if err := s.allowTry(c, db.TryFiling, req.Merchant, req.OrderNumber); err != nil {
		return nil, nil, "", "", err
	}
	ctx := c.Request.Context()
	m, o, contact, kind, err := s.findOrder(ctx, strings.TrimSpace(req.Merchant), strings.TrimSpace(req.OrderNumber), req.Contact)
	if err == nil && len(returns.ValidateRequest(toDomainOrder(o), req.Lines)) > 0 {
		err = errNoSuchOrder
	}
	if err != nil {
		atLeast(ctx, start, shopperFloor)
		return nil, nil, "", "", err
	}
	return m, o, contact, kind, nil
}

// findOrder finds the order a shopper names by its merchant, number and
// contact; any mismatch is the same 404.
func (s *server) findOrder(ctx context.Context, merchant, number, typed string) (*db.Merchant, *db.Order, string, string, error) {
	m, err := s.deps.DB.MerchantBySlug(ctx, merchant)
	if errors.Is(err, db.ErrNotFound) {
		return nil, nil, "", "", errNoSuchOrder
	}
	if err != nil {
		return nil, nil, "", "", err
	}
	o, err := s.deps.DB.OrderByNumber(ctx, m.ID, number)
	if errors.Is(err, db.ErrNotFound) {
		return nil, nil, "", "", errNoSuchOrder
	}
	if err != nil {
		return nil, nil, "", "", err
	}
	contact, kind, ok := contactOf(o, typed)
	if !ok {
		return nil, nil, "", "", errNoSuchOrder
	}
	return m, o, contact, kind, nil
}

// allowCode checks the limits on sending a code to a contact from a client.
func (s *server) allowCode(ctx context.Context, contact, clientIP string) error {
	counts, err := s.deps.DB.CountCodes(ctx, "", contact, clientIP, s.now().Add(-otp.Window))
	if err != nil {
		return err
	}
	return limitProblem(otp.Allow(otp.Counts(counts), s.now(), false))
}

// shopperSession opens a return to the shopper who proved it theirs.
func (s *server) shopperSession(ctx context.Context, r *db.Return) (string, *db.Session, error) {
	token, err := auth.NewToken(prefixShopper)
	if err != nil {
		return "", nil, err
	}
	sess := &db.Session{TokenHash: auth.HashToken(token), Kind: db.SessionShopper, ReturnID: &r.ID,
		MerchantID: &r.MerchantID, ExpiresAt: s.now().Add(shopperSessionLife)}
	if err := s.deps.DB.CreateSession(ctx, sess); err != nil {
		return "", nil, err
	}
	return token, sess, nil
}

// startReturn starts a filed return's workflow. The start outlives the
// request (a client that goes away must not leave a row without a
// workflow), and a failed start removes the row only when the workflow is
// certainly not there.
func (s *server) startReturn(ctx context.Context, in workflows.ReturnInput) error {
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 15*time.Second)
	defer cancel()
	id := workflows.ReturnWorkflowID(in.ReturnID)
	_, err := s.deps.Temporal.ExecuteWorkflow(sctx, client.StartWorkflowOptions{
		ID: id, TaskQueue: workflows.TaskQueue,
		WorkflowIDReusePolicy: enumspb.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE,
	}, workflows.ReturnWorkflow, in)
	if err == nil {
		return nil
	}
	if _, derr := s.deps.Temporal.DescribeWorkflowExecution(sctx, id, ""); derr == nil {
		return nil // it started after all
	} else if !errors.As(derr, new(*serviceerror.NotFound)) {
		s.log.Error("return's workflow in doubt; row kept", "return_id", in.ReturnID, "err", derr)
		return err
	}
	if derr := s.deps.DB.DeleteUnstartedReturn(sctx, in.ReturnID); derr != nil {
		s.log.Error("return left without a workflow", "return_id", in.ReturnID, "err", derr)
	}
	return err
}

// maskContact shows enough of a contact to recognise it.
func maskContact(contact, kind string) string {
	if kind == "email" {
		at := strings.LastIndexByte(contact, '@')
		if at <= 1 {
			return "***" + contact[max(at, 0):]
		}
		return contact[:1] + strings.Repeat("*", at-1) + contact[at:]
	}
	if len(contact) <= 6 {
		return "***"
	}
	return contact[:3] + strings.Repeat("*", len(contact)-6) + contact[len(contact)-3:]
}

type verifyRequest struct {
	Code string `json:"code"`
}

// verifyCode checks a code against the store. The workflow hears only that
// a check passed; the shopper gets a token for this return.
func (s *server) verifyCode(c *gin.Context) error {
	var req verifyRequest
	if err := bind(c, &req); err != nil {
		return err
	}
	if !otp.WellFormed(req.Code) {
		return Invalid(FieldError{"code", "must be the 6 digits we sent"})
	}
	ctx := c.Request.Context()
	r, err := s.returnOfPath(c)
	if err != nil {
		return err
	}
	result, challengeID, err := s.deps.DB.CheckCode(ctx, r.ID, s.now(), otp.MaxTries, func(id, stored string) bool {
		return otp.Matches(s.deps.OTPSecret, id, req.Code, stored)
	})
	if err != nil {
		return err
	}
	if err := codeProblem(result, "ask for a new one"); err != nil {
		return err
	}
	if r.Status == string(returns.PendingVerification) {
		var res workflows.ActionResult
		if err := s.update(ctx, r.ID, workflows.UpdateVerify, workflows.VerifyRequest{ChallengeID: challengeID}, &res); err != nil {
			return err
		}
	}
	return s.respondOpened(c, http.StatusOK, r)
}

// codeProblem answers a code that did not check out; again says how to get
// another.
func codeProblem(result db.CodeCheck, again string) error {
	switch result {
	case db.CodeWrong:
		return Invalid(FieldError{"code", "is not the code we sent"})
	case db.CodeLocked:
		return NewProblem(http.StatusTooManyRequests, "code-locked", "too many wrong codes: "+again)
	case db.CodeExpired:
		return Invalid(FieldError{"code", "has expired or was used: " + again})
	}
	return nil
}

// respondOpened answers a return with a new shopper token that opens it.
func (s *server) respondOpened(c *gin.Context, status int, r *db.Return) error {
	token, sess, err := s.shopperSession(c.Request.Context(), r)
	if err != nil {
		return err
	}
	view, err := s.returnView(c, r.ID)
	if err != nil {
		return err
	}
	c.Header("Cache-Control", "no-store")
	c.JSON(status, gin.H{"id": r.ID, "status": view.Status, "token": token, "token_type": "Bearer",
		"expires_at": sess.ExpiresAt, "return": view})
	return nil
}

// resendCode sends a new code, within the limits.
func (s *server) resendCode(c *gin.Context) error {
	if _, err := readBody(c); err != nil {
		return err
	}
	ctx := c.Request.Context()
	r, err := s.returnOfPath(c)
	if err != nil {
		return err
	}
	if err := s.allowCodeTry(c, r); err != nil {
		return err
	}
	var res activities.SendCodeResult
	if err := s.update(ctx, r.ID, workflows.UpdateSendCode, workflows.SendCodeRequest{ClientIP: c.ClientIP()}, &res); err != nil {
		return err
	}
	c.JSON(http.StatusAccepted, gin.H{"sent_to": maskContact(r.Contact, r.ContactKind), "expires_at": res.ExpiresAt})
	return nil
}

// visibleReturn reads the return of the path if the caller may see it;
// anyone else gets the same 404 as for a return that does not exist.
func (s *server) visibleReturn(c *gin.Context) (*db.Return, error) {
	r, err := s.returnOfPath(c)
	if err == nil && !principalOf(c).canSee(r.MerchantID, r.ID) {
		return nil, errNoSuchReturn
	}
	return r, err
}

var errNoSuchReturn = NewProblem(http.StatusNotFound, "not-found", "no such return")

// returnOfPath reads the return the path names; an id that is not one
// (not even a UUID) is the same 404 as one that does not exist.
func (s *server) returnOfPath(c *gin.Context) (*db.Return, error) {
	id := c.Param("id")
	if !validID(id) {
		return nil, errNoSuchReturn
	}
	r, err := s.deps.DB.ReturnByID(c.Request.Context(), id)
	if errors.Is(err, db.ErrNotFound) {
		return nil, errNoSuchReturn
	}
	return r, err
}

func (s *server) getReturn(c *gin.Context) error {
	r, err := s.visibleReturn(c)
	if err != nil {
		return err
	}
	return s.respondReturn(c, http.StatusOK, r.ID)
}

func (s *server) getLabel(c *gin.Context) error {
	r, err := s.visibleReturn(c)
	if err != nil {
		return err
	}
	if r.TrackingNumber == "" {
		return NewProblem(http.StatusNotFound, "no-label", "this return has no shipping label")
	}
	pdf, err := activities.Label(c.Request.Context(), s.deps.DB, r, "rebound-sim")
	if err != nil {
		return err
	}
	c.Header("Content-Disposition", `inline; filename="return-`+r.ID+`.pdf"`)
	c.Data(http.StatusOK, "application/pdf", pdf)
	return nil
}

type cancelRequest struct {
	Reason string `json:"reason,omitempty"`
}

func (s *server) cancelReturn(c *gin.Context) error {
	p := principalOf(c)
	if p.Kind == kindStaff && !oneOf(p.Role, "clerk", "supervisor", "admin") {
		return NewProblem(http.StatusForbidden, "forbidden", "your role ("+p.Role+") may not cancel returns")
	}
	var req cancelRequest
	if body, err := readBody(c); err != nil {
		return err
	} else if len(body) > 0 {
		if err := bind(c, &req); err != nil {
			return err
		}
	}
	if len(req.Reason) > 500 {
		return Invalid(FieldError{"reason", "must be at most 500 characters"})
	}
	r, err := s.visibleReturn(c)
	if err != nil {
		return err
	}
	actor := activities.Actor{Kind: activities.ActorShopper, Name: "shopper"}
	if p.Kind == kindStaff {
		actor = activities.Actor{Kind: activities.ActorStaff, Name: p.Username, Role: p.Role}
	}
	var res workflows.ActionResult
	if err := s.update(c.Request.Context(), r.ID, workflows.UpdateCancel, workflows.CancelRequest{Reason: req.Reason, Actor: actor}, &res); err != nil {
		return err
	}
	return s.respondReturn(c, http.StatusOK, r.ID)
}

func oneOf(v string, options ...string) bool {
	for _, o := range options {
		if v == o {
			return true
		}
	}
	return false
}
