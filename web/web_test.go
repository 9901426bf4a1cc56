package web

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// Routing: which paths are pages and which the API's.

func TestAPIPathsReachTheAPIUntouched(t *testing.T) {
	api := newFakeAPI()
	api.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-From", "api")
		writeJSON(w, http.StatusTeapot, map[string]string{"path": r.URL.Path})
	})
	h := newHandler(t, api, true)
	for _, tc := range []struct{ method, target, body string }{
		{"GET", "/v1/anything?x=1&y=two", ""},
		{"POST", "/v1/returns", `{"lines":[]}`},
		{"GET", "/healthz", ""},
		{"GET", "/metrics", ""},
		{"GET", "/consoles", ""},    // not /console nor /console/…
		{"GET", "/console-api", ""}, // ditto
		{"GET", "/r", ""},           // the portal is /r/…
		{"GET", "/staticfiles", ""}, // not /static/…
	} {
		t.Run(tc.method+" "+tc.target, func(t *testing.T) {
			before := len(api.allCalls())
			r := strings.NewReader(tc.body)
			req, _ := http.NewRequest(tc.method, tc.target, r)
			req.Header.Set("Authorization", "Bearer abc")
			req.Header.Set("Content-Type", "application/json")
			w := httptest.NewRecorder()
			h.ServeHTTP(w, req)
			calls := api.allCalls()
			if len(calls) != before+1 {
				t.Fatalf("the API got %d calls, want 1", len(calls)-before)
			}
			c := calls[len(calls)-1]
			u, _ := url.Parse(tc.target)
			if c.Method != tc.method || c.Path != u.Path || c.RawQuery != u.RawQuery || string(c.Body) != tc.body {
				t.Errorf("API got %s %s?%s %q, want %s %s %q", c.Method, c.Path, c.RawQuery, c.Body, tc.method, tc.target, tc.body)
			}
			if c.Header.Get("Authorization") != "Bearer abc" {
				t.Errorf("Authorization not passed on: %q", c.Header.Get("Authorization"))
			}
			if w.Code != http.StatusTeapot || w.Header().Get("X-From") != "api" {
				t.Errorf("the API's answer was changed: %d %v", w.Code, w.Header())
			}
			// The pages' headers are not added to the API's answers.
			for _, hdr := range []string{"Content-Security-Policy", "X-Frame-Options"} {
				if v := w.Header().Get(hdr); v != "" {
					t.Errorf("API answer carries %s: %q", hdr, v)
				}
			}
		})
	}
}

func TestPagePathsAreServedByThePages(t *testing.T) {
	api := newFakeAPI()
	api.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		t.Errorf("the API got %s %s", r.Method, r.URL.Path)
		w.WriteHeader(http.StatusInternalServerError)
	})
	h := newHandler(t, api, true)

	w := do(h, "GET", "/console", nil)
	wantRedirect(t, w, http.StatusSeeOther, "/console/login?next=%2Fconsole")

	w = do(h, "GET", "/r/x", nil)
	wantStatus(t, w, http.StatusOK)
	mustContain(t, w.Body.String(), `action="/r/x/find"`, "Return an item")

	w = do(h, "GET", "/console/login", nil)
	wantStatus(t, w, http.StatusOK)
	mustContain(t, w.Body.String(), `action="/console/login"`)

	w = do(h, "GET", "/static/app.css", nil)
	wantStatus(t, w, http.StatusOK)
	if ct := w.Header().Get("Content-Type"); !strings.HasPrefix(ct, "text/css") {
		t.Errorf("app.css Content-Type = %q", ct)
	}
	want, _ := staticFS.ReadFile("static/app.css")
	if w.Body.String() != string(want) {
		t.Errorf("app.css is not the embedded file")
	}

	w = do(h, "GET", "/console/no-such-page", nil)
	wantStatus(t, w, http.StatusNotFound)
}

func TestRootRedirectsToTheConsole(t *testing.T) {
	h := newHandler(t, newFakeAPI(), true)
	w := do(h, "GET", "/", nil)
	wantRedirect(t, w, http.StatusFound, "/console")
}

