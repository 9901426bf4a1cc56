package api

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"github.com/rebound-returns/rebound/returns"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/rebound-returns/rebound/app/apperr"
	"github.com/rebound-returns/rebound/app/finance"
	"github.com/rebound-returns/rebound/app/views"
)

// Finance follows every refund: lists with CSV export, a summary, each
// refund with its attempts, and the work items reconciliation opens. The
// use cases are app/finance's; the handlers read the request and render.

// financeDesk is finance's use cases (*finance.Service).
type financeDesk interface {
	Summary(ctx context.Context, c finance.Caller, q finance.SummaryQuery) (finance.Summary, error)
	RefundFilter(ctx context.Context, c finance.Caller, q finance.RefundQuery) (finance.RefundFilter, error)
	Refunds(ctx context.Context, f finance.RefundFilter) (finance.RefundPage, error)
	ExportRefunds(ctx context.Context, f finance.RefundFilter, write func([]finance.Refund) error) error
	Refund(ctx context.Context, c finance.Caller, id string) (finance.RefundDetail, error)
	WorkItems(ctx context.Context, c finance.Caller, q finance.WorkItemQuery) (finance.WorkItemPage, error)
	ResolveWorkItem(ctx context.Context, c finance.Caller, id string, r finance.Resolution) (finance.WorkItem, error)
	ResolveAttempt(ctx context.Context, c finance.Caller, id string, r finance.Resolution) (finance.RefundDetail, error)
	ImportSettlement(ctx context.Context, c finance.Caller, open func() (finance.Upload, error)) (finance.Import, error)
	Reconciliation(ctx context.Context, c finance.Caller, q finance.ReconciliationQuery) (finance.Reconciliation, error)
	Settlements(ctx context.Context, c finance.Caller, q finance.SettlementQuery) (finance.SettlementPage, error)
}

func (s *server) routesFinance(r *gin.RouterGroup) {
	roles := []returns.Role{returns.RoleFinance, returns.RoleAdmin, returns.RoleOperator}
	g := r.Group("/finance", s.staffOnly(roles...))
	g.GET("/refunds/summary", deadline(s.deps.RequestTimeout), s.handle(s.refundSummary))
	g.GET("/refunds/:refund_id", deadline(s.deps.RequestTimeout), s.handle(s.refundDetail))
	// An export streams for as long as it takes.
	g.GET("/refunds", deadline(s.deps.UploadTimeout), s.handle(s.listRefunds))
	g.GET("/work-items", deadline(s.deps.RequestTimeout), s.handle(s.listWorkItems))
	g.POST("/work-items/:item_id/resolve", deadline(s.deps.RequestTimeout), s.audited("work_item.resolve", s.resolveWorkItem))
	g.POST("/attempts/:attempt_id/resolution", deadline(s.deps.RequestTimeout),
		s.auditedAs("attempt.resolution", "refund_attempt", func(c *gin.Context) (string, error) { return c.Param("attempt_id"), s.resolveAttempt(c) }))
	s.routesSettlement(g, roles)
}

// financeCaller is who asks, for app/finance: the member's merchant (none
// for an operator) and who they are.
func financeCaller(c *gin.Context) finance.Caller {
	p := principalOf(c)
	return finance.Caller{MerchantID: p.MerchantID, Staff: staffActor(p)}
}

// readPageFields reads ?limit= and ?cursor= into cur (readPage); the use
// case refuses the fields at fault with its own checks, in their order.
func readPageFields(c *gin.Context, cur cursor) (limit int, hasCursor bool, bad []apperr.Field) {
	limit, hasCursor, err := readPage(c, cur)
	var p *Problem
	if errors.As(err, &p) {
		for _, fe := range p.Errors {
			bad = append(bad, apperr.Field{Name: fe.Field, Reason: fe.Message})
		}
	}
	return limit, hasCursor, bad
}

// refundListItem is a finance.Refund as lists and exports show it (the
// pages decode the same type).
type refundListItem = views.RefundListItem

var refundCSVHeader = []string{"id", "return_id", "merchant", "order_number", "channel", "amount", "shipping", "currency",
	"status", "failure_code", "authorised_by", "attempts", "created_at", "finished_at"}

// refundRecord is a refund as a row of the CSV export.
func refundRecord(it refundListItem) []string {
	finished := ""
	if it.FinishedAt != nil {
		finished = it.FinishedAt.UTC().Format(time.RFC3339)
	}
	return []string{it.ID, it.ReturnID, it.Merchant, it.OrderNumber, string(it.Channel), strconv.FormatInt(it.Amount, 10),
		strconv.FormatInt(it.Shipping, 10), it.Currency, string(it.Status), it.FailureCode, it.AuthorisedBy, strconv.Itoa(it.Attempts),
		it.CreatedAt.UTC().Format(time.RFC3339), finished}
}

