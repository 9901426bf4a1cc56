package web

import (
	"net/http"
	"net/url"

	"github.com/rebound-returns/rebound/app/views"
)

// The settlement history lists the merchant's settlement files, uploaded
// or picked up, newest first, each with its reconciliation's counts and a
// link to its reconciliation; a filter by source, way in and business day.

// settlementForm is the history's filter as the visitor sent it.
type settlementForm struct {
	Source, Via, From, To string
}

func (f settlementForm) query() url.Values {
	return queryOf(map[string]string{"source": f.Source, "via": f.Via, "from": f.From, "to": f.To})
}

type settlementsData struct {
	Filter settlementForm
	filteredList[views.SettlementFileListItem]
}

func (s *site) settlementsPage(w http.ResponseWriter, r *http.Request, ss *staffSession) {
	q := r.URL.Query()
	d := &settlementsData{Filter: settlementForm{Source: q.Get("source"), Via: q.Get("via"), From: q.Get("from"), To: q.Get("to")}}
	p := ss.page("Settlement files", "finance", nil)
	if !fetchFiltered(s, w, r, ss, p, "settlements", "/console/finance/settlements", "/v1/finance/settlements", d.Filter.query(), &d.filteredList, d) {
		return
	}
	p.Data = d
	s.render(w, r, http.StatusOK, "settlements", p)
}
