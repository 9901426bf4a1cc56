package web

import (
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/rebound-returns/rebound/app/views"
	"github.com/rebound-returns/rebound/returns"
)

// The merchant console: staff log in, work their queues and take each
// return through review, receipt, inspection and the counter refund.

// staffInfo is the logged-in staff member, as the API describes them.
type staffInfo struct {
	Username     string       `json:"username"`
	Role         returns.Role `json:"role"`
	Merchant     string       `json:"merchant"`
	MerchantName string       `json:"merchant_name"`
	// MustChange: logged in with a one-time password, to change first.
	MustChange bool `json:"password_change_required"`
}

// Can tells whether the member's role covers one of roles.
func (i *staffInfo) Can(roles ...returns.Role) bool {
	return i != nil && i.Role.Admitted(roles)
}

// Who may open each part of the console; the API checks again.
var (
	consoleRoles = returns.MerchantRoles
	floorRoles   = []returns.Role{returns.RoleClerk, returns.RoleSupervisor, returns.RoleAdmin}
	reviewRoles  = []returns.Role{returns.RoleSupervisor, returns.RoleAdmin}
	financeRoles = []returns.Role{returns.RoleFinance, returns.RoleAdmin}
	allRoles     = append(slices.Clone(returns.MerchantRoles), returns.RoleOperator)
	adminRoles   = []returns.Role{returns.RoleAdmin}
)

const staffCookieLife = 12 * time.Hour

func (s *site) routesConsole(mux *http.ServeMux) {
	mux.HandleFunc("GET /console/login", s.loginPage)
	mux.HandleFunc("POST /console/login", s.login)
	mux.HandleFunc("POST /console/logout", s.staffPost(consoleRoles, s.logout))
	mux.HandleFunc("GET /console", s.staffGet(consoleRoles, s.queues))
	mux.HandleFunc("GET /console/policy", s.staffGet(consoleRoles, s.policyPage))
	mux.HandleFunc("POST /console/policy", s.staffPost(adminRoles, s.savePolicy))
	mux.HandleFunc("GET /console/freezes", s.staffGet(consoleRoles, s.freezesPage))
	mux.HandleFunc("POST /console/freezes", s.staffPost(adminRoles, s.freeze))
	mux.HandleFunc("POST /console/freezes/{id}/lift", s.staffPost(adminRoles, s.liftFreeze))
	mux.HandleFunc("GET /console/staff", s.staffGet(adminRoles, s.staffPage))
	mux.HandleFunc("POST /console/staff", s.staffPost(adminRoles, s.inviteStaff))
	mux.HandleFunc("POST /console/staff/{id}", s.staffPost(adminRoles, s.changeStaff))
	mux.HandleFunc("POST /console/api-keys", s.staffPost(adminRoles, s.createKey))
	mux.HandleFunc("POST /console/api-keys/{id}/revoke", s.staffPost(adminRoles, s.revokeKey))
	mux.HandleFunc("GET /console/password", s.staffGet(allRoles, s.passwordPage))
	mux.HandleFunc("POST /console/password", s.staffPost(allRoles, s.changePassword))
	mux.HandleFunc("GET /console/returns/{id}", s.staffGet(consoleRoles, s.returnPage))
	mux.HandleFunc("GET /console/returns/{id}/label", s.staffGet(consoleRoles, s.staffLabel))
	mux.HandleFunc("POST /console/returns/{id}/review", s.staffPost(reviewRoles, s.review))
	mux.HandleFunc("POST /console/returns/{id}/receive", s.staffPost(floorRoles, s.receive))
	mux.HandleFunc("POST /console/returns/{id}/inspection", s.staffPost(floorRoles, s.inspect))
	mux.HandleFunc("POST /console/returns/{id}/counter-refund", s.staffPost(floorRoles, s.counterRefund))
	mux.HandleFunc("POST /console/returns/{id}/refund-approval", s.staffPost(reviewRoles, s.refundApproval))
	mux.HandleFunc("POST /console/returns/{id}/cancel", s.staffPost(floorRoles, s.staffCancel))
}