func TestStaticFilesAreCached(t *testing.T) {
	h := newHandler(t, newFakeAPI(), true)
	for _, p := range []string{"/static/app.css", "/static/app.js"} {
		w := do(h, "GET", p, nil)
		wantStatus(t, w, http.StatusOK)
		if got := w.Header().Get("Cache-Control"); got != "public, max-age=86400" {
			t.Errorf("%s Cache-Control = %q, want public, max-age=86400", p, got)
		}
		if w.Body.Len() == 0 {
			t.Errorf("%s is empty", p)
		}
	}
	// Pages themselves are never cached.
	w := do(h, "GET", "/console/login", nil)
	if got := w.Header().Get("Cache-Control"); got != "no-store" {
		t.Errorf("login page Cache-Control = %q, want no-store", got)
	}
}

func TestEveryPageCarriesTheSecurityHeaders(t *testing.T) {
	api := newFakeAPI().withSessions()
	h := newHandler(t, api, true)
	for _, tc := range []struct {
		name   string
		method string
		target string
		cookie *http.Cookie
	}{
		{"root redirect", "GET", "/", nil},
		{"console redirect", "GET", "/console", nil},
		{"login", "GET", "/console/login", nil},
		{"login refused", "POST", "/console/login", nil},
		{"forbidden", "GET", "/console/finance", staffCookie(tokClerk)},
		{"portal", "GET", "/r/acme", nil},
		{"static", "GET", "/static/app.css", nil},
		{"not found", "GET", "/console/nothing/here", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var form url.Values
			if tc.method == "POST" {
				form = url.Values{}
			}
			var cookies []*http.Cookie
			if tc.cookie != nil {
				cookies = append(cookies, tc.cookie)
			}
			w := do(h, tc.method, tc.target, form, cookies...)
			hd := w.Header()
			for k, v := range map[string]string{
				"Content-Security-Policy": "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; form-action 'self'; frame-ancestors 'none'",
				"X-Frame-Options":         "DENY",
				"X-Content-Type-Options":  "nosniff",
				"Referrer-Policy":         "same-origin",
			} {
				if got := hd.Get(k); got != v {
					t.Errorf("%s = %q, want %q", k, got, v)
				}
			}
		})
	}
}

func TestIsPage(t *testing.T) {
	for p, want := range map[string]bool{
		"/": true, "/console": true, "/console/": true, "/console/login": true, "/console/finance/refunds.csv": true,
		"/r/": true, "/r/acme": true, "/r/acme/items": true, "/static/": true, "/static/app.css": true,
		"/consoles": false, "/r": false, "/static": false, "/v1/returns": false, "/healthz": false, "": false,
		"/v1/console": false, "/rr/acme": false,
	} {
		if got := isPage(p); got != want {
			t.Errorf("isPage(%q) = %v, want %v", p, got, want)
		}
	}
}

// Sessions and CSRF.

func TestConsoleWithoutSessionSendsToLogIn(t *testing.T) {
	api := newFakeAPI().withSessions()
	h := newHandler(t, api, true)
	wantRedirect(t, do(h, "GET", "/console", nil), http.StatusSeeOther, "/console/login?next=%2Fconsole")
	wantRedirect(t, do(h, "GET", "/console/returns/R1", nil), http.StatusSeeOther, "/console/login?next=%2Fconsole%2Freturns%2FR1")
	if n := len(api.callsTo("GET", "/v1/auth/session")); n != 0 {
		t.Errorf("the API was asked for a session %d times without a cookie", n)
	}
}

