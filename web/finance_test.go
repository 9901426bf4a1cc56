package web

import (
	"bytes"
	"encoding/json"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// The chart's plot: what buildChart leaves free below and above the bars.
const chartBottom, chartTop = 24, 8

func plotHeight(c *chart) int { return c.Height - chartBottom - chartTop }

// barsByDay groups a chart's segments by their day (read from the title).
func barsByDay(c *chart) map[string][]chartBar {
	out := map[string][]chartBar{}
	for _, b := range c.Bars {
		day, _, _ := strings.Cut(b.Title, ":")
		out[day] = append(out[day], b)
	}
	return out
}

func TestChartSegmentsAndScale(t *testing.T) {
	// Out of order, with a day split over several rows of one status (one
	// per channel or currency, as the API answers them).
	rows := []summaryRow{
		{Day: "2026-03-03", Status: "succeeded", Count: 1},
		{Day: "2026-03-02", Status: "pending", Count: 1},
		{Day: "2026-03-02", Status: "succeeded", Count: 2},
		{Day: "2026-03-02", Status: "succeeded", Count: 1},
		{Day: "2026-03-01", Status: "failed", Count: 2},
		{Day: "2026-03-01", Status: "succeeded", Count: 1},
	}
	c := buildChart(rows, "")
	if c.Width != 640 || c.Height != 220 {
		t.Fatalf("size %dx%d", c.Width, c.Height)
	}
	// One segment per non-zero (day, status).
	if len(c.Bars) != 5 {
		t.Fatalf("%d segments, want 5: %+v", len(c.Bars), c.Bars)
	}
	var titles []string
	for _, b := range c.Bars {
		titles = append(titles, b.Title)
		if b.Class != "c-"+strings.Fields(b.Title)[2] {
			t.Errorf("segment %q has class %q", b.Title, b.Class)
		}
	}
	want := []string{"2026-03-01: 1 succeeded", "2026-03-01: 2 failed", "2026-03-02: 3 succeeded", "2026-03-02: 1 pending", "2026-03-03: 1 succeeded"}
	if !slices.Equal(titles, want) {
		t.Errorf("segments %q, want %q", titles, want)
	}
	if c.Max != 4 {
		t.Errorf("Max = %d, want 4", c.Max)
	}
	// Scaled to the busiest day: its bar fills the plot (4 divides the
	// plot's 188 px, so no rounding is involved here).
	plotH := plotHeight(c)
	base := c.Height - chartBottom
	byDay := barsByDay(c)
	heights := map[string]int{}
	for day, segs := range byDay {
		y := base
		for _, s := range segs {
			// Segments stack from the axis up without gaps or overlaps.
			if s.Y+s.H != y {
				t.Errorf("%s: segment %q ends at %d, want %d", day, s.Title, s.Y+s.H, y)
			}
			y = s.Y
			heights[day] += s.H
			if s.Y < chartTop {
				t.Errorf("%s: segment %q above the plot (y=%d)", day, s.Title, s.Y)
			}
		}
	}
	if heights["2026-03-02"] != plotH {
		t.Errorf("the busiest day's bar is %d px, want the plot's %d", heights["2026-03-02"], plotH)
	}
	if heights["2026-03-01"] != plotH*3/4 || heights["2026-03-03"] != plotH/4 {
		t.Errorf("bar heights %v, want %d and %d", heights, plotH*3/4, plotH/4)
	}
	// Sorted by day: bars (and ticks) go left to right.
	x := map[string]int{}
	for day, segs := range byDay {
		x[day] = segs[0].X
		for _, s := range segs {
			if s.X != segs[0].X || s.W != segs[0].W {
				t.Errorf("%s: segments not in one column", day)
			}
		}
	}
	if !(x["2026-03-01"] < x["2026-03-02"] && x["2026-03-02"] < x["2026-03-03"]) {
		t.Errorf("bars not sorted by day: %v", x)
	}
	var ticks []string
	for _, tk := range c.Ticks {
		ticks = append(ticks, tk.Label)
	}
	if !slices.Equal(ticks, []string{"03-01", "03-02", "03-03"}) {
		t.Errorf("ticks %q", ticks)
	}
	var days []chartDay
	days = append(days, c.Days...)
	wantDays := []chartDay{{"2026-03-01", 0, 1, 2}, {"2026-03-02", 1, 3, 0}, {"2026-03-03", 0, 1, 0}}
	if !slices.Equal(days, wantDays) {
		t.Errorf("days %+v, want %+v", days, wantDays)
	}
	if c.Summary != "8 refunds over 3 days; the busiest day had 4." {
		t.Errorf("Summary = %q", c.Summary)
	}
	var legend []string
	for _, l := range c.Legend {
		legend = append(legend, l.Status+"/"+l.Class)
	}
	if !slices.Equal(legend, []string{"succeeded/c-succeeded", "pending/c-pending", "failed/c-failed"}) {
		t.Errorf("legend %q", legend)
	}
}

func TestChartTallestBarFillsThePlot(t *testing.T) {
	// The busiest day as a single status, and small days that still show.
	c := buildChart([]summaryRow{
		{Day: "2026-03-01", Status: "succeeded", Count: 1000},
		{Day: "2026-03-02", Status: "failed", Count: 1},
		{Day: "2026-03-03", Status: "pending", Count: 7},
	}, "")
	h := map[string]int{}
	for day, segs := range barsByDay(c) {
		for _, s := range segs {
			h[day] += s.H
		}
	}
	if h["2026-03-01"] != plotHeight(c) {
		t.Errorf("tallest bar %d px, want %d", h["2026-03-01"], plotHeight(c))
	}
	if h["2026-03-02"] != 1 {
		t.Errorf("a day of one refund among a thousand is %d px, want the 1 px minimum", h["2026-03-02"])
	}
	if h["2026-03-03"] != 7*plotHeight(c)/1000 {
		t.Errorf("7 of 1000: %d px", h["2026-03-03"])
	}
}

func TestChartEmpty(t *testing.T) {
	for name, rows := range map[string][]summaryRow{
		"nil":              nil,
		"none":             {},
		"only zero counts": {{Day: "2026-03-01", Status: "succeeded", Count: 0}},
	} {
		c := buildChart(rows, "")
		if c.Summary != "No refunds in this period." {
			t.Errorf("%s: Summary = %q", name, c.Summary)
		}
		if len(c.Bars) != 0 || len(c.Ticks) != 0 || c.Max != 0 {
			t.Errorf("%s: chart %+v", name, c)
		}
		if len(c.Legend) != 3 {
			t.Errorf("%s: legend %+v", name, c.Legend)
		}
	}
	// A filter that keeps nothing.
	c := buildChart([]summaryRow{{Day: "2026-03-01", Status: "succeeded", Count: 3}}, "failed")
	if c.Summary != "No refunds in this period." || len(c.Bars) != 0 {
		t.Errorf("filtered to nothing: %+v", c)
	}
}

func TestChartOnlyKeepsOneStatus(t *testing.T) {
	rows := []summaryRow{
		{Day: "2026-03-01", Status: "succeeded", Count: 10},
		{Day: "2026-03-01", Status: "failed", Count: 2},
		{Day: "2026-03-02", Status: "failed", Count: 4},
		{Day: "2026-03-03", Status: "pending", Count: 9},
	}
	c := buildChart(rows, "failed")
	if len(c.Bars) != 2 {
		t.Fatalf("%d bars, want 2: %+v", len(c.Bars), c.Bars)
	}
	for _, b := range c.Bars {
		if b.Class != "c-failed" {
			t.Errorf("bar %q of class %q", b.Title, b.Class)
		}
	}
	if c.Max != 4 || c.Summary != "6 refunds over 2 days; the busiest day had 4." {
		t.Errorf("Max %d, Summary %q", c.Max, c.Summary)
	}
	if c.Bars[1].H != plotHeight(c) || c.Bars[0].H != plotHeight(c)/2 {
		t.Errorf("heights %d and %d", c.Bars[0].H, c.Bars[1].H)
	}
	for _, d := range c.Days {
		if d.Succeeded != 0 || d.Pending != 0 {
			t.Errorf("day %+v holds other statuses", d)
		}
	}
}

func TestChartManyDaysThinsTheTicks(t *testing.T) {
	var rows []summaryRow
	for d := 1; d <= 28; d++ {
		rows = append(rows, summaryRow{Day: "2026-02-" + twoDigits(d), Status: "succeeded", Count: int64(d)})
	}
	c := buildChart(rows, "")
	if len(c.Bars) != 28 {
		t.Fatalf("%d bars", len(c.Bars))
	}
	if len(c.Ticks) > 14 || len(c.Ticks) < 2 {
		t.Errorf("%d ticks for 28 days", len(c.Ticks))
	}
	for _, b := range c.Bars {
		if b.X < 40 || b.X+b.W > c.Width {
			t.Errorf("bar %q outside the plot: x=%d w=%d", b.Title, b.X, b.W)
		}
	}
}

func twoDigits(n int) string { return string([]byte{byte('0' + n/10), byte('0' + n%10)}) }

// financeAPI answers what the finance dashboard asks for.
func financeAPI() *fakeAPI {
	api := newFakeAPI().withSessions()
	api.HandleFunc("GET /v1/finance/refunds/summary", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("from") == "bad" {
			problem(w, http.StatusUnprocessableEntity, "validation", "Unprocessable Entity", "invalid",
				[]fieldErr{{"from", "must be a date such as 2026-11-26"}})
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{
			"rows": []map[string]any{
				{"day": "2026-03-10", "status": "succeeded", "channel": "online", "currency": "EUR", "count": 3, "amount": 30000},
				{"day": "2026-03-11", "status": "failed", "channel": "card_present", "currency": "EUR", "count": 1, "amount": 4500},
			},
			"totals": []map[string]any{{"status": "succeeded", "currency": "EUR", "count": 3, "amount": 30000}},
		})
	})
	api.HandleFunc("GET /v1/finance/refunds", func(w http.ResponseWriter, r *http.Request) {
		items := []map[string]any{{"id": "F1", "return_id": "R9", "order_number": "A-9", "channel": "card_present", "amount": 4500,
			"currency": "EUR", "status": "failed", "failure_code": "issuer_declined", "attempts": 2, "created_at": "2026-03-11T10:00:00Z"}}
		writeJSON(w, http.StatusOK, map[string]any{"items": items})
	})
	api.HandleFunc("GET /v1/finance/work-items", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]any{"items": []map[string]any{
			{"id": "W1", "kind": "amount_mismatch", "status": "open", "summary": "line 4 differs", "created_at": "2026-03-11T10:00:00Z"},
			{"id": "W2", "kind": "reversal_unacknowledged", "status": "open", "summary": "terminal R0000001 STAN 000007: its reversal was never acknowledged",
				"return_id": "R9", "refund_id": "F1", "attempt_id": "A7", "created_at": "2026-03-11T09:00:00Z"}}})
	})
	return api
}