// staffHandler serves a console page for a logged-in member.
type staffHandler func(w http.ResponseWriter, r *http.Request, sess *staffSession)

type staffSession struct {
	token   string
	info    *staffInfo
	csrf    string
	freezes []freezeInfo
}

// freezeInfo is a refund freeze in force, shown on every console page.
type freezeInfo struct {
	Scope      string `json:"scope"`
	StoreCode  string `json:"store_code"`
	TerminalID string `json:"terminal_id"`
	Reason     string `json:"reason"`
	CreatedBy  string `json:"created_by"`
}

// page starts a console page.
func (ss *staffSession) page(title, area string, data any) *page {
	return &page{Title: title, Area: area, CSRF: ss.csrf, Staff: ss.info, Data: data, Freezes: ss.freezes,
		Fields: map[string]string{}, Form: map[string]string{}}
}

// staffSession resolves the staff cookie through the API. Without a live
// session the visitor is sent to log in; with the wrong role they get 403.
func (s *site) staffSession(w http.ResponseWriter, r *http.Request, roles []returns.Role) (*staffSession, bool) {
	token := cookieValue(r, cookieStaff)
	var info staffInfo
	err := errors.New("no session")
	if token != "" {
		err = s.call(r, request{method: "GET", path: "/v1/auth/session", token: token}, &info)
	}
	var ae *apiError
	switch {
	case err == nil:
	case errors.As(err, &ae) && ae.Status == http.StatusForbidden:
		// A session of a role with no console (an operator).
		s.errorPage(w, r, http.StatusForbidden, "Your account has no merchant console. Operators work through the API.")
		return nil, false
	case token == "" || (errors.As(err, &ae) && ae.Status == http.StatusUnauthorized):
		if token != "" {
			s.setCookie(w, cookieStaff, "", "/", -1)
		}
		next := r.URL.Path
		if r.Method != http.MethodGet {
			next = "/console"
		}
		http.Redirect(w, r, "/console/login?next="+url.QueryEscape(next), http.StatusSeeOther)
		return nil, false
	default:
		s.fail(w, r, err)
		return nil, false
	}
	if info.MustChange && r.URL.Path != "/console/password" {
		http.Redirect(w, r, "/console/password", http.StatusSeeOther)
		return nil, false
	}
	if info.Merchant == "" && r.URL.Path != "/console/password" {
		s.errorPage(w, r, http.StatusForbidden, "Your account has no merchant console. Operators work through the API.")
		return nil, false
	}
	if !info.Role.Admitted(roles) {
		s.errorPage(w, r, http.StatusForbidden, "Your role ("+string(info.Role)+") may not open this page. It needs "+returns.JoinRoles(roles, " or ")+".")
		return nil, false
	}
	ss := &staffSession{token: token, info: &info, csrf: s.csrfToken("s:" + token)}
	if info.Merchant != "" && !info.MustChange {
		var fs struct {
			Items []freezeInfo `json:"items"`
		}
		if err := s.call(r, request{method: "GET", path: "/v1/merchant/freezes?active=true", token: token}, &fs); err != nil {
			s.log.WarnContext(r.Context(), "freezes not shown", "err", err)
		}
		ss.freezes = fs.Items
	}
	return ss, true
}

func (s *site) staffGet(roles []returns.Role, h staffHandler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if ss, ok := s.staffSession(w, r, roles); ok {
			h(w, r, ss)
		}
	}
}

// staffPost checks a console form's CSRF token before anything else, then
// the session and the role.
func (s *site) staffPost(roles []returns.Role, h staffHandler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		r.Body = http.MaxBytesReader(w, r.Body, 1<<20)
		if !s.checkCSRF(r, "s:"+cookieValue(r, cookieStaff)) {
			s.csrfRefused(w, r)
			return
		}
		if ss, ok := s.staffSession(w, r, roles); ok {
			h(w, r, ss)
		}
	}
}

