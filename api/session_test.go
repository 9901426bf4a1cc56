package api

import (
	"context"
	"encoding/json"
	"github.com/rebound-returns/rebound/returns"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/rebound-returns/rebound/app/apperr"
	"github.com/rebound-returns/rebound/app/session"
	"github.com/rebound-returns/rebound/auth"
	"github.com/rebound-returns/rebound/db"
	"github.com/rebound-returns/rebound/db/dbtest"
)

// fakeSessions answers every step with its fields and keeps what it was
// given. Any bearer token is the principal who.
type fakeSessions struct {
	login    session.Login
	me       session.Me
	event    *session.Event
	err      error
	who      session.Principal
	whoErr   error
	gotLogin session.LoginRequest
	gotBy    session.Principal
	gotToken string
	gotPw    session.PasswordChange
}

func (f *fakeSessions) LogIn(_ context.Context, req session.LoginRequest) (session.Login, *session.Event, error) {
	f.gotLogin = req
	return f.login, f.event, f.err
}

func (f *fakeSessions) LogOut(_ context.Context, p session.Principal, token string) (*session.Event, error) {
	f.gotBy, f.gotToken = p, token
	return f.event, f.err
}

func (f *fakeSessions) WhoAmI(_ context.Context, p session.Principal) (session.Me, error) {
	f.gotBy = p
	return f.me, f.err
}

func (f *fakeSessions) ChangePassword(_ context.Context, p session.Principal, req session.PasswordChange) (*session.Event, error) {
	f.gotBy, f.gotPw = p, req
	return f.event, f.err
}

func (f *fakeSessions) Authenticate(_ context.Context, token string) (session.Principal, error) {
	f.gotToken = token
	return f.who, f.whoErr
}

func (f *fakeSessions) APIKey(_ context.Context, key string) (session.Principal, error) {
	f.gotToken = key
	return f.who, f.whoErr
}

// sessionsOver serves the auth routes of shop s, and GET /v1/k behind the
// API key, with the sessions replaced by f.
func sessionsOver(s *shop, f *fakeSessions) http.Handler {
	srv, r := newRouter(wired(Deps{Now: func() time.Time { return time.Unix(0, s.clock.Load()) }}, s.d, startsOnly{}, s.pool))
	srv.session = f
	srv.routesAuth(r.Group("/v1"))
	r.GET("/v1/k", srv.apiKeyOnly(), func(c *gin.Context) { c.JSON(http.StatusOK, principalOf(c)) })
	return r
}

// answer is a problem as answered: status, type, detail, fields and
// Retry-After.
type answer struct {
	status             int
	kind, detail       string
	fields, retryAfter string
}

func checkAnswer(t *testing.T, rec *httptest.ResponseRecorder, want answer) {
	t.Helper()
	p := readProblem(t, rec)
	var fields []string
	for _, fe := range p.Errors {
		fields = append(fields, fe.Field+": "+fe.Message)
	}
	got := answer{rec.Code, strings.TrimPrefix(p.Type, "urn:rebound:problem:"), p.Detail, strings.Join(fields, "; "), rec.Header().Get("Retry-After")}
	if got != want {
		t.Errorf("answer %+v, want %+v", got, want)
	}
}

var supAtDemo = func(s *shop) session.Principal {
	return session.Principal{Kind: kindStaff, UserID: s.sup.ID, Username: "sup", Role: "supervisor", MerchantID: s.merchant.ID}
}

// Each refusal of a log-in is answered as before the use case moved out of
// the handler, and its event, when there is one, is in the audit log.
func TestLoginRefusalsBecomeTheSameProblems(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		s := newShop(t, d, "demo", auth.NewPool(2, time.Second))
		ev := &session.Event{Actor: supAtDemo(s), Action: "auth.login", UserID: s.sup.ID, Outcome: db.OutcomeDenied, Detail: map[string]any{"why": "locked"}}
		cases := []struct {
			err   error
			event *session.Event
			want  answer
		}{
			{apperr.InvalidFields(apperr.Field{Name: "username", Reason: "is required"}, apperr.Field{Name: "password", Reason: "is required"}), nil,
				answer{422, "validation", "the request has invalid fields", "username: is required; password: is required", ""}},
			{apperr.Invalid("password", "is required"), nil, answer{422, "validation", "password: is required", "password: is required", ""}},
			{apperr.Unauthenticated("bad-credentials", "wrong user name or password"), nil,
				answer{401, "bad-credentials", "wrong user name or password", "", ""}},
			{apperr.Locked("account-locked", "too many failed log-ins; try again later", 90*time.Second), ev,
				answer{423, "account-locked", "too many failed log-ins; try again later", "", "90"}},
			{auth.ErrBusy, nil, answer{503, "busy", "too many password checks at once; try again shortly", "", "1"}},
		}
		audited := 0
		for _, c := range cases {
			f := &fakeSessions{err: c.err, event: c.event}
			s.h = sessionsOver(s, f)
			rec := s.post("/v1/auth/login", map[string]string{"merchant": "demo", "username": "Sup", "password": "pw"})
			checkAnswer(t, rec, c.want)
			if f.gotLogin != (session.LoginRequest{Merchant: "demo", Username: "Sup", Password: "pw"}) {
				t.Fatalf("the service was given %+v", f.gotLogin)
			}
			log, err := d.Audit.AuditLog(context.Background(), s.merchant.ID, 10)
			if err != nil {
				t.Fatal(err)
			}
			n := len(log) - audited
			audited = len(log)
			if c.event == nil && n != 0 || c.event != nil && (n != 1 || log[0].Action != "auth.login" || log[0].Actor != "sup" ||
				log[0].ActorRole != "supervisor" || log[0].ResourceType != "staff_user" || log[0].ResourceID != s.sup.ID ||
				log[0].Outcome != "denied" || !strings.Contains(string(log[0].Detail), "locked")) {
				t.Fatalf("%v: audit %+v", c.err, log)
			}
		}
	})
}