func TestLoginPageSetsPreSessionCookie(t *testing.T) {
	for _, dev := range []bool{true, false} {
		h := newHandler(t, newFakeAPI(), dev)
		w := do(h, "GET", "/console/login", nil)
		wantStatus(t, w, http.StatusOK)
		c := cookieNamed(w, cookieAnon)
		if c == nil {
			t.Fatalf("dev=%v: no %s cookie", dev, cookieAnon)
		}
		if c.Value == "" || !c.HttpOnly || c.SameSite != http.SameSiteLaxMode || c.Path != "/" {
			t.Errorf("dev=%v: cookie %+v, want a value, HttpOnly, SameSite=Lax, Path=/", dev, c)
		}
		if c.Secure == dev {
			t.Errorf("dev=%v: Secure=%v, want %v", dev, c.Secure, !dev)
		}
		if c.MaxAge != 0 || !c.Expires.IsZero() {
			t.Errorf("dev=%v: the pre-session cookie should last the browser session: %+v", dev, c)
		}
		// A visitor who has one keeps it.
		w2 := do(h, "GET", "/console/login", nil, c)
		if cookieNamed(w2, cookieAnon) != nil {
			t.Errorf("dev=%v: a second pre-session cookie was set", dev)
		}
		if csrfOf(t, w2) != csrfOf(t, w) {
			t.Errorf("dev=%v: the same visitor got another CSRF token", dev)
		}
	}
	// Two visitors get different cookies.
	h := newHandler(t, newFakeAPI(), true)
	a, b := cookieNamed(do(h, "GET", "/console/login", nil), cookieAnon), cookieNamed(do(h, "GET", "/console/login", nil), cookieAnon)
	if a.Value == b.Value {
		t.Errorf("two visitors share the pre-session value %q", a.Value)
	}
}

// loginForm opens the login page as a new visitor and returns its cookie
// and CSRF token.
func loginForm(t *testing.T, h http.Handler) (*http.Cookie, string) {
	t.Helper()
	w := do(h, "GET", "/console/login", nil)
	wantStatus(t, w, http.StatusOK)
	return cookieNamed(w, cookieAnon), csrfOf(t, w)
}

func loginAPI() *fakeAPI {
	api := newFakeAPI().withSessions()
	api.HandleFunc("POST /v1/auth/login", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"token": "tok-new-session"})
	})
	return api
}

func TestLoginWithoutCSRFTokenIsRefused(t *testing.T) {
	api := loginAPI()
	h := newHandler(t, api, true)
	visit, _ := loginForm(t, h)
	for name, form := range map[string]url.Values{
		"no token":    {"username": {"ann"}, "password": {"pw"}},
		"empty token": {"username": {"ann"}, "password": {"pw"}, "csrf_token": {""}},
		"wrong token": {"username": {"ann"}, "password": {"pw"}, "csrf_token": {"bm90IGEgdG9rZW4"}},
	} {
		w := do(h, "POST", "/console/login", form, visit)
		wantStatus(t, w, http.StatusForbidden)
		mustContain(t, w.Body.String(), "This form has expired or did not come from this site.")
		if cookieNamed(w, cookieStaff) != nil {
			t.Errorf("%s: a staff cookie was set", name)
		}
	}
	// The token without its pre-session cookie does not pass either.
	_, token := loginForm(t, h)
	wantStatus(t, do(h, "POST", "/console/login", url.Values{"username": {"ann"}, "password": {"pw"}, "csrf_token": {token}}), http.StatusForbidden)
	if n := len(api.callsTo("POST", "/v1/auth/login")); n != 0 {
		t.Fatalf("the API's login was called %d times", n)
	}
}

func TestLoginWithTokenSetsSessionAndRedirects(t *testing.T) {
	for _, dev := range []bool{true, false} {
		api := loginAPI()
		h := newHandler(t, api, dev)
		w := do(h, "GET", "/console/login?next=%2Fconsole%2Freturns%2FR1", nil)
		visit, token := cookieNamed(w, cookieAnon), csrfOf(t, w)
		mustContain(t, w.Body.String(), `name="next" value="/console/returns/R1"`)

		w = do(h, "POST", "/console/login", url.Values{"merchant": {"shop"}, "username": {"ann"}, "password": {"s3cret"}, "csrf_token": {token},
			"next": {"/console/returns/R1"}}, visit)
		wantRedirect(t, w, http.StatusSeeOther, "/console/returns/R1")
		c := cookieNamed(w, cookieStaff)
		if c == nil || c.Value != "tok-new-session" {
			t.Fatalf("dev=%v: staff cookie %+v, want the API's token", dev, c)
		}
		if !c.HttpOnly || c.SameSite != http.SameSiteLaxMode || c.Secure == dev || c.Path != "/" || c.MaxAge != int((12*time.Hour).Seconds()) {
			t.Errorf("dev=%v: staff cookie %+v", dev, c)
		}
		calls := api.callsTo("POST", "/v1/auth/login")
		if len(calls) != 1 {
			t.Fatalf("login calls = %d", len(calls))
		}
		if got := string(calls[0].Body); got != `{"merchant":"shop","password":"s3cret","username":"ann"}` {
			t.Errorf("login body = %s", got)
		}
		if ct := calls[0].Header.Get("Content-Type"); ct != "application/json" {
			t.Errorf("login Content-Type = %q", ct)
		}
	}
}

