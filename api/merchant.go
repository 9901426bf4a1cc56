package api

import (
	"context"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/rebound-returns/rebound/app/staff"
	"github.com/rebound-returns/rebound/returns"
)

// Merchants' staff work their task lists and take the human steps; the
// rules are app/staff's.

// staffDesk is the staff's task lists and steps (*staff.Service).
type staffDesk interface {
	List(ctx context.Context, f staff.Filter, limit int) (staff.Page, error)
	QueueCounts(ctx context.Context, merchantID string) (map[string]int64, error)
	Review(ctx context.Context, req staff.Review) (string, error)
	Receive(ctx context.Context, req staff.Receive) (string, error)
	Inspect(ctx context.Context, req staff.Inspection) (string, error)
}

func (s *server) routesMerchant(r *gin.RouterGroup) {
	g := r.Group("/merchant/returns")
	g.GET("", s.staffOnly(returns.RoleClerk, returns.RoleSupervisor, returns.RoleFinance, returns.RoleAdmin), s.handle(s.listReturns))
	g.GET("/queues", s.staffOnly(returns.RoleClerk, returns.RoleSupervisor, returns.RoleFinance, returns.RoleAdmin), s.handle(s.queueCounts))
	g.POST("/:id/review", s.staffOnly(returns.RoleSupervisor), s.audited("return.review", s.review))
	g.POST("/:id/receive", s.staffOnly(returns.RoleClerk, returns.RoleSupervisor), s.audited("return.receive", s.receive))
	g.POST("/:id/inspection", s.staffOnly(returns.RoleClerk, returns.RoleSupervisor), s.audited("return.inspect", s.inspection))
}

type returnSummary struct {
	ID             string          `json:"id"`
	OrderNumber    string          `json:"order_number"`
	Status         string          `json:"status"`
	Method         returns.Method  `json:"method"`
	Channel        returns.Channel `json:"channel"`
	Attention      string          `json:"attention,omitempty"`
	TrackingNumber string          `json:"tracking_number,omitempty"`
	RefundAmount   *int64          `json:"refund_amount,omitempty"`
	Currency       string          `json:"currency"`
	CreatedAt      string          `json:"created_at"`
	UpdatedAt      string          `json:"updated_at"`
}

const summaryTime = "2006-01-02T15:04:05Z07:00"

// listReturns is the task list: newest first, filtered by status (comma
// separated), by attention or by the search box's q, paged by an opaque
// cursor.
func (s *server) listReturns(c *gin.Context) error {
	f, err := staff.NewFilter(principalOf(c).MerchantID, c.Query("status"), c.Query("queue"), c.Query("attention"), c.Query("q"))
	if err != nil {
		return err
	}
	var cur idCursor
	limit, hasCursor, err := readPage(c, &cur)
	if err != nil {
		return err
	}
	if hasCursor {
		f.Before = cur.ID
	}
	page, err := s.staff.List(c.Request.Context(), f, limit)
	if err != nil {
		return err
	}
	items := make([]returnSummary, 0, len(page.Items))
	for _, r := range page.Items {
		items = append(items, returnSummary{ID: r.ID, OrderNumber: r.OrderNumber, Status: r.Status, Method: r.Method, Channel: r.Channel,
			Attention: r.Attention, TrackingNumber: r.TrackingNumber, RefundAmount: r.RefundAmount, Currency: r.Currency,
			CreatedAt: r.CreatedAt.Format(summaryTime), UpdatedAt: r.UpdatedAt.Format(summaryTime)})
	}
	var last cursor
	if n := len(items); n > 0 {
		last = &idCursor{ID: items[n-1].ID}
	}
	c.JSON(http.StatusOK, newPage(c, items, page.More, last, page.Total))
	return nil
}

// queueCounts counts the returns in each of the console's task lists.
func (s *server) queueCounts(c *gin.Context) error {
	counts, err := s.staff.QueueCounts(c.Request.Context(), principalOf(c).MerchantID)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, gin.H{"queues": counts})
	return nil
}

func staffActor(p *principal) returns.Actor {
	return returns.Actor{Kind: returns.ActorStaff, Name: p.Username, Role: p.Role}
}

// staffStep is the step's return (the path's), its merchant and who takes
// it.
func staffStep(c *gin.Context) staff.Step {
	p := principalOf(c)
	return staff.Step{ReturnID: c.Param("id"), MerchantID: p.MerchantID, Actor: staffActor(p)}
}

type reviewRequest struct {
	Decision string `json:"decision"`
	Reason   string `json:"reason,omitempty"`
}

func (s *server) review(c *gin.Context) error {
	var req reviewRequest
	if err := bind(c, &req); err != nil {
		return err
	}
	id, err := s.staff.Review(c.Request.Context(), staff.Review{Step: staffStep(c), Decision: req.Decision, Reason: req.Reason})
	return s.stepDone(c, id, err)
}

type receiveRequest struct {
	Note string `json:"note,omitempty"`
}

func (s *server) receive(c *gin.Context) error {
	var req receiveRequest
	if err := bind(c, &req); err != nil {
		return err
	}
	id, err := s.staff.Receive(c.Request.Context(), staff.Receive{Step: staffStep(c), Note: req.Note})
	return s.stepDone(c, id, err)
}

type inspectionRequest struct {
	Lines []returns.InspectedLine `json:"lines"`
}

func (s *server) inspection(c *gin.Context) error {
	var req inspectionRequest
	if err := bind(c, &req); err != nil {
		return err
	}
	id, err := s.staff.Inspect(c.Request.Context(), staff.Inspection{Step: staffStep(c), Lines: req.Lines})
	return s.stepDone(c, id, err)
}

// stepDone answers a staff member's step with the return as it now stands.
func (s *server) stepDone(c *gin.Context, returnID string, err error) error {
	if err != nil {
		return err
	}
	return s.respondReturn(c, http.StatusOK, returnID)
}
