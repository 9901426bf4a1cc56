package api

import (
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/rebound-returns/rebound/activities"
	"github.com/rebound-returns/rebound/db"
	"github.com/rebound-returns/rebound/returns"
	"github.com/rebound-returns/rebound/workflows"
)

// Merchants' staff work their task lists and take the human steps.

func (s *server) routesMerchant(r *gin.RouterGroup) {
	g := r.Group("/merchant/returns")
	g.GET("", s.staffOnly("clerk", "supervisor", "finance", "admin"), s.handle(s.listReturns))
	g.GET("/queues", s.staffOnly("clerk", "supervisor", "finance", "admin"), s.handle(s.queueCounts))
	g.POST("/:id/review", s.staffOnly("supervisor"), s.audited("return.review", s.review))
	g.POST("/:id/receive", s.staffOnly("clerk", "supervisor"), s.audited("return.receive", s.receive))
	g.POST("/:id/inspection", s.staffOnly("clerk", "supervisor"), s.audited("return.inspect", s.inspection))
}

type returnSummary struct {
	ID             string `json:"id"`
	OrderNumber    string `json:"order_number"`
	Status         string `json:"status"`
	Method         string `json:"method"`
	Channel        string `json:"channel"`
	Attention      string `json:"attention,omitempty"`
	TrackingNumber string `json:"tracking_number,omitempty"`
	RefundAmount   *int64 `json:"refund_amount,omitempty"`
	Currency       string `json:"currency"`
	CreatedAt      string `json:"created_at"`
	UpdatedAt      string `json:"updated_at"`
}

// listReturns is the task list: newest first, filtered by status (comma
// separated) or by attention, paged by an opaque cursor.
func (s *server) listReturns(c *gin.Context) error {
	p := principalOf(c)
	f := db.ReturnFilter{MerchantID: p.MerchantID}
	if st := c.Query("status"); st != "" {
		for _, x := range strings.Split(st, ",") {
			if !returns.Status(x).Valid() {
				return Invalid(FieldError{"status", x + " is not a status"})
			}
			f.Statuses = append(f.Statuses, x)
		}
	}
	if qn := c.Query("queue"); qn != "" {
		if !oneOf(qn, db.Queues()...) {
			return Invalid(FieldError{"queue", "must be one of " + strings.Join(db.Queues(), ", ")})
		}
		f.Queue = qn
	}
	switch c.Query("attention") {
	case "", "false":
	case "true":
		f.Attention = true
	default:
		return Invalid(FieldError{"attention", "must be true or false"})
	}
	var cur idCursor
	limit, hasCursor, err := readPage(c, &cur)
	if err != nil {
		return err
	}
	if hasCursor {
		f.Before = cur.ID
	}
	ctx := c.Request.Context()
	total, err := s.deps.DB.CountReturns(ctx, f)
	if err != nil {
		return err
	}
	f.Limit = limit + 1 // one more tells whether a next page exists
	rs, err := s.deps.DB.ListReturns(ctx, f)
	if err != nil {
		return err
	}
	more := len(rs) > limit
	if more {
		rs = rs[:limit]
	}
	orderIDs := make([]string, 0, len(rs))
	for _, r := range rs {
		orderIDs = append(orderIDs, r.OrderID)
	}
	numbers, err := s.deps.DB.OrderNumbers(ctx, orderIDs)
	if err != nil {
		return err
	}
	items := make([]returnSummary, 0, len(rs))
	for _, r := range rs {
		items = append(items, returnSummary{ID: r.ID, OrderNumber: numbers[r.OrderID], Status: r.Status, Method: r.Method, Channel: r.Channel,
			Attention: r.Attention, TrackingNumber: r.TrackingNumber, RefundAmount: r.RefundAmount, Currency: r.Currency,
			CreatedAt: r.CreatedAt.Format("2006-01-02T15:04:05Z07:00"), UpdatedAt: r.UpdatedAt.Format("2006-01-02T15:04:05Z07:00")})
	}
	var last cursor
	if n := len(rs); n > 0 {
		last = &idCursor{ID: rs[n-1].ID}
	}
	c.JSON(http.StatusOK, newPage(c, items, more, last, total))
	return nil
}

// queueCounts counts the returns in each of the console's task lists.
func (s *server) queueCounts(c *gin.Context) error {
	counts, err := s.deps.DB.QueueCounts(c.Request.Context(), principalOf(c).MerchantID)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, gin.H{"queues": counts})
	return nil
}

