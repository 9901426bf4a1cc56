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
	current, policy, err := s.loadPolicy(r, ss)
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
	// Limits are amounts of the merchant's currency, with its decimal places.
	amount := func(field string, example int64) {
		n, err := returns.ParseAmount(r.PostFormValue(field), current.Currency)
		if err != nil {
			local[field] = "must be an amount such as " + returns.FormatAmount(example*pow10(returns.CurrencyExponent(current.Currency)), current.Currency)
			return
		}
		policy[field] = n
	}
	whole("window_days")
	amount("auto_approve_limit", 50)
	amount("remote_refund_approval_limit", 200)
	fees := map[string]any{}
	for _, c := range []string{"new", "opened", "damaged"} {
		n, err := parseBasisPoints(r.PostFormValue("restocking_fees." + c))
		if err != nil {
			local["restocking_fees."+c] = "must be a percentage such as 10 or 2.5"
			continue
		}
		fees[c] = n
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

// pow10 is 10^e for the small exponents of currencies.
func pow10(e int) int64 {
	n := int64(1)
	for range e {
		n *= 10
	}
	return n
}

// parseBasisPoints reads a percentage with at most two places ("10",
// "2.5", "12.50") as basis points, without floating point: 250 for "2.5".
func parseBasisPoints(v string) (int64, error) {
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

// percentText prints basis points as a percentage for the form: "2.50".
func percentText(n int64) string {
	return strconv.FormatInt(n/100, 10) + "." + strconv.FormatInt(n%100/10, 10) + strconv.FormatInt(n%10, 10)
}
