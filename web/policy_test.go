package web

import (
	"encoding/json"
	"net/http"
	"net/url"
	"sync"
	"testing"
)

// policyAPI answers the policy of a merchant in currency, with the two limits given, and keeps
// what a PUT stores.
func policyAPI(currency string, autoApprove, remoteApproval int64) *fakeAPI {
	api := newFakeAPI().withSessions()
	var mu sync.Mutex
	policy := map[string]any{
		"window_days": 30, "non_returnable_categories": []string{"food"},
		"restocking_fees":    map[string]int{"new": 0, "opened": 1000, "damaged": 250},
		"auto_approve_limit": autoApprove, "remote_refund_approval_limit": remoteApproval,
		"review_reasons": []string{}, "shipping_refund_reasons": []string{},
		"verify_within": "10m0s", "ship_within": "336h0m0s", "dropoff_within": "336h0m0s",
		"review_sla": "48h0m0s", "inspection_sla": "48h0m0s", "settlement_overdue": "120h0m0s",
	}
	api.HandleFunc("GET /v1/merchant/policy", func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		writeJSON(w, http.StatusOK, map[string]any{"policy": policy, "reasons": []string{"too_small", "damaged"}, "currency": currency})
	})
	api.HandleFunc("PUT /v1/merchant/policy", func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		policy = map[string]any{}
		if err := json.NewDecoder(r.Body).Decode(&policy); err != nil {
			problem(w, http.StatusBadRequest, "bad-json", "Bad Request", err.Error(), nil)
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"policy": policy})
	})
	return api
}

// policyForm is the console's policy form as an admin sends it.
func policyForm(csrf, autoApprove, remoteApproval string) url.Values {
	return url.Values{"csrf_token": {csrf}, "window_days": {"30"}, "non_returnable_categories": {"food"},
		"auto_approve_limit": {autoApprove}, "remote_refund_approval_limit": {remoteApproval},
		"restocking_fees.new": {"0"}, "restocking_fees.opened": {"10"}, "restocking_fees.damaged": {"2.5"}}
}

// A merchant's limits are amounts of its currency, with that currency's decimal places (ISO
// 4217): a JPY limit of ¥5000 reads and shows as "5000", not "50.00"; a KWD one has three places.
func TestPolicyFormLimitsUseTheCurrencysDecimalPlaces(t *testing.T) {
	for _, tc := range []struct {
		currency            string
		stored              int64  // the auto-approve limit the API holds, in minor units
		shown, shownInPage  string // the form field's value; the rules' text
		typed               string // what the admin types
		saved               int64
		tooPrecise, example string // an amount with a place too many; the field's example
		remoteShown, remote string // the other limit as shown (20000 minor units) and as typed
		remoteSaved         int64
	}{
		{"JPY", 5000, "5000", "5,000 JPY", "7500", 7500, "7500.5", "50", "20000", "30000", 30000},
		{"EUR", 5000, "50.00", "50.00 EUR", "75.5", 7550, "75.555", "50.00", "200.00", "300", 30000},
		{"KWD", 5000, "5.000", "5.000 KWD", "7.125", 7125, "7.1255", "50.000", "20.000", "30.5", 30500},
	} {
		t.Run(tc.currency, func(t *testing.T) {
			const remoteStored = 20000
			api := policyAPI(tc.currency, tc.stored, remoteStored)
			h := newHandler(t, api, true)

			w := do(h, "GET", "/console/policy", nil, staffCookie(tokAdmin))
			wantStatus(t, w, http.StatusOK)
			mustContain(t, w.Body.String(), `name="auto_approve_limit" type="text" value="`+tc.shown+`"`,
				`name="remote_refund_approval_limit" type="text" value="`+tc.remoteShown+`"`,
				"returns worth up to "+tc.shownInPage, "amount in "+tc.currency,
				`name="restocking_fees.opened" type="text" value="10.00"`, "opened 10.00 %")

			// What the form shows is saved unchanged.
			csrf := csrfOf(t, w)
			w = do(h, "POST", "/console/policy", policyForm(csrf, tc.shown, tc.remoteShown), staffCookie(tokAdmin))
			wantRedirect(t, w, http.StatusSeeOther, "/console/policy?done=saved")
			if got := savedLimits(t, api, 1); got != [2]int64{tc.stored, remoteStored} {
				t.Fatalf("saved limits %v, want %d and %d unchanged", got, tc.stored, remoteStored)
			}

			w = do(h, "POST", "/console/policy", policyForm(csrf, tc.typed, tc.remote), staffCookie(tokAdmin))
			wantRedirect(t, w, http.StatusSeeOther, "/console/policy?done=saved")
			if got := savedLimits(t, api, 2); got != [2]int64{tc.saved, tc.remoteSaved} {
				t.Fatalf("typed %q and %q: saved %v, want %d and %d", tc.typed, tc.remote, got, tc.saved, tc.remoteSaved)
			}

			// More places than the currency has is refused, and nothing is saved.
			w = do(h, "POST", "/console/policy", policyForm(csrf, tc.tooPrecise, tc.remote), staffCookie(tokAdmin))
			wantStatus(t, w, http.StatusUnprocessableEntity)
			mustContain(t, w.Body.String(), `id="e-auto_approve_limit"`, "must be an amount such as "+tc.example+"<",
				`value="`+tc.tooPrecise+`"`)
			if n := len(api.callsTo("PUT", "/v1/merchant/policy")); n != 2 {
				t.Fatalf("the API was asked to save %d times, want 2", n)
			}
		})
	}
}

// savedLimits are the two limits of the n-th policy PUT to the API.
func savedLimits(t *testing.T, api *fakeAPI, n int) [2]int64 {
	t.Helper()
	puts := api.callsTo("PUT", "/v1/merchant/policy")
	if len(puts) != n {
		t.Fatalf("%d policy saves, want %d", len(puts), n)
	}
	var body struct {
		AutoApprove    *int64           `json:"auto_approve_limit"`
		RemoteApproval *int64           `json:"remote_refund_approval_limit"`
		Fees           map[string]int64 `json:"restocking_fees"`
	}
	if err := json.Unmarshal(puts[n-1].Body, &body); err != nil || body.AutoApprove == nil || body.RemoteApproval == nil {
		t.Fatalf("policy saved: %s (%v)", puts[n-1].Body, err)
	}
	if body.Fees["opened"] != 1000 || body.Fees["damaged"] != 250 {
		t.Errorf("restocking fees saved as %v, want basis points 1000 and 250", body.Fees)
	}
	return [2]int64{*body.AutoApprove, *body.RemoteApproval}
}
