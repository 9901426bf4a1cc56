package api

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/google/uuid"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"

	"github.com/rebound-returns/rebound/activities"
	"github.com/rebound-returns/rebound/auth"
	"github.com/rebound-returns/rebound/db"
	"github.com/rebound-returns/rebound/otp"
	"github.com/rebound-returns/rebound/returns"
	"github.com/rebound-returns/rebound/workflows"
)

// Order lookups let a shopper prove an order is theirs before choosing
// what to return: the order's number and contact get a code sent to that
// contact; the code, entered, opens the order for half an hour through an
// access token, with which the shopper reads the order's lines and files
// a return that is verified from the start.

const (
	prefixOrderAccess = "rbo_"
	orderAccessLife   = 30 * time.Minute
)

func (s *server) routesLookup(r *gin.RouterGroup) {
	r.POST("/order-lookups", s.handle(s.startLookup))
	r.POST("/order-lookups/:id/verify", s.handle(s.verifyLookup))
	r.GET("/shopper/order", s.handle(s.lookupOrder))
	r.GET("/merchants/:slug", s.handle(s.publicMerchant))
}

// publicMerchant tells a shopper whose returns portal they are on: the
// name only, nothing a merchant keeps to itself.
func (s *server) publicMerchant(c *gin.Context) error {
	m, err := s.deps.DB.MerchantBySlug(c.Request.Context(), c.Param("slug"))
	if errors.Is(err, db.ErrNotFound) || (err == nil && m.Status != "active") {
		return NewProblem(http.StatusNotFound, "not-found", "no such merchant")
	}
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, gin.H{"slug": m.Slug, "name": m.Name})
	return nil
}

type lookupRequest struct {
	Merchant    string `json:"merchant"`
	OrderNumber string `json:"order_number"`
	Contact     string `json:"contact"`
}

func (s *server) startLookup(c *gin.Context) error {
	var req lookupRequest
	if err := bind(c, &req); err != nil {
		return err
	}
	var errs []FieldError
	for _, f := range []struct{ name, v string }{{"contact", req.Contact}, {"merchant", req.Merchant}, {"order_number", req.OrderNumber}} {
		if strings.TrimSpace(f.v) == "" {
			errs = append(errs, FieldError{f.name, "is required"})
		}
	}
	if len(errs) > 0 {
		return Invalid(errs...)
	}
	ctx := c.Request.Context()
	start := time.Now()
	if err := s.allowTry(c, db.TryLookup, req.Merchant, req.OrderNumber); err != nil {
		return err
	}
	m, o, contact, kind, err := s.findOrder(ctx, strings.TrimSpace(req.Merchant), strings.TrimSpace(req.OrderNumber), req.Contact)
	if err != nil {
		atLeast(ctx, start, shopperFloor)
		return err
	}
	if err := s.allowCode(ctx, contact, c.ClientIP()); err != nil {
		return err
	}
	policy, err := returns.ParsePolicy(m.Policy)
	if err != nil {
		return err
	}
	in := activities.LookupCodeInput{LookupID: db.NewID(), MerchantID: m.ID, OrderID: o.ID, Contact: contact,
		ContactKind: kind, ClientIP: c.ClientIP(), VerifyWithin: policy.VerifyWithin.D()}
	// The code is sent even if the shopper goes away meanwhile.
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	run, err := s.deps.Temporal.ExecuteWorkflow(sctx, client.StartWorkflowOptions{
		ID: workflows.LookupWorkflowID(in.LookupID), TaskQueue: workflows.TaskQueue,
		WorkflowIDReusePolicy: enumspb.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE,
	}, workflows.OrderLookupWorkflow, in)
	if err != nil {
		return err
	}
	var res activities.LookupCodeResult
	if err := run.Get(sctx, &res); err != nil {
		if p := workflowProblem(err); errors.As(p, new(*Problem)) {
			return p
		}
		s.log.WarnContext(ctx, "lookup code not sent", "lookup_id", in.LookupID, "err", err)
		return NewProblem(http.StatusServiceUnavailable, "code-not-sent", "the code could not be sent; try again in a moment")
	}
	c.Header("Location", "/v1/order-lookups/"+res.LookupID)
	c.JSON(http.StatusAccepted, gin.H{"id": res.LookupID, "sent_to": maskContact(contact, kind), "expires_at": res.ExpiresAt})
	return nil
}

