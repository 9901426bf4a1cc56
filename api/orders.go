package api

import (
	"context"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/rebound-returns/rebound/app/orders"
)

// The merchant's systems register paid orders here (X-API-Key); the rules
// (which fields a sale needs, the order number as idempotency key) are
// app/orders'.

// orderBook registers and reads the merchant's orders (*orders.Service).
type orderBook interface {
	Register(ctx context.Context, merchantID string, req orders.Request) (orders.Result, error)
	Get(ctx context.Context, merchantID, orderNumber string) (orders.View, error)
}

func (s *server) routesIntegration(r *gin.RouterGroup) {
	g := r.Group("/orders", s.apiKeyOnly())
	g.POST("", s.idempotent, s.handle(s.createOrder))
	g.GET("/:order_number", s.handle(s.getOrder))
}

// createOrder answers 201 with a new order, 200 with the same order sent
// again.
func (s *server) createOrder(c *gin.Context) error {
	var req orders.Request
	if err := bind(c, &req); err != nil {
		return err
	}
	res, err := s.orders.Register(c.Request.Context(), principalOf(c).MerchantID, req)
	if err != nil {
		return err
	}
	if !res.Created {
		c.JSON(http.StatusOK, res.Order)
		return nil
	}
	c.Header("Location", "/v1/orders/"+res.Order.OrderNumber)
	c.JSON(http.StatusCreated, res.Order)
	return nil
}

func (s *server) getOrder(c *gin.Context) error {
	o, err := s.orders.Get(c.Request.Context(), principalOf(c).MerchantID, c.Param("order_number"))
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, o)
	return nil
}