// refundCursor is a finance.RefundCursor as a list's cursor carries it.
type refundCursor struct {
	CreatedAt time.Time `json:"t,omitempty"`
	Amount    int64     `json:"a,omitempty"`
	ID        string    `json:"id"`
}

func (r *refundCursor) valid() bool { return validID(r.ID) }

// refundQuery reads the refund list's query.
func refundQuery(c *gin.Context) finance.RefundQuery {
	var cur refundCursor
	limit, hasCursor, bad := readPageFields(c, &cur)
	q := finance.RefundQuery{Merchant: c.Query("merchant"), Status: c.Query("status"), Channel: c.Query("channel"),
		Sort: c.DefaultQuery("sort", finance.SortNewest), From: c.Query("from"), To: c.Query("to"),
		MinAmount: c.Query("min_amount"), MaxAmount: c.Query("max_amount"), Page: finance.Page[finance.RefundCursor]{Limit: limit, Bad: bad}}
	if hasCursor {
		q.Page.After = (*finance.RefundCursor)(&cur)
	}
	return q
}

// listRefunds answers a page of refunds, or with Accept: text/csv streams
// every refund the filter selects, however many.
func (s *server) listRefunds(c *gin.Context) error {
	ctx := c.Request.Context()
	f, err := s.finance.RefundFilter(ctx, financeCaller(c), refundQuery(c))
	if err != nil {
		return err
	}
	if strings.Contains(c.GetHeader("Accept"), "text/csv") {
		return s.exportRefunds(c, f)
	}
	page, err := s.finance.Refunds(ctx, f)
	if err != nil {
		return err
	}
	items := make([]refundListItem, 0, len(page.Items))
	for _, r := range page.Items {
		items = append(items, refundListItem(r))
	}
	var last cursor
	if page.Next != nil {
		last = (*refundCursor)(page.Next)
	}
	c.JSON(http.StatusOK, newPage(c, items, page.Next != nil, last, page.Total))
	return nil
}

func (s *server) exportRefunds(c *gin.Context, f finance.RefundFilter) error {
	c.Header("Content-Type", "text/csv; charset=utf-8")
	c.Header("Content-Disposition", `attachment; filename="refunds.csv"`)
	c.Status(http.StatusOK)
	w := csv.NewWriter(c.Writer)
	if err := w.Write(refundCSVHeader); err != nil {
		return err
	}
	gone := false
	err := s.finance.ExportRefunds(c.Request.Context(), f, func(rows []finance.Refund) error {
		for _, r := range rows {
			if err := w.Write(refundRecord(refundListItem(r))); err != nil {
				gone = true
				return err
			}
		}
		w.Flush()
		c.Writer.Flush()
		return nil
	})
	switch {
	case gone:
		return nil // the client went away
	case err != nil:
		// The header is out: the best left is to end the body short.
		s.log.Error("refund export cut short", "err", err)
		c.Abort()
		return nil
	}
	return w.Error()
}

type summaryRow struct {
	Day      string               `json:"day"`
	Status   returns.RefundStatus `json:"status"`
	Channel  returns.Channel      `json:"channel"`
	Currency string               `json:"currency"`
	Count    int64                `json:"count"`
	Amount   int64                `json:"amount"`
}

type summaryTotal struct {
	Status   returns.RefundStatus `json:"status"`
	Currency string               `json:"currency"`
	Count    int64                `json:"count"`
	Amount   int64                `json:"amount"`
}

func (s *server) refundSummary(c *gin.Context) error {
	sum, err := s.finance.Summary(c.Request.Context(), financeCaller(c),
		finance.SummaryQuery{Merchant: c.Query("merchant"), From: c.Query("from"), To: c.Query("to")})
	if err != nil {
		return err
	}
	rows := make([]summaryRow, 0, len(sum.Rows))
	for _, r := range sum.Rows {
		rows = append(rows, summaryRow(r))
	}
	totals := make([]summaryTotal, 0, len(sum.Totals))
	for _, t := range sum.Totals {
		totals = append(totals, summaryTotal(t))
	}
	c.JSON(http.StatusOK, gin.H{"rows": rows, "totals": totals})
	return nil
}