func (s *site) csrfRefused(w http.ResponseWriter, r *http.Request) {
	s.log.WarnContext(r.Context(), "form refused: CSRF token missing or wrong", "path", r.URL.Path)
	s.errorPage(w, r, http.StatusForbidden, "This form has expired or did not come from this site. Go back, reload the page and try again.")
}

// fail shows an error the API answered (or any other) as a page.
func (s *site) fail(w http.ResponseWriter, r *http.Request, err error) {
	var ae *apiError
	if errors.As(err, &ae) {
		msg := ae.Detail
		if ae.Status == http.StatusNotFound {
			msg = "There is nothing here, or it is not yours to see."
		}
		s.errorPage(w, r, ae.Status, msg)
		return
	}
	s.log.ErrorContext(r.Context(), "page failed", "path", r.URL.Path, "err", err)
	s.errorPage(w, r, http.StatusInternalServerError, "Something went wrong on our side. Please try again.")
}

// formProblem turns an API refusal of a form into what the page shows:
// field messages beside their fields, anything else at the top.
func formProblem(p *page, err error, fieldNames map[string]string) bool {
	var ae *apiError
	if !errors.As(err, &ae) || ae.Status >= 500 {
		return false
	}
	if p.Fields == nil {
		p.Fields = map[string]string{}
	}
	for apiField, msg := range ae.Fields {
		name := apiField
		if f, ok := fieldNames[apiField]; ok {
			name = f
		}
		p.Fields[name] = msg
	}
	if len(ae.Fields) == 0 {
		p.Problem = ae.Error()
	} else {
		p.Problem = "Please correct the fields marked below."
	}
	return true
}

func formValues(r *http.Request) map[string]string {
	out := map[string]string{}
	for k, v := range r.PostForm {
		if k != csrfField && !strings.Contains(k, "password") && len(v) > 0 {
			out[k] = v[0]
		}
	}
	return out
}

// Log-in and log-out.

type loginData struct{ Next string }

func safeNext(next string) string {
	if !strings.HasPrefix(next, "/console") || strings.HasPrefix(next, "//") || strings.ContainsAny(next, "\\\r\n") {
		return "/console"
	}
	return next
}

func (s *site) loginPage(w http.ResponseWriter, r *http.Request) {
	p := &page{Title: "Log in", Area: "login", CSRF: s.csrfToken(s.visitor(w, r, "")), Data: loginData{Next: safeNext(r.URL.Query().Get("next"))}}
	s.render(w, r, http.StatusOK, "login", p)
}

func (s *site) login(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if !s.checkCSRF(r, "a:"+cookieValue(r, cookieAnon)) {
		s.csrfRefused(w, r)
		return
	}
	next := safeNext(r.PostFormValue("next"))
	var out struct {
		Token string `json:"token"`
	}
	err := s.call(r, request{method: "POST", path: "/v1/auth/login",
		body: map[string]string{"merchant": r.PostFormValue("merchant"), "username": r.PostFormValue("username"), "password": r.PostFormValue("password")}}, &out)
	if err != nil {
		p := &page{Title: "Log in", Area: "login", CSRF: s.csrfToken(s.visitor(w, r, "")), Data: loginData{Next: next},
			Form: map[string]string{"merchant": r.PostFormValue("merchant"), "username": r.PostFormValue("username")}, Fields: map[string]string{}}
		if !formProblem(p, err, nil) {
			s.fail(w, r, err)
			return
		}
		s.render(w, r, http.StatusOK, "login", p)
		return
	}
	s.setCookie(w, cookieStaff, out.Token, "/", staffCookieLife)
	http.Redirect(w, r, next, http.StatusSeeOther)
}

