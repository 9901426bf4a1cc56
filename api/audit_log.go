package api

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/rebound-returns/rebound/app/audit"
	"github.com/rebound-returns/rebound/app/views"
	"github.com/rebound-returns/rebound/returns"
)

// The audit log, read: a merchant's admins see their merchant's, operators
// every merchant's (or the one ?merchant= names).

// auditViewer reads the audit log (*audit.Viewer).
type auditViewer interface {
	Entries(ctx context.Context, c audit.Caller, q audit.Query) (audit.Page, error)
	Export(ctx context.Context, c audit.Caller, q audit.Query, begin func() error, fn func(audit.Row) error) (bool, error)
}

func (s *server) routesAuditLog(r *gin.RouterGroup) {
	r.GET("/admin/audit", s.staffOnly(returns.RoleAdmin, returns.RoleOperator), s.handle(s.listAudit))
}

// auditCursor is where a page of the audit log ended: an entry's id.
type auditCursor struct {
	ID int64 `json:"id"`
}

func (a *auditCursor) valid() bool { return a.ID > 0 }

var auditCSVHeader = []string{"id", "at", "merchant_id", "actor", "actor_role", "action", "resource_type", "resource_id",
	"outcome", "origin", "request_id", "detail"}

// listAudit answers a page of the audit log, newest first, filtered by
// ?actor= (a username), ?action= (exact, or a prefix ending in "."),
// ?resource_type=, ?resource_id=, ?from= and ?to= (days, at most 366
// apart) and, for operators, ?merchant= (a slug). With ?format=csv or
// Accept: text/csv it streams the entries as CSV instead, newest first, at
// most audit.ExportCap rows (X-Export-Cap says how many).
func (s *server) listAudit(c *gin.Context) error {
	format := c.Query("format")
	if format != "" && format != "json" && format != "csv" {
		return Invalid(FieldError{Field: "format", Message: "must be json or csv"})
	}
	p := principalOf(c)
	caller := audit.Caller{MerchantID: p.MerchantID, Role: p.Role}
	q := audit.Query{Merchant: c.Query("merchant"), Actor: c.Query("actor"), Action: c.Query("action"),
		ResourceType: c.Query("resource_type"), ResourceID: c.Query("resource_id"), From: c.Query("from"), To: c.Query("to")}
	if format == "csv" || (format == "" && strings.Contains(c.GetHeader("Accept"), "text/csv")) {
		return s.exportAudit(c, caller, q)
	}
	var cur auditCursor
	q.Limit, _, q.Bad = readPageFields(c, &cur)
	q.After = cur.ID
	page, err := s.auditViewer.Entries(c.Request.Context(), caller, q)
	if err != nil {
		return err
	}
	items := make([]views.AuditEntry, 0, len(page.Items))
	for _, r := range page.Items {
		items = append(items, auditView(r))
	}
	var last cursor
	if page.Next != 0 {
		last = &auditCursor{ID: page.Next}
	}
	c.JSON(http.StatusOK, newPage(c, items, last != nil, last, page.Total))
	return nil
}

func auditView(r audit.Row) views.AuditEntry {
	return views.AuditEntry{ID: r.ID, At: r.At, MerchantID: r.MerchantID, Actor: r.Actor, ActorRole: r.ActorRole, Action: r.Action,
		ResourceType: r.ResourceType, ResourceID: r.ResourceID, Outcome: r.Outcome, Origin: r.Origin, RequestID: r.RequestID, Detail: r.Detail}
}

// exportAudit streams the entries q selects as CSV: a header row, then a
// row per entry, times in RFC 3339 (UTC), the detail as JSON.
func (s *server) exportAudit(c *gin.Context, caller audit.Caller, q audit.Query) error {
	var w *csv.Writer
	begin := func() error {
		c.Header("Content-Type", "text/csv; charset=utf-8")
		c.Header("Content-Disposition", `attachment; filename="audit-log.csv"`)
		c.Header("X-Export-Cap", strconv.Itoa(audit.ExportCap))
		c.Status(http.StatusOK)
		w = csv.NewWriter(c.Writer)
		return w.Write(auditCSVHeader)
	}
	n := 0
	_, err := s.auditViewer.Export(c.Request.Context(), caller, q, begin, func(r audit.Row) error {
		detail := ""
		if len(r.Detail) > 0 {
			b, _ := json.Marshal(r.Detail)
			detail = string(b)
		}
		if err := w.Write([]string{strconv.FormatInt(r.ID, 10), r.At.UTC().Format(time.RFC3339Nano), r.MerchantID, r.Actor,
			string(r.ActorRole), r.Action, r.ResourceType, r.ResourceID, r.Outcome, r.Origin, r.RequestID, detail}); err != nil {
			return err
		}
		if n++; n%500 == 0 {
			w.Flush()
			c.Writer.Flush()
		}
		return nil
	})
	if w == nil {
		return err // refused before the export began
	}
	if err != nil {
		// The header is out: the best left is to end the body short.
		s.log.Error("audit export cut short", "err", err)
		c.Abort()
		return nil
	}
	w.Flush()
	return w.Error()
}
