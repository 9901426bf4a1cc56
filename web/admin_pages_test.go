package web

import (
	"io"
	"net/http"
	"net/url"
	"testing"
)

// A freeze in force shows on every console page, in words a clerk reads.
func TestConsolePagesShowARefundFreeze(t *testing.T) {
	api := returnAPI("refund_pending", nil)
	api.HandleFunc("GET /v1/merchant/freezes", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("active") != "true" {
			t.Errorf("freezes asked without active=true: %s", r.URL.RawQuery)
		}
		writeJSON(w, http.StatusOK, map[string]any{"items": []map[string]string{
			{"scope": "terminal", "terminal_id": "T0000001", "reason": "terminal reported stolen", "created_by": "ops"}}})
	})
	h := newHandler(t, api, true)
	w := do(h, "GET", "/console/returns/R1", nil, staffCookie(tokClerk))
	wantStatus(t, w, http.StatusOK)
	mustContain(t, w.Body.String(), "Refunds are frozen", "terminal T0000001", "terminal reported stolen")
}

// A member holding a one-time password is sent to change it, and nowhere
// else; a new password that does not match its repetition is refused
// before the API is asked.
func TestAOneTimePasswordLeadsToThePasswordPage(t *testing.T) {
	api := newFakeAPI()
	api.HandleFunc("GET /v1/auth/session", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]any{"username": "new.admin", "role": "admin", "merchant": "acme",
			"merchant_name": "Acme", "password_change_required": true})
	})
	api.HandleFunc("POST /v1/auth/password", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) })
	h := newHandler(t, api, true)
	wantRedirect(t, do(h, "GET", "/console", nil, staffCookie(tokAdmin)), http.StatusSeeOther, "/console/password")
	wantRedirect(t, do(h, "GET", "/console/finance", nil, staffCookie(tokAdmin)), http.StatusSeeOther, "/console/password")
	page := do(h, "GET", "/console/password", nil, staffCookie(tokAdmin))
	wantStatus(t, page, http.StatusOK)
	csrf := csrfOf(t, page)
	w := do(h, "POST", "/console/password", url.Values{"csrf_token": {csrf}, "current_password": {"one-time"},
		"new_password": {"a long new password"}, "repeat_password": {"another one"}}, staffCookie(tokAdmin))
	wantStatus(t, w, http.StatusUnprocessableEntity)
	mustContain(t, w.Body.String(), `id="e-repeat_password"`, "does not match")
	if n := len(api.callsTo("POST", "/v1/auth/password")); n != 0 {
		t.Fatalf("the API was asked %d times", n)
	}
	w = do(h, "POST", "/console/password", url.Values{"csrf_token": {csrf}, "current_password": {"one-time"},
		"new_password": {"a long new password"}, "repeat_password": {"a long new password"}}, staffCookie(tokAdmin))
	wantRedirect(t, w, http.StatusSeeOther, "/console?done=password")
	if n := len(api.callsTo("POST", "/v1/auth/password")); n != 1 {
		t.Fatalf("the API was asked %d times", n)
	}
}

// The portal names the shop, and an address that is no shop says so.
func TestPortalNamesTheShop(t *testing.T) {
	h := newHandler(t, newFakeAPI(), true)
	w := do(h, "GET", "/r/acme", nil)
	wantStatus(t, w, http.StatusOK)
	mustContain(t, w.Body.String(), "Shop acme · Returns")
	wantStatus(t, do(h, "GET", "/r/nowhere", nil), http.StatusNotFound)
}

// A call without a body still hands the API a readable one, as a server's
// request always has (the API reads it through http.MaxBytesReader; a nil
// body made it panic).
func TestCallsWithoutABodyGiveTheAPIAnEmptyOne(t *testing.T) {
	api := newFakeAPI().withSessions()
	api.HandleFunc("GET /v1/merchant/freezes", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]any{"items": []any{}})
	})
	api.HandleFunc("POST /v1/merchant/freezes/{id}/lift", func(w http.ResponseWriter, r *http.Request) {
		b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 1<<10))
		if err != nil || len(b) != 0 {
			t.Errorf("body %q, %v", b, err)
		}
		writeJSON(w, http.StatusOK, map[string]any{"refunds_released": 0})
	})
	h := newHandler(t, api, true)
	csrf := staffCSRF(t, h, tokAdmin, "/console/freezes")
	w := do(h, "POST", "/console/freezes/F1/lift", url.Values{"csrf_token": {csrf}}, staffCookie(tokAdmin))
	wantRedirect(t, w, http.StatusSeeOther, "/console/freezes?done=lifted")
}

// The counter says how the refund ended, never "went through" when it did
// not.
func TestCounterRefundNoticeFollowsTheRefund(t *testing.T) {
	for status, done := range map[string]string{"succeeded": "refunded", "failed": "refund-failed", "pending": "refund-pending"} {
		api := returnAPI("refund_pending", func(w http.ResponseWriter, r *http.Request) {
			v := returnJSON("R1", "refund_pending")
			v["refund"] = map[string]any{"amount": 8000, "currency": "EUR", "status": status}
			code := http.StatusOK
			if status == "pending" {
				code = http.StatusAccepted
			}
			writeJSON(w, code, v)
		})
		h := newHandler(t, api, true)
		csrf := staffCSRF(t, h, tokSupervisor, "/console/returns/R1")
		w := do(h, "POST", "/console/returns/R1/counter-refund", url.Values{"csrf_token": {csrf}, "terminal_id": {"T0000001"}},
			staffCookie(tokSupervisor))
		wantRedirect(t, w, http.StatusSeeOther, "/console/returns/R1?done="+done)
	}
}

// A freeze of one store or one terminal names it; left empty, the form
// does not freeze the whole shop instead.
func TestFreezeFormNeedsTheStoreOrTerminalItNames(t *testing.T) {
	api := newFakeAPI().withSessions()
	api.HandleFunc("GET /v1/merchant/freezes", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]any{"items": []any{}})
	})
	api.HandleFunc("POST /v1/merchant/freezes", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusCreated, map[string]any{"id": "F1"})
	})
	h := newHandler(t, api, true)
	csrf := staffCSRF(t, h, tokAdmin, "/console/freezes")
	w := do(h, "POST", "/console/freezes", url.Values{"csrf_token": {csrf}, "scope": {"terminal"}, "terminal_id": {" "},
		"reason": {"stolen"}}, staffCookie(tokAdmin))
	wantStatus(t, w, http.StatusUnprocessableEntity)
	mustContain(t, w.Body.String(), `id="e-terminal_id"`)
	if n := len(api.callsTo("POST", "/v1/merchant/freezes")); n != 0 {
		t.Fatalf("the API was asked to freeze %d times", n)
	}
}

func TestParseBasisPointsReadsPercentagesWithoutFloats(t *testing.T) {
	for in, want := range map[string]int64{"50": 5000, "50.5": 5050, "50.05": 5005, " 0 ": 0, "1234.56": 123456, "2.5": 250} {
		if got, err := parseBasisPoints(in); err != nil || got != want {
			t.Errorf("%q: %d, %v; want %d", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "abc", "1.234", "-5", "5.", ".5", "1,5", "1e3"} {
		if got, err := parseBasisPoints(bad); err == nil {
			t.Errorf("%q read as %d", bad, got)
		}
	}
	if percentText(5005) != "50.05" || percentText(0) != "0.00" || percentText(123456) != "1234.56" {
		t.Error("percentText")
	}
}
