package api

import (
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/rebound-returns/rebound/db"
	"github.com/rebound-returns/rebound/workflows"
)

// An emergency refund freeze: an operator or a merchant's admin stops
// refunds for a merchant, a store or a terminal at once. Refunds already
// sending finish their attempt (a reversal is never frozen); new attempts
// wait in their workflows until the freeze is lifted. Admins are told.

func (s *server) routesFreezes(r *gin.RouterGroup) {
	op := r.Group("/admin/freezes", s.staffOnly("operator"))
	op.GET("", s.handle(s.listFreezes))
	op.POST("", s.auditedAs("refunds.freeze", "freeze", s.createFreeze))
	op.POST("/:id/lift", s.auditedAs("refunds.unfreeze", "freeze", s.liftFreeze))
	m := r.Group("/merchant/freezes")
	m.GET("", s.staffOnly("clerk", "supervisor", "finance", "admin"), s.handle(s.listFreezes))
	m.POST("", s.staffOnly("admin"), s.auditedAs("refunds.freeze", "freeze", s.createFreeze))
	m.POST("/:id/lift", s.staffOnly("admin"), s.auditedAs("refunds.unfreeze", "freeze", s.liftFreeze))
}

type freezeView struct {
	ID         string `json:"id"`
	Merchant   string `json:"merchant"`
	Scope      string `json:"scope"`
	StoreCode  string `json:"store_code,omitempty"`
	TerminalID string `json:"terminal_id,omitempty"`
	Reason     string `json:"reason"`
	CreatedBy  string `json:"created_by"`
	// ByOperator: the platform froze it; only an operator lifts it.
	ByOperator bool       `json:"by_operator"`
	CreatedAt  time.Time  `json:"created_at"`
	Active     bool       `json:"active"`
	LiftedAt   *time.Time `json:"lifted_at,omitempty"`
	LiftedBy   string     `json:"lifted_by,omitempty"`
}

type freezeRequest struct {
	Merchant   string `json:"merchant"` // operators name it; admins freeze their own
	StoreCode  string `json:"store_code"`
	TerminalID string `json:"terminal_id"`
	Reason     string `json:"reason"`
}

// freezeMerchant is the merchant a freeze request is about: the admin's
// own, or for an operator the one named.
func (s *server) freezeMerchant(c *gin.Context, slug string) (*db.Merchant, error) {
	p := principalOf(c)
	ctx := c.Request.Context()
	if p.Role != "operator" {
		if slug != "" {
			return nil, Invalid(FieldError{"merchant", "only operators name a merchant"})
		}
		return s.deps.DB.MerchantByID(ctx, p.MerchantID)
	}
	if strings.TrimSpace(slug) == "" {
		return nil, Invalid(FieldError{"merchant", "is required"})
	}
	m, err := s.deps.DB.MerchantBySlug(ctx, slug)
	if errors.Is(err, db.ErrNotFound) {
		return nil, Invalid(FieldError{"merchant", "no such merchant"})
	}
	return m, err
}

func (s *server) createFreeze(c *gin.Context) (string, error) {
	var req freezeRequest
	if err := bind(c, &req); err != nil {
		return "", err
	}
	req.Reason = strings.TrimSpace(req.Reason)
	var errs []FieldError
	if req.Reason == "" || len(req.Reason) > 500 {
		errs = append(errs, FieldError{"reason", "is required (at most 500 characters): admins and the audit log are told"})
	}
	if req.StoreCode != "" && req.TerminalID != "" {
		errs = append(errs, FieldError{"terminal_id", "freeze a store or a terminal, not both"})
	}
	if len(errs) > 0 {
		return "", Invalid(errs...)
	}
	m, err := s.freezeMerchant(c, req.Merchant)
	if err != nil {
		return "", err
	}
	ctx := c.Request.Context()
	p := principalOf(c)
	f := &db.Freeze{MerchantID: m.ID, Reason: req.Reason, CreatedBy: p.Username, CreatedRole: p.Role}
	switch {
	case req.StoreCode != "":
		st, err := s.deps.DB.StoreByCode(ctx, m.ID, req.StoreCode)
		if errors.Is(err, db.ErrNotFound) {
			return "", Invalid(FieldError{"store_code", "is not a store of this merchant"})
		}
		if err != nil {
			return "", err
		}
		f.StoreID = &st.ID
	case req.TerminalID != "":
		t, err := s.deps.DB.TerminalByID(ctx, strings.ToUpper(req.TerminalID))
		if err != nil || t.MerchantID != m.ID {
			return "", Invalid(FieldError{"terminal_id", "is not a terminal of this merchant"})
		}
		f.TerminalID = &t.TerminalID
	}
	if err := s.deps.DB.CreateFreeze(ctx, f); err != nil {
		return "", err
	}
	s.tellAdmins(ctx, m.ID, "Refunds frozen at "+m.Name,
		"Refunds for "+f.Scope()+" of "+m.Name+" are frozen by "+p.Username+": "+f.Reason+
			". Refunds already sending finish; new ones wait until the freeze is lifted.")
	v, err := s.viewFreeze(c, f, m)
	if err != nil {
		return "", err
	}
	c.JSON(http.StatusCreated, v)
	return f.ID, nil
}

