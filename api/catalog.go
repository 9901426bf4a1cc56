package api

import (
	"context"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/rebound-returns/rebound/app/catalog"
	"github.com/rebound-returns/rebound/returns"
)

// The merchant's catalog: their systems upsert variants in bulk and read
// them back (X-API-Key); the merchant's admins read them in the console's
// API. The rules are app/catalog's.

// catalogBook upserts and reads the merchant's variants (*catalog.Service).
type catalogBook interface {
	Upsert(ctx context.Context, merchantID string, req catalog.UpsertRequest) (catalog.UpsertResult, error)
	List(ctx context.Context, merchantID string, q catalog.ListRequest) (catalog.Page, error)
	Get(ctx context.Context, merchantID, sku string) (catalog.VariantView, error)
}

func (s *server) routesCatalog(r *gin.RouterGroup) {
	g := r.Group("/catalog/variants")
	g.PUT("", s.apiKeyOnly(), s.handle(s.upsertVariants))
	read := s.apiKeyOrStaff(returns.RoleAdmin)
	g.GET("", read, s.handle(s.listVariants))
	g.GET("/:sku", read, s.handle(s.getVariant))
}

// apiKeyOrStaff admits a merchant's systems by X-API-Key, or, without
// one, staff members whose role is one of roles.
func (s *server) apiKeyOrStaff(roles ...returns.Role) gin.HandlerFunc {
	byKey, byStaff := s.apiKeyOnly(), s.staffOnly(roles...)
	return func(c *gin.Context) {
		if c.GetHeader("X-API-Key") != "" {
			byKey(c)
			return
		}
		byStaff(c)
	}
}

// upsertVariants answers 200 with what was done to each variant; the same
// body again answers every variant unchanged.
func (s *server) upsertVariants(c *gin.Context) error {
	var req catalog.UpsertRequest
	if err := bind(c, &req); err != nil {
		return err
	}
	res, err := s.catalog.Upsert(c.Request.Context(), principalOf(c).MerchantID, req)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, res)
	return nil
}

// skuCursor is the position in the variants, ordered by SKU.
type skuCursor struct {
	SKU string `json:"sku"`
}

func (c *skuCursor) valid() bool { return c.SKU != "" && len(c.SKU) <= 64 }

func (s *server) listVariants(c *gin.Context) error {
	var cur skuCursor
	limit, _, err := readPage(c, &cur)
	if err != nil {
		return err
	}
	p, err := s.catalog.List(c.Request.Context(), principalOf(c).MerchantID,
		catalog.ListRequest{Product: c.Query("product"), SKUs: c.Query("sku"), After: cur.SKU, Limit: limit})
	if err != nil {
		return err
	}
	var last cursor
	if n := len(p.Items); n > 0 {
		last = &skuCursor{SKU: p.Items[n-1].SKU}
	}
	c.JSON(http.StatusOK, newPage(c, p.Items, p.More, last, p.Total))
	return nil
}

func (s *server) getVariant(c *gin.Context) error {
	v, err := s.catalog.Get(c.Request.Context(), principalOf(c).MerchantID, c.Param("sku"))
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, v)
	return nil
}