func TestFinanceDashboard(t *testing.T) {
	api := financeAPI()
	h := newHandler(t, api, true)
	w := do(h, "GET", "/console/finance", nil, staffCookie(tokFinance))
	wantStatus(t, w, http.StatusOK)
	body := w.Body.String()
	mustContain(t, body, "<svg", "4 refunds over ", "; the busiest day had 3.", `class="c-succeeded"`, `class="c-failed"`,
		"300.00 EUR", "45.00 EUR", "issuer_declined", `action="/console/finance/work-items/W1/resolve"`,
		`action="/console/finance/returns/R9/refund-resolution"`, `href="/console/finance/refunds.csv?from=2026-03-01"`)
	// Without a filter the last two weeks are shown (the clock says 14 March).
	sum := api.callsTo("GET", "/v1/finance/refunds/summary")
	if len(sum) != 1 || sum[0].RawQuery != "from=2026-03-01" {
		t.Errorf("summary calls %+v", sum)
	}
	// A bad filter comes back marked.
	w = do(h, "GET", "/console/finance?from=bad", nil, staffCookie(tokAdmin))
	wantStatus(t, w, http.StatusUnprocessableEntity)
	mustContain(t, w.Body.String(), `<p class="error" id="e-from">must be a date such as 2026-11-26</p>`, "Please correct the filter.")
}