func TestLoginRefusedByTheAPIShowsTheForm(t *testing.T) {
	api := newFakeAPI()
	api.HandleFunc("POST /v1/auth/login", func(w http.ResponseWriter, r *http.Request) {
		problem(w, http.StatusUnauthorized, "unauthorized", "Unauthorized", "wrong user name or password", nil)
	})
	h := newHandler(t, api, true)
	visit, token := loginForm(t, h)
	w := do(h, "POST", "/console/login", url.Values{"merchant": {"shop"}, "username": {"ann"}, "password": {"nope"}, "csrf_token": {token}}, visit)
	wantStatus(t, w, http.StatusOK)
	body := w.Body.String()
	mustContain(t, body, `class="problem"`, "wrong user name or password", `value="ann"`, `value="shop"`)
	mustNotContain(t, body, "nope") // the password is never shown again
	if cookieNamed(w, cookieStaff) != nil {
		t.Error("a staff cookie was set after a refused log-in")
	}
}

func TestLoginNextStaysOnTheConsole(t *testing.T) {
	for _, next := range []string{"//evil.example", "https://evil.example", "/console\\..", "/console\\evil.example",
		"http://evil.example/console", "/\\evil.example", "evil.example", "/other", "/console\r\nSet-Cookie: x=y", ""} {
		api := loginAPI()
		h := newHandler(t, api, true)
		visit, token := loginForm(t, h)
		w := do(h, "POST", "/console/login", url.Values{"username": {"ann"}, "password": {"pw"}, "csrf_token": {token}, "next": {next}}, visit)
		wantRedirect(t, w, http.StatusSeeOther, "/console")
	}
	// Same-site console paths are kept.
	for _, next := range []string{"/console", "/console/finance", "/console/returns/R1?done=reviewed"} {
		if got := safeNext(next); got != next {
			t.Errorf("safeNext(%q) = %q", next, got)
		}
	}
	// The page does not even offer an off-site next.
	h := newHandler(t, newFakeAPI(), true)
	w := do(h, "GET", "/console/login?next="+url.QueryEscape("//evil.example"), nil)
	mustContain(t, w.Body.String(), `name="next" value="/console"`)
	mustNotContain(t, w.Body.String(), "evil.example")
}