// A log-in answers the token and who it is for, as before: the same keys,
// no-store.
func TestLoginAnswersTheSession(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		s := newShop(t, d, "demo", auth.NewPool(2, time.Second))
		at := time.Date(2026, 12, 3, 19, 0, 0, 0, time.UTC)
		s.h = sessionsOver(s, &fakeSessions{login: session.Login{Token: "rbs_t", Username: "sup", Role: "supervisor", Merchant: "demo",
			ExpiresAt: at, MustChange: true}, event: &session.Event{Actor: supAtDemo(s), Action: "auth.login", UserID: s.sup.ID, Outcome: "success"}})
		rec := s.post("/v1/auth/login", map[string]string{"merchant": "demo", "username": "sup", "password": "pw"})
		want := `{"expires_at":"2026-12-03T19:00:00Z","merchant":"demo","password_change_required":true,"role":"supervisor","token":"rbs_t","token_type":"Bearer","username":"sup"}`
		if rec.Code != 200 || rec.Body.String() != want || rec.Header().Get("Cache-Control") != "no-store" {
			t.Fatalf("%d %s", rec.Code, rec.Body)
		}
		if log, _ := d.Audit.AuditLog(context.Background(), s.merchant.ID, 10); len(log) != 1 || log[0].Outcome != "success" {
			t.Fatalf("audit %+v", log)
		}
	})
}

// The middleware admits by the principal the service resolves: a missing
// token, a shopper, a one-time password and a role that may not are
// answered as before; the role's refusal is audited.
func TestStaffOnlyOverTheSessions(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		s := newShop(t, d, "demo", auth.NewPool(2, time.Second))
		get := func(f *fakeSessions, path, header string) *httptest.ResponseRecorder {
			s.h = sessionsOver(s, f)
			req := httptest.NewRequest(http.MethodGet, path, nil)
			if header != "" {
				req.Header.Set("Authorization", header)
			}
			rec := httptest.NewRecorder()
			s.h.ServeHTTP(rec, req)
			return rec
		}
		f := &fakeSessions{whoErr: apperr.Unauthenticated("unauthenticated", "send a valid bearer token")}
		checkAnswer(t, get(f, "/v1/auth/session", "Basic x"), answer{401, "unauthenticated", "send a valid bearer token", "", ""})
		if f.gotToken != "" {
			t.Fatalf("a token without Bearer was passed on: %q", f.gotToken)
		}
		get(f, "/v1/auth/session", "Bearer rbs_x")
		if f.gotToken != "rbs_x" {
			t.Fatalf("the token passed on: %q", f.gotToken)
		}
		f = &fakeSessions{who: session.Principal{Kind: kindShopper, ReturnID: "r1"}}
		checkAnswer(t, get(f, "/v1/auth/session", "Bearer rbr_x"), answer{403, "forbidden", "staff only", "", ""})
		srv, r := newRouter(wired(Deps{}, s.d, startsOnly{}, s.pool))
		srv.session = &fakeSessions{who: session.Principal{Kind: kindStaff, Username: "sup", Role: "supervisor", MerchantID: s.merchant.ID, MustChange: true}}
		r.GET("/v1/x", srv.staffOnly(returns.RoleAdmin), func(c *gin.Context) { c.Status(204) })
		srv.routesAuth(r.Group("/v1"))
		rec := httptest.NewRecorder()
		req := httptest.NewRequest(http.MethodGet, "/v1/x", nil)
		req.Header.Set("Authorization", "Bearer rbs_x")
		r.ServeHTTP(rec, req)
		checkAnswer(t, rec, answer{403, "password-change-required", "change your one-time password first (POST /v1/auth/password)", "", ""})
		srv.session = &fakeSessions{who: session.Principal{Kind: kindStaff, Username: "sup", Role: "supervisor", MerchantID: s.merchant.ID}}
		rec = httptest.NewRecorder()
		r.ServeHTTP(rec, req)
		checkAnswer(t, rec, answer{403, "forbidden", "your role (supervisor) may not do this; it needs admin", "", ""})
		if log, _ := d.Audit.AuditLog(context.Background(), s.merchant.ID, 10); len(log) != 1 || log[0].Action != "access" || log[0].Outcome != "denied" {
			t.Fatalf("audit %+v", log)
		}
	})
}