func staffActor(p *principal) activities.Actor {
	return activities.Actor{Kind: activities.ActorStaff, Name: p.Username, Role: p.Role}
}

// audited runs a staff member's step and records it in the audit log with
// its outcome, whatever stopped it: bad input, another merchant's return,
// a state that does not fit, or success.
func (s *server) audited(action string, h func(c *gin.Context) error) gin.HandlerFunc {
	return s.handle(func(c *gin.Context) error {
		err := h(c)
		s.auditOutcome(c, principalOf(c), action, c.Param("id"), err)
		return err
	})
}

// auditOutcome records a staff step on a return and how it ended.
func (s *server) auditOutcome(c *gin.Context, p *principal, action, returnID string, err error) {
	s.auditResult(c, p, action, "return", returnID, err)
}

// auditResult records a staff step and how it ended: success, denied (the
// resource is not theirs or their role may not) or failed.
func (s *server) auditResult(c *gin.Context, p *principal, action, resourceType, id string, err error) {
	outcome := db.OutcomeSuccess
	var detail map[string]any
	if err != nil {
		outcome = db.OutcomeFailed
		pr := domainProblem(err)
		if pr != nil || errors.As(err, &pr) {
			detail = map[string]any{"status": pr.Status, "detail": pr.Detail}
			if pr.Status == http.StatusForbidden || pr.Status == http.StatusNotFound {
				outcome = db.OutcomeDenied
			}
		}
	}
	s.audit(c, p, action, resourceType, id, outcome, detail)
}

type reviewRequest struct {
	Decision string `json:"decision"`
	Reason   string `json:"reason,omitempty"`
}

func (s *server) review(c *gin.Context) error {
	p := principalOf(c)
	var req reviewRequest
	if err := bind(c, &req); err != nil {
		return err
	}
	switch {
	case req.Decision != workflows.DecisionApprove && req.Decision != workflows.DecisionDecline:
		return Invalid(FieldError{"decision", "must be approve or decline"})
	case req.Decision == workflows.DecisionDecline && strings.TrimSpace(req.Reason) == "":
		return Invalid(FieldError{"reason", "is required to decline: the shopper is told"})
	case len(req.Reason) > 500:
		return Invalid(FieldError{"reason", "must be at most 500 characters"})
	}
	return s.step(c, workflows.UpdateReview,
		workflows.ReviewRequest{Decision: req.Decision, Reason: req.Reason, Actor: staffActor(p)})
}

type receiveRequest struct {
	Note string `json:"note,omitempty"`
}

func (s *server) receive(c *gin.Context) error {
	p := principalOf(c)
	var req receiveRequest
	if err := bind(c, &req); err != nil {
		return err
	}
	if len(req.Note) > 500 {
		return Invalid(FieldError{"note", "must be at most 500 characters"})
	}
	return s.step(c, workflows.UpdateReceive, workflows.ReceiveRequest{Actor: staffActor(p), Note: req.Note})
}

type inspectionRequest struct {
	Lines []returns.InspectedLine `json:"lines"`
}

func (s *server) inspection(c *gin.Context) error {
	p := principalOf(c)
	var req inspectionRequest
	if err := bind(c, &req); err != nil {
		return err
	}
	for i, l := range req.Lines {
		if l.Condition != "" && !l.Condition.Valid() {
			return Invalid(FieldError{"lines[" + strconv.Itoa(i) + "].condition", "must be new, opened or damaged"})
		}
	}
	r, err := s.visibleReturn(c)
	if err != nil {
		return err
	}
	var requested []returns.RequestedLine
	for _, l := range r.Lines {
		requested = append(requested, returns.RequestedLine{LineID: l.LineID, Quantity: l.Quantity, Reason: l.Reason})
	}
	if errs := returns.ValidateInspection(requested, req.Lines); len(errs) > 0 {
		return Invalid(fieldErrors(errs, "")...)
	}
	return s.step(c, workflows.UpdateInspect, workflows.InspectRequest{Lines: req.Lines, Actor: staffActor(p)})
}

// step sends a staff member's update to the path's return and answers
// with the return as it now stands.
func (s *server) step(c *gin.Context, update string, arg any) error {
	r, err := s.visibleReturn(c)
	if err != nil {
		return err
	}
	var res workflows.ActionResult
	if err := s.update(c.Request.Context(), r.ID, update, arg, &res); err != nil {
		return err
	}
	return s.respondReturn(c, http.StatusOK, r.ID)
}
