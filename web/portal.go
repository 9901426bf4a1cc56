package web

import (
	"errors"
	"fmt"
	"github.com/rebound-returns/rebound/app/views"
	"github.com/rebound-returns/rebound/returns"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// The shoppers' portal: find the order by its number and contact, enter
// the code sent to that contact, choose items, quantities and reasons and
// how they come back, then follow the return until the money is back.

const (
	cookieOrder     = "rebound_order"
	orderCookieLife = 30 * time.Minute
	returnCookie    = 30 * 24 * time.Hour
)

func (s *site) routesPortal(mux *http.ServeMux) {
	mux.HandleFunc("GET /r/{merchant}", s.findPage)
	mux.HandleFunc("POST /r/{merchant}/find", s.find)
	mux.HandleFunc("GET /r/{merchant}/lookups/{id}", s.codePage)
	mux.HandleFunc("POST /r/{merchant}/lookups/{id}/verify", s.verifyLookup)
	mux.HandleFunc("GET /r/{merchant}/items", s.itemsPage)
	mux.HandleFunc("POST /r/{merchant}/items", s.fileReturn)
	mux.HandleFunc("GET /r/{merchant}/returns/{id}", s.trackPage)
	mux.HandleFunc("GET /r/{merchant}/returns/{id}/label", s.shopperLabel)
	mux.HandleFunc("POST /r/{merchant}/returns/{id}/code", s.reopenCode)
	mux.HandleFunc("POST /r/{merchant}/returns/{id}/verify", s.reopen)
	mux.HandleFunc("POST /r/{merchant}/returns/{id}/cancel", s.shopperCancel)
}

func portalBase(r *http.Request) string { return "/r/" + url.PathEscape(r.PathValue("merchant")) }

// portalPost checks a portal form's CSRF token, bound to the session it
// acts in (none, the order's access or the return's).
func (s *site) portalPost(w http.ResponseWriter, r *http.Request, session string) bool {
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	visitor := "a:" + cookieValue(r, cookieAnon)
	if session != "" {
		visitor = "s:" + session
	}
	if !s.checkCSRF(r, visitor) {
		s.csrfRefused(w, r)
		return false
	}
	return true
}

type portalData struct {
	Merchant string
	Base     string
	Step     int // 1 find, 2 code, 3 items; the return's page reads its status (Steps)
	SentTo   string
	Lookup   string
	Order    *shopperOrder
	Return   *returnView
	Opened   bool // the visitor holds the return's token
	ReturnID string
	// Quote is what the lines as chosen give, when the shopper asked.
	Quote *quoteView
}

// portalStep is one step of the portal's step bar.
type portalStep struct {
	Number  int
	Label   string
	Current bool
}

// Steps are the step bar: find the order, enter the code, choose items,
// send them back (or bring them to the store), the shop checks them, the
// refund. On the return's page the current step is where the return
// stands; a return that ended another way (declined, cancelled, not
// accepted…) ends the bar with how it ended, in the shopper's words.
func (d *portalData) Steps() []portalStep {
	labels := []string{"Find your order", "Enter the code", "Choose items", "Send them back", "Shop checks them", "Refund"}
	cur := d.Step
	if v := d.Return; v != nil {
		if v.Method == returns.MethodInStore {
			labels[3] = "Bring them to the store"
		}
		ended := func(at int) {
			labels = append(labels[:at-1], shopperStatus(v.Status))
			cur = at
		}
		switch v.Status {
		case returns.PendingVerification:
			cur = 2
		case returns.Submitted, returns.AwaitingReview, returns.Approved, returns.AwaitingShipment, returns.AwaitingDropoff:
			cur = 4
		case returns.InTransit, returns.Received, returns.AwaitingInspection:
			cur = 5
		case returns.RefundPending, returns.RefundFailed:
			cur = 6
		case returns.Refunded, returns.AwaitingSettlement:
			labels[5], cur = "Refund sent", 6
		case returns.Closed:
			if v.Refund != nil && v.Refund.Status == returns.RefundStatusSucceeded {
				labels[5], cur = "Refund sent", 6
			} else {
				ended(6)
			}
		case returns.Rejected:
			ended(6)
		default: // ineligible, declined, cancelled, expired: before anything came back
			ended(4)
		}
	}
	out := make([]portalStep, len(labels))
	for i, l := range labels {
		out[i] = portalStep{Number: i + 1, Label: l, Current: i+1 == cur}
	}
	return out
}

// quoteView is a quote in words: per chosen line, what each resolution
// gives; and what the lines as chosen come to.
type quoteView struct {
	Lines []quoteLine
	Total []string
}

type quoteLine struct {
	Name    string
	Options []string
}

// resolutionWords name the resolutions for shoppers.
var resolutionWords = map[returns.Resolution]string{
	returns.ResolutionRefund: "Money back", returns.ResolutionStoreCredit: "Store credit", returns.ResolutionExchange: "Exchange",
}

func newQuoteView(o *shopperOrder, q returns.FilingQuote) *quoteView {
	money := func(v int64) string { return returns.Money{Amount: v, Currency: q.Currency}.String() }
	v := &quoteView{}
	for _, l := range q.Lines {
		ql := quoteLine{Name: l.LineID}
		for _, ol := range o.Lines {
			if ol.LineID == l.LineID {
				ql.Name = ol.Name
			}
		}
		for _, opt := range l.Options {
			text := resolutionWords[opt.Resolution] + ": " + money(opt.Amount)
			switch {
			case opt.Resolution == returns.ResolutionStoreCredit && opt.Bonus > 0:
				text += " + " + money(opt.Bonus) + " bonus"
			case opt.Resolution == returns.ResolutionExchange:
				text = resolutionWords[opt.Resolution] + ": another size or colour (your item counts for " + money(opt.Amount) + ")"
			}
			ql.Options = append(ql.Options, text)
		}
		v.Lines = append(v.Lines, ql)
	}
	c := q.Chosen
	if c.ToPayment() > 0 {
		v.Total = append(v.Total, "Back to your payment: "+money(c.ToPayment()))
	}
	if c.Credit > 0 {
		v.Total = append(v.Total, "Store credit: "+money(c.Credit+c.Bonus)+" (a bonus of "+money(c.Bonus)+" included)")
	}
	if c.Exchanged > 0 {
		v.Total = append(v.Total, "Exchanged: items worth "+money(c.Exchanged))
	}
	return v
}

// shopperStatusWords say where a return stands in a shopper's words: what
// it means for them, not where the merchant's books stand (a refund paid
// and waiting for the acquirer's file is "Refund sent"). The console keeps
// the precise status (label). Every status has words
// (TestEveryStatusHasShopperWords).
var shopperStatusWords = map[returns.Status]string{
	returns.PendingVerification: "Waiting for your code",
	returns.Submitted:           "Request received",
	returns.Ineligible:          "Cannot be returned",
	returns.AwaitingReview:      "Being reviewed by the shop",
	returns.Approved:            "Approved",
	returns.Declined:            "Declined by the shop",
	returns.AwaitingShipment:    "Ready to send",
	returns.InTransit:           "On its way to the shop",
	returns.AwaitingDropoff:     "Ready to bring to the store",
	returns.Received:            "Received by the shop",
	returns.AwaitingInspection:  "Being checked",
	returns.Rejected:            "Not accepted",
	returns.RefundPending:       "Refund being prepared",
	returns.Refunded:            "Refund sent",
	returns.RefundFailed:        "Refund delayed",
	returns.AwaitingSettlement:  "Refund sent",
	returns.Closed:              "Completed",
	returns.Cancelled:           "Cancelled",
	returns.Expired:             "Expired",
}

// shopperRefundWords say where a refund's money stands, for shoppers.
var shopperRefundWords = map[returns.RefundStatus]string{
	views.RefundNone:              "Being prepared",
	returns.RefundStatusPending:   "On its way",
	returns.RefundStatusSucceeded: "Sent",
	returns.RefundStatusFailed:    "Delayed",
}

// shopperStatus is a return's or a refund's status in a shopper's words
// (as label says it, for a status with none).
func shopperStatus(v any) string {
	var words string
	switch s := v.(type) {
	case returns.Status:
		words = shopperStatusWords[s]
	case returns.RefundStatus:
		words = shopperRefundWords[s]
	}
	if words == "" {
		return label(v)
	}
	return words
}

// ShopperTimeline is the return's timeline as its shopper reads it: a step
// that reads as the one before (refunded, then awaiting settlement: both
// "Refund sent") is shown once, unless it has a note.
func (v *returnView) ShopperTimeline() []views.Event {
	var out []views.Event
	for _, e := range v.Timeline {
		if n := len(out); n > 0 && e.Note == "" && shopperStatus(e.Status) == shopperStatus(out[n-1].Status) {
			continue
		}
		out = append(out, e)
	}
	return out
}

// ResolutionWord names a resolution for shoppers.
func (o *shopperOrder) ResolutionWord(r returns.Resolution) string { return resolutionWords[r] }

// Checked tells whether r is the line's choice (cur, the form's value;
// a refund when there is none).
func (o *shopperOrder) Checked(r returns.Resolution, cur string) bool {
	return r == returns.Resolution(cur).OrRefund()
}

// BonusOn is the bonus words of store credit, none for other resolutions.
func (o *shopperOrder) BonusOn(r returns.Resolution) string {
	if r != returns.ResolutionStoreCredit {
		return ""
	}
	return o.BonusWords()
}

// BonusWords says the merchant's bonus on store credit ("" for none).
func (o *shopperOrder) BonusWords() string {
	b := o.CreditBonus
	var text string
	switch {
	case b.BasisPoints > 0:
		text = fmt.Sprintf("+%s%% bonus", strconv.FormatFloat(float64(b.BasisPoints)/100, 'f', -1, 64))
	case b.Fixed > 0:
		text = "+" + returns.Money{Amount: b.Fixed, Currency: o.Currency}.String() + " bonus"
	default:
		return ""
	}
	if b.Cap > 0 {
		text += " (up to " + returns.Money{Amount: b.Cap, Currency: o.Currency}.String() + ")"
	}
	return text
}

func (s *site) portalPage(w http.ResponseWriter, r *http.Request, session string, d *portalData) *page {
	d.Merchant, d.Base = r.PathValue("merchant"), portalBase(r)
	p := &page{Title: "Return an item", Area: "portal", CSRF: s.csrfToken(s.visitor(w, r, session)), Data: d}
	var m struct {
		Name string `json:"name"`
	}
	if err := s.call(r, request{method: "GET", path: "/v1/merchants/" + url.PathEscape(d.Merchant)}, &m); err == nil {
		p.Shop = m.Name
	}
	return p
}

// Step 1: find the order.

func (s *site) findPage(w http.ResponseWriter, r *http.Request) {
	p := s.portalPage(w, r, "", &portalData{Step: 1})
	if p.Shop == "" {
		s.errorPage(w, r, http.StatusNotFound, "There is no shop here. Check the address you were given for returns.")
		return
	}
	if r.URL.Query().Get("expired") != "" {
		p.Problem = "Your time to choose items ran out. Find your order again to get a new code."
	}
	s.render(w, r, http.StatusOK, "portal_find", p)
}

func (s *site) find(w http.ResponseWriter, r *http.Request) {
	if !s.portalPost(w, r, "") {
		return
	}
	var out struct {
		ID     string `json:"id"`
		SentTo string `json:"sent_to"`
	}
	err := s.call(r, request{method: "POST", path: "/v1/order-lookups", body: map[string]string{
		"merchant": r.PathValue("merchant"), "order_number": strings.TrimSpace(r.PostFormValue("order_number")),
		"contact": strings.TrimSpace(r.PostFormValue("contact"))}}, &out)
	if err != nil {
		p := s.portalPage(w, r, "", &portalData{Step: 1})
		p.Form = formValues(r)
		var ae *apiError
		if errors.As(err, &ae) && ae.Status == http.StatusNotFound {
			p.Problem = "We could not find an order with this number and e-mail address or phone number. Check both against your receipt or order confirmation."
		} else if !formProblem(p, err, nil) {
			s.fail(w, r, err)
			return
		}
		s.render(w, r, http.StatusUnprocessableEntity, "portal_find", p)
		return
	}
	// Where the code went is the API's own (masked) answer, kept in a
	// cookie of this lookup's pages: nothing a link can carry is printed.
	lookupPath := portalBase(r) + "/lookups/" + url.PathEscape(out.ID)
	s.setCookie(w, cookieSentTo, url.QueryEscape(out.SentTo), lookupPath, orderCookieLife)
	http.Redirect(w, r, lookupPath, http.StatusSeeOther)
}

// Step 2: the code.

// cookieSentTo holds the masked contact a lookup's code went to.
const cookieSentTo = "rebound_sent_to"

// maskedContact matches what the API answers as sent_to: a contact with
// stars in it, and nothing else.
var maskedContact = regexp.MustCompile(`^[A-Za-z0-9.+_@-]{0,3}\*+[A-Za-z0-9.+_@-]{0,254}$`)

// sentTo is the masked contact of the visitor's lookup, or "" when there
// is none that looks like one.
func sentTo(r *http.Request) string {
	v, err := url.QueryUnescape(cookieValue(r, cookieSentTo))
	if err != nil || !maskedContact.MatchString(v) {
		return ""
	}
	return v
}

func (s *site) codePage(w http.ResponseWriter, r *http.Request) {
	d := &portalData{Step: 2, Lookup: r.PathValue("id"), SentTo: sentTo(r)}
	s.render(w, r, http.StatusOK, "portal_code", s.portalPage(w, r, "", d))
}

func (s *site) verifyLookup(w http.ResponseWriter, r *http.Request) {
	if !s.portalPost(w, r, "") {
		return
	}
	var out struct {
		Token string `json:"token"`
	}
	err := s.call(r, request{method: "POST", path: "/v1/order-lookups/" + url.PathEscape(r.PathValue("id")) + "/verify",
		body: map[string]string{"code": strings.TrimSpace(r.PostFormValue("code"))}}, &out)
	if err != nil {
		d := &portalData{Step: 2, Lookup: r.PathValue("id"), SentTo: sentTo(r)}
		p := s.portalPage(w, r, "", d)
		if !formProblem(p, err, nil) {
			s.fail(w, r, err)
			return
		}
		if ae := (*apiError)(nil); errors.As(err, &ae) && ae.Status == http.StatusNotFound {
			p.Problem = "This code request is not known. Find your order again."
		}
		s.render(w, r, http.StatusUnprocessableEntity, "portal_code", p)
		return
	}
	s.setCookie(w, cookieOrder, out.Token, "/r/", orderCookieLife)
	http.Redirect(w, r, portalBase(r)+"/items", http.StatusSeeOther)
}

// Step 3: the items.

type shopperOrder struct {
	Merchant     string    `json:"merchant"`
	MerchantName string    `json:"merchant_name"`
	OrderNumber  string    `json:"order_number"`
	Currency     string    `json:"currency"`
	PlacedAt     time.Time `json:"placed_at"`
	Channel      string    `json:"channel"`
	Lines        []struct {
		LineID     string `json:"line_id"`
		Name       string `json:"name"`
		Quantity   int    `json:"quantity"`
		UnitPaid   int64  `json:"unit_paid"`
		Returnable int    `json:"returnable"`
		Why        string `json:"why_not_returnable"`
	} `json:"lines"`
	Reasons []string `json:"reasons"`
	// Resolutions are what the merchant offers per line (more than a
	// refund: the page asks), CreditBonus its bonus on store credit.
	Resolutions []returns.Resolution `json:"resolutions"`
	CreditBonus returns.CreditBonus  `json:"credit_bonus"`
}

// Chooses tells whether the shopper has a resolution to choose.
func (o *shopperOrder) Chooses() bool { return len(o.Resolutions) > 1 }

// order reads the order the visitor's access opens; without one it sends
// them back to find it.
func (s *site) order(w http.ResponseWriter, r *http.Request) (*shopperOrder, string, bool) {
	token := cookieValue(r, cookieOrder)
	var o shopperOrder
	err := errors.New("no access")
	if token != "" {
		err = s.call(r, request{method: "GET", path: "/v1/shopper/order", token: token}, &o)
	}
	var ae *apiError
	if err != nil && (token == "" || (errors.As(err, &ae) && ae.Status == http.StatusUnauthorized)) {
		http.Redirect(w, r, portalBase(r)+"?expired=1", http.StatusSeeOther)
		return nil, "", false
	}
	if err != nil {
		s.fail(w, r, err)
		return nil, "", false
	}
	if o.Merchant != r.PathValue("merchant") {
		http.Redirect(w, r, "/r/"+url.PathEscape(o.Merchant)+"/items", http.StatusSeeOther)
		return nil, "", false
	}
	return &o, token, true
}

func (s *site) itemsPage(w http.ResponseWriter, r *http.Request) {
	o, token, ok := s.order(w, r)
	if !ok {
		return
	}
	p := s.portalPage(w, r, token, &portalData{Step: 3, Order: o})
	p.Form = map[string]string{"method": string(returns.MethodShip)}
	s.render(w, r, http.StatusOK, "portal_items", p)
}

// fileReturn files the return with the chosen lines (chosenLines), or,
// asked to (action=quote), shows what the lines as chosen would give.
func (s *site) fileReturn(w http.ResponseWriter, r *http.Request) {
	if !s.portalPost(w, r, cookieValue(r, cookieOrder)) {
		return
	}
	o, token, ok := s.order(w, r)
	if !ok {
		return
	}
	lines, names, local := chosenLines(r, o)
	again := func(fields map[string]string, problem string, q *quoteView) {
		p := s.portalPage(w, r, token, &portalData{Step: 3, Order: o, Quote: q})
		p.Form, p.Fields, p.Problem = formValues(r), fields, problem
		status := http.StatusUnprocessableEntity
		if q != nil {
			status = http.StatusOK
		}
		s.render(w, r, status, "portal_items", p)
	}
	if len(local) > 0 {
		again(local, "Please correct the fields marked below.", nil)
		return
	}
	refused := func(err error) {
		p := &page{Fields: map[string]string{}}
		if !formProblem(p, err, names) {
			s.fail(w, r, err)
			return
		}
		for k, v := range p.Fields {
			if strings.HasPrefix(k, "lines") {
				delete(p.Fields, k)
				p.Fields["items"] = v
			}
		}
		again(p.Fields, p.Problem, nil)
	}
	if r.PostFormValue("action") == "quote" {
		var q returns.FilingQuote
		if err := s.call(r, request{method: "POST", path: "/v1/shopper/quote", token: token, body: map[string]any{"lines": lines}}, &q); err != nil {
			refused(err)
			return
		}
		again(nil, "", newQuoteView(o, q))
		return
	}
	var out struct {
		ID    string `json:"id"`
		Token string `json:"token"`
	}
	err := s.call(r, request{method: "POST", path: "/v1/returns", token: token,
		body: map[string]any{"lines": lines, "method": r.PostFormValue("method")}}, &out)
	if err != nil {
		refused(err)
		return
	}
	s.setCookie(w, cookieShopper, out.Token, "/r/", returnCookie)
	s.setCookie(w, cookieOrder, "", "/r/", -1)
	http.Redirect(w, r, portalBase(r)+"/returns/"+url.PathEscape(out.ID), http.StatusSeeOther)
}

// Step 4: following the return.

const notThisShopsReturn = "There is no such return at this shop. Use the link in the messages we sent you."

// trackPage shows the return to whoever holds its token; anyone else may
// ask for a code to open it on this device.
func (s *site) trackPage(w http.ResponseWriter, r *http.Request) {
	s.showTrack(w, r, http.StatusOK, nil)
}

func (s *site) showTrack(w http.ResponseWriter, r *http.Request, status int, p *page) {
	token := cookieValue(r, cookieShopper)
	d := &portalData{ReturnID: r.PathValue("id")}
	var v returnView
	err := errors.New("no session")
	if token != "" {
		err = s.call(r, request{method: "GET", path: "/v1/returns/" + url.PathEscape(r.PathValue("id")), token: token}, &v)
	}
	var ae *apiError
	switch {
	case err == nil && v.Merchant != r.PathValue("merchant"):
		// Another merchant's return is never shown under this one's brand.
		s.errorPage(w, r, http.StatusNotFound, notThisShopsReturn)
		return
	case err == nil:
		d.Return, d.Opened = &v, true
	case token == "" || errors.As(err, &ae) && (ae.Status == http.StatusNotFound || ae.Status == http.StatusUnauthorized):
		// Not this visitor's return (yet): they may open it with a code.
		token = ""
	default:
		s.fail(w, r, err)
		return
	}
	if p == nil {
		p = &page{}
		p.Notice = map[string]string{"sent": "We sent a new code.", "cancelled": "Your return is cancelled."}[r.URL.Query().Get("done")]
	}
	np := s.portalPage(w, r, token, d)
	np.Notice, np.Problem, np.Fields, np.Form = p.Notice, p.Problem, p.Fields, p.Form
	np.Title = "Your return"
	s.render(w, r, status, "portal_track", np)
}

// trackCall makes one of the tracking page's steps; a refusal shows the
// page again with it (beside the code field when it names it).
func (s *site) trackCall(w http.ResponseWriter, r *http.Request, q request, out any) bool {
	err := s.call(r, q, out)
	if err == nil {
		return true
	}
	p := &page{}
	if !formProblem(p, err, nil) {
		s.fail(w, r, err)
		return false
	}
	var ae *apiError
	errors.As(err, &ae)
	s.showTrack(w, r, ae.Status, p)
	return false
}

func returnAPIPath(r *http.Request, step string) string {
	return "/v1/returns/" + url.PathEscape(r.PathValue("id")) + step
}

func (s *site) reopenCode(w http.ResponseWriter, r *http.Request) {
	if !s.portalPost(w, r, "") {
		return
	}
	if s.trackCall(w, r, request{method: "POST", path: returnAPIPath(r, "/otp"), body: map[string]string{}}, nil) {
		http.Redirect(w, r, portalBase(r)+"/returns/"+url.PathEscape(r.PathValue("id"))+"?done=sent", http.StatusSeeOther)
	}
}

func (s *site) reopen(w http.ResponseWriter, r *http.Request) {
	if !s.portalPost(w, r, "") {
		return
	}
	var out struct {
		Token  string `json:"token"`
		Return struct {
			Merchant string `json:"merchant"`
		} `json:"return"`
	}
	if s.trackCall(w, r, request{method: "POST", path: returnAPIPath(r, "/verify"),
		body: map[string]string{"code": strings.TrimSpace(r.PostFormValue("code"))}}, &out) {
		if out.Return.Merchant != r.PathValue("merchant") {
			s.errorPage(w, r, http.StatusNotFound, notThisShopsReturn)
			return
		}
		s.setCookie(w, cookieShopper, out.Token, "/r/", returnCookie)
		http.Redirect(w, r, portalBase(r)+"/returns/"+url.PathEscape(r.PathValue("id")), http.StatusSeeOther)
	}
}

func (s *site) shopperCancel(w http.ResponseWriter, r *http.Request) {
	token := cookieValue(r, cookieShopper)
	if !s.portalPost(w, r, token) {
		return
	}
	if s.trackCall(w, r, request{method: "POST", path: returnAPIPath(r, "/cancel"), token: token, body: map[string]string{}}, nil) {
		http.Redirect(w, r, portalBase(r)+"/returns/"+url.PathEscape(r.PathValue("id"))+"?done=cancelled", http.StatusSeeOther)
	}
}

func (s *site) shopperLabel(w http.ResponseWriter, r *http.Request) {
	s.proxy(w, r, request{method: "GET", path: returnAPIPath(r, "/label"), token: cookieValue(r, cookieShopper)})
}

// chosenLine is a line of the portal's form as the API takes it.
type chosenLine struct {
	LineID     string             `json:"line_id"`
	Quantity   int                `json:"quantity"`
	Reason     string             `json:"reason"`
	Note       string             `json:"note,omitempty"`
	Resolution returns.Resolution `json:"resolution,omitempty"`
	VariantSKU string             `json:"variant_sku,omitempty"`
}

// chosenLines reads the items form: its fields are qty.<line>,
// reason.<line>, note.<line>, resolution.<line> and variant.<line>. It
// answers the lines, the API's field names mapped to the form's, and what
// is wrong before asking the API.
func chosenLines(r *http.Request, o *shopperOrder) ([]chosenLine, map[string]string, map[string]string) {
	var lines []chosenLine
	names := map[string]string{}
	local := map[string]string{}
	for _, l := range o.Lines {
		raw := strings.TrimSpace(r.PostFormValue("qty." + l.LineID))
		if raw == "" || raw == "0" {
			continue
		}
		n, err := strconv.Atoi(raw)
		if err != nil || n < 0 || n > l.Returnable {
			local["qty."+l.LineID] = "choose from 0 to " + strconv.Itoa(l.Returnable)
			continue
		}
		reason := r.PostFormValue("reason." + l.LineID)
		if reason == "" {
			local["reason."+l.LineID] = "tell us why you are returning it"
		}
		res := returns.Resolution(r.PostFormValue("resolution." + l.LineID))
		variant := ""
		if res == returns.ResolutionExchange {
			variant = strings.TrimSpace(r.PostFormValue("variant." + l.LineID))
			if variant == "" {
				local["variant."+l.LineID] = "tell us which size or variant you want instead"
			}
		}
		prefix := "lines[" + strconv.Itoa(len(lines)) + "]."
		names[prefix+"quantity"], names[prefix+"reason"], names[prefix+"note"] = "qty."+l.LineID, "reason."+l.LineID, "note."+l.LineID
		names[prefix+"line_id"] = "qty." + l.LineID
		names[prefix+"resolution"], names[prefix+"variant_sku"] = "resolution."+l.LineID, "variant."+l.LineID
		lines = append(lines, chosenLine{LineID: l.LineID, Quantity: n, Reason: reason,
			Note: strings.TrimSpace(r.PostFormValue("note." + l.LineID)), Resolution: res, VariantSKU: variant})
	}
	if len(lines) == 0 && len(local) == 0 {
		local["items"] = "choose at least one item to return"
	}
	return lines, names, local
}
