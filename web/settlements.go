package web

import (
	"errors"
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
	Filter      settlementForm
	Files       []views.SettlementFileListItem
	Total       int64
	TotalCapped bool
	// Next links the next page with the filter ("" on the last); First
	// the first page with it.
	Next, First string
}

func (s *site) settlementsPage(w http.ResponseWriter, r *http.Request, ss *staffSession) {
	q := r.URL.Query()
	d := &settlementsData{Filter: settlementForm{Source: q.Get("source"), Via: q.Get("via"), From: q.Get("from"), To: q.Get("to")}}
	fq := d.Filter.query()
	const here = "/console/finance/settlements"
	d.First = here
	if len(fq) > 0 {
		d.First += "?" + fq.Encode()
	}
	var out struct {
		pageInfo
		Items []views.SettlementFileListItem `json:"items"`
	}
	p := ss.page("Settlement files", "finance", nil)
	err := s.call(r, request{method: "GET", path: "/v1/finance/settlements?" + pageQuery(r, fq).Encode(), token: ss.token}, &out)
	if err != nil {
		var ae *apiError
		if errors.As(err, &ae) && ae.Status == http.StatusUnprocessableEntity {
			// A bad filter: show the page with the fields marked.
			p.Fields = ae.Fields
			p.Problem = "Please correct the filter."
			p.Data = d
			s.render(w, r, http.StatusUnprocessableEntity, "settlements", p)
			return
		}
		s.fail(w, r, err)
		return
	}
	d.Files, d.Total, d.TotalCapped = out.Items, out.Total, out.TotalCapped
	if out.NextCursor != nil {
		nq := d.Filter.query()
		nq.Set("cursor", *out.NextCursor)
		d.Next = here + "?" + nq.Encode()
	}
	p.Data = d
	s.render(w, r, http.StatusOK, "settlements", p)
}