// Who-am-I, log-out and the password change are given the caller and the
// token, and answer as before.
func TestSessionStepsAnswer(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		s := newShop(t, d, "demo", auth.NewPool(2, time.Second))
		me := supAtDemo(s)
		f := &fakeSessions{who: me, me: session.Me{Username: "sup", Role: "supervisor", Merchant: "demo", MerchantName: "Demo"}}
		s.h = sessionsOver(s, f)
		req := httptest.NewRequest(http.MethodGet, "/v1/auth/session", nil)
		req.Header.Set("Authorization", "Bearer rbs_mine")
		rec := httptest.NewRecorder()
		s.h.ServeHTTP(rec, req)
		want := `{"merchant":"demo","merchant_name":"Demo","password_change_required":false,"role":"supervisor","username":"sup"}`
		if rec.Code != 200 || rec.Body.String() != want || f.gotBy != me {
			t.Fatalf("who am I: %d %s, given %+v", rec.Code, rec.Body, f.gotBy)
		}
		f.event = &session.Event{Actor: me, Action: "auth.logout", UserID: me.UserID, Outcome: "success"}
		if rec := s.post("/v1/auth/logout", nil, "Authorization", "Bearer rbs_mine"); rec.Code != 204 || f.gotToken != "rbs_mine" {
			t.Fatalf("log-out: %d %s, token %q", rec.Code, rec.Body, f.gotToken)
		}
		f.event, f.err = &session.Event{Actor: me, Action: "auth.password", UserID: me.UserID, Outcome: "failed"},
			apperr.Invalid("current_password", "is not your current password")
		rec = s.post("/v1/auth/password", map[string]string{"current_password": "a", "new_password": "b"}, "Authorization", "Bearer rbs_mine")
		checkAnswer(t, rec, answer{422, "validation", "current_password: is not your current password", "current_password: is not your current password", ""})
		if f.gotPw != (session.PasswordChange{Current: "a", New: "b", Token: "rbs_mine"}) || f.gotBy != me {
			t.Fatalf("the change was given %+v by %+v", f.gotPw, f.gotBy)
		}
		f.event, f.err = nil, nil
		if rec := s.post("/v1/auth/password", map[string]string{"current_password": "a", "new_password": "b"}, "Authorization", "Bearer rbs_mine"); rec.Code != 204 {
			t.Fatalf("change: %d %s", rec.Code, rec.Body)
		}
		log, _ := d.Audit.AuditLog(context.Background(), s.merchant.ID, 10)
		if len(log) != 2 || log[0].Action != "auth.password" || log[1].Action != "auth.logout" {
			t.Fatalf("audit %+v", log)
		}
	})
}

// The API key's principal is the service's; its refusals answer as before.
func TestAPIKeyOverTheSessions(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		s := newShop(t, d, "demo", auth.NewPool(2, time.Second))
		get := func(f *fakeSessions) *httptest.ResponseRecorder {
			req := httptest.NewRequest(http.MethodGet, "/v1/k", nil)
			req.Header.Set("X-API-Key", "rbk_x")
			rec := httptest.NewRecorder()
			sessionsOver(s, f).ServeHTTP(rec, req)
			return rec
		}
		for _, detail := range []string{"send the merchant's API key in X-API-Key", "the API key is not valid"} {
			checkAnswer(t, get(&fakeSessions{whoErr: apperr.Unauthenticated("unauthenticated", detail)}), answer{401, "unauthenticated", detail, "", ""})
		}
		f := &fakeSessions{who: session.Principal{Kind: kindIntegration, MerchantID: "m1", Username: "api-key:rbk_ab"}}
		rec := get(f)
		var p principal
		if rec.Code != 200 || json.Unmarshal(rec.Body.Bytes(), &p) != nil || p != (principal{Kind: kindIntegration, MerchantID: "m1", Username: "api-key:rbk_ab"}) || f.gotToken != "rbk_x" {
			t.Fatalf("%d %s", rec.Code, rec.Body)
		}
	})
}