func (s *server) liftFreeze(c *gin.Context) (string, error) {
	if _, err := readBody(c); err != nil {
		return "", err
	}
	id := c.Param("id")
	notFound := NewProblem(http.StatusNotFound, "not-found", "no such freeze in force that you may lift (an operator's freeze is lifted by an operator)")
	if !validID(id) {
		return "", notFound
	}
	p := principalOf(c)
	ctx := c.Request.Context()
	scope := p.MerchantID // operators lift any merchant's
	f, waiting, err := s.deps.DB.LiftFreeze(ctx, scope, id, p.Username, s.now())
	if errors.Is(err, db.ErrNotFound) {
		return "", notFound
	}
	if err != nil {
		return "", err
	}
	// Wake the refunds it held; one missed looks again on its own soon.
	for _, wid := range waiting {
		if err := s.deps.Temporal.SignalWorkflow(ctx, wid, "", workflows.SignalFreezeLifted, nil); err != nil {
			s.log.WarnContext(ctx, "frozen refund not woken", "workflow_id", wid, "err", err)
		}
	}
	m, err := s.deps.DB.MerchantByID(ctx, f.MerchantID)
	if err != nil {
		return "", err
	}
	s.tellAdmins(ctx, m.ID, "Refunds unfrozen at "+m.Name,
		"The refund freeze on "+f.Scope()+" of "+m.Name+" was lifted by "+p.Username+"; waiting refunds go on.")
	v, err := s.viewFreeze(c, f, m)
	if err != nil {
		return "", err
	}
	c.JSON(http.StatusOK, gin.H{"freeze": v, "refunds_released": len(waiting)})
	return f.ID, nil
}

func (s *server) listFreezes(c *gin.Context) error {
	p := principalOf(c)
	ctx := c.Request.Context()
	merchantID := p.MerchantID
	if p.Role == "operator" && c.Query("merchant") != "" {
		m, err := s.deps.DB.MerchantBySlug(ctx, c.Query("merchant"))
		if errors.Is(err, db.ErrNotFound) {
			return Invalid(FieldError{"merchant", "no such merchant"})
		}
		if err != nil {
			return err
		}
		merchantID = m.ID
	}
	page, err := readOffsetPage(c)
	if err != nil {
		return err
	}
	fs, err := s.deps.DB.Freezes(ctx, merchantID, c.Query("active") == "true", page)
	if err != nil {
		return err
	}
	views := make([]freezeView, 0, len(fs.Items))
	for i := range fs.Items {
		m, err := s.deps.DB.MerchantByID(ctx, fs.Items[i].MerchantID)
		if err != nil {
			return err
		}
		v, err := s.viewFreeze(c, &fs.Items[i], m)
		if err != nil {
			return err
		}
		views = append(views, v)
	}
	c.JSON(http.StatusOK, offsetPage(c, page, &db.Paged[freezeView]{Items: views, More: fs.More, Total: fs.Total},
		func(v *freezeView) freezeView { return *v }))
	return nil
}

func (s *server) viewFreeze(c *gin.Context, f *db.Freeze, m *db.Merchant) (freezeView, error) {
	v := freezeView{ID: f.ID, Merchant: m.Slug, Scope: "merchant", Reason: f.Reason, CreatedBy: f.CreatedBy, CreatedAt: f.CreatedAt,
		ByOperator: f.CreatedRole == "operator",
		Active:     f.LiftedAt == nil, LiftedAt: f.LiftedAt, LiftedBy: f.LiftedBy}
	switch {
	case f.TerminalID != nil:
		v.Scope, v.TerminalID = "terminal", *f.TerminalID
	case f.StoreID != nil:
		v.Scope = "store"
		stores, err := s.deps.DB.Stores(c.Request.Context(), m.ID)
		if err != nil {
			return v, err
		}
		for _, st := range stores {
			if st.ID == *f.StoreID {
				v.StoreCode = st.Code
			}
		}
	}
	return v, nil
}