func TestCSRFTokenIsBoundToItsVisitor(t *testing.T) {
	api := loginAPI()
	h := newHandler(t, api, true)
	visitA, tokenA := loginForm(t, h)
	visitB, tokenB := loginForm(t, h)
	if tokenA == tokenB {
		t.Fatal("two visitors got the same token")
	}
	form := url.Values{"username": {"ann"}, "password": {"pw"}, "csrf_token": {tokenA}}
	wantStatus(t, do(h, "POST", "/console/login", form, visitB), http.StatusForbidden)
	if n := len(api.callsTo("POST", "/v1/auth/login")); n != 0 {
		t.Fatalf("login called %d times with another visitor's token", n)
	}
	wantStatus(t, do(h, "POST", "/console/login", form, visitA), http.StatusSeeOther)

	// Staff forms: a token of one session does not pass for another.
	api.HandleFunc("GET /v1/returns/{id}", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, returnJSON(r.PathValue("id"), "awaiting_review"))
	})
	api.HandleFunc("POST /v1/merchant/returns/{id}/review", func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusNoContent)
	})
	supervisorToken := staffCSRF(t, h, tokSupervisor, "/console/returns/R1")
	adminToken := staffCSRF(t, h, tokAdmin, "/console/returns/R1")
	if supervisorToken == adminToken {
		t.Fatal("two sessions got the same token")
	}
	w := do(h, "POST", "/console/returns/R1/review", url.Values{"decision": {"approve"}, "csrf_token": {adminToken}}, staffCookie(tokSupervisor))
	wantStatus(t, w, http.StatusForbidden)
	// A pre-session token does not pass for a session either.
	w = do(h, "POST", "/console/returns/R1/review", url.Values{"decision": {"approve"}, "csrf_token": {tokenB}}, staffCookie(tokSupervisor), visitB)
	wantStatus(t, w, http.StatusForbidden)
	if n := len(api.callsTo("POST", "/v1/merchant/returns/R1/review")); n != 0 {
		t.Fatalf("review called %d times with a wrong token", n)
	}
	w = do(h, "POST", "/console/returns/R1/review", url.Values{"decision": {"approve"}, "csrf_token": {supervisorToken}}, staffCookie(tokSupervisor))
	wantRedirect(t, w, http.StatusSeeOther, "/console/returns/R1?done=reviewed")
}

func TestCheckCSRFUnit(t *testing.T) {
	s := &site{csrf: []byte("key one")}
	other := &site{csrf: []byte("key two")}
	post := func(token string) *http.Request {
		r, _ := http.NewRequest("POST", "/x", strings.NewReader(url.Values{csrfField: {token}}.Encode()))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		return r
	}
	tok := s.csrfToken("a:visitor-1")
	if !s.checkCSRF(post(tok), "a:visitor-1") {
		t.Error("a visitor's own token is refused")
	}
	for name, tc := range map[string]struct {
		site    *site
		token   string
		visitor string
	}{
		"other visitor":     {s, tok, "a:visitor-2"},
		"same value, s:":    {s, tok, "s:visitor-1"},
		"other secret":      {other, tok, "a:visitor-1"},
		"empty token":       {s, "", "a:visitor-1"},
		"no anon cookie":    {s, s.csrfToken("a:"), "a:"},
		"no session cookie": {s, s.csrfToken("s:"), "s:"},
	} {
		if tc.site.checkCSRF(post(tc.token), tc.visitor) {
			t.Errorf("%s: token accepted", name)
		}
	}
	if s.checkCSRFValue(s.csrfToken("s:"), "s:") || s.checkCSRFValue("", "s:t") || !s.checkCSRFValue(s.csrfToken("s:t"), "s:t") {
		t.Error("checkCSRFValue disagrees with checkCSRF")
	}
}

func TestExpiredSessionSendsToLogInAndClearsCookie(t *testing.T) {
	api := newFakeAPI().withSessions()
	h := newHandler(t, api, true)
	w := do(h, "GET", "/console/returns/R1", nil, staffCookie(tokExpired))
	wantRedirect(t, w, http.StatusSeeOther, "/console/login?next=%2Fconsole%2Freturns%2FR1")
	c := cookieNamed(w, cookieStaff)
	if c == nil || c.Value != "" || c.MaxAge >= 0 || c.Path != "/" {
		t.Fatalf("staff cookie not cleared: %+v", c)
	}
	calls := api.callsTo("GET", "/v1/auth/session")
	if len(calls) != 1 || calls[0].Header.Get("Authorization") != "Bearer "+tokExpired {
		t.Fatalf("session calls: %+v", calls)
	}
}