func (s *site) logout(w http.ResponseWriter, r *http.Request, ss *staffSession) {
	if err := s.call(r, request{method: "POST", path: "/v1/auth/logout", token: ss.token}, nil); err != nil {
		s.log.WarnContext(r.Context(), "log-out", "err", err)
	}
	s.setCookie(w, cookieStaff, "", "/", -1)
	http.Redirect(w, r, "/console/login", http.StatusSeeOther)
}

// The queues.

type queueInfo struct {
	Name, Title string
	Count       int64
}

var queueTitles = map[string]string{"review": "To review", "receive": "To receive", "inspect": "To inspect",
	"counter": "Refunds at the counter", "escalated": "Escalations"}

// queueRoles are who can act on each queue's returns, the roles of the
// step that moves them on: the console shows a member only those queues
// (a clerk, who could only cancel a return to review, sees no "To review").
var queueRoles = map[string][]returns.Role{"review": reviewRoles, "receive": floorRoles, "inspect": floorRoles,
	"counter": floorRoles, "escalated": floorRoles}

type returnSummary struct {
	ID             string    `json:"id"`
	OrderNumber    string    `json:"order_number"`
	Status         string    `json:"status"`
	Method         string    `json:"method"`
	Channel        string    `json:"channel"`
	Attention      string    `json:"attention"`
	TrackingNumber string    `json:"tracking_number"`
	RefundAmount   *int64    `json:"refund_amount"`
	Currency       string    `json:"currency"`
	CreatedAt      time.Time `json:"created_at"`
}

type queuesData struct {
	Queues  []queueInfo
	Current string // the queue shown; empty while searching
	Title   string
	Items   []returnSummary
	// Query is the search box's, when the page shows what it finds
	// across every status instead of a queue.
	Query string
	// Found counts the search's returns (Capped: more than that).
	Found  int64
	Capped bool
	// Next is the link to the next page (it keeps the queue or query).
	Next string
}

// queues is the console's home: the task lists by queue, and the search
// box (?q=), whose results page like a queue.
func (s *site) queues(w http.ResponseWriter, r *http.Request, ss *staffSession) {
	var counts struct {
		Queues map[string]int64 `json:"queues"`
	}
	if err := s.call(r, request{method: "GET", path: "/v1/merchant/returns/queues", token: ss.token}, &counts); err != nil {
		s.fail(w, r, err)
		return
	}
	d := queuesData{Current: r.URL.Query().Get("queue"), Query: strings.TrimSpace(r.URL.Query().Get("q"))}
	if d.Query != "" {
		d.Current = ""
	}
	asked := d.Current
	for _, name := range []string{"review", "receive", "inspect", "counter", "escalated"} {
		if !ss.info.Can(queueRoles[name]...) {
			continue
		}
		d.Queues = append(d.Queues, queueInfo{Name: name, Title: queueTitles[name], Count: counts.Queues[name]})
		if d.Current == "" && d.Query == "" && counts.Queues[name] > 0 {
			d.Current = name
		}
	}
	here := url.Values{}
	switch {
	case d.Query != "":
		d.Title = "Search results"
		here.Set("q", d.Query)
	case asked != "" && queueTitles[asked] == "":
		s.errorPage(w, r, http.StatusNotFound, "There is no such queue.")
		return
	case asked != "" && !ss.info.Can(queueRoles[asked]...):
		s.errorPage(w, r, http.StatusForbidden, "Your role ("+string(ss.info.Role)+") does not work on this queue. It needs "+returns.JoinRoles(queueRoles[asked], " or ")+".")
		return
	case len(d.Queues) == 0:
		// A role that moves no return on (finance) has the search box.
		d.Title = "Find a return"
	default:
		if d.Current == "" {
			d.Current = d.Queues[0].Name
		}
		d.Title = queueTitles[d.Current]
		here.Set("queue", d.Current)
	}
	p := ss.page("Queues", "console", &d)
	if len(here) > 0 {
		q := pageQuery(r, url.Values{})
		for k, v := range here {
			q[k] = v
		}
		var list struct {
			pageInfo
			Items []returnSummary `json:"items"`
		}
		if err := s.call(r, request{method: "GET", path: "/v1/merchant/returns?" + q.Encode(), token: ss.token}, &list); err != nil {
			// A query the API refuses (too long) comes back beside the box.
			if d.Query == "" || !formProblem(p, err, nil) {
				s.fail(w, r, err)
				return
			}
			s.render(w, r, http.StatusUnprocessableEntity, "queues", p)
			return
		}
		d.Items, d.Found, d.Capped = list.Items, list.Total, list.TotalCapped
		if list.NextCursor != nil {
			d.Next = "/console?" + here.Encode() + "&" + url.Values{"cursor": {*list.NextCursor}}.Encode()
		}
	}
	if r.URL.Query().Get("done") == "password" {
		p.Notice = "Your password is changed."
	}
	s.render(w, r, http.StatusOK, "queues", p)
}

