package api

import (
	"context"
	"net"
	"net/http"
	"net/url"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/rebound-returns/rebound/auth"
	"github.com/rebound-returns/rebound/db"
	"github.com/rebound-returns/rebound/notify"
	"github.com/rebound-returns/rebound/returns"
)

// A merchant's admin registers where return events are sent. (Staff,
// terminals, API keys and policy come with onboarding.)

func (s *server) routesMerchantAdmin(r *gin.RouterGroup) {
	admin := s.staffOnly("admin")
	g := r.Group("/merchant/webhooks", admin)
	g.GET("", s.handle(s.listWebhooks))
	g.POST("", s.auditedAs("webhook.create", "webhook", s.createWebhook))
	g.POST("/:id/test", s.auditedAs("webhook.test", "webhook", s.testWebhook))
	r.GET("/merchant/policy", s.staffOnly("clerk", "supervisor", "finance", "admin"), s.handle(s.getPolicy))
	r.PUT("/merchant/policy", admin, s.auditedAs("policy.update", "merchant", s.putPolicy))
	r.GET("/merchant/terminals", s.staffOnly("clerk", "supervisor", "admin"), s.handle(s.listTerminals))
	r.POST("/merchant/terminals", admin, s.auditedAs("terminal.create", "terminal", s.createTerminal))
	st := r.Group("/merchant/staff", admin)
	st.GET("", s.handle(s.listStaff))
	st.POST("", s.auditedAs("staff.invite", "staff_user", s.inviteStaff))
	st.PATCH("/:id", s.auditedAs("staff.change", "staff_user", s.changeStaff))
	k := r.Group("/merchant/api-keys", admin)
	k.GET("", s.handle(s.listAPIKeys))
	k.POST("", s.auditedAs("api_key.create", "api_key", s.createAPIKey))
	k.DELETE("/:id", s.auditedAs("api_key.revoke", "api_key", s.revokeAPIKey))
}

type terminalView struct {
	ID      string `json:"id"`
	StoreID string `json:"store_id"`
	Kind    string `json:"kind"`
}

// listTerminals lists the merchant's terminals, for the counter's choice,
// a page at a time.
func (s *server) listTerminals(c *gin.Context) error {
	p, err := readOffsetPage(c)
	if err != nil {
		return err
	}
	ts, err := s.deps.DB.TerminalsPage(c.Request.Context(), principalOf(c).MerchantID, p)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, offsetPage(c, p, ts, func(t *db.Terminal) terminalView {
		return terminalView{ID: t.TerminalID, StoreID: t.StoreID, Kind: t.Kind}
	}))
	return nil
}

// getPolicy shows the merchant's return policy as returns filed now get it
// (defaults filled in). Every role may read it; the counter needs it too.
func (s *server) getPolicy(c *gin.Context) error {
	m, err := s.deps.DB.MerchantByID(c.Request.Context(), principalOf(c).MerchantID)
	if err != nil {
		return err
	}
	p, err := returns.ParsePolicy(m.Policy)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, gin.H{"merchant": m.Slug, "currency": m.Currency, "policy": p, "reasons": returns.Reasons})
	return nil
}

type webhookView struct {
	ID        string    `json:"id"`
	URL       string    `json:"url"`
	Secret    string    `json:"secret,omitempty"`
	CreatedAt time.Time `json:"created_at"`
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
	u, err := url.Parse(req.URL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || len(req.URL) > 500 {
		return "", Invalid(FieldError{"url", "must be an http(s) URL"})
	}
	if !s.deps.Dev {
		// Outside dev, events go over TLS to the internet only: an endpoint
		// must not turn Rebound into a probe of its own network.
		if msg := publicEndpoint(c.Request.Context(), u, net.DefaultResolver); msg != "" {
			return "", Invalid(FieldError{"url", msg})
		}
	}
	secret, err := auth.NewToken("whsec_")
	if err != nil {
		return "", err
	}
	w := &db.WebhookEndpoint{MerchantID: principalOf(c).MerchantID, URL: req.URL, Secret: secret}
	if err := s.deps.DB.CreateWebhookEndpoint(c.Request.Context(), w); err != nil {
		return "", err
	}
	c.Header("Cache-Control", "no-store")
	c.JSON(http.StatusCreated, webhookView{ID: w.ID, URL: w.URL, Secret: secret, CreatedAt: w.CreatedAt})
	return w.ID, nil
}

func (s *server) listWebhooks(c *gin.Context) error {
	p, err := readOffsetPage(c)
	if err != nil {
		return err
	}
	hooks, err := s.deps.DB.WebhookEndpointsPage(c.Request.Context(), principalOf(c).MerchantID, p)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, offsetPage(c, p, hooks, func(h *db.WebhookEndpoint) webhookView {
		return webhookView{ID: h.ID, URL: h.URL, CreatedAt: h.CreatedAt}
	}))
	return nil
}

// publicEndpoint tells what keeps u from being a webhook endpoint outside
// dev ("" when nothing): it must be https, and its host must resolve only
// to global unicast addresses (the check delivery repeats as it dials).
func publicEndpoint(ctx context.Context, u *url.URL, r interface {
	LookupIPAddr(ctx context.Context, host string) ([]net.IPAddr, error)
}) string {
	if u.Scheme != "https" {
		return "must be an https URL"
	}
	return notify.CheckPublicHost(ctx, u.Hostname(), r)
}
