package web

import (
	"errors"
	"maps"
	"net/http"
	"net/url"

	"github.com/rebound-returns/rebound/returns"
)

// The finance dashboard shows the first page of failed refunds and of open
// work items with how many there are; these pages show the rest, a page at
// a time, following the API's cursor.

const (
	// dashboardPage is how many failed refunds and work items the
	// dashboard shows; listPage how many each paged list shows.
	dashboardPage = "20"
	listPage      = "50"
)

func (s *site) routesFinanceLists(mux *http.ServeMux) {
	mux.HandleFunc("GET /console/finance/failed", s.staffGet(financeRoles, s.failedRefundsPage))
	mux.HandleFunc("GET /console/finance/work-items", s.staffGet(financeRoles, s.workItemsPage))
	mux.HandleFunc("GET /console/finance/settlements", s.staffGet(financeRoles, s.settlementsPage))
}

// pageInfo is what the API says about a page beside its items.
type pageInfo struct {
	NextCursor  *string `json:"next_cursor"`
	Total       int64   `json:"total"`
	TotalCapped bool    `json:"total_capped"`
}

// filteredList is a page of a console list the API pages under a filter:
// its items, their count, and links to the first and the next page that
// keep the filter ("" on the last).
type filteredList[T any] struct {
	Items       []T
	Total       int64
	TotalCapped bool
	First, Next string
}

// fetchFiltered fills l with the page of the API's list at api that the
// filter fq and the visitor's cursor select, linking its pages under here.
// A filter the API refuses (422) shows page p again (template tmpl, with
// data d) with the fields marked; any other failure the error page. It
// tells whether the caller goes on: false once the answer is written.
func fetchFiltered[T any](s *site, w http.ResponseWriter, r *http.Request, ss *staffSession, p *page, tmpl, here, api string,
	fq url.Values, l *filteredList[T], d any) bool {
	l.First = here
	if len(fq) > 0 {
		l.First += "?" + fq.Encode()
	}
	var out struct {
		pageInfo
		Items []T `json:"items"`
	}
	asked := url.Values{}
	maps.Copy(asked, fq)
	err := s.call(r, request{method: "GET", path: api + "?" + pageQuery(r, asked).Encode(), token: ss.token}, &out)
	if err != nil {
		var ae *apiError
		if errors.As(err, &ae) && ae.Status == http.StatusUnprocessableEntity {
			p.Fields = ae.Fields
			p.Problem = "Please correct the filter."
			p.Data = d
			s.render(w, r, http.StatusUnprocessableEntity, tmpl, p)
			return false
		}
		s.fail(w, r, err)
		return false
	}
	l.Items, l.Total, l.TotalCapped = out.Items, out.Total, out.TotalCapped
	if out.NextCursor != nil {
		nq := url.Values{}
		maps.Copy(nq, fq)
		nq.Set("cursor", *out.NextCursor)
		l.Next = here + "?" + nq.Encode()
	}
	return true
}

// financeListData is a paged list page: failed refunds or work items.
type financeListData struct {
	Kind        string // "failed" or "work"
	Refunds     []refundItem
	Work        []workItem
	RefundFixes []string
	Total       int64
	TotalCapped bool
	// Next is the link to the next page ("" on the last one), First to
	// the first; Back the page forms return to.
	Next, First, Back string
}

// pageQuery is the API query of one page: the page's size and the cursor
// the visitor followed (the API refuses one it did not make).
func pageQuery(r *http.Request, q url.Values) url.Values {
	q.Set("limit", listPage)
	if c := r.URL.Query().Get("cursor"); c != "" {
		q.Set("cursor", c)
	}
	return q
}

func nextLink(path string, info pageInfo) string {
	if info.NextCursor == nil {
		return ""
	}
	return path + "?" + url.Values{"cursor": {*info.NextCursor}}.Encode()
}

func (s *site) failedRefundsPage(w http.ResponseWriter, r *http.Request, ss *staffSession) {
	var out struct {
		pageInfo
		Items []refundItem `json:"items"`
	}
	q := pageQuery(r, url.Values{"status": {string(returns.RefundStatusFailed)}})
	if err := s.call(r, request{method: "GET", path: "/v1/finance/refunds?" + q.Encode(), token: ss.token}, &out); err != nil {
		s.fail(w, r, err)
		return
	}
	p := ss.page("Failed refunds", "finance", nil)
	p.Notice = notices[r.URL.Query().Get("done")]
	p.Data = &financeListData{Kind: "failed", Refunds: out.Items, RefundFixes: refundResolutions, Total: out.Total,
		TotalCapped: out.TotalCapped, Next: nextLink("/console/finance/failed", out.pageInfo), First: "/console/finance/failed",
		Back: "/console/finance/failed"}
	s.render(w, r, http.StatusOK, "financelist", p)
}

func (s *site) workItemsPage(w http.ResponseWriter, r *http.Request, ss *staffSession) {
	var out struct {
		pageInfo
		Items []workItem `json:"items"`
	}
	q := pageQuery(r, url.Values{"status": {"open"}})
	// ?file= keeps the items one settlement file opened (the API checks it).
	here := "/console/finance/work-items"
	if f := r.URL.Query().Get("file"); f != "" {
		q.Set("file", f)
		here += "?" + url.Values{"file": {f}}.Encode()
	}
	if err := s.call(r, request{method: "GET", path: "/v1/finance/work-items?" + q.Encode(), token: ss.token}, &out); err != nil {
		s.fail(w, r, err)
		return
	}
	p := ss.page("Work items", "finance", nil)
	p.Notice = notices[r.URL.Query().Get("done")]
	d := &financeListData{Kind: "work", Work: out.Items, Total: out.Total, TotalCapped: out.TotalCapped, Back: "/console/finance/work-items"}
	if out.NextCursor != nil {
		nq := url.Values{"cursor": {*out.NextCursor}}
		if f := q.Get("file"); f != "" {
			nq.Set("file", f)
		}
		d.Next = "/console/finance/work-items?" + nq.Encode()
	}
	d.First = here
	p.Data = d
	s.render(w, r, http.StatusOK, "financelist", p)
}

// cursorQuery is the API query of the page whose cursor the visitor's URL
// carries under name (the first page when none).
func cursorQuery(r *http.Request, name string) string {
	q := url.Values{}
	if c := r.URL.Query().Get(name); c != "" {
		q.Set("cursor", c)
	}
	return q.Encode()
}

// pageLink links path's next page, the API's cursor under name; "" when
// there is none.
func pageLink(path, name string, next *string) string {
	if next == nil {
		return ""
	}
	return path + "?" + url.Values{name: {*next}}.Encode()
}
