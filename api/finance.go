package api

import (
	"encoding/csv"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/rebound-returns/rebound/db"
)

// Finance follows every refund: lists with CSV export, a summary, each
// refund with its attempts, and the work items reconciliation opens.

func (s *server) routesFinance(r *gin.RouterGroup) {
	roles := []string{"finance", "admin", "operator"}
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

// financeScope is the merchant whose money the caller may see: their own,
// or for an operator the ?merchant= named (all when none).
func (s *server) financeScope(c *gin.Context) (string, error) {
	p := principalOf(c)
	if p.Role != "operator" {
		if slug := c.Query("merchant"); slug != "" {
			return "", Invalid(FieldError{"merchant", "only operators choose a merchant"})
		}
		return p.MerchantID, nil
	}
	slug := c.Query("merchant")
	if slug == "" {
		return "", nil
	}
	m, err := s.deps.DB.MerchantBySlug(c.Request.Context(), slug)
	if errors.Is(err, db.ErrNotFound) {
		return "", Invalid(FieldError{"merchant", "no such merchant"})
	}
	if err != nil {
		return "", err
	}
	return m.ID, nil
}

type refundListItem struct {
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

func toListItem(r db.RefundRow) refundListItem {
	return refundListItem{ID: r.ID, ReturnID: r.ReturnID, Merchant: r.MerchantSlug, OrderNumber: r.OrderNumber, Channel: r.Channel,
		Amount: r.Amount, Shipping: r.ShippingAmount, Currency: r.Currency, Status: r.Status, FailureCode: r.FailureCode,
		AuthorisedBy: r.AuthorisedBy, Attempts: r.Attempts, CreatedAt: r.CreatedAt, FinishedAt: r.FinishedAt}
}

var refundCSVHeader = []string{"id", "return_id", "merchant", "order_number", "channel", "amount", "shipping", "currency",
	"status", "failure_code", "authorised_by", "attempts", "created_at", "finished_at"}

func (it refundListItem) record() []string {
	finished := ""
	if it.FinishedAt != nil {
		finished = it.FinishedAt.UTC().Format(time.RFC3339)
	}
	return []string{it.ID, it.ReturnID, it.Merchant, it.OrderNumber, it.Channel, strconv.FormatInt(it.Amount, 10),
		strconv.FormatInt(it.Shipping, 10), it.Currency, it.Status, it.FailureCode, it.AuthorisedBy, strconv.Itoa(it.Attempts),
		it.CreatedAt.UTC().Format(time.RFC3339), finished}
}

// refundFilter reads the list's query.
func (s *server) refundFilter(c *gin.Context) (db.RefundFilter, error) {
	merchantID, err := s.financeScope(c)
	if err != nil {
		return db.RefundFilter{}, err
	}
	f := db.RefundFilter{MerchantID: merchantID, Channel: c.Query("channel"), Sort: db.RefundSort(c.DefaultQuery("sort", string(db.SortNewest)))}
	var errs []FieldError
	for _, st := range strings.Split(c.Query("status"), ",") {
		switch st {
		case "":
		case db.RefundPending, db.RefundSucceeded, db.RefundFailed:
			f.Statuses = append(f.Statuses, st)
		default:
			errs = append(errs, FieldError{"status", "must be pending, succeeded or failed"})
		}
	}
	if f.Channel != "" && f.Channel != db.ChannelCardPresent && f.Channel != db.ChannelOnline {
		errs = append(errs, FieldError{"channel", "must be card_present or online"})
	}
	switch f.Sort {
	case db.SortNewest, db.SortOldest, db.SortAmountAsc, db.SortAmountDesc:
	default:
		errs = append(errs, FieldError{"sort", "must be newest, oldest, amount_desc or amount_asc"})
	}
	for name, dst := range map[string]*time.Time{"from": &f.From, "to": &f.To} {
		if v := c.Query(name); v != "" {
			t, err := time.Parse("2006-01-02", v)
			if err != nil {
				errs = append(errs, FieldError{name, "must be a date such as 2026-11-26"})
			}
			*dst = t
		}
	}
	if !f.To.IsZero() {
		f.To = f.To.Add(24 * time.Hour) // to is inclusive
	}
	for name, dst := range map[string]**int64{"min_amount": &f.MinAmount, "max_amount": &f.MaxAmount} {
		if v := c.Query(name); v != "" {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil || n < 0 {
				errs = append(errs, FieldError{name, "must be a whole number of minor units"})
			}
			*dst = &n
		}
	}
	var cur refundCursor
	limit, hasCursor, err := readPage(c, &cur)
	if err != nil {
		var p *Problem
		if !errors.As(err, &p) {
			return f, err
		}
		errs = append(errs, p.Errors...)
	}
	f.Limit = limit
	if hasCursor {
		f.After = (*db.RefundCursor)(&cur)
	}
	if len(errs) > 0 {
		return f, Invalid(sortFields(errs)...)
	}
	return f, nil
}

type refundCursor db.RefundCursor

func (r *refundCursor) valid() bool { return validID(r.ID) }

// listRefunds answers a page of refunds, or with Accept: text/csv streams
// every refund the filter selects, however many.
func (s *server) listRefunds(c *gin.Context) error {
	f, err := s.refundFilter(c)
	if err != nil {
		return err
	}
	if strings.Contains(c.GetHeader("Accept"), "text/csv") {
		return s.exportRefunds(c, f)
	}
	ctx := c.Request.Context()
	total, err := s.deps.DB.CountRefunds(ctx, f)
	if err != nil {
		return err
	}
	limit := f.Limit
	f.Limit++ // one more tells whether a next page exists
	rows, err := s.deps.DB.ListRefunds(ctx, f)
	if err != nil {
		return err
	}
	more := len(rows) > limit
	if more {
		rows = rows[:limit]
	}
	items := make([]refundListItem, 0, len(rows))
	for _, r := range rows {
		items = append(items, toListItem(r))
	}
	var last cursor
	if n := len(rows); n > 0 {
		last = &refundCursor{CreatedAt: rows[n-1].CreatedAt, Amount: rows[n-1].Amount, ID: rows[n-1].ID}
	}
	c.JSON(http.StatusOK, newPage(c, items, more, last, total))
	return nil
}

func (s *server) exportRefunds(c *gin.Context, f db.RefundFilter) error {
	c.Header("Content-Type", "text/csv; charset=utf-8")
	c.Header("Content-Disposition", `attachment; filename="refunds.csv"`)
	c.Status(http.StatusOK)
	w := csv.NewWriter(c.Writer)
	if err := w.Write(refundCSVHeader); err != nil {
		return err
	}
	f.Limit = 1000
	for {
		rows, err := s.deps.DB.ListRefunds(c.Request.Context(), f)
		if err != nil {
			// The header is out: the best left is to end the body short.
			s.log.Error("refund export cut short", "err", err)
			c.Abort()
			return nil
		}
		for _, r := range rows {
			if err := w.Write(toListItem(r).record()); err != nil {
				return nil // the client went away
			}
		}
		w.Flush()
		c.Writer.Flush()
		if len(rows) < f.Limit {
			return w.Error()
		}
		last := rows[len(rows)-1]
		f.After = &db.RefundCursor{CreatedAt: last.CreatedAt, Amount: last.Amount, ID: last.ID}
	}
}

func (s *server) refundSummary(c *gin.Context) error {
	merchantID, err := s.financeScope(c)
	if err != nil {
		return err
	}
	var from, to time.Time
	var errs []FieldError
	if v := c.Query("from"); v != "" {
		if from, err = time.Parse("2006-01-02", v); err != nil {
			errs = append(errs, FieldError{"from", "must be a date such as 2026-11-26"})
		}
	}
	if v := c.Query("to"); v != "" {
		if to, err = time.Parse("2006-01-02", v); err != nil {
			errs = append(errs, FieldError{"to", "must be a date such as 2026-11-26"})
		}
		to = to.Add(24 * time.Hour)
	}
	if len(errs) > 0 {
		return Invalid(errs...)
	}
	rows, err := s.deps.DB.RefundSummary(c.Request.Context(), merchantID, from, to)
	if err != nil {
		return err
	}
	type total struct {
		Status   string `json:"status"`
		Currency string `json:"currency"`
		Count    int64  `json:"count"`
		Amount   int64  `json:"amount"`
	}
	totals := map[string]*total{}
	var order []string
	for _, r := range rows {
		k := r.Status + "/" + r.Currency
		if totals[k] == nil {
			totals[k] = &total{Status: r.Status, Currency: r.Currency}
			order = append(order, k)
		}
		totals[k].Count += r.Count
		totals[k].Amount += r.Amount
	}
	byStatus := make([]total, 0, len(order))
	for _, k := range order {
		byStatus = append(byStatus, *totals[k])
	}
	if rows == nil {
		rows = []db.SummaryRow{}
	}
	c.JSON(http.StatusOK, gin.H{"rows": rows, "totals": byStatus})
	return nil
}

type attemptView struct {
	ID               string `json:"id"`
	N                int    `json:"n"`
	Kind             string `json:"kind"`
	State            string `json:"state"`
	Amount           int64  `json:"amount"`
	TerminalID       string `json:"terminal_id,omitempty"`
	STAN             string `json:"stan,omitempty"`
	RRN              string `json:"rrn,omitempty"`
	ApprovalCode     string `json:"approval_code,omitempty"`
	ResponseCode     string `json:"response_code,omitempty"`
	GatewayRefundID  string `json:"gateway_refund_id,omitempty"`
	UnknownReason    string `json:"unknown_reason,omitempty"`
	ReversalTries    int    `json:"reversal_tries,omitempty"`
	ReversalSTAN     string `json:"reversal_stan,omitempty"`
	ReversalCode     string `json:"reversal_code,omitempty"`
	LateResponseCode string `json:"late_response_code,omitempty"`
	LateMTI          string `json:"late_mti,omitempty"`
	// AnswerFields are the acquirer's answer's fields Rebound does not use.
	AnswerFields   db.JSON    `json:"answer_fields,omitempty"`
	Resolution     string     `json:"resolution,omitempty"`
	ResolutionNote string     `json:"resolution_note,omitempty"`
	ResolvedBy     string     `json:"resolved_by,omitempty"`
	ResolvedAt     *time.Time `json:"resolved_at,omitempty"`
	TransmittedAt  *time.Time `json:"transmitted_at,omitempty"`
	Settled        bool       `json:"settled"`
	CreatedAt      time.Time  `json:"created_at"`
}

// refundDetail shows a refund with every attempt: STAN, RRN, codes,
// reversals, the answer's other fields, finance's resolution and who
// authorised it.
func (s *server) refundDetail(c *gin.Context) error {
	id := c.Param("refund_id")
	notFound := NewProblem(http.StatusNotFound, "not-found", "no such refund")
	if !validID(id) {
		return notFound
	}
	ref, err := s.deps.DB.RefundByID(c.Request.Context(), id)
	if errors.Is(err, db.ErrNotFound) {
		return notFound
	}
	if err != nil {
		return err
	}
	if p := principalOf(c); p.Role != "operator" && p.MerchantID != ref.MerchantID {
		return notFound
	}
	return s.showRefund(c, ref.ID)
}

// answerFields shows an attempt's unused answer fields, or nothing.
func answerFields(j db.JSON) db.JSON {
	if s := strings.TrimSpace(string(j)); s == "" || s == "null" || s == "{}" {
		return nil
	}
	return j
}

// showRefund answers a refund with its attempts.
func (s *server) showRefund(c *gin.Context, id string) error {
	ctx := c.Request.Context()
	ref, err := s.deps.DB.RefundByID(ctx, id)
	if err != nil {
		return err
	}
	attempts, err := s.deps.DB.AttemptsOfRefund(ctx, ref.ID)
	if err != nil {
		return err
	}
	views := make([]attemptView, 0, len(attempts))
	for _, a := range attempts {
		views = append(views, attemptView{ID: a.ID, N: a.N, Kind: a.Kind, State: a.State, Amount: a.Amount, TerminalID: a.TerminalID, STAN: a.STAN,
			RRN: a.RRN, ApprovalCode: a.ApprovalCode, ResponseCode: a.ResponseCode, GatewayRefundID: a.GatewayRefundID,
			UnknownReason: a.UnknownReason, ReversalSTAN: a.ReversalSTAN, ReversalTries: a.ReversalTries, ReversalCode: a.ReversalCode,
			LateResponseCode: a.LateResponseCode, LateMTI: a.LateMTI, AnswerFields: answerFields(a.AnswerFields), Resolution: a.Resolution,
			ResolutionNote: a.ResolutionNote, ResolvedBy: a.ResolvedBy, ResolvedAt: a.ResolvedAt,
			TransmittedAt: a.TransmittedAt, Settled: a.SettledFileID != nil, CreatedAt: a.CreatedAt})
	}
	c.JSON(http.StatusOK, gin.H{"id": ref.ID, "return_id": ref.ReturnID, "channel": ref.Channel, "amount": ref.Amount,
		"shipping": ref.ShippingAmount, "currency": ref.Currency, "status": ref.Status, "failure_code": ref.FailureCode,
		"authorised_by": ref.AuthorisedBy, "created_at": ref.CreatedAt, "finished_at": ref.FinishedAt, "attempts": views})
	return nil
}

type workItemView struct {
	ID         string     `json:"id"`
	Kind       string     `json:"kind"`
	Status     string     `json:"status"`
	Summary    string     `json:"summary"`
	ReturnID   *string    `json:"return_id,omitempty"`
	RefundID   *string    `json:"refund_id,omitempty"`
	AttemptID  *string    `json:"attempt_id,omitempty"`
	FileID     *string    `json:"file_id,omitempty"`
	Line       *int64     `json:"line,omitempty"`
	Resolution string     `json:"resolution,omitempty"`
	Note       string     `json:"note,omitempty"`
	ResolvedBy string     `json:"resolved_by,omitempty"`
	CreatedAt  time.Time  `json:"created_at"`
	ResolvedAt *time.Time `json:"resolved_at,omitempty"`
}

func viewWorkItem(w db.WorkItem) workItemView {
	return workItemView{ID: w.ID, Kind: w.Kind, Status: w.Status, Summary: w.Summary, ReturnID: w.ReturnID, RefundID: w.RefundID,
		AttemptID: w.AttemptID, FileID: w.FileID, Line: w.ItemLine, Resolution: w.Resolution, Note: w.Note, ResolvedBy: w.ResolvedBy,
		CreatedAt: w.CreatedAt, ResolvedAt: w.ResolvedAt}
}

type workItemCursor db.WorkItemCursor

func (w *workItemCursor) valid() bool { return validID(w.ID) && !w.CreatedAt.IsZero() }

// listWorkItems answers a page of the merchant's work items, newest first:
// open ones by default, ?status=all for every one, ?file= for those one
// settlement file opened.
func (s *server) listWorkItems(c *gin.Context) error {
	merchantID, err := s.financeScope(c)
	if err != nil {
		return err
	}
	if merchantID == "" {
		return Invalid(FieldError{"merchant", "operators name the merchant"})
	}
	status := c.DefaultQuery("status", "open")
	if status != "open" && status != "all" {
		return Invalid(FieldError{"status", "must be open or all"})
	}
	f := db.WorkItemFilter{MerchantID: merchantID, OnlyOpen: status == "open", FileID: c.Query("file")}
	if f.FileID != "" && !validID(f.FileID) {
		return Invalid(FieldError{"file", "must be a settlement file id"})
	}
	var cur workItemCursor
	limit, hasCursor, err := readPage(c, &cur)
	if err != nil {
		return err
	}
	f.Limit = limit
	if hasCursor {
		f.After = (*db.WorkItemCursor)(&cur)
	}
	page, err := s.deps.DB.WorkItems(c.Request.Context(), f)
	if err != nil {
		return err
	}
	out := make([]workItemView, 0, len(page.Items))
	for _, w := range page.Items {
		out = append(out, viewWorkItem(w))
	}
	var last cursor
	if n := len(page.Items); n > 0 {
		last = &workItemCursor{CreatedAt: page.Items[n-1].CreatedAt, ID: page.Items[n-1].ID}
	}
	c.JSON(http.StatusOK, newPage(c, out, page.More, last, page.Total))
	return nil
}

// Resolutions finance gives a work item; an item about an attempt in doubt
// also takes the attempt's evidence (evidenceStates), which settles it.
var resolutions = []string{"acquirer_corrected", "refunded_again", "written_off", "not_ours", "other"}

type resolveRequest struct {
	Resolution string `json:"resolution"`
	Note       string `json:"note"`
}

func (s *server) resolveWorkItem(c *gin.Context) error {
	var req resolveRequest
	if err := bind(c, &req); err != nil {
		return err
	}
	if !oneOf(req.Resolution, resolutions...) && !oneOf(req.Resolution, evidenceStates...) {
		return Invalid(FieldError{"resolution", "must be one of " + strings.Join(append(slices.Clone(resolutions), evidenceStates...), ", ")})
	}
	if strings.TrimSpace(req.Note) == "" || len(req.Note) > 500 {
		return Invalid(FieldError{"note", "is required (at most 500 characters)"})
	}
	ctx := c.Request.Context()
	id := c.Param("item_id")
	notFound := NewProblem(http.StatusNotFound, "not-found", "no such work item")
	if !validID(id) {
		return notFound
	}
	w, err := s.deps.DB.WorkItemByID(ctx, id)
	p := principalOf(c)
	if errors.Is(err, db.ErrNotFound) || (err == nil && p.Role != "operator" && w.MerchantID != p.MerchantID) {
		return notFound
	}
	if err != nil {
		return err
	}
	if oneOf(req.Resolution, evidenceStates...) {
		// The evidence settles the item's attempt (and so its work items).
		if w.AttemptID == nil {
			return Invalid(FieldError{"resolution", "is for work items about a refund attempt"})
		}
		att, err := s.deps.DB.AttemptByID(ctx, *w.AttemptID)
		if err != nil {
			return err
		}
		ref, err := s.deps.DB.RefundByID(ctx, att.RefundID)
		if err != nil {
			return err
		}
		if err := s.settleAttempt(ctx, p, att, ref, attemptResolutionRequest(req)); err != nil {
			return err
		}
	}
	ok, err := s.deps.DB.ResolveWorkItem(ctx, id, req.Resolution, req.Note, p.Username)
	if err != nil {
		return err
	}
	if !ok && !oneOf(req.Resolution, evidenceStates...) {
		return NewProblem(http.StatusConflict, "resolved", "the work item is resolved already")
	}
	w, err = s.deps.DB.WorkItemByID(ctx, id)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, viewWorkItem(*w))
	return nil
}
