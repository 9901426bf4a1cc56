package api

import (
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/rebound-returns/rebound/app/filing"
	"github.com/rebound-returns/rebound/returns"
)

// Order lookups let a shopper prove an order is theirs before choosing
// what to return (app/filing): the order's number and contact get a code
// sent to that contact; the code, entered, opens the order for half an
// hour through an access token, with which the shopper reads the order's
// lines and files a return that is verified from the start.

// prefixOrderAccess starts an order access token (idempotency scopes its
// holder's requests by it).
const prefixOrderAccess = filing.PrefixOrderAccess

func (s *server) routesLookup(r *gin.RouterGroup) {
	r.POST("/order-lookups", s.handle(s.startLookup))
	r.POST("/order-lookups/:id/verify", s.handle(s.verifyLookup))
	r.GET("/shopper/order", s.handle(s.lookupOrder))
	r.POST("/shopper/quote", s.handle(s.quoteLines))
	r.GET("/merchants/:slug", s.handle(s.publicMerchant))
}

// publicMerchant tells a shopper whose returns portal they are on.
func (s *server) publicMerchant(c *gin.Context) error {
	m, err := s.filing.Merchant(c.Request.Context(), c.Param("slug"))
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
	sent, err := s.filing.StartLookup(c.Request.Context(), filing.LookupRequest{Merchant: req.Merchant,
		OrderNumber: req.OrderNumber, Contact: req.Contact, ClientIP: c.ClientIP()})
	if err != nil {
		return err
	}
	c.Header("Location", "/v1/order-lookups/"+sent.ID)
	c.JSON(http.StatusAccepted, gin.H{"id": sent.ID, "sent_to": sent.SentTo, "expires_at": sent.ExpiresAt})
	return nil
}

// verifyLookup checks the code of a lookup and answers the order with an
// access token to file a return for it.
func (s *server) verifyLookup(c *gin.Context) error {
	var req verifyRequest
	if err := bind(c, &req); err != nil {
		return err
	}
	g, err := s.filing.VerifyLookup(c.Request.Context(), c.Param("id"), req.Code)
	if err != nil {
		return err
	}
	c.Header("Cache-Control", "no-store")
	c.JSON(http.StatusOK, gin.H{"token": g.Token, "token_type": "Bearer", "expires_at": g.ExpiresAt, "order": g.Order})
	return nil
}

// lookupOrder answers the order a lookup's access token opens.
func (s *server) lookupOrder(c *gin.Context) error {
	a, err := s.lookupOfRequest(c)
	if err != nil {
		return err
	}
	if a == nil {
		return errUnauthenticated
	}
	view, err := s.filing.Order(c.Request.Context(), a)
	if err != nil {
		return err
	}
	c.Header("Cache-Control", "no-store")
	c.JSON(http.StatusOK, view)
	return nil
}

type quoteRequest struct {
	Lines []returns.RequestedLine `json:"lines"`
}

// quoteLines answers what each line would give under each resolution the
// merchant offers, before the shopper files (order access token).
func (s *server) quoteLines(c *gin.Context) error {
	// The token first: a body's faults are told only to who may quote.
	a, err := s.lookupOfRequest(c)
	if err != nil {
		return err
	}
	if a == nil {
		return errUnauthenticated
	}
	var req quoteRequest
	if err := bind(c, &req); err != nil {
		return err
	}
	q, err := s.filing.Quote(c.Request.Context(), a, req.Lines)
	if err != nil {
		return err
	}
	c.Header("Cache-Control", "no-store")
	c.JSON(http.StatusOK, q)
	return nil
}

// lookupOfRequest reads the order access a request's bearer token opens:
// nil when it carries none (another kind of token is not one), 401 when it
// is not live.
func (s *server) lookupOfRequest(c *gin.Context) (*filing.Access, error) {
	token, ok := strings.CutPrefix(c.GetHeader("Authorization"), "Bearer ")
	if !ok {
		return nil, nil
	}
	return s.filing.AccessOf(c.Request.Context(), token)
}
