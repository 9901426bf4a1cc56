package web

import (
	"errors"
	"net/http"
	"net/url"

	"github.com/rebound-returns/rebound/app/views"
)

// The audit log page shows an admin their merchant's audit log, newest
// first, filtered by actor, action, object and day, a page at a time, with
// a CSV export of what the filter selects (GET /v1/admin/audit).

func (s *site) routesAudit(mux *http.ServeMux) {
	mux.HandleFunc("GET /console/audit", s.staffGet(adminRoles, s.auditPage))
	mux.HandleFunc("GET /console/audit.csv", s.staffGet(adminRoles, s.auditCSV))
}

// auditForm is the audit log's filter as the visitor sent it.
type auditForm struct {
	Actor, Action, ResourceType, ResourceID, From, To string
}

func auditFormOf(q url.Values) auditForm {
	return auditForm{Actor: q.Get("actor"), Action: q.Get("action"), ResourceType: q.Get("resource_type"),
		ResourceID: q.Get("resource_id"), From: q.Get("from"), To: q.Get("to")}
}

func (f auditForm) query() url.Values {
	return queryOf(map[string]string{"actor": f.Actor, "action": f.Action, "resource_type": f.ResourceType,
		"resource_id": f.ResourceID, "from": f.From, "to": f.To})
}

type auditData struct {
	Filter      auditForm
	Entries     []views.AuditEntry
	Total       int64
	TotalCapped bool
	// Next links the next page with the filter ("" on the last); First
	// the first page with it; CSV the export of what the filter selects.
	Next, First, CSV string
}

func (s *site) auditPage(w http.ResponseWriter, r *http.Request, ss *staffSession) {
	d := &auditData{Filter: auditFormOf(r.URL.Query())}
	fq := d.Filter.query()
	const here = "/console/audit"
	d.First, d.CSV = here, here+".csv"
	if len(fq) > 0 {
		d.First += "?" + fq.Encode()
		d.CSV += "?" + fq.Encode()
	}
	var out struct {
		pageInfo
		Items []views.AuditEntry `json:"items"`
	}
	p := ss.page("Audit log", "console", nil)
	err := s.call(r, request{method: "GET", path: "/v1/admin/audit?" + pageQuery(r, fq).Encode(), token: ss.token}, &out)
	if err != nil {
		var ae *apiError
		if errors.As(err, &ae) && ae.Status == http.StatusUnprocessableEntity {
			// A bad filter: show the page with the fields marked.
			p.Fields = ae.Fields
			p.Problem = "Please correct the filter."
			p.Data = d
			s.render(w, r, http.StatusUnprocessableEntity, "audit", p)
			return
		}
		s.fail(w, r, err)
		return
	}
	d.Entries, d.Total, d.TotalCapped = out.Items, out.Total, out.TotalCapped
	if out.NextCursor != nil {
		nq := d.Filter.query()
		nq.Set("cursor", *out.NextCursor)
		d.Next = here + "?" + nq.Encode()
	}
	p.Data = d
	s.render(w, r, http.StatusOK, "audit", p)
}

// auditCSV hands on the API's CSV export of the filter's entries.
func (s *site) auditCSV(w http.ResponseWriter, r *http.Request, ss *staffSession) {
	q := auditFormOf(r.URL.Query()).query()
	q.Set("format", "csv")
	s.proxy(w, r, request{method: "GET", path: "/v1/admin/audit?" + q.Encode(), token: ss.token})
}
