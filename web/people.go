package web

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/rebound-returns/rebound/app/views"
	"github.com/rebound-returns/rebound/returns"
)

// The merchant's people and keys, for its admins: invite staff (the
// one-time password is shown once), change a role, disable or enable an
// account; create API keys (shown once) and revoke them.

type peopleData struct {
	Staff []views.StaffMember
	Keys  []views.APIKey
	Roles []string
	// The links to the next page of staff and of keys ("" on the last).
	StaffNext, KeysNext string
	// Shown once: a new member's one-time password or a new key.
	NewPassword, NewPasswordFor, NewKey string
}

func (s *site) staffPage(w http.ResponseWriter, r *http.Request, ss *staffSession) {
	p := ss.page("Staff and API keys", "console", nil)
	p.Notice = map[string]string{"changed": "The account is changed; its sessions ended.", "revoked": "The key is revoked: it fails from now on."}[r.URL.Query().Get("done")]
	s.showPeople(w, r, ss, http.StatusOK, p, &peopleData{})
}

func (s *site) showPeople(w http.ResponseWriter, r *http.Request, ss *staffSession, status int, p *page, d *peopleData) {
	var st struct {
		pageInfo
		Items []views.StaffMember `json:"items"`
	}
	var ks struct {
		pageInfo
		Items []views.APIKey `json:"items"`
	}
	if err := s.call(r, request{method: "GET", path: "/v1/merchant/staff?" + cursorQuery(r, "staff"), token: ss.token}, &st); err != nil {
		s.fail(w, r, err)
		return
	}
	if err := s.call(r, request{method: "GET", path: "/v1/merchant/api-keys?" + cursorQuery(r, "keys"), token: ss.token}, &ks); err != nil {
		s.fail(w, r, err)
		return
	}
	d.Staff, d.Keys, d.Roles = st.Items, ks.Items, returns.RoleWords(returns.MerchantRoles)
	d.StaffNext, d.KeysNext = pageLink("/console/staff", "staff", st.NextCursor), pageLink("/console/staff", "keys", ks.NextCursor)
	p.Data = d
	// A page that shows a password or a key once is not kept by the browser.
	w.Header().Set("Cache-Control", "no-store")
	s.render(w, r, status, "people", p)
}

// peopleProblem shows the page again with an API refusal beside its field.
func (s *site) peopleProblem(w http.ResponseWriter, r *http.Request, ss *staffSession, err error) {
	p := ss.page("Staff and API keys", "console", nil)
	p.Form = formValues(r)
	if !formProblem(p, err, nil) {
		s.fail(w, r, err)
		return
	}
	s.showPeople(w, r, ss, http.StatusUnprocessableEntity, p, &peopleData{})
}

func (s *site) inviteStaff(w http.ResponseWriter, r *http.Request, ss *staffSession) {
	var out struct {
		Staff           views.StaffMember `json:"staff"`
		OneTimePassword string            `json:"one_time_password"`
	}
	body := map[string]string{}
	for _, f := range []string{"username", "display_name", "email", "role"} {
		body[f] = strings.TrimSpace(r.PostFormValue(f))
	}
	if err := s.call(r, request{method: "POST", path: "/v1/merchant/staff", token: ss.token, body: body}, &out); err != nil {
		s.peopleProblem(w, r, ss, err)
		return
	}
	// Rendered, not redirected: the password is shown this once.
	p := ss.page("Staff and API keys", "console", nil)
	p.Notice = out.Staff.Username + " is invited. Hand them the one-time password below; they choose their own at the first log-in, naming the merchant " + ss.info.Merchant + "."
	s.showPeople(w, r, ss, http.StatusOK, p, &peopleData{NewPassword: out.OneTimePassword, NewPasswordFor: out.Staff.Username})
}

func (s *site) changeStaff(w http.ResponseWriter, r *http.Request, ss *staffSession) {
	body := map[string]any{}
	if role := r.PostFormValue("role"); role != "" {
		body["role"] = role
	}
	switch r.PostFormValue("disabled") {
	case "true":
		body["disabled"] = true
	case "false":
		body["disabled"] = false
	}
	if err := s.call(r, request{method: "PATCH", path: "/v1/merchant/staff/" + url.PathEscape(r.PathValue("id")), token: ss.token, body: body}, nil); err != nil {
		s.peopleProblem(w, r, ss, err)
		return
	}
	http.Redirect(w, r, "/console/staff?done=changed", http.StatusSeeOther)
}

func (s *site) createKey(w http.ResponseWriter, r *http.Request, ss *staffSession) {
	var out struct {
		Name string `json:"name"`
		Key  string `json:"key"`
	}
	if err := s.call(r, request{method: "POST", path: "/v1/merchant/api-keys", token: ss.token,
		body: map[string]string{"name": strings.TrimSpace(r.PostFormValue("name"))}}, &out); err != nil {
		s.peopleProblem(w, r, ss, err)
		return
	}
	p := ss.page("Staff and API keys", "console", nil)
	p.Notice = "The key " + out.Name + " is made. Copy it now: it is not shown again."
	s.showPeople(w, r, ss, http.StatusOK, p, &peopleData{NewKey: out.Key})
}

func (s *site) revokeKey(w http.ResponseWriter, r *http.Request, ss *staffSession) {
	if err := s.call(r, request{method: "DELETE", path: "/v1/merchant/api-keys/" + url.PathEscape(r.PathValue("id")), token: ss.token}, nil); err != nil {
		s.peopleProblem(w, r, ss, err)
		return
	}
	http.Redirect(w, r, "/console/staff?done=revoked", http.StatusSeeOther)
}
