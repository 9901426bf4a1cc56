package loadgen

import (
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/rebound-returns/rebound/db"
)

// The rows the bare handler reads: the columns each answer shows, scanned
// into plain structs and encoded as they are.
type (
	bareReturn struct {
		ID             string      `json:"id"`
		Status         string      `json:"status"`
		Merchant       string      `json:"merchant"`
		OrderNumber    string      `json:"order_number"`
		Method         string      `json:"method"`
		Channel        string      `json:"channel"`
		Currency       string      `json:"currency"`
		StatusReason   string      `json:"status_reason,omitempty"`
		Attention      string      `json:"attention,omitempty"`
		TrackingNumber string      `json:"tracking_number,omitempty"`
		LabelURL       string      `json:"label_url,omitempty"`
		CreatedAt      time.Time   `json:"created_at"`
		UpdatedAt      time.Time   `json:"updated_at"`
		PlacedAt       time.Time   `json:"placed_at"`
		DeliveredAt    *time.Time  `json:"delivered_at,omitempty"`
		RefundAmount   *int64      `json:"refund_amount,omitempty"`
		RefundShipping *int64      `json:"refund_shipping,omitempty"`
		RefundStatus   *string     `json:"refund_status,omitempty"`
		RefundFinished *time.Time  `json:"refund_finished_at,omitempty"`
		Lines          []bareLine  `json:"lines" gorm:"-"`
		Timeline       []bareEvent `json:"timeline" gorm:"-"`
	}
	bareLine struct {
		LineID           string  `json:"line_id"`
		Name             string  `json:"name"`
		UnitPrice        int64   `json:"unit_price"`
		Quantity         int     `json:"quantity"`
		Reason           string  `json:"reason"`
		Note             string  `json:"note,omitempty"`
		AcceptedQuantity *int    `json:"accepted_quantity,omitempty"`
		RejectedQuantity *int    `json:"rejected_quantity,omitempty"`
		Condition        *string `json:"condition,omitempty"`
		RejectReason     string  `json:"reject_reason,omitempty"`
		RefundAmount     *int64  `json:"refund_amount,omitempty"`
	}
	bareEvent struct {
		Status    string    `json:"status"`
		At        time.Time `json:"at"`
		Actor     string    `json:"actor"`
		ActorRole string    `json:"actor_role,omitempty"`
		Note      string    `json:"note,omitempty"`
	}
	bareSummary struct {
		ID             string    `json:"id"`
		OrderNumber    string    `json:"order_number"`
		Status         string    `json:"status"`
		Method         string    `json:"method"`
		Channel        string    `json:"channel"`
		Attention      string    `json:"attention,omitempty"`
		TrackingNumber string    `json:"tracking_number,omitempty"`
		RefundAmount   *int64    `json:"refund_amount,omitempty"`
		Currency       string    `json:"currency"`
		CreatedAt      time.Time `json:"created_at"`
		UpdatedAt      time.Time `json:"updated_at"`
	}
	bareRefund struct {
		ID           string     `json:"id"`
		ReturnID     string     `json:"return_id"`
		Merchant     string     `json:"merchant"`
		OrderNumber  string     `json:"order_number"`
		Channel      string     `json:"channel"`
		Amount       int64      `json:"amount"`
		Shipping     int64      `json:"shipping"`
		Currency     string     `json:"currency"`
		Status       string     `json:"status"`
		FailureCode  string     `json:"failure_code,omitempty"`
		AuthorisedBy string     `json:"authorised_by,omitempty"`
		Attempts     int        `json:"attempts"`
		CreatedAt    time.Time  `json:"created_at"`
		FinishedAt   *time.Time `json:"finished_at,omitempty"`
	}
)

// bareHandler answers the three reads with the SELECTs their answers need:
// a return in three (the return with its order, merchant and refund; its
// lines with the order's; its timeline), each list in one.
func bareHandler(d *db.DB, merchantID string, page int) http.Handler {
	gin.SetMode(gin.ReleaseMode)
	g := gin.New()
	fail := func(c *gin.Context, err error) { c.String(http.StatusInternalServerError, err.Error()) }
	g.GET("/v1/returns/:id", func(c *gin.Context) {
		ctx, id := c.Request.Context(), c.Param("id")
		var rs []bareReturn
		if err := d.Raw(ctx, `SELECT r.id, r.status, m.slug AS merchant, o.order_number, r.method, r.channel, r.currency,
			r.status_reason, r.attention, r.tracking_number, r.label_url, r.created_at, r.updated_at, o.placed_at, o.delivered_at,
			f.amount AS refund_amount, f.shipping_amount AS refund_shipping, f.status AS refund_status, f.finished_at AS refund_finished
			FROM returns r JOIN orders o ON o.id = r.order_id JOIN merchants m ON m.id = r.merchant_id
			LEFT JOIN refunds f ON f.return_id = r.id WHERE r.id = ?`, &rs, id); err != nil {
			fail(c, err)
			return
		}
		if len(rs) == 0 {
			c.Status(http.StatusNotFound)
			return
		}
		out := rs[0]
		if err := d.Raw(ctx, `SELECT l.line_id, ol.name, ol.unit_price, l.quantity, l.reason, l.note, l.accepted_quantity,
			l.rejected_quantity, l.condition, l.reject_reason, l.refund_amount
			FROM return_lines l JOIN returns r ON r.id = l.return_id JOIN order_lines ol ON ol.order_id = r.order_id AND ol.line_id = l.line_id
			WHERE l.return_id = ?`, &out.Lines, id); err != nil {
			fail(c, err)
			return
		}
		if err := d.Raw(ctx, `SELECT status, at, actor, actor_role, note FROM timeline_events WHERE return_id = ? ORDER BY seq`,
			&out.Timeline, id); err != nil {
			fail(c, err)
			return
		}
		c.JSON(http.StatusOK, out)
	})
	// The merchant's newest returns, a page and one more (is there a next).
	g.GET("/v1/merchant/returns", func(c *gin.Context) {
		var items []bareSummary
		if err := d.Raw(c.Request.Context(), `SELECT r.id, o.order_number, r.status, r.method, r.channel, r.attention,
			r.tracking_number, r.refund_amount, r.currency, r.created_at, r.updated_at
			FROM returns r JOIN orders o ON o.id = r.order_id WHERE r.merchant_id = ? ORDER BY r.id DESC LIMIT ?`,
			&items, merchantID, page+1); err != nil {
			fail(c, err)
			return
		}
		c.JSON(http.StatusOK, gin.H{"items": items[:min(len(items), page)], "more": len(items) > page})
	})
	// The merchant's newest refunds, with the order number and attempts.
	g.GET("/v1/finance/refunds", func(c *gin.Context) {
		var items []bareRefund
		if err := d.Raw(c.Request.Context(), `SELECT r.id, r.return_id, m.slug AS merchant, o.order_number, r.channel, r.amount,
			r.shipping_amount AS shipping, r.currency, r.status, r.failure_code, r.authorised_by,
			(SELECT COUNT(*) FROM refund_attempts a WHERE a.refund_id = r.id) AS attempts, r.created_at, r.finished_at
			FROM refunds r JOIN orders o ON o.id = r.order_id JOIN merchants m ON m.id = r.merchant_id
			WHERE r.merchant_id = ? ORDER BY r.created_at DESC, r.id DESC LIMIT ?`, &items, merchantID, page+1); err != nil {
			fail(c, err)
			return
		}
		c.JSON(http.StatusOK, gin.H{"items": items[:min(len(items), page)], "more": len(items) > page})
	})
	return g
}
