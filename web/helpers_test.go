package web

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// The pages' tests run the pages in front of a fake API: an http.ServeMux
// answering the JSON the pages expect and recording every call it gets.

var testSecret = []byte("test secret for the web package's tests")

// apiCall is one request the fake API received.
type apiCall struct {
	Method, Path, RawQuery string
	Header                 http.Header
	Body                   []byte
}

type fakeAPI struct {
	*http.ServeMux
	mu    sync.Mutex
	calls []apiCall
}

func newFakeAPI() *fakeAPI {
	f := &fakeAPI{ServeMux: http.NewServeMux()}
	// Every shop exists but "nowhere".
	f.HandleFunc("GET /v1/merchants/{slug}", func(w http.ResponseWriter, r *http.Request) {
		if r.PathValue("slug") == "nowhere" {
			problem(w, http.StatusNotFound, "not-found", "Not Found", "no such merchant", nil)
			return
		}
		writeJSON(w, http.StatusOK, map[string]string{"slug": r.PathValue("slug"), "name": "Shop " + r.PathValue("slug")})
	})
	return f
}

func (f *fakeAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var body []byte
	if r.Body != nil {
		body, _ = io.ReadAll(r.Body)
		_ = r.Body.Close()
		r.Body = io.NopCloser(strings.NewReader(string(body)))
	}
	f.mu.Lock()
	f.calls = append(f.calls, apiCall{Method: r.Method, Path: r.URL.Path, RawQuery: r.URL.RawQuery, Header: r.Header.Clone(), Body: body})
	f.mu.Unlock()
	f.ServeMux.ServeHTTP(w, r)
}

// callsTo are the recorded calls of one method and path.
func (f *fakeAPI) callsTo(method, path string) []apiCall {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []apiCall
	for _, c := range f.calls {
		if c.Method == method && c.Path == path {
			out = append(out, c)
		}
	}
	return out
}

func (f *fakeAPI) allCalls() []apiCall {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]apiCall(nil), f.calls...)
}

// Staff tokens the fake API knows, by role.
const (
	tokClerk      = "tok-clerk"
	tokSupervisor = "tok-supervisor"
	tokFinance    = "tok-finance"
	tokAdmin      = "tok-admin"
	tokOperator   = "tok-operator"
	tokExpired    = "tok-expired"
)

// withSessions answers GET /v1/auth/session for the staff tokens above.
func (f *fakeAPI) withSessions() *fakeAPI {
	f.HandleFunc("GET /v1/auth/session", func(w http.ResponseWriter, r *http.Request) {
		tok, _ := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		switch tok {
		case tokClerk, tokSupervisor, tokFinance, tokAdmin:
			role := strings.TrimPrefix(tok, "tok-")
			writeJSON(w, http.StatusOK, map[string]string{"username": "ann." + role, "role": role, "merchant": "acme", "merchant_name": "Acme Outdoor"})
		case tokOperator:
			problem(w, http.StatusForbidden, "forbidden", "Forbidden", "operators have no merchant", nil)
		default:
			problem(w, http.StatusUnauthorized, "unauthorized", "Unauthorized", "session expired or unknown", nil)
		}
	})
	return f
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

type fieldErr struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

// problem writes a problem+json answer as the API does.
func problem(w http.ResponseWriter, status int, typ, title, detail string, fields []fieldErr) {
	w.Header().Set("Content-Type", "application/problem+json")
	w.WriteHeader(status)
	body := map[string]any{"type": "https://rebound.example/problems/" + typ, "title": title, "status": status, "detail": detail}
	if fields != nil {
		body["errors"] = fields
	}
	_ = json.NewEncoder(w).Encode(body)
}

func newHandler(t *testing.T, api http.Handler, dev bool) http.Handler {
	t.Helper()
	return Handler(Deps{API: api, Dev: dev, Secret: testSecret, Logger: slog.New(slog.DiscardHandler),
		Now: func() time.Time { return time.Date(2026, 3, 14, 10, 0, 0, 0, time.UTC) }})
}

// do runs one request through h; form, when not nil, is posted url-encoded.
func do(h http.Handler, method, target string, form url.Values, cookies ...*http.Cookie) *httptest.ResponseRecorder {
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	r := httptest.NewRequest(method, target, body)
	if form != nil {
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for _, c := range cookies {
		r.AddCookie(c)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

func cookieNamed(w *httptest.ResponseRecorder, name string) *http.Cookie {
	for _, c := range w.Result().Cookies() {
		if c.Name == name {
			return c
		}
	}
	return nil
}

var csrfInput = regexp.MustCompile(`name="csrf_token" value="([^"]+)"`)

// csrfOf is the CSRF token of the first form of a page.
func csrfOf(t *testing.T, w *httptest.ResponseRecorder) string {
	t.Helper()
	m := csrfInput.FindStringSubmatch(w.Body.String())
	if m == nil {
		t.Fatalf("no csrf_token in the page (status %d):\n%s", w.Code, w.Body.String())
	}
	return m[1]
}

func staffCookie(token string) *http.Cookie { return &http.Cookie{Name: cookieStaff, Value: token} }

// staffCSRF reads the CSRF token of a staff member from a console page.
func staffCSRF(t *testing.T, h http.Handler, token, pagePath string) string {
	t.Helper()
	w := do(h, "GET", pagePath, nil, staffCookie(token))
	if w.Code != http.StatusOK {
		t.Fatalf("GET %s: status %d\n%s", pagePath, w.Code, w.Body.String())
	}
	return csrfOf(t, w)
}

func mustContain(t *testing.T, body string, wants ...string) {
	t.Helper()
	for _, want := range wants {
		if !strings.Contains(body, want) {
			t.Errorf("page lacks %q:\n%s", want, body)
		}
	}
}

func mustNotContain(t *testing.T, body string, unwanted ...string) {
	t.Helper()
	for _, u := range unwanted {
		if strings.Contains(body, u) {
			t.Errorf("page holds %q:\n%s", u, body)
		}
	}
}

func wantStatus(t *testing.T, w *httptest.ResponseRecorder, status int) {
	t.Helper()
	if w.Code != status {
		t.Fatalf("status = %d, want %d; Location %q\n%s", w.Code, status, w.Header().Get("Location"), w.Body.String())
	}
}

func wantRedirect(t *testing.T, w *httptest.ResponseRecorder, status int, location string) {
	t.Helper()
	wantStatus(t, w, status)
	if got := w.Header().Get("Location"); got != location {
		t.Fatalf("Location = %q, want %q", got, location)
	}
}

// A return as GET /v1/returns/{id} answers it.
func returnJSON(id, status string) map[string]any {
	return map[string]any{
		"id": id, "status": status, "merchant": "acme", "order_number": "A-1001", "method": "ship", "channel": "online",
		"currency": "EUR",
		"lines": []map[string]any{
			{"line_id": "L1", "name": "Trail shoe", "quantity": 2, "unit_price": 8999, "reason": "too_small"},
			{"line_id": "L2", "name": "Rain jacket", "quantity": 1, "unit_price": 12950, "reason": "damaged"},
		},
		"timeline":   []map[string]any{{"status": status, "at": "2026-03-10T09:00:00Z", "actor": "shopper"}},
		"refund":     nil,
		"created_at": "2026-03-10T09:00:00Z",
	}
}