// A return's page: the API's answer (app/views' own type) with what the
// page asks of it.

type returnView struct{ views.Return }

// Is tells whether the return stands in one of the statuses.
func (v *returnView) Is(statuses ...returns.Status) bool { return slices.Contains(statuses, v.Status) }

// AtCounter tells whether the return's refund is made at the counter.
func (v *returnView) AtCounter() bool {
	return v.Method == returns.MethodInStore && v.Channel == returns.ChannelCardPresent
}

// AwaitsApproval tells whether a card refund without the card waits for a
// supervisor (it was above the merchant's limit, so it has not started).
func (v *returnView) AwaitsApproval() bool {
	return v.Status == returns.RefundPending && v.Method == returns.MethodShip && v.Channel == returns.ChannelCardPresent &&
		(v.Refund == nil || v.Refund.Status == views.RefundNone)
}

type returnPageData struct {
	R         *returnView
	Terminals []string
	Open      string // the form to show open: review, receive, inspection, counter
}

func (s *site) loadReturn(r *http.Request, token string) (*returnView, error) {
	id := r.PathValue("id")
	var v returnView
	if err := s.call(r, request{method: "GET", path: "/v1/returns/" + url.PathEscape(id), token: token}, &v); err != nil {
		return nil, err
	}
	return &v, nil
}

var notices = map[string]string{
	"reviewed":       "Your decision is recorded; the shopper has been told.",
	"received":       "The parcel is recorded as received.",
	"inspected":      "The inspection is recorded.",
	"refunded":       "The card refund went through.",
	"refund-failed":  "The acquirer declined the refund: the shopper has not been paid. Finance resolves it.",
	"refund-pending": "The refund is on its way but has no answer yet (a slow acquirer, or refunds are frozen). This page shows when it ends.",
	"approved":       "Your decision on the refund is recorded.",
	"cancelled":      "The return is cancelled.",
	"resolved":       "The resolution is recorded.",
}

func (s *site) returnPage(w http.ResponseWriter, r *http.Request, ss *staffSession) {
	s.showReturn(w, r, ss, http.StatusOK, nil)
}

// showReturn renders a return's page; p, when set, carries a form that
// came back with errors.
func (s *site) showReturn(w http.ResponseWriter, r *http.Request, ss *staffSession, status int, p *page) {
	v, err := s.loadReturn(r, ss.token)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	d := &returnPageData{R: v}
	if v.Is(returns.RefundPending) && v.AtCounter() && ss.info.Can(floorRoles...) {
		var ts struct {
			Items []struct {
				ID   string `json:"id"`
				Kind string `json:"kind"`
			} `json:"items"`
		}
		if err := s.call(r, request{method: "GET", path: "/v1/merchant/terminals?limit=200", token: ss.token}, &ts); err != nil {
			s.fail(w, r, err)
			return
		}
		for _, t := range ts.Items {
			if t.Kind == "physical" {
				d.Terminals = append(d.Terminals, t.ID)
			}
		}
	}
	if p == nil {
		p = ss.page("Return "+v.OrderNumber, "console", nil)
		p.Notice = notices[r.URL.Query().Get("done")]
	}
	p.Title, p.Data = "Return for order "+v.OrderNumber, d
	s.render(w, r, status, "return", p)
}

