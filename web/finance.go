package web

import (
	"errors"
	"fmt"
	"github.com/rebound-returns/rebound/returns"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/rebound-returns/rebound/app/views"
)

// The finance dashboard: refunds by status and day, the refund list with
// its CSV export, settlement uploads with their reconciliation, and the
// failures and discrepancies finance resolves.

func (s *site) routesFinance(mux *http.ServeMux) {
	mux.HandleFunc("GET /console/finance", s.staffGet(financeRoles, s.dashboard))
	mux.HandleFunc("GET /console/finance/refunds.csv", s.staffGet(financeRoles, s.refundsCSV))
	mux.HandleFunc("POST /console/finance/settlements", s.upload)
	mux.HandleFunc("GET /console/finance/reconciliations/{id}", s.staffGet(financeRoles, s.reconciliationPage))
	mux.HandleFunc("POST /console/finance/work-items/{id}/resolve", s.staffPost(financeRoles, s.resolveWorkItem))
	mux.HandleFunc("POST /console/finance/returns/{id}/refund-resolution", s.staffPost(financeRoles, s.resolveRefund))
}

// refundItem is a refund as the API's finance lists answer it.
type refundItem = views.RefundListItem

// workItem is a work item as the API answers it.
type workItem struct{ views.WorkItem }

// Resolutions finance may give, in the API's words.
var (
	workResolutions   = []string{"acquirer_corrected", "refunded_again", "written_off", "not_ours", "other"}
	refundResolutions = []string{"retry", "mark_refunded", string(returns.ResolutionStoreCredit)}
	// evidenceResolutions end the attempt an item is about with what the
	// acquirer holds.
	evidenceResolutions = []string{"confirmed_approved", "confirmed_reversed", "confirmed_not_received"}
)

// Resolutions are what finance may answer the item with: the evidence
// first when it is about a refund attempt.
func (w workItem) Resolutions() []string {
	if w.AttemptID == nil {
		return workResolutions
	}
	return append(slices.Clone(evidenceResolutions), workResolutions...)
}

type filterForm struct {
	Status, Channel, From, To string
}

func (f filterForm) query() url.Values {
	return queryOf(map[string]string{"status": f.Status, "channel": f.Channel, "from": f.From, "to": f.To})
}

// queryOf is a filter's query string: the fields given, by name.
func queryOf(fields map[string]string) url.Values {
	q := url.Values{}
	for k, v := range fields {
		if v != "" {
			q.Set(k, v)
		}
	}
	return q
}

type dashboardData struct {
	Filter      filterForm
	CSV         string
	Chart       *chart
	Totals      []summaryTotal
	Refunds     []refundItem
	Failed      []refundItem
	Work        []workItem
	RefundFixes []string
	// How many failed refunds and open work items there are (counted up
	// to the API's cap), and whether more follow the first page shown.
	FailedTotal, WorkTotal   int64
	FailedCapped, WorkCapped bool
	FailedMore, WorkMore     bool
	// RefundsTotal counts the filter's refunds (up to the API's cap);
	// RefundsNext links the next page of them ("" on the last).
	RefundsTotal  int64
	RefundsCapped bool
	RefundsNext   string
}

type summaryTotal struct {
	Status   string `json:"status"`
	Currency string `json:"currency"`
	Count    int64  `json:"count"`
	Amount   int64  `json:"amount"`
}

func (s *site) dashboard(w http.ResponseWriter, r *http.Request, ss *staffSession) {
	p := ss.page("Finance", "finance", nil)
	p.Notice = notices[r.URL.Query().Get("done")]
	s.showDashboard(w, r, ss, http.StatusOK, p)
}

