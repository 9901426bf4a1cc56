package web

import (
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/rebound-returns/rebound/returns"
)

// The merchant's return policy: every role reads it, admins change it.
// Returns filed afterwards get the new one; running returns keep theirs.

type policyData struct {
	P        returns.Policy
	Reasons  []string
	Currency string
}

// Reviewed and ShipsBack tell whether a reason is in those lists, for the
// form's check boxes.
func (d policyData) Reviewed(reason string) bool { return slices.Contains(d.P.ReviewReasons, reason) }
func (d policyData) ShipsBack(reason string) bool {
	return slices.Contains(d.P.ShippingRefundReasons, reason)
}

type policyAnswer struct {
	Policy   returns.Policy `json:"policy"`
	Reasons  []string       `json:"reasons"`
	Currency string         `json:"currency"`
}

// loadPolicy reads the policy as the page shows it and as a map, so that
// a save changes what the form holds and keeps every other field.
func (s *site) loadPolicy(r *http.Request, ss *staffSession) (*policyAnswer, map[string]any, error) {
	var out struct {
		Policy   json.RawMessage `json:"policy"`
		Reasons  []string        `json:"reasons"`
		Currency string          `json:"currency"`
	}
	if err := s.call(r, request{method: "GET", path: "/v1/merchant/policy", token: ss.token}, &out); err != nil {
		return nil, nil, err
	}
	a := &policyAnswer{Reasons: out.Reasons, Currency: out.Currency}
	var raw map[string]any
	if err := errors.Join(json.Unmarshal(out.Policy, &a.Policy), json.Unmarshal(out.Policy, &raw)); err != nil {
		return nil, nil, err
	}
	return a, raw, nil
}

func (s *site) policyPage(w http.ResponseWriter, r *http.Request, ss *staffSession) {
	p := ss.page("Return policy", "console", nil)
	if r.URL.Query().Get("done") == "saved" {
		p.Notice = "The policy is saved: returns filed from now on get it."
	}
	s.showPolicy(w, r, ss, http.StatusOK, p)
}

func (s *site) showPolicy(w http.ResponseWriter, r *http.Request, ss *staffSession, status int, p *page) {
	out, _, err := s.loadPolicy(r, ss)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	p.Data = policyData{P: out.Policy, Reasons: out.Reasons, Currency: out.Currency}
	s.render(w, r, status, "policy", p)
}

// savePolicy changes the rules the form holds and keeps the rest (the
// deadlines) as they are.
func (s *site) savePolicy(w http.ResponseWriter, r *http.Request, ss *staffSession) {
	_, policy, err := s.loadPolicy(r, ss)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	local := map[string]string{}
	whole := func(field string) {
		n, err := strconv.Atoi(strings.TrimSpace(r.PostFormValue(field)))
		if err != nil {
			local[field] = "must be a whole number"
			return
		}
		policy[field] = n
	}
	hundredths := func(field, dst string, into map[string]any, what string) {
		n, err := parseHundredths(r.PostFormValue(field))
		if err != nil {
			local[field] = "must be " + what
			return
		}
		into[dst] = n
	}
	whole("window_days")
	hundredths("auto_approve_limit", "auto_approve_limit", policy, "an amount such as 50.00")
	hundredths("remote_refund_approval_limit", "remote_refund_approval_limit", policy, "an amount such as 200.00")
	fees := map[string]any{}
	for _, c := range []string{"new", "opened", "damaged"} {
		hundredths("restocking_fees."+c, c, fees, "a percentage such as 10 or 2.5")
	}
	policy["restocking_fees"] = fees
	var cats []string
	for _, c := range strings.Split(r.PostFormValue("non_returnable_categories"), ",") {
		if c = strings.TrimSpace(c); c != "" {
			cats = append(cats, c)
		}
	}
	policy["non_returnable_categories"] = append([]string{}, cats...)
	policy["review_reasons"] = append([]string{}, r.PostForm["review_reasons"]...)
	policy["shipping_refund_reasons"] = append([]string{}, r.PostForm["shipping_refund_reasons"]...)
	p := ss.page("Return policy", "console", nil)
	p.Form = formValues(r) // what the admin typed comes back with the errors
	if len(local) > 0 {
		p.Fields, p.Problem = local, "Please correct the fields marked below."
		s.showPolicy(w, r, ss, http.StatusUnprocessableEntity, p)
		return
	}
	if err := s.call(r, request{method: "PUT", path: "/v1/merchant/policy", token: ss.token, body: policy}, nil); err != nil {
		if !formProblem(p, err, nil) {
			s.fail(w, r, err)
			return
		}
		s.showPolicy(w, r, ss, http.StatusUnprocessableEntity, p)
		return
	}
	http.Redirect(w, r, "/console/policy?done=saved", http.StatusSeeOther)
}

// parseHundredths reads a decimal with at most two places ("50", "50.5",
// "50.00") as hundredths, without floating point: 5000 for "50".
func parseHundredths(v string) (int64, error) {
	v = strings.TrimSpace(v)
	whole, frac, dotted := strings.Cut(v, ".")
	if whole == "" || len(frac) > 2 || (dotted && frac == "") {
		return 0, errors.New("not an amount")
	}
	for len(frac) < 2 {
		frac += "0"
	}
	w, err := strconv.ParseInt(whole, 10, 64)
	if err != nil || w < 0 || w > 1e12 {
		return 0, errors.New("not an amount")
	}
	f, err := strconv.ParseInt(frac, 10, 64)
	if err != nil || f < 0 {
		return 0, errors.New("not an amount")
	}
	return w*100 + f, nil
}

// hundredthsText prints hundredths as a decimal: "50.00".
func hundredthsText(n int64) string {
	return strconv.FormatInt(n/100, 10) + "." + strconv.FormatInt(n%100/10, 10) + strconv.FormatInt(n%10, 10)
}