// act posts a console form's step to the API and shows the outcome: back
// to the return with a notice, or the form again with its errors.
func (s *site) act(w http.ResponseWriter, r *http.Request, ss *staffSession, path string, body any, done string, fieldNames map[string]string) {
	s.actThen(w, r, ss, path, body, fieldNames, func(*returnView) string { return done })
}

// actThen is act with the notice chosen from the return the API answers.
func (s *site) actThen(w http.ResponseWriter, r *http.Request, ss *staffSession, path string, body any, fieldNames map[string]string, done func(*returnView) string) {
	q := request{method: "POST", path: path, token: ss.token, body: body}
	if key := r.PostFormValue("idempotency_key"); key != "" {
		// A form sent twice (a double click, a reload) is one step.
		q.header = http.Header{"Idempotency-Key": {key}}
	}
	var v returnView
	err := s.call(r, q, &v)
	if err == nil {
		http.Redirect(w, r, "/console/returns/"+url.PathEscape(r.PathValue("id"))+"?done="+done(&v), http.StatusSeeOther)
		return
	}
	p := ss.page("", "console", nil)
	p.Form = formValues(r)
	if !formProblem(p, err, fieldNames) {
		s.fail(w, r, err)
		return
	}
	var ae *apiError
	errors.As(err, &ae)
	s.showReturn(w, r, ss, ae.Status, p)
}

func returnPath(r *http.Request, step string) string {
	return "/v1/merchant/returns/" + url.PathEscape(r.PathValue("id")) + "/" + step
}

func (s *site) review(w http.ResponseWriter, r *http.Request, ss *staffSession) {
	body := map[string]string{"decision": r.PostFormValue("decision")}
	if reason := strings.TrimSpace(r.PostFormValue("reason")); reason != "" {
		body["reason"] = reason
	}
	s.act(w, r, ss, returnPath(r, "review"), body, "reviewed", nil)
}

func (s *site) receive(w http.ResponseWriter, r *http.Request, ss *staffSession) {
	body := map[string]string{}
	if note := strings.TrimSpace(r.PostFormValue("note")); note != "" {
		body["note"] = note
	}
	s.act(w, r, ss, returnPath(r, "receive"), body, "received", nil)
}

// inspect sends one verdict per line; the form's fields are named
// accepted.<line>, rejected.<line>, condition.<line> and reason.<line>.
func (s *site) inspect(w http.ResponseWriter, r *http.Request, ss *staffSession) {
	v, err := s.loadReturn(r, ss.token)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	type line struct {
		LineID           string `json:"line_id"`
		AcceptedQuantity int    `json:"accepted_quantity"`
		RejectedQuantity int    `json:"rejected_quantity"`
		Condition        string `json:"condition,omitempty"`
		Reason           string `json:"reason,omitempty"`
	}
	var lines []line
	names := map[string]string{}
	local := map[string]string{}
	for i, l := range v.Lines {
		in := line{LineID: l.LineID, Condition: r.PostFormValue("condition." + l.LineID), Reason: strings.TrimSpace(r.PostFormValue("reason." + l.LineID))}
		for field, dst := range map[string]*int{"accepted": &in.AcceptedQuantity, "rejected": &in.RejectedQuantity} {
			raw := strings.TrimSpace(r.PostFormValue(field + "." + l.LineID))
			if raw == "" {
				raw = "0"
			}
			n, err := strconv.Atoi(raw)
			if err != nil || n < 0 || n > l.Quantity {
				local[field+"."+l.LineID] = "must be a number from 0 to " + strconv.Itoa(l.Quantity)
			}
			*dst = n
		}
		if in.AcceptedQuantity == 0 {
			in.Condition = ""
		}
		lines = append(lines, in)
		prefix := "lines[" + strconv.Itoa(i) + "]."
		names[prefix+"accepted_quantity"] = "accepted." + l.LineID
		names[prefix+"rejected_quantity"] = "rejected." + l.LineID
		names[prefix+"condition"] = "condition." + l.LineID
		names[prefix+"reason"] = "reason." + l.LineID
		names[prefix+"quantity"] = "accepted." + l.LineID
	}
	if len(local) > 0 {
		p := ss.page("", "console", nil)
		p.Form, p.Fields, p.Problem = formValues(r), local, "Please correct the fields marked below."
		s.showReturn(w, r, ss, http.StatusUnprocessableEntity, p)
		return
	}
	s.act(w, r, ss, returnPath(r, "inspection"), map[string]any{"lines": lines}, "inspected", names)
}