func (s *site) showDashboard(w http.ResponseWriter, r *http.Request, ss *staffSession, status int, p *page) {
	q := r.URL.Query()
	d := &dashboardData{Filter: filterForm{Status: q.Get("status"), Channel: q.Get("channel"), From: q.Get("from"), To: q.Get("to")},
		RefundFixes: refundResolutions}
	if d.Filter.From == "" && d.Filter.To == "" {
		d.Filter.From = s.now().UTC().AddDate(0, 0, -13).Format("2006-01-02")
	}
	fq := d.Filter.query()
	d.CSV = "/console/finance/refunds.csv?" + fq.Encode()
	var sum struct {
		Rows   []summaryRow   `json:"rows"`
		Totals []summaryTotal `json:"totals"`
	}
	sq := url.Values{"from": {fq.Get("from")}, "to": {fq.Get("to")}}
	for k, v := range sq {
		if v[0] == "" {
			delete(sq, k)
		}
	}
	var lists struct {
		pageInfo
		Items []refundItem `json:"items"`
	}
	var failed struct {
		pageInfo
		Items []refundItem `json:"items"`
	}
	var work struct {
		pageInfo
		Items []workItem `json:"items"`
	}
	lq := url.Values{}
	for k, v := range fq {
		lq[k] = v
	}
	lq.Set("limit", listPage)
	if c := q.Get("cursor"); c != "" {
		lq.Set("cursor", c)
	}
	err := errors.Join(
		s.call(r, request{method: "GET", path: "/v1/finance/refunds/summary?" + sq.Encode(), token: ss.token}, &sum),
		s.call(r, request{method: "GET", path: "/v1/finance/refunds?" + lq.Encode(), token: ss.token}, &lists),
		s.call(r, request{method: "GET", path: "/v1/finance/refunds?status=failed&limit=" + dashboardPage, token: ss.token}, &failed),
		s.call(r, request{method: "GET", path: "/v1/finance/work-items?status=open&limit=" + dashboardPage, token: ss.token}, &work),
	)
	if err != nil {
		var ae *apiError
		if errors.As(err, &ae) && ae.Status == http.StatusUnprocessableEntity {
			// A bad filter: show the page with the fields marked.
			p.Fields = ae.Fields
			p.Problem = "Please correct the filter."
			p.Data = d
			s.render(w, r, http.StatusUnprocessableEntity, "finance", p)
			return
		}
		s.fail(w, r, err)
		return
	}
	d.Chart = buildChartOver(sum.Rows, d.Filter.Status, daySpan(d.Filter.From, d.Filter.To, s.now()))
	d.Totals, d.Refunds, d.Failed, d.Work = sum.Totals, lists.Items, failed.Items, work.Items
	d.RefundsTotal, d.RefundsCapped = lists.Total, lists.TotalCapped
	if lists.NextCursor != nil {
		nq := url.Values{}
		for k, v := range fq {
			nq[k] = v
		}
		nq.Set("cursor", *lists.NextCursor)
		d.RefundsNext = "/console/finance?" + nq.Encode()
	}
	d.FailedTotal, d.FailedCapped, d.FailedMore = failed.Total, failed.TotalCapped, failed.NextCursor != nil
	d.WorkTotal, d.WorkCapped, d.WorkMore = work.Total, work.TotalCapped, work.NextCursor != nil
	p.Data = d
	s.render(w, r, status, "finance", p)
}

func (s *site) refundsCSV(w http.ResponseWriter, r *http.Request, ss *staffSession) {
	s.proxy(w, r, request{method: "GET", path: "/v1/finance/refunds?" + r.URL.RawQuery, token: ss.token,
		header: http.Header{"Accept": {"text/csv"}}})
}