func TestSessionExpiringBeforeAFormIsPostedSendsToLogIn(t *testing.T) {
	// The session is alive when the page is shown and gone when its form
	// comes back (with a token that was valid for it).
	var expired atomic.Bool
	api := newFakeAPI()
	api.HandleFunc("GET /v1/auth/session", func(w http.ResponseWriter, r *http.Request) {
		if expired.Load() {
			problem(w, http.StatusUnauthorized, "unauthorized", "Unauthorized", "session expired", nil)
			return
		}
		writeJSON(w, http.StatusOK, map[string]string{"username": "sue", "role": "supervisor", "merchant": "acme", "merchant_name": "Acme"})
	})
	api.HandleFunc("GET /v1/returns/{id}", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, returnJSON(r.PathValue("id"), "awaiting_review"))
	})
	api.HandleFunc("POST /v1/merchant/returns/{id}/review", func(w http.ResponseWriter, r *http.Request) {
		t.Error("review called with an expired session")
	})
	h := newHandler(t, api, true)
	token := staffCSRF(t, h, "tok-short", "/console/returns/R1")
	expired.Store(true)
	w := do(h, "POST", "/console/returns/R1/review", url.Values{"decision": {"approve"}, "csrf_token": {token}}, staffCookie("tok-short"))
	// Back to the console after logging in, not to the form's URL.
	wantRedirect(t, w, http.StatusSeeOther, "/console/login?next=%2Fconsole")
	if c := cookieNamed(w, cookieStaff); c == nil || c.MaxAge >= 0 {
		t.Errorf("staff cookie not cleared after a post: %+v", c)
	}
}

func TestRoleOutsideThePageIsForbidden(t *testing.T) {
	api := newFakeAPI().withSessions()
	api.HandleFunc("/v1/finance/", func(w http.ResponseWriter, r *http.Request) {
		t.Errorf("the finance API was called for a clerk: %s", r.URL)
	})
	h := newHandler(t, api, true)
	w := do(h, "GET", "/console/finance", nil, staffCookie(tokClerk))
	wantStatus(t, w, http.StatusForbidden)
	mustContain(t, w.Body.String(), "Your role (clerk) may not open this page. It needs finance or admin.")

	// Only a supervisor may post a review.
	api.HandleFunc("GET /v1/returns/{id}", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, returnJSON(r.PathValue("id"), "awaiting_review"))
	})
	api.HandleFunc("POST /v1/merchant/returns/{id}/review", func(w http.ResponseWriter, r *http.Request) {
		t.Error("review called for a clerk")
	})
	token := staffCSRF(t, h, tokClerk, "/console/returns/R1")
	w = do(h, "POST", "/console/returns/R1/review", url.Values{"decision": {"approve"}, "csrf_token": {token}}, staffCookie(tokClerk))
	wantStatus(t, w, http.StatusForbidden)

	// An operator (the API says 403 to the session) has no console.
	w = do(h, "GET", "/console", nil, staffCookie(tokOperator))
	wantStatus(t, w, http.StatusForbidden)
	mustContain(t, w.Body.String(), "Your account has no merchant console.")
	if cookieNamed(w, cookieStaff) != nil {
		t.Error("an operator's cookie was touched")
	}
}

func TestLogoutEndsTheSession(t *testing.T) {
	api := newFakeAPI().withSessions()
	api.HandleFunc("GET /v1/merchant/returns/queues", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]any{"queues": map[string]int{}})
	})
	api.HandleFunc("GET /v1/merchant/returns", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]any{"items": []any{}, "next_cursor": nil})
	})
	api.HandleFunc("POST /v1/auth/logout", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) })
	h := newHandler(t, api, true)
	token := staffCSRF(t, h, tokAdmin, "/console")
	w := do(h, "POST", "/console/logout", url.Values{"csrf_token": {token}}, staffCookie(tokAdmin))
	wantRedirect(t, w, http.StatusSeeOther, "/console/login")
	if c := cookieNamed(w, cookieStaff); c == nil || c.MaxAge >= 0 {
		t.Errorf("staff cookie not cleared: %+v", c)
	}
	calls := api.callsTo("POST", "/v1/auth/logout")
	if len(calls) != 1 || calls[0].Header.Get("Authorization") != "Bearer "+tokAdmin {
		t.Errorf("logout calls: %+v", calls)
	}
}