// counterRefund sends the counter's refund and says how it ended: paid,
// declined, or still on its way (a slow acquirer, a freeze).
func (s *site) counterRefund(w http.ResponseWriter, r *http.Request, ss *staffSession) {
	body := map[string]string{}
	for _, f := range []string{"terminal_id", "supervisor_username", "supervisor_password", "voucher_no", "card_fingerprint"} {
		body[f] = strings.TrimSpace(r.PostFormValue(f))
	}
	s.actThen(w, r, ss, returnPath(r, "in-store-refund"), body, nil, func(v *returnView) string {
		switch {
		case v.Refund != nil && v.Refund.Status == returns.RefundStatusSucceeded:
			return "refunded"
		case v.Refund != nil && v.Refund.Status == returns.RefundStatusFailed:
			return "refund-failed"
		}
		return "refund-pending"
	})
}

func (s *site) refundApproval(w http.ResponseWriter, r *http.Request, ss *staffSession) {
	body := map[string]string{"decision": r.PostFormValue("approval")}
	if note := strings.TrimSpace(r.PostFormValue("approval_note")); note != "" {
		body["note"] = note
	}
	s.act(w, r, ss, returnPath(r, "refund-approval"), body, "approved", map[string]string{"decision": "approval", "note": "approval_note"})
}

func (s *site) staffCancel(w http.ResponseWriter, r *http.Request, ss *staffSession) {
	body := map[string]string{}
	if reason := strings.TrimSpace(r.PostFormValue("cancel_reason")); reason != "" {
		body["reason"] = reason
	}
	s.act(w, r, ss, "/v1/returns/"+url.PathEscape(r.PathValue("id"))+"/cancel", body, "cancelled", map[string]string{"reason": "cancel_reason"})
}

func (s *site) staffLabel(w http.ResponseWriter, r *http.Request, ss *staffSession) {
	s.proxy(w, r, request{method: "GET", path: "/v1/returns/" + url.PathEscape(r.PathValue("id")) + "/label", token: ss.token})
}

// The password.

func (s *site) passwordPage(w http.ResponseWriter, r *http.Request, ss *staffSession) {
	p := ss.page("Change your password", "console", nil)
	if ss.info.MustChange {
		p.Notice = "Choose your own password to go on: the one you were given works only once."
	}
	s.render(w, r, http.StatusOK, "password", p)
}

func (s *site) changePassword(w http.ResponseWriter, r *http.Request, ss *staffSession) {
	p := ss.page("Change your password", "console", nil)
	if r.PostFormValue("new_password") != r.PostFormValue("repeat_password") {
		p.Fields["repeat_password"] = "does not match the new password"
		p.Problem = "Please correct the fields marked below."
		s.render(w, r, http.StatusUnprocessableEntity, "password", p)
		return
	}
	err := s.call(r, request{method: "POST", path: "/v1/auth/password", token: ss.token, body: map[string]string{
		"current_password": r.PostFormValue("current_password"), "new_password": r.PostFormValue("new_password")}}, nil)
	if err != nil {
		if !formProblem(p, err, nil) {
			s.fail(w, r, err)
			return
		}
		s.render(w, r, http.StatusUnprocessableEntity, "password", p)
		return
	}
	http.Redirect(w, r, "/console?done=password", http.StatusSeeOther)
}

