package api

import (
	"context"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/rebound-returns/rebound/app/filing"
	"github.com/rebound-returns/rebound/returns"
)

// Shoppers file returns, prove the order is theirs with a code, and follow
// or cancel their return (app/filing holds the rules).

// filingProcedure is what a shopper does (*filing.Service).
type filingProcedure interface {
	File(ctx context.Context, req filing.FileRequest) (filing.Filed, error)
	Verify(ctx context.Context, returnID, code string) (filing.Opened, error)
	Resend(ctx context.Context, returnID, clientIP string) (filing.Sent, error)
	Return(ctx context.Context, id string, see filing.See) (filing.Return, error)
	Label(ctx context.Context, id string, see filing.See) ([]byte, error)
	MayCancel(actor returns.Actor) error
	Cancel(ctx context.Context, req filing.CancelRequest) (string, error)
	StartLookup(ctx context.Context, req filing.LookupRequest) (filing.LookupSent, error)
	VerifyLookup(ctx context.Context, id, code string) (filing.Granted, error)
	AccessOf(ctx context.Context, token string) (*filing.Access, error)
	Order(ctx context.Context, a *filing.Access) (filing.OrderView, error)
	Quote(ctx context.Context, a *filing.Access, lines []returns.RequestedLine) (returns.FilingQuote, error)
	Merchant(ctx context.Context, slug string) (filing.Merchant, error)
}

type fileReturnRequest struct {
	Merchant    string                  `json:"merchant"`
	OrderNumber string                  `json:"order_number"`
	Contact     string                  `json:"contact"`
	Lines       []returns.RequestedLine `json:"lines"`
	Method      returns.Method          `json:"method"`
}

func (s *server) routesShopper(r *gin.RouterGroup) {
	r.POST("/returns", s.idempotent, s.handle(s.fileReturn))
	r.POST("/returns/:id/verify", s.handle(s.verifyCode))
	r.POST("/returns/:id/otp", s.handle(s.resendCode))
	s.routesLookup(r)
	seen := r.Group("/returns/:id", s.staffOrShopper())
	seen.GET("", s.handle(s.showReturn))
	seen.GET("/label", s.handle(s.getLabel))
	seen.POST("/cancel", s.handle(func(c *gin.Context) error {
		err := s.cancelReturn(c)
		if p := principalOf(c); p.Kind == kindStaff {
			s.auditOutcome(c, p, "return.cancel", c.Param("id"), err)
		}
		return err
	}))
}

var errNoSuchReturn = NewProblem(http.StatusNotFound, "not-found", "no such return")

// fileReturn files a return. A shopper names the order and its contact and
// gets a code to verify the return with; or, holding the access token of an
// order lookup they verified (the portal's way), files it verified at once
// and gets the return's token in the answer.
func (s *server) fileReturn(c *gin.Context) error {
	var req fileReturnRequest
	if err := bind(c, &req); err != nil {
		return err
	}
	access, err := s.lookupOfRequest(c)
	if err != nil {
		return err
	}
	filed, err := s.filing.File(c.Request.Context(), filing.FileRequest{Merchant: req.Merchant, OrderNumber: req.OrderNumber,
		Contact: req.Contact, Lines: req.Lines, Method: req.Method, ClientIP: c.ClientIP(), Access: access})
	if err != nil {
		return err
	}
	c.Header("Location", "/v1/returns/"+filed.ReturnID)
	if filed.Session != nil {
		return s.respondOpened(c, http.StatusCreated, filed.ReturnID, *filed.Session)
	}
	// Until the code is verified the answer says nothing of the order.
	c.JSON(http.StatusCreated, gin.H{"id": filed.ReturnID, "status": filed.Status,
		"verification": gin.H{"sent_to": filed.SentTo, "expires_in_seconds": int(filed.VerifyWithin.Seconds())}})
	return nil
}

type verifyRequest struct {
	Code string `json:"code"`
}

// verifyCode checks a code; the shopper gets a token for this return.
func (s *server) verifyCode(c *gin.Context) error {
	var req verifyRequest
	if err := bind(c, &req); err != nil {
		return err
	}
	opened, err := s.filing.Verify(c.Request.Context(), c.Param("id"), req.Code)
	if err != nil {
		return err
	}
	return s.respondOpened(c, http.StatusOK, opened.ReturnID, opened.Session)
}

// respondOpened answers a return with the new shopper token that opens it.
func (s *server) respondOpened(c *gin.Context, status int, id string, sess filing.Session) error {
	view, err := s.returnView(c, id)
	if err != nil {
		return err
	}
	c.Header("Cache-Control", "no-store")
	c.JSON(status, gin.H{"id": id, "status": view.Status, "token": sess.Token, "token_type": "Bearer",
		"expires_at": sess.ExpiresAt, "return": view})
	return nil
}

// resendCode sends a new code, within the limits.
func (s *server) resendCode(c *gin.Context) error {
	if _, err := readBody(c); err != nil {
		return err
	}
	sent, err := s.filing.Resend(c.Request.Context(), c.Param("id"), c.ClientIP())
	if err != nil {
		return err
	}
	c.JSON(http.StatusAccepted, gin.H{"sent_to": sent.SentTo, "expires_at": sent.ExpiresAt})
	return nil
}

func (s *server) getLabel(c *gin.Context) error {
	id := c.Param("id")
	pdf, err := s.filing.Label(c.Request.Context(), id, principalOf(c).canSee)
	if err != nil {
		return err
	}
	c.Header("Content-Disposition", `inline; filename="return-`+id+`.pdf"`)
	c.Data(http.StatusOK, "application/pdf", pdf)
	return nil
}

type cancelRequest struct {
	Reason string `json:"reason,omitempty"`
}

// cancelReturn cancels a return for its shopper or a staff member; a role
// that may not cancel hears so before its body is read.
func (s *server) cancelReturn(c *gin.Context) error {
	p := principalOf(c)
	actor := returns.Actor{Kind: returns.ActorShopper, Name: string(returns.ActorShopper)}
	if p.Kind == kindStaff {
		actor = staffActor(p)
	}
	if err := s.filing.MayCancel(actor); err != nil {
		return err
	}
	var req cancelRequest
	if body, err := readBody(c); err != nil {
		return err
	} else if len(body) > 0 {
		if err := bind(c, &req); err != nil {
			return err
		}
	}
	id, err := s.filing.Cancel(c.Request.Context(), filing.CancelRequest{ReturnID: c.Param("id"), Reason: req.Reason,
		Actor: actor, See: p.canSee})
	if err != nil {
		return err
	}
	return s.respondReturn(c, http.StatusOK, id)
}

// oneOf says whether v is one of options (the other handlers' helper).
func oneOf(v string, options ...string) bool {
	for _, o := range options {
		if v == o {
			return true
		}
	}
	return false
}
