package api

import (
	"context"
	"github.com/rebound-returns/rebound/returns"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/rebound-returns/rebound/app/freeze"
	"github.com/rebound-returns/rebound/app/views"
)

// An emergency refund freeze (app/freeze): an operator or a merchant's
// admin stops refunds for a merchant, a store or a terminal at once; lifting
// it wakes the refunds it held. Admins are told; the audit log records
// both steps (auditedAs).

func (s *server) routesFreezes(r *gin.RouterGroup) {
	op := r.Group("/admin/freezes", s.staffOnly(returns.RoleOperator))
	op.GET("", s.handle(s.listFreezes))
	op.POST("", s.auditedAs("refunds.freeze", "freeze", s.createFreeze))
	op.POST("/:id/lift", s.auditedAs("refunds.unfreeze", "freeze", s.liftFreeze))
	m := r.Group("/merchant/freezes")
	m.GET("", s.staffOnly(returns.RoleClerk, returns.RoleSupervisor, returns.RoleFinance, returns.RoleAdmin), s.handle(s.listFreezes))
	m.POST("", s.staffOnly(returns.RoleAdmin), s.auditedAs("refunds.freeze", "freeze", s.createFreeze))
	m.POST("/:id/lift", s.staffOnly(returns.RoleAdmin), s.auditedAs("refunds.unfreeze", "freeze", s.liftFreeze))
}

// freezes places, lifts and lists refund freezes (*freeze.Service).
type freezes interface {
	Place(ctx context.Context, req freeze.Request) (freeze.View, error)
	Lift(ctx context.Context, c freeze.Caller, id string) (freeze.Lifted, error)
	List(ctx context.Context, req freeze.ListRequest) (freeze.Page, *freeze.Listed, error)
}

// freezeView is a freeze as answered: a freeze.View, from which it
// converts.
// freezeView is a freeze as answered, the type the pages decode too.
type freezeView = views.Freeze

type freezeRequest struct {
	Merchant   string `json:"merchant"` // operators name it; admins freeze their own
	StoreCode  string `json:"store_code"`
	TerminalID string `json:"terminal_id"`
	Reason     string `json:"reason"`
}

// freezeCaller is the staff member acting on freezes.
func freezeCaller(c *gin.Context) freeze.Caller {
	p := principalOf(c)
	return freeze.Caller{Username: p.Username, Role: p.Role, MerchantID: p.MerchantID}
}

func (s *server) createFreeze(c *gin.Context) (string, error) {
	var req freezeRequest
	if err := bind(c, &req); err != nil {
		return "", err
	}
	v, err := s.freezes.Place(c.Request.Context(), freeze.Request{Caller: freezeCaller(c), Merchant: req.Merchant,
		StoreCode: req.StoreCode, TerminalID: req.TerminalID, Reason: req.Reason})
	if err != nil {
		return "", err
	}
	c.JSON(http.StatusCreated, freezeView(v))
	return v.ID, nil
}

func (s *server) liftFreeze(c *gin.Context) (string, error) {
	if _, err := readBody(c); err != nil {
		return "", err
	}
	l, err := s.freezes.Lift(c.Request.Context(), freezeCaller(c), c.Param("id"))
	if err != nil {
		return "", err
	}
	c.JSON(http.StatusOK, gin.H{"freeze": freezeView(l.Freeze), "refunds_released": l.Released})
	return l.Freeze.ID, nil
}

func (s *server) listFreezes(c *gin.Context) error {
	pg, fs, err := s.freezes.List(c.Request.Context(), freeze.ListRequest{Caller: freezeCaller(c), Merchant: c.Query("merchant"),
		Active: c.Query("active") == "true", Page: func() (freeze.Page, error) { return readOffsetPage(c) }})
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, offsetPage(c, pg, fs, func(v *freeze.View) freezeView { return freezeView(*v) }))
	return nil
}