// Refund freezes: every role sees them, admins freeze and lift.

// freezeRow is a freeze as the API answers it.
type freezeRow = views.Freeze

func (s *site) freezesPage(w http.ResponseWriter, r *http.Request, ss *staffSession) {
	p := ss.page("Refund freezes", "console", nil)
	p.Notice = map[string]string{"frozen": "Refunds are frozen; the admins have been told.",
		"lifted": "The freeze is lifted; the refunds it held go on."}[r.URL.Query().Get("done")]
	s.showFreezes(w, r, ss, http.StatusOK, p)
}

// freezesData is a page of the merchant's freezes and the link to the next.
type freezesData struct {
	Items []freezeRow
	Next  string
}

func (s *site) showFreezes(w http.ResponseWriter, r *http.Request, ss *staffSession, status int, p *page) {
	var out struct {
		pageInfo
		Items []freezeRow `json:"items"`
	}
	if err := s.call(r, request{method: "GET", path: "/v1/merchant/freezes?" + cursorQuery(r, "cursor"), token: ss.token}, &out); err != nil {
		s.fail(w, r, err)
		return
	}
	p.Data = freezesData{Items: out.Items, Next: pageLink("/console/freezes", "cursor", out.NextCursor)}
	// The banner was read before this page's change: read it again.
	p.Freezes = nil
	for _, f := range out.Items {
		if f.Active {
			p.Freezes = append(p.Freezes, freezeInfo{Scope: f.Scope, StoreCode: f.StoreCode, TerminalID: f.TerminalID, Reason: f.Reason, CreatedBy: f.CreatedBy})
		}
	}
	s.render(w, r, status, "freezes", p)
}

func (s *site) freeze(w http.ResponseWriter, r *http.Request, ss *staffSession) {
	body := map[string]string{"reason": strings.TrimSpace(r.PostFormValue("reason"))}
	scope := r.PostFormValue("scope")
	if field := map[string]string{"store": "store_code", "terminal": "terminal_id"}[scope]; field != "" {
		body[field] = strings.TrimSpace(r.PostFormValue(field))
		if body[field] == "" {
			// Not the whole shop by mistake.
			p := ss.page("Refund freezes", "console", nil)
			p.Form, p.Fields, p.Problem = formValues(r), map[string]string{field: "is required to freeze one " + scope}, "Please correct the fields marked below."
			s.showFreezes(w, r, ss, http.StatusUnprocessableEntity, p)
			return
		}
	}
	if err := s.call(r, request{method: "POST", path: "/v1/merchant/freezes", token: ss.token, body: body}, nil); err != nil {
		p := ss.page("Refund freezes", "console", nil)
		p.Form = formValues(r)
		if !formProblem(p, err, nil) {
			s.fail(w, r, err)
			return
		}
		s.showFreezes(w, r, ss, http.StatusUnprocessableEntity, p)
		return
	}
	http.Redirect(w, r, "/console/freezes?done=frozen", http.StatusSeeOther)
}

func (s *site) liftFreeze(w http.ResponseWriter, r *http.Request, ss *staffSession) {
	if err := s.call(r, request{method: "POST", path: "/v1/merchant/freezes/" + url.PathEscape(r.PathValue("id")) + "/lift", token: ss.token}, nil); err != nil {
		s.fail(w, r, err)
		return
	}
	http.Redirect(w, r, "/console/freezes?done=lifted", http.StatusSeeOther)
}