// attemptView is a finance.Attempt as a refund's detail shows it.
type attemptView struct {
	ID               string               `json:"id"`
	N                int                  `json:"n"`
	Kind             returns.AttemptKind  `json:"kind"`
	State            returns.AttemptState `json:"state"`
	Amount           int64                `json:"amount"`
	TerminalID       string               `json:"terminal_id,omitempty"`
	STAN             string               `json:"stan,omitempty"`
	RRN              string               `json:"rrn,omitempty"`
	ApprovalCode     string               `json:"approval_code,omitempty"`
	ResponseCode     string               `json:"response_code,omitempty"`
	GatewayRefundID  string               `json:"gateway_refund_id,omitempty"`
	UnknownReason    string               `json:"unknown_reason,omitempty"`
	ReversalTries    int                  `json:"reversal_tries,omitempty"`
	ReversalSTAN     string               `json:"reversal_stan,omitempty"`
	ReversalCode     string               `json:"reversal_code,omitempty"`
	LateResponseCode string               `json:"late_response_code,omitempty"`
	LateMTI          string               `json:"late_mti,omitempty"`
	// AnswerFields are the acquirer's answer's fields Rebound does not use.
	AnswerFields   json.RawMessage      `json:"answer_fields,omitempty"`
	Resolution     returns.AttemptState `json:"resolution,omitempty"`
	ResolutionNote string               `json:"resolution_note,omitempty"`
	ResolvedBy     string               `json:"resolved_by,omitempty"`
	ResolvedAt     *time.Time           `json:"resolved_at,omitempty"`
	TransmittedAt  *time.Time           `json:"transmitted_at,omitempty"`
	Settled        bool                 `json:"settled"`
	CreatedAt      time.Time            `json:"created_at"`
}

// refundDetail shows a refund with every attempt: STAN, RRN, codes,
// reversals, the answer's other fields, finance's resolution and who
// authorised it.
func (s *server) refundDetail(c *gin.Context) error {
	ref, err := s.finance.Refund(c.Request.Context(), financeCaller(c), c.Param("refund_id"))
	if err != nil {
		return err
	}
	showRefund(c, ref)
	return nil
}

// showRefund answers a refund with its attempts.
func showRefund(c *gin.Context, ref finance.RefundDetail) {
	views := make([]attemptView, 0, len(ref.Attempts))
	for _, a := range ref.Attempts {
		views = append(views, attemptView(a))
	}
	c.JSON(http.StatusOK, gin.H{"id": ref.ID, "return_id": ref.ReturnID, "channel": ref.Channel, "amount": ref.Amount,
		"shipping": ref.Shipping, "currency": ref.Currency, "status": ref.Status, "failure_code": ref.FailureCode,
		"authorised_by": ref.AuthorisedBy, "created_at": ref.CreatedAt, "finished_at": ref.FinishedAt, "attempts": views})
}

// workItemView is a finance.WorkItem as lists show it.
// workItemView is a work item as answered, the type the pages decode too.
type workItemView = views.WorkItem

func workItemViews(ws []finance.WorkItem) []workItemView {
	out := make([]workItemView, 0, len(ws))
	for _, w := range ws {
		out = append(out, workItemView(w))
	}
	return out
}

// workItemCursor is a finance.WorkItemCursor as a list's cursor carries it.
type workItemCursor struct {
	CreatedAt time.Time `json:"t"`
	ID        string    `json:"id"`
}

func (w *workItemCursor) valid() bool { return validID(w.ID) && !w.CreatedAt.IsZero() }

// listWorkItems answers a page of the merchant's work items, newest first:
// open ones by default, ?status=all for every one, ?file= for those one
// settlement file opened.
func (s *server) listWorkItems(c *gin.Context) error {
	var cur workItemCursor
	limit, hasCursor, bad := readPageFields(c, &cur)
	q := finance.WorkItemQuery{Merchant: c.Query("merchant"), Status: c.DefaultQuery("status", finance.OpenItems), File: c.Query("file"),
		Page: finance.Page[finance.WorkItemCursor]{Limit: limit, Bad: bad}}
	if hasCursor {
		q.Page.After = (*finance.WorkItemCursor)(&cur)
	}
	page, err := s.finance.WorkItems(c.Request.Context(), financeCaller(c), q)
	if err != nil {
		return err
	}
	var last cursor
	if page.Next != nil {
		last = (*workItemCursor)(page.Next)
	}
	c.JSON(http.StatusOK, newPage(c, workItemViews(page.Items), page.Next != nil, last, page.Total))
	return nil
}

type resolveRequest struct {
	Resolution string `json:"resolution"`
	Note       string `json:"note"`
}

func (s *server) resolveWorkItem(c *gin.Context) error {
	var req resolveRequest
	if err := bind(c, &req); err != nil {
		return err
	}
	w, err := s.finance.ResolveWorkItem(c.Request.Context(), financeCaller(c), c.Param("item_id"), finance.Resolution(req))
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, workItemView(w))
	return nil
}