// verifyLookup checks the code of a lookup and answers the order with an
// access token to file a return for it.
func (s *server) verifyLookup(c *gin.Context) error {
	var req verifyRequest
	if err := bind(c, &req); err != nil {
		return err
	}
	if !otp.WellFormed(req.Code) {
		return Invalid(FieldError{"code", "must be the 6 digits we sent"})
	}
	notFound := NewProblem(http.StatusNotFound, "not-found", "no such lookup")
	id := c.Param("id")
	if !validID(id) {
		return notFound
	}
	ctx := c.Request.Context()
	token, err := auth.NewToken(prefixOrderAccess)
	if err != nil {
		return err
	}
	expires := s.now().Add(orderAccessLife)
	result, err := s.deps.DB.CheckLookupCode(ctx, id, s.now(), otp.MaxTries, func(id, stored string) bool {
		return otp.Matches(s.deps.OTPSecret, id, req.Code, stored)
	}, auth.HashToken(token), expires)
	if err != nil {
		return err
	}
	if err := codeProblem(result, "start again to get a new one"); err != nil {
		return err
	}
	l, err := s.deps.DB.LookupByID(ctx, id)
	if err != nil {
		return err
	}
	view, err := s.shopperOrderView(ctx, l)
	if err != nil {
		return err
	}
	c.Header("Cache-Control", "no-store")
	c.JSON(http.StatusOK, gin.H{"token": token, "token_type": "Bearer", "expires_at": expires, "order": view})
	return nil
}

// lookupOrder answers the order a lookup's access token opens.
func (s *server) lookupOrder(c *gin.Context) error {
	l, err := s.lookupOfRequest(c)
	if err != nil {
		return err
	}
	if l == nil {
		return errUnauthenticated
	}
	view, err := s.shopperOrderView(c.Request.Context(), l)
	if err != nil {
		return err
	}
	c.Header("Cache-Control", "no-store")
	c.JSON(http.StatusOK, view)
	return nil
}

// lookupOfRequest reads the order access token a request carries: nil
// when it carries none (another kind of token is not one), 401 when it is
// not live.
func (s *server) lookupOfRequest(c *gin.Context) (*db.OrderLookup, error) {
	token, ok := strings.CutPrefix(c.GetHeader("Authorization"), "Bearer ")
	if !ok || !strings.HasPrefix(token, prefixOrderAccess) {
		return nil, nil
	}
	l, err := s.deps.DB.LookupByToken(c.Request.Context(), auth.HashToken(token), s.now())
	if errors.Is(err, db.ErrNotFound) {
		return nil, NewProblem(http.StatusUnauthorized, "unauthenticated", "the order's access has expired: find the order again")
	}
	return l, err
}

type shopperLineView struct {
	LineID   string `json:"line_id"`
	Name     string `json:"name"`
	Category string `json:"category,omitempty"`
	Quantity int    `json:"quantity"`
	// UnitPaid is what one unit cost after the line's discount.
	UnitPaid int64 `json:"unit_paid"`
	// Returnable is how many units may still be returned: not held by
	// another return, and none when the category is not returnable.
	Returnable int    `json:"returnable"`
	Why        string `json:"why_not_returnable,omitempty"`
}

type shopperOrderView struct {
	Merchant     string            `json:"merchant"`
	MerchantName string            `json:"merchant_name"`
	OrderNumber  string            `json:"order_number"`
	Currency     string            `json:"currency"`
	PlacedAt     time.Time         `json:"placed_at"`
	Channel      string            `json:"channel"`
	Lines        []shopperLineView `json:"lines"`
	Reasons      []string          `json:"reasons"`
	Methods      []string          `json:"methods"`
}

func (s *server) shopperOrderView(ctx context.Context, l *db.OrderLookup) (*shopperOrderView, error) {
	m, err := s.deps.DB.MerchantByID(ctx, l.MerchantID)
	if err != nil {
		return nil, err
	}
	o, err := s.deps.DB.OrderByID(ctx, l.OrderID)
	if err != nil {
		return nil, err
	}
	policy, err := returns.ParsePolicy(m.Policy)
	if err != nil {
		return nil, err
	}
	taken, err := s.deps.DB.TakenUnits(ctx, o.ID, uuid.Nil.String())
	if err != nil {
		return nil, err
	}
	v := &shopperOrderView{Merchant: m.Slug, MerchantName: m.Name, OrderNumber: o.OrderNumber, Currency: o.Currency,
		PlacedAt: o.PlacedAt, Reasons: returns.Reasons, Methods: []string{workflows.MethodShip, workflows.MethodInStore}}
	if o.Payment != nil {
		v.Channel = o.Payment.Channel
	}
	for _, line := range o.Lines {
		lv := shopperLineView{LineID: line.LineID, Name: line.Name, Category: line.Category, Quantity: line.Quantity,
			UnitPaid:   (line.UnitPrice*int64(line.Quantity) - line.Discount) / int64(max(line.Quantity, 1)),
			Returnable: max(line.Quantity-taken[line.LineID], 0)}
		switch {
		case slices.Contains(policy.NonReturnableCategories, line.Category):
			lv.Returnable, lv.Why = 0, "this kind of item cannot be returned"
		case lv.Returnable == 0:
			lv.Why = "already returned"
		}
		v.Lines = append(v.Lines, lv)
	}
	return v, nil
}
