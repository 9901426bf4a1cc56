package api

import (
	"errors"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"

	"github.com/rebound-returns/rebound/db"
	"github.com/rebound-returns/rebound/settlement"
	"github.com/rebound-returns/rebound/workflows"
)

// Finance imports the acquirer's settlement files and the gateway's daily
// reports; each is reconciled by its own workflow.

func (s *server) routesSettlement(g *gin.RouterGroup, roles []string) {
	g.POST("/settlements", deadline(s.deps.UploadTimeout), s.audited("settlement.import", s.importSettlement))
	g.GET("/reconciliations/:file_id", deadline(s.deps.RequestTimeout), s.handle(s.reconciliation))
}

// importSettlement takes a multipart upload (a "source" field, acquirer or
// gateway, then the "file" part; or ?source=) and streams the file into the
// staging table as it arrives, whatever its size; then it starts the file's
// reconciliation.
func (s *server) importSettlement(c *gin.Context) error {
	p := principalOf(c)
	if p.MerchantID == "" {
		return NewProblem(http.StatusForbidden, "forbidden", "settlement files belong to a merchant: log in as its finance or admin")
	}
	ctx := c.Request.Context()
	m, err := s.deps.DB.MerchantByID(ctx, p.MerchantID)
	if err != nil {
		return err
	}
	mt, params, err := mime.ParseMediaType(c.GetHeader("Content-Type"))
	if err != nil || mt != "multipart/form-data" || params["boundary"] == "" {
		return NewProblem(http.StatusUnsupportedMediaType, "media-type", "send multipart/form-data with a file part")
	}
	mr, err := c.Request.MultipartReader()
	if err != nil {
		return NewProblem(http.StatusBadRequest, "malformed-multipart", "the body is not multipart")
	}
	source := c.Query("source")
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			return Invalid(FieldError{"file", "is required"})
		}
		if err != nil {
			return NewProblem(http.StatusBadRequest, "malformed-multipart", "the multipart body could not be read")
		}
		switch part.FormName() {
		case "source":
			b, _ := io.ReadAll(io.LimitReader(part, 64))
			source = strings.TrimSpace(string(b))
			continue
		case "file":
		default:
			continue
		}
		if source != db.SourceAcquirer && source != db.SourceGateway {
			return Invalid(FieldError{"source", "must be acquirer or gateway, before the file"})
		}
		im := settlement.Importer{DB: s.deps.DB}
		res, err := im.Import(ctx, m, source, part.FileName(), p.Username, part)
		var refused *settlement.RefusedError
		if errors.As(err, &refused) {
			pr := NewProblem(http.StatusUnprocessableEntity, "malformed-file", refused.Error())
			for i, l := range refused.Lines {
				if i == 20 {
					break
				}
				pr.Errors = append(pr.Errors, FieldError{Field: "file:line " + itoa(l.Line), Message: l.Message})
			}
			return pr
		}
		if err != nil {
			return err
		}
		if res.Duplicate {
			c.JSON(http.StatusOK, gin.H{"file": viewFile(res.File), "duplicate": true})
			return nil
		}
		_, err = s.deps.Temporal.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
			ID: workflows.ReconcileWorkflowID(res.File.ID), TaskQueue: workflows.TaskQueue,
			WorkflowIDReusePolicy: enumspb.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE,
		}, workflows.ReconciliationWorkflow, workflows.ReconcileInput{FileID: res.File.ID})
		if err != nil {
			return err
		}
		bad := make([]FieldError, 0, min(len(res.BadRows), 20))
		for i, l := range res.BadRows {
			if i == 20 {
				break
			}
			bad = append(bad, FieldError{Field: "file:line " + itoa(l.Line), Message: l.Message})
		}
		c.Header("Location", "/v1/finance/reconciliations/"+res.File.ID)
		c.JSON(http.StatusAccepted, gin.H{"file": viewFile(res.File), "duplicate": false, "bad_rows": bad})
		return nil
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func parseInt(v string) (int64, error) { return strconv.ParseInt(v, 10, 64) }

type fileView struct {
	ID             string `json:"id"`
	Source         string `json:"source"`
	Filename       string `json:"filename"`
	Status         string `json:"status"`
	Rows           int64  `json:"rows"`
	BadRows        int64  `json:"bad_rows"`
	SizeBytes      int64  `json:"size_bytes"`
	FirstDay       string `json:"first_day,omitempty"`
	LastDay        string `json:"last_day,omitempty"`
	Matched        int64  `json:"matched"`
	Unexpected     int64  `json:"unexpected_at_acquirer"`
	AmountMismatch int64  `json:"amount_mismatch"`
	Missing        int64  `json:"missing_at_acquirer"`
	Ignored        int64  `json:"ignored"`
	Error          string `json:"error,omitempty"`
}