// upload streams a settlement file to the API as it arrives: the form's
// first part is its CSRF token, then the source, then the file.
func (s *site) upload(w http.ResponseWriter, r *http.Request) {
	token := cookieValue(r, cookieStaff)
	mr, err := r.MultipartReader()
	if err != nil {
		s.errorPage(w, r, http.StatusBadRequest, "Send the file with the upload form.")
		return
	}
	csrf, err := nextField(mr, csrfField)
	if err != nil || !s.checkCSRFValue(csrf, "s:"+token) {
		s.csrfRefused(w, r)
		return
	}
	ss, ok := s.staffSession(w, r, financeRoles)
	if !ok {
		return
	}
	source, err := nextField(mr, "source")
	if err != nil {
		s.errorPage(w, r, http.StatusBadRequest, "Send the file with the upload form.")
		return
	}
	part, err := mr.NextPart()
	if err != nil || part.FormName() != "file" || part.FileName() == "" {
		p := ss.page("Finance", "finance", nil)
		p.Fields = map[string]string{"file": "choose a file to upload"}
		p.Problem = "Please correct the fields marked below."
		s.showDashboard(w, r, ss, http.StatusUnprocessableEntity, p)
		return
	}
	pr, pw := io.Pipe()
	mw := multipart.NewWriter(pw)
	go func() {
		err := mw.WriteField("source", source)
		if err == nil {
			var fw io.Writer
			if fw, err = mw.CreateFormFile("file", part.FileName()); err == nil {
				if _, err = io.Copy(fw, part); err == nil {
					err = mw.Close()
				}
			}
		}
		pw.CloseWithError(err)
	}()
	var out struct {
		File struct {
			ID string `json:"id"`
		} `json:"file"`
		Duplicate bool `json:"duplicate"`
	}
	err = s.call(r, request{method: "POST", path: "/v1/finance/settlements", token: ss.token, body: pr,
		contentType: mw.FormDataContentType()}, &out)
	_ = pr.CloseWithError(io.ErrClosedPipe)
	if err != nil {
		p := ss.page("Finance", "finance", nil)
		if !formProblem(p, err, nil) {
			s.fail(w, r, err)
			return
		}
		for k, v := range p.Fields {
			if strings.HasPrefix(k, "file:") {
				p.Fields["file"] = strings.TrimSpace(p.Fields["file"] + " " + strings.TrimPrefix(k, "file:") + ": " + v + ".")
			}
		}
		s.showDashboard(w, r, ss, http.StatusUnprocessableEntity, p)
		return
	}
	dest := "/console/finance/reconciliations/" + url.PathEscape(out.File.ID)
	if out.Duplicate {
		dest += "?done=duplicate"
	}
	http.Redirect(w, r, dest, http.StatusSeeOther)
}

// nextField reads the next part of a multipart form, which must be the
// named field, as a short string.
func nextField(mr *multipart.Reader, name string) (string, error) {
	part, err := mr.NextPart()
	if err != nil {
		return "", err
	}
	if part.FormName() != name {
		return "", fmt.Errorf("expected %s, got %s", name, part.FormName())
	}
	b, err := io.ReadAll(io.LimitReader(part, 256))
	return strings.TrimSpace(string(b)), err
}

type reconciliationData struct {
	File          views.SettlementFile  `json:"file"`
	Discrepancies []views.Discrepancy   `json:"discrepancies"`
	Missing       []views.MissingRefund `json:"missing_at_acquirer"`
	Work          []workItem            `json:"work_items"`
	// DiscrepanciesNext is set when more discrepancies follow those shown;
	// WorkTotal counts the file's work items, WorkNext when more follow.
	DiscrepanciesNext *string `json:"discrepancies_next"`
	WorkTotal         int64   `json:"work_items_total"`
	WorkNext          *string `json:"work_items_next"`
	BadRows           []struct {
		Field   string `json:"field"`
		Message string `json:"message"`
	} `json:"bad_rows"`
}

// MoreDiscrepancies links the page of the discrepancies after the last one
// shown ("" when none follow).
func (d *reconciliationData) MoreDiscrepancies() string {
	if d.DiscrepanciesNext == nil || len(d.Discrepancies) == 0 {
		return ""
	}
	last := d.Discrepancies[len(d.Discrepancies)-1].Line
	return "/console/finance/reconciliations/" + url.PathEscape(d.File.ID) + "?after_line=" + itoa(last)
}

