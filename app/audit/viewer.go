package audit

import (
	"context"
	"encoding/json"
	"errors"

	"github.com/rebound-returns/rebound/app/apperr"
	"github.com/rebound-returns/rebound/db"
	"github.com/rebound-returns/rebound/returns"
)

// The viewer's limits.
const (
	// MaxDays is the widest span of days one query covers.
	MaxDays = 366
	// ExportCap is the most rows one CSV export holds, newest first; a
	// narrower filter reaches older entries.
	ExportCap = 10000
	// exportBatch is how many rows an export reads at a time.
	exportBatch = 500
)

// Reader reads the audit log and finds the merchant an operator names
// (*db.DB's Audit and Merchants).
type Reader interface {
	AuditEntries(ctx context.Context, f db.AuditFilter) (*db.Paged[db.AuditEntry], error)
	MerchantBySlug(ctx context.Context, slug string) (*db.Merchant, error)
}

// Viewer shows the audit log to a merchant's admins (their merchant's) and
// to operators (every merchant's).
type Viewer struct{ r Reader }

// NewViewer shows r's log.
func NewViewer(r Reader) *Viewer { return &Viewer{r: r} }

// Caller is who reads the log: an admin of MerchantID, or an operator.
type Caller struct {
	MerchantID string
	Role       returns.Role
}

// Query is a viewer's filter as sent. Dates are days such as 2026-11-26,
// To inclusive.
type Query struct {
	// Merchant is an operator's choice of merchant (a slug; every
	// merchant's entries when empty).
	Merchant string
	// Actor is a username; Action an action or, ending in ".", a prefix.
	Actor, Action string
	// ResourceType and ResourceID are the object acted on.
	ResourceType, ResourceID string
	From, To                 string
	// After is the id the page before ended at; Limit the page size.
	After int64
	Limit int
	// Bad are the page's fields the edge refused (limit, cursor).
	Bad []apperr.Field
}

// Row is one audit entry as the viewer shows it.
type Row struct {
	ID int64
	Entry
}

// Page is a page of entries: Next is the id the next page starts after (0
// on the last), Total how many the query selects, counted up to
// db.CountCap+1.
type Page struct {
	Items []Row
	Next  int64
	Total int64
}

// Entries is a page of the log, newest first.
func (v *Viewer) Entries(ctx context.Context, c Caller, q Query) (Page, error) {
	f, err := v.filter(ctx, c, q)
	if err != nil {
		return Page{}, err
	}
	f.After, f.Limit = q.After, q.Limit
	p, err := v.r.AuditEntries(ctx, f)
	if err != nil {
		return Page{}, err
	}
	out := Page{Items: rows(p.Items), Total: p.Total}
	if n := len(p.Items); n > 0 && p.More {
		out.Next = p.Items[n-1].ID
	}
	return out, nil
}

// Export hands each entry q selects to fn, newest first, up to ExportCap;
// capped says more entries matched. The query is checked before fn sees
// any row, so a refusal is answered before the export begins.
func (v *Viewer) Export(ctx context.Context, c Caller, q Query, begin func() error, fn func(Row) error) (capped bool, err error) {
	q.Bad = nil // an export has no page
	f, err := v.filter(ctx, c, q)
	if err != nil {
		return false, err
	}
	if err := begin(); err != nil {
		return false, err
	}
	n := 0
	for {
		f.Limit = min(exportBatch, ExportCap-n)
		p, err := v.r.AuditEntries(ctx, f)
		if err != nil {
			return false, err
		}
		for _, r := range rows(p.Items) {
			if err := fn(r); err != nil {
				return false, err
			}
		}
		n += len(p.Items)
		if !p.More {
			return false, nil
		}
		if n >= ExportCap {
			return true, nil
		}
		f.After = p.Items[len(p.Items)-1].ID
	}
}

// filter checks q and scopes it to what c may see.
func (v *Viewer) filter(ctx context.Context, c Caller, q Query) (db.AuditFilter, error) {
	f := db.AuditFilter{Actor: q.Actor, Action: q.Action, ResourceType: q.ResourceType, ResourceID: q.ResourceID}
	switch {
	case c.Role == returns.RoleOperator && q.Merchant != "":
		m, err := v.r.MerchantBySlug(ctx, q.Merchant)
		if errors.Is(err, db.ErrNotFound) {
			return f, apperr.Invalid("merchant", "no such merchant")
		}
		if err != nil {
			return f, err
		}
		f.MerchantID = m.ID
	case c.Role == returns.RoleOperator:
	case !c.Role.Covers(returns.RoleAdmin) || c.MerchantID == "":
		return f, apperr.Forbidden("", "the audit log is for admins and operators")
	case q.Merchant != "":
		return f, apperr.Invalid("merchant", "only operators choose a merchant")
	default:
		f.MerchantID = c.MerchantID
	}
	var bad []apperr.Field
	for _, t := range []struct{ name, v string }{{"actor", q.Actor}, {"action", q.Action},
		{"resource_type", q.ResourceType}, {"resource_id", q.ResourceID}} {
		if len(t.v) > 200 {
			bad = append(bad, apperr.Field{Name: t.name, Reason: "must be at most 200 characters"})
		}
	}
	from, to, badDays := apperr.DayRange(q.From, q.To, MaxDays)
	bad = append(bad, badDays...)
	bad = append(bad, q.Bad...)
	if len(bad) > 0 {
		return f, apperr.InvalidFields(bad...)
	}
	f.From = from
	if !to.IsZero() {
		f.To = to.AddDate(0, 0, 1)
	}
	return f, nil
}

func rows(es []db.AuditEntry) []Row {
	out := make([]Row, 0, len(es))
	for i := range es {
		e := &es[i]
		r := Row{ID: e.ID, Entry: Entry{Action: e.Action, ResourceType: e.ResourceType, ResourceID: e.ResourceID, Outcome: e.Outcome,
			Origin: e.Origin, RequestID: e.RequestID, Actor: e.Actor, ActorRole: e.ActorRole, At: e.At.UTC()}}
		if e.MerchantID != nil {
			r.MerchantID = *e.MerchantID
		}
		if len(e.Detail) > 0 {
			_ = json.Unmarshal(e.Detail, &r.Detail)
		}
		out = append(out, r)
	}
	return out
}