func TestQueuesPage(t *testing.T) {
	api := newFakeAPI().withSessions()
	api.HandleFunc("GET /v1/merchant/returns/queues", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]any{"queues": map[string]int{"review": 0, "receive": 3, "inspect": 1}})
	})
	api.HandleFunc("GET /v1/merchant/returns", func(w http.ResponseWriter, r *http.Request) {
		amount := 8999
		writeJSON(w, http.StatusOK, map[string]any{"items": []map[string]any{{
			"id": "R7", "order_number": "A-7", "status": "awaiting_shipment", "method": "ship", "channel": "online",
			"refund_amount": amount, "currency": "EUR", "created_at": "2026-03-01T08:00:00Z",
		}}, "next_cursor": "c2"})
	})
	h := newHandler(t, api, true)
	w := do(h, "GET", "/console", nil, staffCookie(tokClerk))
	wantStatus(t, w, http.StatusOK)
	body := w.Body.String()
	// The first queue with work in it is shown.
	mustContain(t, body, `<h2 id="list-title">To receive</h2>`, `href="/console/returns/R7"`, "89.99 EUR", "Awaiting shipment",
		`href="/console?queue=receive&amp;cursor=c2"`, "Acme Outdoor", "ann.clerk (clerk)")
	list := api.callsTo("GET", "/v1/merchant/returns")
	if len(list) != 1 || list[0].RawQuery != "limit=50&queue=receive" {
		t.Errorf("list calls: %+v", list)
	}
	// A clerk sees no finance link.
	mustNotContain(t, body, `href="/console/finance"`)

	wantStatus(t, do(h, "GET", "/console?queue=nope", nil, staffCookie(tokClerk)), http.StatusNotFound)
}

// Issue 18: the queues show each role what it can act on. A clerk, who
// could only cancel a return waiting for review, has no "To review" (nor may
// open it by its link); supervisors and admins have it, first when work
// waits in it; finance, who moves no return on, has the search box alone.
func TestQueuesShowEachRoleWhatItCanActOn(t *testing.T) {
	api := newFakeAPI().withSessions()
	api.HandleFunc("GET /v1/merchant/returns/queues", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]any{"queues": map[string]int{"review": 1, "receive": 2}})
	})
	api.HandleFunc("GET /v1/merchant/returns", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]any{"items": []any{}, "next_cursor": nil})
	})
	h := newHandler(t, api, true)
	tabs := regexp.MustCompile(`href="/console\?queue=(\w+)"`)
	for _, tc := range []struct {
		tok, current string
		queues       []string
	}{
		{tokClerk, "receive", []string{"receive", "inspect", "counter", "escalated"}},
		{tokSupervisor, "review", []string{"review", "receive", "inspect", "counter", "escalated"}},
		{tokAdmin, "review", []string{"review", "receive", "inspect", "counter", "escalated"}},
		{tokFinance, "", nil},
	} {
		before := len(api.callsTo("GET", "/v1/merchant/returns"))
		w := do(h, "GET", "/console", nil, staffCookie(tc.tok))
		wantStatus(t, w, http.StatusOK)
		body := w.Body.String()
		var got []string
		for _, m := range tabs.FindAllStringSubmatch(body, -1) {
			got = append(got, m[1])
		}
		if !slices.Equal(got, tc.queues) {
			t.Errorf("%s sees queues %v, want %v", tc.tok, got, tc.queues)
		}
		list := api.callsTo("GET", "/v1/merchant/returns")
		if tc.current == "" {
			mustContain(t, body, `<h2 id="list-title">Find a return</h2>`, "Your role works on no queue")
			mustNotContain(t, body, "To review", `aria-label="Queues"`)
			if len(list) != before {
				t.Errorf("%s: the page listed a queue: %+v", tc.tok, list[before:])
			}
			continue
		}
		mustContain(t, body, `<h2 id="list-title">`+queueTitles[tc.current]+`</h2>`)
		if len(list) != before+1 || list[before].RawQuery != "limit=50&queue="+tc.current {
			t.Errorf("%s: list calls %+v", tc.tok, list[before:])
		}
	}
	mustNotContain(t, do(h, "GET", "/console", nil, staffCookie(tokClerk)).Body.String(), "To review")
	w := do(h, "GET", "/console?queue=review", nil, staffCookie(tokClerk))
	wantStatus(t, w, http.StatusForbidden)
	mustContain(t, w.Body.String(), "Your role (clerk) does not work on this queue. It needs supervisor or admin.")
	wantStatus(t, do(h, "GET", "/console?queue=review", nil, staffCookie(tokAdmin)), http.StatusOK)
	// Searching stays every role's.
	wantStatus(t, do(h, "GET", "/console?q=A-1", nil, staffCookie(tokFinance)), http.StatusOK)
}

