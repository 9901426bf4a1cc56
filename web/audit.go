package web

import (
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
	Filter auditForm
	filteredList[views.AuditEntry]
	// CSV links the export of what the filter selects.
	CSV string
}

func (s *site) auditPage(w http.ResponseWriter, r *http.Request, ss *staffSession) {
	d := &auditData{Filter: auditFormOf(r.URL.Query())}
	fq := d.Filter.query()
	d.CSV = "/console/audit.csv"
	if len(fq) > 0 {
		d.CSV += "?" + fq.Encode()
	}
	p := ss.page("Audit log", "console", nil)
	if !fetchFiltered(s, w, r, ss, p, "audit", "/console/audit", "/v1/admin/audit", fq, &d.filteredList, d) {
		return
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
