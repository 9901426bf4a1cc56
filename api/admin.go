package api

import (
	"errors"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/rebound-returns/rebound/db"
	"github.com/rebound-returns/rebound/onboard"
)

// Platform operators onboard merchants: the merchant, its first admin with
// a one-time password, and an API key for its systems.

func (s *server) routesAdmin(r *gin.RouterGroup) {
	g := r.Group("/admin/merchants", s.staffOnly("operator"))
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
	Status             string    `json:"status"`
	CreatedAt          time.Time `json:"created_at"`
}

func viewMerchant(m *db.Merchant) merchantView {
	return merchantView{ID: m.ID, Slug: m.Slug, Name: m.Name, Currency: m.Currency, TimeZone: m.TimeZone,
		AcquirerMerchantID: m.AcquirerMerchantID, Status: m.Status, CreatedAt: m.CreatedAt}
}

type onboardRequest struct {
	Slug               string `json:"slug"`
	Name               string `json:"name"`
	Currency           string `json:"currency"`
	TimeZone           string `json:"time_zone"`
	AcquirerMerchantID string `json:"acquirer_merchant_id"`
	ReturnAddress      string `json:"return_address"`
	AdminUsername      string `json:"admin_username"`
	AdminEmail         string `json:"admin_email"`
}

func (s *server) onboardMerchant(c *gin.Context) (string, error) {
	var req onboardRequest
	if err := bind(c, &req); err != nil {
		return "", err
	}
	out, err := onboard.CreateMerchant(c.Request.Context(), s.deps.DB, onboard.MerchantInput(req), principalOf(c).Username)
	if err != nil {
		return "", onboardProblem(err)
	}
	c.Header("Cache-Control", "no-store")
	c.Header("Location", "/v1/admin/merchants/"+out.Merchant.ID)
	c.JSON(http.StatusCreated, gin.H{
		"merchant": viewMerchant(out.Merchant),
		"admin":    gin.H{"id": out.Admin.ID, "username": out.Admin.Username, "one_time_password": out.OneTimePassword},
		"api_key":  gin.H{"id": out.APIKey.ID, "key": out.APIKeySecret, "prefix": out.APIKey.Prefix},
	})
	return out.Merchant.ID, nil
}

func (s *server) listMerchants(c *gin.Context) error {
	p, err := readOffsetPage(c)
	if err != nil {
		return err
	}
	ms, err := s.deps.DB.Merchants(c.Request.Context(), p)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, offsetPage(c, p, ms, viewMerchant))
	return nil
}

// onboardProblem turns onboarding's refusals into problems.
func onboardProblem(err error) error {
	var inv *onboard.InvalidError
	if errors.As(err, &inv) {
		fields := make([]FieldError, 0, len(inv.Fields))
		for _, f := range inv.Fields {
			fields = append(fields, FieldError{f.Field, f.Message})
		}
		for _, f := range fields {
			if f.Message == "is taken" {
				p := NewProblem(http.StatusConflict, "conflict", f.Field+" is taken")
				p.Errors = fields
				return p
			}
		}
		return Invalid(fields...)
	}
	return err
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