func TestFinanceResolveWorkItemErrorsGoBesideTheItem(t *testing.T) {
	api := financeAPI()
	api.HandleFunc("POST /v1/finance/work-items/{id}/resolve", func(w http.ResponseWriter, r *http.Request) {
		problem(w, http.StatusUnprocessableEntity, "validation", "Unprocessable Entity", "invalid", []fieldErr{{"note", "is required for other"}})
	})
	h := newHandler(t, api, true)
	token := staffCSRF(t, h, tokFinance, "/console/finance")
	w := do(h, "POST", "/console/finance/work-items/W1/resolve", url.Values{"csrf_token": {token}, "resolution": {"other"},
		"back": {"https://evil.example"}}, staffCookie(tokFinance))
	wantStatus(t, w, http.StatusUnprocessableEntity)
	mustContain(t, w.Body.String(), `<p class="error" id="e-W1.note">is required for other</p>`)
}

// A work item about a refund attempt offers finance the evidence that ends
// it (confirmed approved, reversed or never received) besides the plain
// resolutions; one about no attempt does not. The evidence chosen is what
// the API is sent.
func TestFinanceEscalatedAttemptIsResolvedWithEvidence(t *testing.T) {
	api := financeAPI()
	api.HandleFunc("POST /v1/finance/work-items/{id}/resolve", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]any{"id": r.PathValue("id"), "status": "resolved"})
	})
	h := newHandler(t, api, true)
	w := do(h, "GET", "/console/finance/work-items", nil, staffCookie(tokFinance))
	wantStatus(t, w, http.StatusOK)
	body := w.Body.String()
	choices := func(id string) string {
		t.Helper()
		m := regexp.MustCompile(`(?s)<select id="f-` + id + `\.resolution" name="resolution">(.*?)</select>`).FindStringSubmatch(body)
		if m == nil {
			t.Fatalf("no resolution choices for %s:\n%s", id, body)
		}
		return m[1]
	}
	escalated, plain := choices("W2"), choices("W1")
	for _, evidence := range []string{"confirmed_approved", "confirmed_reversed", "confirmed_not_received"} {
		option := `<option value="` + evidence + `">`
		if !strings.Contains(escalated, option) {
			t.Errorf("the reversal_unacknowledged item does not offer %s: %s", evidence, escalated)
		}
		if strings.Contains(plain, option) {
			t.Errorf("an item about no attempt offers %s: %s", evidence, plain)
		}
	}
	mustContain(t, escalated, `<option value="other">`)
	token := staffCSRF(t, h, tokFinance, "/console/finance/work-items")
	w = do(h, "POST", "/console/finance/work-items/W2/resolve", url.Values{"csrf_token": {token}, "resolution": {"confirmed_reversed"},
		"note": {" the acquirer's report of 10 March shows the reversal "}, "back": {"/console/finance/work-items"}}, staffCookie(tokFinance))
	wantStatus(t, w, http.StatusSeeOther)
	if loc := w.Header().Get("Location"); loc != "/console/finance/work-items?done=resolved" {
		t.Errorf("redirected to %q", loc)
	}
	calls := api.callsTo("POST", "/v1/finance/work-items/W2/resolve")
	if len(calls) != 1 {
		t.Fatalf("%d resolve calls; want 1", len(calls))
	}
	var sent map[string]string
	if err := json.Unmarshal(calls[0].Body, &sent); err != nil {
		t.Fatalf("resolve body %q: %v", calls[0].Body, err)
	}
	if sent["resolution"] != "confirmed_reversed" || sent["note"] != "the acquirer's report of 10 March shows the reversal" || len(sent) != 2 {
		t.Fatalf("sent %v; want the evidence confirmed_reversed with the note", sent)
	}
	if got := calls[0].Header.Get("Authorization"); !strings.Contains(got, tokFinance) {
		t.Errorf("resolve call authorised as %q; want the finance session's token", got)
	}
}

