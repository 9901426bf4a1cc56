package api

import (
	"context"
	"github.com/rebound-returns/rebound/returns"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/rebound-returns/rebound/app/admin"
)

// Platform operators onboard merchants: the merchant, its first admin with
// a one-time password, and an API key for its systems.

// administration is onboarding and the merchant's administration
// (*admin.Service).
type administration interface {
	Onboard(ctx context.Context, in admin.MerchantInput, by string) (admin.Onboarded, error)
	Merchants(ctx context.Context, p admin.Page) (*admin.Paged[admin.Merchant], error)
	Policy(ctx context.Context, merchantID string) (admin.PolicyView, error)
	SetPolicy(ctx context.Context, ch admin.PolicyChange) (admin.PolicyView, error)
	Terminals(ctx context.Context, merchantID string, p admin.Page) (*admin.Paged[admin.Terminal], error)
	RegisterTerminal(ctx context.Context, merchantID string, in admin.TerminalInput) (admin.Terminal, error)
	Webhooks(ctx context.Context, merchantID string, p admin.Page) (*admin.Paged[admin.Webhook], error)
	AddWebhook(ctx context.Context, merchantID, rawURL string) (admin.Webhook, error)
	TestWebhook(ctx context.Context, merchantID, id string) (admin.TestDelivery, error)
	Staff(ctx context.Context, merchantID string, p admin.Page) (*admin.Paged[admin.Staff], error)
	Invite(ctx context.Context, merchantID string, in admin.StaffInput) (admin.Invited, error)
	ChangeStaff(ctx context.Context, ch admin.StaffChange) (admin.Staff, error)
	APIKeys(ctx context.Context, merchantID string, p admin.Page) (*admin.Paged[admin.APIKey], error)
	CreateAPIKey(ctx context.Context, merchantID, name, by string) (admin.APIKey, error)
	RevokeAPIKey(ctx context.Context, merchantID, id string) error
}

func (s *server) routesAdmin(r *gin.RouterGroup) {
	g := r.Group("/admin/merchants", s.staffOnly(returns.RoleOperator))
	g.GET("", s.handle(s.listMerchants))
	// Not behind Idempotency-Key: the answer holds a password and a key that
	// must not be stored; a retry finds the slug taken (409).
	g.POST("", s.auditedAs("merchant.onboard", "merchant", s.onboardMerchant))
}

type merchantView struct {
	ID                 string    `json:"id"`
	Slug               string    `json:"slug"`
	Name               string    `json:"name"`
	Currency           string    `json:"currency"`
	TimeZone           string    `json:"time_zone"`
	AcquirerMerchantID string    `json:"acquirer_merchant_id,omitempty"`
	GatewayAccount     string    `json:"gateway_account,omitempty"`
	Status             string    `json:"status"`
	CreatedAt          time.Time `json:"created_at"`
}

func viewMerchant(m *admin.Merchant) merchantView {
	return merchantView{ID: m.ID, Slug: m.Slug, Name: m.Name, Currency: m.Currency, TimeZone: m.TimeZone,
		AcquirerMerchantID: m.AcquirerMerchantID, GatewayAccount: m.GatewayAccount, Status: m.Status, CreatedAt: m.CreatedAt}
}

type onboardRequest struct {
	Slug               string `json:"slug"`
	Name               string `json:"name"`
	Currency           string `json:"currency"`
	TimeZone           string `json:"time_zone"`
	AcquirerMerchantID string `json:"acquirer_merchant_id"`
	GatewayAccount     string `json:"gateway_account"`
	ReturnAddress      string `json:"return_address"`
	AdminUsername      string `json:"admin_username"`
	AdminEmail         string `json:"admin_email"`
}

func (s *server) onboardMerchant(c *gin.Context) (string, error) {
	var req onboardRequest
	if err := bind(c, &req); err != nil {
		return "", err
	}
	out, err := s.admin.Onboard(c.Request.Context(), admin.MerchantInput(req), principalOf(c).Username)
	if err != nil {
		return "", err
	}
	c.Header("Cache-Control", "no-store")
	c.Header("Location", "/v1/admin/merchants/"+out.Merchant.ID)
	c.JSON(http.StatusCreated, gin.H{
		"merchant": viewMerchant(&out.Merchant),
		"admin":    gin.H{"id": out.AdminID, "username": out.AdminUsername, "one_time_password": out.OneTimePassword},
		"api_key":  gin.H{"id": out.APIKey.ID, "key": out.APIKey.Key, "prefix": out.APIKey.Prefix},
	})
	return out.Merchant.ID, nil
}

func (s *server) listMerchants(c *gin.Context) error {
	p, err := readOffsetPage(c)
	if err != nil {
		return err
	}
	ms, err := s.admin.Merchants(c.Request.Context(), p)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, offsetPage(c, p, ms, viewMerchant))
	return nil
}

// adminProblems answers app/admin's refusals that are no app/apperr kind.
var adminProblems = []domainRow{
	{admin.ErrPolicyTooLarge, func(error) *Problem {
		p := NewProblem(http.StatusRequestEntityTooLarge, "too-large", "a policy is at most 16 KiB of JSON")
		p.Errors = []FieldError{{Field: "body", Message: "must be at most 16 KiB"}}
		return p
	}},
}

// auditedAs runs an admin's step that creates or changes a resource and
// records it with its outcome; the step answers the resource's id.
func (s *server) auditedAs(action, resourceType string, h func(c *gin.Context) (string, error)) gin.HandlerFunc {
	return s.handle(func(c *gin.Context) error {
		id, err := h(c)
		if id == "" {
			id = c.Param("id")
		}
		p := principalOf(c)
		if resourceType == "merchant" && p.MerchantID == "" && err == nil {
			// An operator's step on a merchant belongs in that merchant's log.
			on := *p
			on.MerchantID = id
			p = &on
		}
		s.auditResult(c, p, action, resourceType, id, err)
		return err
	})
}
