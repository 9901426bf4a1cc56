package api

import (
	"github.com/rebound-returns/rebound/returns"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/rebound-returns/rebound/app/admin"
)

// A merchant's admin registers where return events are sent, and keeps the
// return policy and the terminals. (Staff and API keys: merchant_people.go.)

func (s *server) routesMerchantAdmin(r *gin.RouterGroup) {
	adminOnly := s.staffOnly(returns.RoleAdmin)
	g := r.Group("/merchant/webhooks", adminOnly)
	g.GET("", s.handle(s.listWebhooks))
	g.POST("", s.auditedAs("webhook.create", "webhook", s.createWebhook))
	g.POST("/:id/test", s.auditedAs("webhook.test", "webhook", s.testWebhook))
	r.GET("/merchant/policy", s.staffOnly(returns.RoleClerk, returns.RoleSupervisor, returns.RoleFinance, returns.RoleAdmin), s.handle(s.getPolicy))
	r.PUT("/merchant/policy", adminOnly, s.auditedAs("policy.update", "merchant", s.putPolicy))
	r.GET("/merchant/terminals", s.staffOnly(returns.RoleClerk, returns.RoleSupervisor, returns.RoleAdmin), s.handle(s.listTerminals))
	r.POST("/merchant/terminals", adminOnly, s.auditedAs("terminal.create", "terminal", s.createTerminal))
	st := r.Group("/merchant/staff", adminOnly)
	st.GET("", s.handle(s.listStaff))
	st.POST("", s.auditedAs("staff.invite", "staff_user", s.inviteStaff))
	st.PATCH("/:id", s.auditedAs("staff.change", "staff_user", s.changeStaff))
	k := r.Group("/merchant/api-keys", adminOnly)
	k.GET("", s.handle(s.listAPIKeys))
	k.POST("", s.auditedAs("api_key.create", "api_key", s.createAPIKey))
	k.DELETE("/:id", s.auditedAs("api_key.revoke", "api_key", s.revokeAPIKey))
}

type terminalView struct {
	ID      string `json:"id"`
	StoreID string `json:"store_id"`
	Kind    string `json:"kind"`
}

func viewTerminal(t *admin.Terminal) terminalView {
	return terminalView{ID: t.TerminalID, StoreID: t.StoreID, Kind: t.Kind}
}

// listTerminals lists the merchant's terminals, for the counter's choice,
// a page at a time.
func (s *server) listTerminals(c *gin.Context) error {
	p, err := readOffsetPage(c)
	if err != nil {
		return err
	}
	ts, err := s.admin.Terminals(c.Request.Context(), principalOf(c).MerchantID, p)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, offsetPage(c, p, ts, viewTerminal))
	return nil
}

type terminalRequest struct {
	StoreCode    string `json:"store_code"`
	StoreName    string `json:"store_name"`
	StoreAddress string `json:"store_address"`
	TerminalID   string `json:"terminal_id"`
	Kind         string `json:"kind"`
}

// createTerminal registers a terminal of a store, the store with it when
// new (admin.RegisterTerminal).
func (s *server) createTerminal(c *gin.Context) (string, error) {
	var req terminalRequest
	if err := bind(c, &req); err != nil {
		return "", err
	}
	t, err := s.admin.RegisterTerminal(c.Request.Context(), principalOf(c).MerchantID, admin.TerminalInput(req))
	if err != nil {
		return "", err
	}
	c.JSON(http.StatusCreated, gin.H{"id": t.TerminalID, "store_id": t.StoreID, "kind": t.Kind})
	return t.ID, nil
}

// getPolicy shows the merchant's return policy as returns filed now get it
// (defaults filled in). Every role may read it; the counter needs it too.
func (s *server) getPolicy(c *gin.Context) error {
	v, err := s.admin.Policy(c.Request.Context(), principalOf(c).MerchantID)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, gin.H{"merchant": v.Merchant, "currency": v.Currency, "policy": v.Policy, "reasons": v.Reasons})
	return nil
}

// putPolicy replaces the merchant's policy: the body is read whole, its
// size checked (admin.MaxPolicySize), and only then decoded.
func (s *server) putPolicy(c *gin.Context) (string, error) {
	body, err := readBody(c)
	if err != nil {
		return "", err
	}
	merchantID := principalOf(c).MerchantID
	v, err := s.admin.SetPolicy(c.Request.Context(), admin.PolicyChange{MerchantID: merchantID, Size: len(body),
		Decode: func(into any) error { return bind(c, into) }})
	if err != nil {
		return "", err
	}
	c.JSON(http.StatusOK, gin.H{"policy": v.Policy, "reasons": v.Reasons})
	return merchantID, nil
}

type webhookView struct {
	ID        string    `json:"id"`
	URL       string    `json:"url"`
	Secret    string    `json:"secret,omitempty"`
	CreatedAt time.Time `json:"created_at"`
}

func viewWebhook(w *admin.Webhook) webhookView {
	return webhookView{ID: w.ID, URL: w.URL, Secret: w.Secret, CreatedAt: w.CreatedAt}
}

type webhookRequest struct {
	URL string `json:"url"`
}

// createWebhook registers an endpoint and shows its signing secret once.
func (s *server) createWebhook(c *gin.Context) (string, error) {
	var req webhookRequest
	if err := bind(c, &req); err != nil {
		return "", err
	}
	w, err := s.admin.AddWebhook(c.Request.Context(), principalOf(c).MerchantID, req.URL)
	if err != nil {
		return "", err
	}
	c.Header("Cache-Control", "no-store")
	c.JSON(http.StatusCreated, viewWebhook(&w))
	return w.ID, nil
}

func (s *server) listWebhooks(c *gin.Context) error {
	p, err := readOffsetPage(c)
	if err != nil {
		return err
	}
	hooks, err := s.admin.Webhooks(c.Request.Context(), principalOf(c).MerchantID, p)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, offsetPage(c, p, hooks, viewWebhook))
	return nil
}

// testWebhook sends a test event to an endpoint and answers how it went.
func (s *server) testWebhook(c *gin.Context) (string, error) {
	d, err := s.admin.TestWebhook(c.Request.Context(), principalOf(c).MerchantID, c.Param("id"))
	if err != nil {
		return "", err
	}
	out := gin.H{"delivered": d.Delivered, "status": d.Status, "attempts": d.Attempts}
	if d.Error != "" {
		out["error"] = d.Error
	}
	c.JSON(http.StatusOK, out)
	return d.EndpointID, nil
}