func TestFinanceUploadStreamsTheFile(t *testing.T) {
	api := financeAPI()
	var got struct{ source, name, content string }
	api.HandleFunc("POST /v1/finance/settlements", func(w http.ResponseWriter, r *http.Request) {
		if err := r.ParseMultipartForm(1 << 20); err != nil {
			t.Errorf("parse upload: %v", err)
		}
		got.source = r.FormValue("source")
		f, hdr, err := r.FormFile("file")
		if err == nil {
			var b bytes.Buffer
			_, _ = b.ReadFrom(f)
			got.name, got.content = hdr.Filename, b.String()
		}
		writeJSON(w, http.StatusCreated, map[string]any{"file": map[string]string{"id": "S1"}, "duplicate": true})
	})
	h := newHandler(t, api, true)
	token := staffCSRF(t, h, tokFinance, "/console/finance")
	post := func(csrf string) *httptest.ResponseRecorder {
		var b bytes.Buffer
		mw := multipart.NewWriter(&b)
		_ = mw.WriteField("csrf_token", csrf)
		_ = mw.WriteField("source", "acquirer")
		fw, _ := mw.CreateFormFile("file", "settle.csv")
		_, _ = fw.Write([]byte("a,b\n1,2\n"))
		_ = mw.Close()
		r := httptest.NewRequest("POST", "/console/finance/settlements", &b)
		r.Header.Set("Content-Type", mw.FormDataContentType())
		r.AddCookie(staffCookie(tokFinance))
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		return w
	}
	wantStatus(t, post("wrong"), http.StatusForbidden)
	if n := len(api.callsTo("POST", "/v1/finance/settlements")); n != 0 {
		t.Fatalf("upload reached the API with a wrong token")
	}
	wantRedirect(t, post(token), http.StatusSeeOther, "/console/finance/reconciliations/S1?done=duplicate")
	if got.source != "acquirer" || got.name != "settle.csv" || got.content != "a,b\n1,2\n" {
		t.Errorf("the API got %+v", got)
	}
}

// The reconciliation shows the rows an earlier file of their batch matched
// (already_matched, issue 18) apart from the discrepancies.
func TestReconciliationCountsRowsAlreadyMatched(t *testing.T) {
	api := newFakeAPI().withSessions()
	api.HandleFunc("GET /v1/finance/reconciliations/{id}", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]any{
			"id": "S1",
			"file": map[string]any{"id": "S1", "source": "acquirer", "filename": "settlement-2026-03-10.csv", "status": "reconciled",
				"rows": 3, "matched": 1, "already_matched": 2, "unexpected_at_acquirer": 0},
			"discrepancies": []any{}, "missing_at_acquirer": []any{}, "work_items": []any{}, "bad_rows": []any{},
		})
	})
	h := newHandler(t, api, true)
	w := do(h, "GET", "/console/finance/reconciliations/S1", nil, staffCookie(tokFinance))
	wantStatus(t, w, http.StatusOK)
	mustContain(t, w.Body.String(), "<dt>Already matched by an earlier file of the batch</dt><dd>2</dd>")
	mustContain(t, w.Body.String(), "<dt>Unexpected at the acquirer</dt><dd>0</dd>")
}