// Issue 18: the console's search box sends q to the task list across every
// queue, shows what it finds with its count, keeps q in the link to older
// returns, and shows a refused query beside the box.
func TestQueuesPageSearches(t *testing.T) {
	api := newFakeAPI().withSessions()
	api.HandleFunc("GET /v1/merchant/returns/queues", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]any{"queues": map[string]int{"review": 2}})
	})
	api.HandleFunc("GET /v1/merchant/returns", func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query().Get("q")
		switch {
		case len(q) > 100:
			problem(w, http.StatusUnprocessableEntity, "validation", "Unprocessable Entity", "the request has invalid fields",
				[]fieldErr{{"q", "must be at most 100 characters"}})
		case q == "nobody":
			writeJSON(w, http.StatusOK, map[string]any{"items": []any{}, "next_cursor": nil, "total": 0})
		default:
			writeJSON(w, http.StatusOK, map[string]any{"items": []map[string]any{{
				"id": "R9", "order_number": "A-1009", "status": "refunded", "method": "ship", "channel": "online",
				"currency": "EUR", "created_at": "2026-03-01T08:00:00Z",
			}}, "next_cursor": "c9", "total": 51})
		}
	})
	h := newHandler(t, api, true)
	w := do(h, "GET", "/console?q="+url.QueryEscape(" Pat & Co "), nil, staffCookie(tokClerk))
	wantStatus(t, w, http.StatusOK)
	body := w.Body.String()
	mustContain(t, body, `role="search"`, `<label for="f-q">Find a return</label>`, `name="q" type="search" value="Pat &amp; Co"`,
		`<h2 id="list-title">Search results</h2>`, "51 returns found for “Pat &amp; Co”", `href="/console/returns/R9"`, "Refunded",
		`href="/console?q=Pat&#43;%26&#43;Co&amp;cursor=c9"`)
	// No queue is current while searching.
	mustNotContain(t, body, `aria-current="page"`)
	list := api.callsTo("GET", "/v1/merchant/returns")
	if len(list) != 1 || list[0].RawQuery != "limit=50&q=Pat+%26+Co" {
		t.Errorf("list calls: %+v", list)
	}
	// The next page keeps the query and sends the cursor.
	wantStatus(t, do(h, "GET", "/console?q=Pat+%26+Co&cursor=c9", nil, staffCookie(tokClerk)), http.StatusOK)
	if list := api.callsTo("GET", "/v1/merchant/returns"); len(list) != 2 || list[1].RawQuery != "cursor=c9&limit=50&q=Pat+%26+Co" {
		t.Errorf("next page's call: %+v", list)
	}
	w = do(h, "GET", "/console?q=nobody", nil, staffCookie(tokClerk))
	wantStatus(t, w, http.StatusOK)
	mustContain(t, w.Body.String(), "0 returns found for “nobody”", "No return matches.")
	// A query the API refuses comes back beside the box, kept in it.
	long := strings.Repeat("x", 101)
	w = do(h, "GET", "/console?q="+long, nil, staffCookie(tokClerk))
	wantStatus(t, w, http.StatusUnprocessableEntity)
	body = w.Body.String()
	mustContain(t, body, `<p class="error" id="e-q">must be at most 100 characters</p>`, `value="`+long+`"`)
	mustNotContain(t, body, "returns found", "No return matches.")
	input := regexp.MustCompile(`<input id="f-q"[^>]*>`).FindString(body)
	if !strings.Contains(input, `aria-invalid="true"`) || !strings.Contains(input, `aria-describedby="e-q"`) {
		t.Errorf("the search box is not marked invalid: %s", input)
	}
}
