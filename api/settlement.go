package api

import (
	"errors"
	"github.com/rebound-returns/rebound/returns"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/rebound-returns/rebound/app/apperr"
	"github.com/rebound-returns/rebound/app/finance"
	"github.com/rebound-returns/rebound/app/views"
)

// Finance imports the acquirer's settlement files and the gateway's daily
// reports; each is reconciled by its own workflow (app/finance).

func (s *server) routesSettlement(g *gin.RouterGroup, roles []returns.Role) {
	g.POST("/settlements", deadline(s.deps.UploadTimeout), s.audited("settlement.import", s.importSettlement))
	g.GET("/settlements", deadline(s.deps.RequestTimeout), s.handle(s.listSettlements))
	g.GET("/reconciliations/:file_id", deadline(s.deps.RequestTimeout), s.handle(s.reconciliation))
}

// settlementCursor is a finance.SettlementFileCursor as a list's cursor
// carries it.
type settlementCursor struct {
	CreatedAt time.Time `json:"t"`
	ID        string    `json:"id"`
}

func (f *settlementCursor) valid() bool { return validID(f.ID) && !f.CreatedAt.IsZero() }

// listSettlements answers a page of the merchant's settlement files, newest
// first, uploaded or picked up, each with its reconciliation's counts:
// ?source= (acquirer, gateway), ?via= (upload, pickup), ?from= and ?to=
// (business days, at most 366 apart).
func (s *server) listSettlements(c *gin.Context) error {
	var cur settlementCursor
	limit, hasCursor, bad := readPageFields(c, &cur)
	q := finance.SettlementQuery{Merchant: c.Query("merchant"), Source: c.Query("source"), Via: c.Query("via"), From: c.Query("from"),
		To: c.Query("to"), Page: finance.Page[finance.SettlementFileCursor]{Limit: limit, Bad: bad}}
	if hasCursor {
		q.Page.After = (*finance.SettlementFileCursor)(&cur)
	}
	page, err := s.finance.Settlements(c.Request.Context(), financeCaller(c), q)
	if err != nil {
		return err
	}
	items := make([]views.SettlementFileListItem, 0, len(page.Items))
	for _, it := range page.Items {
		items = append(items, views.SettlementFileListItem{SettlementFile: fileView(it.File), Via: it.Via, UploadedBy: it.UploadedBy, CreatedAt: it.CreatedAt})
	}
	var last cursor
	if page.Next != nil {
		last = (*settlementCursor)(page.Next)
	}
	c.JSON(http.StatusOK, newPage(c, items, page.Next != nil, last, page.Total))
	return nil
}

// importSettlement takes a multipart upload (a "source" field, acquirer or
// gateway, then the "file" part; or ?source=) and streams the file into the
// staging table as it arrives, whatever its size; then it starts the file's
// reconciliation.
func (s *server) importSettlement(c *gin.Context) error {
	res, err := s.finance.ImportSettlement(c.Request.Context(), financeCaller(c), func() (finance.Upload, error) { return openUpload(c) })
	if err != nil {
		return err
	}
	if res.Duplicate {
		c.JSON(http.StatusOK, gin.H{"file": fileView(res.File), "duplicate": true})
		return nil
	}
	c.Header("Location", "/v1/finance/reconciliations/"+res.File.ID)
	c.JSON(http.StatusAccepted, gin.H{"file": fileView(res.File), "duplicate": false, "bad_rows": lineFields(res.BadRows)})
	return nil
}

// openUpload reads the multipart body up to the file part, which it hands
// over unread, with the source sent before it (or in ?source=).
func openUpload(c *gin.Context) (finance.Upload, error) {
	mt, params, err := mime.ParseMediaType(c.GetHeader("Content-Type"))
	if err != nil || mt != "multipart/form-data" || params["boundary"] == "" {
		return finance.Upload{}, NewProblem(http.StatusUnsupportedMediaType, "media-type", "send multipart/form-data with a file part")
	}
	mr, err := c.Request.MultipartReader()
	if err != nil {
		return finance.Upload{}, NewProblem(http.StatusBadRequest, "malformed-multipart", "the body is not multipart")
	}
	source := c.Query("source")
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			return finance.Upload{}, Invalid(FieldError{"file", "is required"})
		}
		if err != nil {
			return finance.Upload{}, NewProblem(http.StatusBadRequest, "malformed-multipart", "the multipart body could not be read")
		}
		switch part.FormName() {
		case "source":
			b, _ := io.ReadAll(io.LimitReader(part, 64))
			source = strings.TrimSpace(string(b))
		case "file":
			return finance.Upload{Source: source, Filename: part.FileName(), Body: part}, nil
		}
	}
}