// Done tells whether the file's reconciliation has finished.
func (d *reconciliationData) Done() bool { return d.File.Done() }

func (s *site) reconciliationPage(w http.ResponseWriter, r *http.Request, ss *staffSession) {
	var d reconciliationData
	q := url.Values{}
	if a := r.URL.Query().Get("after_line"); a != "" {
		q.Set("after_line", a)
	}
	if err := s.call(r, request{method: "GET", path: "/v1/finance/reconciliations/" + url.PathEscape(r.PathValue("id")) + "?" + q.Encode(), token: ss.token}, &d); err != nil {
		s.fail(w, r, err)
		return
	}
	p := ss.page("Reconciliation of "+d.File.Filename, "finance", &d)
	switch r.URL.Query().Get("done") {
	case "duplicate":
		p.Notice = "This file was imported before; here is its reconciliation."
	case "resolved":
		p.Notice = notices["resolved"]
	}
	s.render(w, r, http.StatusOK, "reconciliation", p)
}

// back is where a finance form returns to: the page it was posted from.
func back(r *http.Request) string {
	b := r.PostFormValue("back")
	if !strings.HasPrefix(b, "/console/finance") || strings.ContainsAny(b, "?#\\\r\n") {
		return "/console/finance"
	}
	return b
}

func (s *site) financeAct(w http.ResponseWriter, r *http.Request, ss *staffSession, path string, body any, prefix string) {
	err := s.call(r, request{method: "POST", path: path, token: ss.token, body: body}, nil)
	if err == nil {
		http.Redirect(w, r, back(r)+"?done=resolved", http.StatusSeeOther)
		return
	}
	var ae *apiError
	if !errors.As(err, &ae) || ae.Status >= 500 {
		s.fail(w, r, err)
		return
	}
	p := ss.page("Finance", "finance", nil)
	p.Form = formValues(r)
	for k, v := range ae.Fields {
		p.Fields[prefix+k] = v
	}
	p.Problem = ae.Error()
	if strings.HasPrefix(back(r), "/console/finance/reconciliations/") {
		r.SetPathValue("id", strings.TrimPrefix(back(r), "/console/finance/reconciliations/"))
		var d reconciliationData
		if err := s.call(r, request{method: "GET", path: "/v1/finance/reconciliations/" + url.PathEscape(r.PathValue("id")), token: ss.token}, &d); err != nil {
			s.fail(w, r, err)
			return
		}
		p.Data = &d
		s.render(w, r, http.StatusUnprocessableEntity, "reconciliation", p)
		return
	}
	s.showDashboard(w, r, ss, http.StatusUnprocessableEntity, p)
}

func (s *site) resolveWorkItem(w http.ResponseWriter, r *http.Request, ss *staffSession) {
	id := r.PathValue("id")
	s.financeAct(w, r, ss, "/v1/finance/work-items/"+url.PathEscape(id)+"/resolve",
		map[string]string{"resolution": r.PostFormValue("resolution"), "note": strings.TrimSpace(r.PostFormValue("note"))}, id+".")
}

func (s *site) resolveRefund(w http.ResponseWriter, r *http.Request, ss *staffSession) {
	id := r.PathValue("id")
	s.financeAct(w, r, ss, "/v1/finance/returns/"+url.PathEscape(id)+"/refund-resolution",
		map[string]string{"action": r.PostFormValue("action"), "note": strings.TrimSpace(r.PostFormValue("note"))}, id+".")
}

// The chart: refunds per day, stacked by status, drawn on the server.

type summaryRow struct {
	Day    string `json:"day"`
	Status string `json:"status"`
	Count  int64  `json:"count"`
	Amount int64  `json:"amount"`
}

type chart struct {
	Width, Height int
	Bars          []chartBar
	Ticks         []chartTick
	Legend        []chartLegend
	Max           int64
	Summary       string
	Days          []chartDay
}