func viewFile(f *db.SettlementFile) fileView {
	return fileView{ID: f.ID, Source: f.Source, Filename: f.Filename, Status: f.Status, Rows: f.RowsRead, BadRows: f.BadRows,
		SizeBytes: f.SizeBytes, FirstDay: f.FirstDay, LastDay: f.LastDay, Matched: f.Matched, Unexpected: f.Unexpected,
		AmountMismatch: f.AmountMismatch, Missing: f.Missing, Ignored: f.Ignored, Error: f.Error}
}

type itemView struct {
	Line           int64   `json:"line"`
	Result         string  `json:"result"`
	MatchKey       string  `json:"match_key,omitempty"`
	TerminalID     string  `json:"terminal_id,omitempty"`
	STAN           string  `json:"stan,omitempty"`
	RRN            string  `json:"rrn,omitempty"`
	GatewayRefund  string  `json:"gateway_refund_id,omitempty"`
	TransactionDay string  `json:"transaction_date"`
	Amount         int64   `json:"amount"`
	Currency       string  `json:"currency"`
	AttemptID      *string `json:"attempt_id,omitempty"`
}

// reconciliation shows a file's reconciliation: counts, its discrepancies
// (paged by line), the refunds it found missing and its work items.
func (s *server) reconciliation(c *gin.Context) error {
	id := c.Param("file_id")
	notFound := NewProblem(http.StatusNotFound, "not-found", "no such reconciliation")
	if !validID(id) {
		return notFound
	}
	ctx := c.Request.Context()
	f, err := s.deps.DB.SettlementFileByID(ctx, id)
	p := principalOf(c)
	if errors.Is(err, db.ErrNotFound) || (err == nil && p.Role != "operator" && f.MerchantID != p.MerchantID) {
		return notFound
	}
	if err != nil {
		return err
	}
	var after int64
	if v := c.Query("after_line"); v != "" {
		n, err := parseInt(v)
		if err != nil || n < 0 {
			return Invalid(FieldError{"after_line", "must be a line number"})
		}
		after = n
	}
	limit := pageDefault
	if v := c.Query("limit"); v != "" {
		n, err := parseInt(v)
		if err != nil || n < 1 || n > pageMax {
			return Invalid(FieldError{"limit", "must be from 1 to " + itoa(pageMax)})
		}
		limit = int(n)
	}
	results := []string{db.ResultUnexpected, db.ResultAmountMismatch}
	if c.Query("all") == "true" {
		results = nil
	}
	items, err := s.deps.DB.SettlementItems(ctx, f.ID, results, after, limit+1)
	if err != nil {
		return err
	}
	// The discrepancies go on from the last line shown.
	var discNext *string
	if len(items) > limit {
		items = items[:limit]
		q := c.Request.URL.Query()
		q.Set("after_line", itoa(items[limit-1].Line))
		next := c.Request.URL.Path + "?" + q.Encode()
		discNext = &next
	}
	views := make([]itemView, 0, len(items))
	for _, it := range items {
		views = append(views, itemView{Line: it.Line, Result: it.Result, MatchKey: it.MatchKey, TerminalID: it.TerminalID, STAN: it.STAN,
			RRN: it.RRN, GatewayRefund: it.GatewayRefund, TransactionDay: it.TransactionDay, Amount: it.Amount, Currency: it.Currency, AttemptID: it.AttemptID})
	}
	// The file's counts say how many are missing; the answer shows the first.
	findings, missingTotal, err := s.deps.DB.FirstFindings(ctx, f.ID, pageMax)
	if err != nil {
		return err
	}
	// The first page of the file's work items; the rest are at work_items_next.
	work, err := s.deps.DB.WorkItems(ctx, db.WorkItemFilter{MerchantID: f.MerchantID, FileID: f.ID, Limit: pageDefault})
	if err != nil {
		return err
	}
	wv := make([]workItemView, 0, len(work.Items))
	for _, w := range work.Items {
		wv = append(wv, viewWorkItem(w))
	}
	var workNext *string
	if work.More {
		next := "/v1/finance/work-items?" + url.Values{"status": {"all"}, "file": {f.ID}}.Encode()
		workNext = &next
	}
	errs, err := s.deps.DB.SettlementErrors(ctx, f.ID, 100)
	if err != nil {
		return err
	}
	bad := make([]FieldError, 0, len(errs))
	for _, e := range errs {
		bad = append(bad, FieldError{Field: "file:line " + itoa(e.Line), Message: e.Message})
	}
	type missing struct {
		AttemptID string `json:"attempt_id"`
		MatchKey  string `json:"match_key"`
		Amount    int64  `json:"amount"`
	}
	ms := make([]missing, 0, len(findings))
	for _, fd := range findings {
		ms = append(ms, missing{AttemptID: fd.AttemptID, MatchKey: fd.MatchKey, Amount: fd.Amount})
	}
	c.JSON(http.StatusOK, gin.H{"id": f.ID, "file": viewFile(f), "discrepancies": views, "discrepancies_next": discNext,
		"missing_at_acquirer": ms, "missing_at_acquirer_total": min(missingTotal, db.CountCap),
		"work_items": wv, "work_items_total": min(work.Total, db.CountCap), "work_items_next": workNext, "bad_rows": bad})
	return nil
}