// lineFields names a file's unreadable lines as fields.
func lineFields(ls []finance.LineError) []FieldError {
	out := make([]FieldError, 0, len(ls))
	for _, l := range ls {
		out = append(out, FieldError{Field: "file:line " + itoa(l.Line), Message: l.Message})
	}
	return out
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func parseInt(v string) (int64, error) { return strconv.ParseInt(v, 10, 64) }

// fileView is a finance.File as answers show it (the pages decode the same type).
type fileView = views.SettlementFile

// itemView is a finance.Discrepancy as the reconciliation shows it.
type itemView = views.Discrepancy

type missingView = views.MissingRefund

// reconciliation shows a file's reconciliation: counts, its discrepancies
// (paged by line: ?after_line=, ?limit=, ?all=true for every row), the
// refunds it found missing and its work items.
func (s *server) reconciliation(c *gin.Context) error {
	q := finance.ReconciliationQuery{FileID: c.Param("file_id"), All: c.Query("all") == "true"}
	q.AfterLine, q.Limit, q.Bad = readLinePage(c)
	rec, err := s.finance.Reconciliation(c.Request.Context(), financeCaller(c), q)
	if err != nil {
		return err
	}
	var workNext *string
	if rec.MoreWorkItems {
		next := "/v1/finance/work-items?" + url.Values{"status": {"all"}, "file": {rec.File.ID}}.Encode()
		workNext = &next
	}
	views := make([]itemView, 0, len(rec.Discrepancies))
	for _, d := range rec.Discrepancies {
		views = append(views, itemView(d))
	}
	ms := make([]missingView, 0, len(rec.Missing))
	for _, m := range rec.Missing {
		ms = append(ms, missingView(m))
	}
	c.JSON(http.StatusOK, gin.H{"id": rec.File.ID, "file": fileView(rec.File), "discrepancies": views, "discrepancies_next": discrepanciesNext(c, rec),
		"missing_at_acquirer": ms, "missing_at_acquirer_total": rec.MissingTotal, "work_items": workItemViews(rec.WorkItems),
		"work_items_total": rec.WorkItemsTotal, "work_items_next": workNext, "bad_rows": lineFields(rec.BadRows)})
	return nil
}

// discrepanciesNext links the discrepancies after the last line shown (nil
// when none follow): the request's own URL with ?after_line=.
func discrepanciesNext(c *gin.Context, rec finance.Reconciliation) *string {
	n := len(rec.Discrepancies)
	if !rec.MoreDiscrepancies || n == 0 {
		return nil
	}
	q := c.Request.URL.Query()
	q.Set("after_line", itoa(rec.Discrepancies[n-1].Line))
	next := c.Request.URL.Path + "?" + q.Encode()
	return &next
}

// readLinePage reads ?after_line= and ?limit= of the discrepancies; the use
// case refuses the first at fault once the file is known to be the caller's.
func readLinePage(c *gin.Context) (after int64, limit int, bad []apperr.Field) {
	if v := c.Query("after_line"); v != "" {
		n, err := parseInt(v)
		if err != nil || n < 0 {
			return 0, 0, []apperr.Field{{Name: "after_line", Reason: "must be a line number"}}
		}
		after = n
	}
	limit = pageDefault
	if v := c.Query("limit"); v != "" {
		n, err := parseInt(v)
		if err != nil || n < 1 || n > pageMax {
			return 0, 0, []apperr.Field{{Name: "limit", Reason: "must be from 1 to " + itoa(pageMax)}}
		}
		limit = int(n)
	}
	return after, limit, nil
}