type chartBar struct {
	X, Y, W, H int
	Class      string
	Title      string
}

type chartTick struct {
	X     int
	Label string
}

type chartLegend struct{ Status, Class string }

type chartDay struct {
	Day                        string
	Pending, Succeeded, Failed int64
}

var chartStatuses = []string{string(returns.RefundStatusSucceeded), string(returns.RefundStatusPending), string(returns.RefundStatusFailed)}

// buildChart lays out one bar per day, its segments the counts of each
// status, scaled to the busiest day.
func buildChart(rows []summaryRow, only string) *chart { return buildChartOver(rows, only, nil) }

// buildChartOver draws the chart over the given days (every day of the
// period, quiet ones too), or over the days the rows name when none.
func buildChartOver(rows []summaryRow, only string, span []string) *chart {
	byDay := map[string]map[string]int64{}
	for _, d := range span {
		byDay[d] = map[string]int64{}
	}
	for _, r := range rows {
		if only != "" && r.Status != only {
			continue
		}
		if byDay[r.Day] == nil {
			byDay[r.Day] = map[string]int64{}
		}
		byDay[r.Day][r.Status] += r.Count
	}
	days := make([]string, 0, len(byDay))
	for d := range byDay {
		days = append(days, d)
	}
	sort.Strings(days)
	c := &chart{Width: 640, Height: 220}
	for _, st := range chartStatuses {
		c.Legend = append(c.Legend, chartLegend{Status: st, Class: "c-" + st})
	}
	var total int64
	for _, d := range days {
		var n int64
		for _, st := range chartStatuses {
			n += byDay[d][st]
		}
		c.Max = max(c.Max, n)
		total += n
		c.Days = append(c.Days, chartDay{Day: d, Pending: byDay[d][string(returns.RefundStatusPending)],
			Succeeded: byDay[d][string(returns.RefundStatusSucceeded)], Failed: byDay[d][string(returns.RefundStatusFailed)]})
	}
	c.Summary = fmt.Sprintf("%s over %s; the busiest day had %d.", plural(total, "refund"), plural(int64(len(days)), "day"), c.Max)
	if len(days) == 0 || c.Max == 0 {
		c.Summary = "No refunds in this period."
		return c
	}
	const left, bottom, top = 40, 24, 8
	plotH := c.Height - bottom - top
	slot := (c.Width - left) / len(days)
	barW := min(max(slot*2/3, 2), 48)
	for i, d := range days {
		x := left + i*slot + (slot-barW)/2
		base := c.Height - bottom
		// Segments stack on the running total, so that rounding never
		// shortens a bar: the busiest day reaches the top exactly.
		var below int64
		y := base
		for _, st := range chartStatuses {
			n := byDay[d][st]
			if n == 0 {
				continue
			}
			below += n
			top := base - int(below*int64(plotH)/c.Max)
			top = min(top, y-1) // at least a pixel for every segment
			c.Bars = append(c.Bars, chartBar{X: x, Y: top, W: barW, H: y - top, Class: "c-" + st, Title: fmt.Sprintf("%s: %d %s", d, n, st)})
			y = top
		}
		if len(days) <= 14 || i%((len(days)+13)/14) == 0 {
			c.Ticks = append(c.Ticks, chartTick{X: x + barW/2, Label: d[5:]})
		}
	}
	return c
}

// daySpan lists the days from from to to (today when empty), at most 92;
// nil when from is empty or the span is not a sensible period.
func daySpan(from, to string, now time.Time) []string {
	f, err := time.Parse("2006-01-02", from)
	if err != nil {
		return nil
	}
	t := now.UTC().Truncate(24 * time.Hour)
	if to != "" {
		if t, err = time.Parse("2006-01-02", to); err != nil {
			return nil
		}
	}
	var out []string
	for d := f; !d.After(t) && len(out) < 92; d = d.AddDate(0, 0, 1) {
		out = append(out, d.Format("2006-01-02"))
	}
	return out
}
