package api

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/rebound-returns/rebound/app/admin"
	"github.com/rebound-returns/rebound/app/apperr"
	"github.com/rebound-returns/rebound/db"
	"github.com/rebound-returns/rebound/db/dbtest"
	"github.com/rebound-returns/rebound/returns"
)

// fakeAdmin answers every step with err, or with canned views; it keeps
// what it was given.
type fakeAdmin struct {
	err      error
	merchant admin.MerchantInput
	by       string
	policy   admin.PolicyChange
	decoded  returns.Policy
	terminal admin.TerminalInput
	url, id  string
	invite   admin.StaffInput
	change   admin.StaffChange
	keyName  string
	// onboardedID is the id of the merchant Onboard makes.
	onboardedID string
}

var fakeAt = time.Date(2026, 12, 3, 7, 0, 0, 0, time.UTC)

func onePage[T any](item T) *admin.Paged[T] { return &admin.Paged[T]{Items: []T{item}, Total: 1} }

func (f *fakeAdmin) Onboard(_ context.Context, in admin.MerchantInput, by string) (admin.Onboarded, error) {
	f.merchant, f.by = in, by
	return admin.Onboarded{Merchant: admin.Merchant{ID: f.onboardedID, Slug: in.Slug, GatewayAccount: in.GatewayAccount, Status: "active", CreatedAt: fakeAt}, AdminID: "u-1",
		AdminUsername: in.AdminUsername, OneTimePassword: "otp", APIKey: admin.APIKey{ID: "k-1", Key: "rbk_secret", Prefix: "rbk_secr"}}, f.err
}

func (f *fakeAdmin) Merchants(context.Context, admin.Page) (*admin.Paged[admin.Merchant], error) {
	return onePage(admin.Merchant{ID: "m-1", Slug: "demo", GatewayAccount: "demo_gw", CreatedAt: fakeAt}), f.err
}

func (f *fakeAdmin) Policy(context.Context, string) (admin.PolicyView, error) {
	return admin.PolicyView{Merchant: "demo", Currency: "EUR", Policy: returns.DefaultPolicy(), Reasons: returns.Reasons}, f.err
}

func (f *fakeAdmin) SetPolicy(_ context.Context, ch admin.PolicyChange) (admin.PolicyView, error) {
	f.policy, f.decoded = ch, returns.DefaultPolicy()
	if f.err != nil {
		return admin.PolicyView{}, f.err
	}
	if err := ch.Decode(&f.decoded); err != nil {
		return admin.PolicyView{}, err
	}
	return admin.PolicyView{Policy: f.decoded, Reasons: returns.Reasons}, nil
}

func (f *fakeAdmin) Terminals(context.Context, string, admin.Page) (*admin.Paged[admin.Terminal], error) {
	return onePage(admin.Terminal{ID: "t-row", TerminalID: "P0000001", StoreID: "s-1", Kind: "physical"}), f.err
}

func (f *fakeAdmin) RegisterTerminal(_ context.Context, _ string, in admin.TerminalInput) (admin.Terminal, error) {
	f.terminal = in
	return admin.Terminal{ID: "t-row", TerminalID: "P0000002", StoreID: "s-1", Kind: "virtual"}, f.err
}

func (f *fakeAdmin) Webhooks(context.Context, string, admin.Page) (*admin.Paged[admin.Webhook], error) {
	return onePage(admin.Webhook{ID: "w-1", URL: "https://hooks.example.com/", CreatedAt: fakeAt}), f.err
}

func (f *fakeAdmin) AddWebhook(_ context.Context, _, rawURL string) (admin.Webhook, error) {
	f.url = rawURL
	return admin.Webhook{ID: "w-2", URL: rawURL, Secret: "whsec_x", CreatedAt: fakeAt}, f.err
}

func (f *fakeAdmin) TestWebhook(_ context.Context, _, id string) (admin.TestDelivery, error) {
	f.id = id
	return admin.TestDelivery{EndpointID: id, Status: "failed", Attempts: 2, Error: "503"}, f.err
}

func (f *fakeAdmin) Staff(context.Context, string, admin.Page) (*admin.Paged[admin.Staff], error) {
	return onePage(admin.Staff{ID: "u-1", Username: "clerk", Role: "clerk", CreatedAt: fakeAt}), f.err
}

func (f *fakeAdmin) Invite(_ context.Context, _ string, in admin.StaffInput) (admin.Invited, error) {
	f.invite = in
	return admin.Invited{Staff: admin.Staff{ID: "u-2", Username: in.Username, Role: in.Role, MustChangePassword: true, CreatedAt: fakeAt},
		OneTimePassword: "otp-2"}, f.err
}

func (f *fakeAdmin) ChangeStaff(_ context.Context, ch admin.StaffChange) (admin.Staff, error) {
	f.change = ch
	return admin.Staff{ID: ch.UserID, Username: "clerk", Role: "supervisor", CreatedAt: fakeAt}, f.err
}

func (f *fakeAdmin) APIKeys(context.Context, string, admin.Page) (*admin.Paged[admin.APIKey], error) {
	return onePage(admin.APIKey{ID: "k-1", Name: "till", Prefix: "rbk_abcd", CreatedAt: fakeAt}), f.err
}

func (f *fakeAdmin) CreateAPIKey(_ context.Context, _, name, by string) (admin.APIKey, error) {
	f.keyName, f.by = name, by
	return admin.APIKey{ID: "k-2", Name: name, Prefix: "rbk_efgh", Key: "rbk_efghsecret", CreatedBy: by, CreatedAt: fakeAt}, f.err
}

func (f *fakeAdmin) RevokeAPIKey(_ context.Context, _, id string) error {
	f.id = id
	return f.err
}

// adminRig serves the operator's and the merchant admin's routes of one
// merchant with the use case replaced by a fake.
type adminRig struct {
	t        *testing.T
	d        *db.DB
	h        http.Handler
	merchant *db.Merchant
	tokens   map[string]string
	f        *fakeAdmin
}

func newAdminRig(t *testing.T, d *db.DB) *adminRig {
	m := &db.Merchant{Slug: "demo", Name: "Demo"}
	if err := d.Merchants.CreateMerchant(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	r := &adminRig{t: t, d: d, merchant: m, f: &fakeAdmin{}, tokens: map[string]string{
		"admin": dbtest.StaffToken(t, d, m.ID, "boss", "admin"), "clerk": dbtest.StaffToken(t, d, m.ID, "clerk", "clerk"),
		"operator": dbtest.StaffToken(t, d, "", "op", "operator")}}
	srv, g := newRouter(wired(Deps{}, d, startsOnly{}, nil))
	srv.admin = r.f
	srv.routesAdmin(g.Group("/v1"))
	srv.routesMerchantAdmin(g.Group("/v1"))
	r.h = g
	r.f.onboardedID = m.ID
	return r
}

func (r *adminRig) do(method, path, body, as string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Authorization", "Bearer "+r.tokens[as])
	rec := httptest.NewRecorder()
	r.h.ServeHTTP(rec, req)
	return rec
}

// Each refusal of app/admin is answered as the handlers answered it
// before the use case moved out of them: status, type, detail, fields.
func TestAdminRefusalsBecomeTheSameProblems(t *testing.T) {
	t.Parallel()
	taken := &apperr.Error{Kind: apperr.ErrConflict, Code: "conflict", Detail: "slug is taken",
		Fields: []apperr.Field{{Name: "currency", Reason: "must be an ISO 4217 code such as EUR"}, {Name: "slug", Reason: "is taken"}}}
	cases := []struct {
		name, method, path, body, as string
		err                          error
		status                       int
		kind, detail                 string
		fields                       []string
	}{
		{"onboarding's bad fields", "POST", "/v1/admin/merchants", `{"slug":"x"}`, "operator",
			apperr.InvalidFields(apperr.Field{Name: "slug", Reason: "must be 2 to 63"}, apperr.Field{Name: "name", Reason: "is required"}),
			422, "validation", "the request has invalid fields", []string{"slug", "name"}},
		{"a slug taken", "POST", "/v1/admin/merchants", `{"slug":"x"}`, "operator", taken, 409, "conflict", "slug is taken", []string{"currency", "slug"}},
		{"a username taken", "POST", "/v1/merchant/staff", `{"username":"x"}`, "admin",
			&apperr.Error{Kind: apperr.ErrConflict, Code: "conflict", Detail: "username is taken", Fields: []apperr.Field{{Name: "username", Reason: "is taken"}}},
			409, "conflict", "username is taken", []string{"username"}},
		{"a policy too large", "PUT", "/v1/merchant/policy", `{}`, "admin", admin.ErrPolicyTooLarge, 413, "too-large", "a policy is at most 16 KiB of JSON", []string{"body"}},
		{"a bad policy", "PUT", "/v1/merchant/policy", `{}`, "admin", apperr.Invalid("window_days", "must be from 0 to 365"),
			422, "validation", "window_days: must be from 0 to 365", []string{"window_days"}},
		{"a new store without a name", "POST", "/v1/merchant/terminals", `{}`, "admin", apperr.Invalid("store_name", "is required for a new store"),
			422, "validation", "store_name: is required for a new store", []string{"store_name"}},
		{"a terminal registered already", "POST", "/v1/merchant/terminals", `{}`, "admin",
			apperr.Conflict("conflict", "terminal P0000001 is registered already, or its store already has a virtual terminal"),
			409, "conflict", "terminal P0000001 is registered already, or its store already has a virtual terminal", nil},
		{"a private webhook", "POST", "/v1/merchant/webhooks", `{"url":"https://10.0.0.1/"}`, "admin", apperr.Invalid("url", "must be an https URL"),
			422, "validation", "url: must be an https URL", []string{"url"}},
		{"no such webhook", "POST", "/v1/merchant/webhooks/" + someID + "/test", "", "admin", apperr.NotFound("not-found", "no such webhook endpoint"),
			404, "not-found", "no such webhook endpoint", nil},
		{"nothing to change", "PATCH", "/v1/merchant/staff/" + someID, `{}`, "admin", apperr.Invalid("role", "send a role, disabled, or both"),
			422, "validation", "role: send a role, disabled, or both", []string{"role"}},
		{"own account", "PATCH", "/v1/merchant/staff/" + someID, `{"disabled":true}`, "admin",
			apperr.Conflict("own-account", "ask another admin to change your own account"), 409, "own-account", "ask another admin to change your own account", nil},
		{"the last admin", "PATCH", "/v1/merchant/staff/" + someID, `{"role":"clerk"}`, "admin",
			apperr.Conflict("last-admin", "the merchant would have no active admin left"), 409, "last-admin", "the merchant would have no active admin left", nil},
		{"no such member", "PATCH", "/v1/merchant/staff/" + someID, `{"role":"clerk"}`, "admin",
			apperr.NotFound("not-found", "no such staff member"), 404, "not-found", "no such staff member", nil},
		{"no such key", "DELETE", "/v1/merchant/api-keys/" + someID, "", "admin",
			apperr.NotFound("not-found", "no such API key, or revoked already"), 404, "not-found", "no such API key, or revoked already", nil},
		{"a bad key name", "POST", "/v1/merchant/api-keys", `{"name":""}`, "admin", apperr.Invalid("name", "is required (at most 100 characters)"),
			422, "validation", "name: is required (at most 100 characters)", []string{"name"}},
		{"a failure", "GET", "/v1/merchant/policy", "", "clerk", errors.New("the database is down"),
			500, "internal", "an internal error occurred; quote the request id when reporting it", nil},
	}
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		r := newAdminRig(t, d)
		for _, tc := range cases {
			r.f.err = tc.err
			rec := r.do(tc.method, tc.path, tc.body, tc.as)
			var p Problem
			if err := json.Unmarshal(rec.Body.Bytes(), &p); err != nil {
				t.Fatalf("%s: %s", tc.name, rec.Body)
			}
			var fields []string
			for _, fe := range p.Errors {
				fields = append(fields, fe.Field)
			}
			if rec.Code != tc.status || p.Status != tc.status || p.Type != "urn:rebound:problem:"+tc.kind || p.Detail != tc.detail ||
				strings.Join(fields, ",") != strings.Join(tc.fields, ",") || rec.Header().Get("Content-Type") != problemContentType {
				t.Errorf("%s: %d %s", tc.name, rec.Code, rec.Body)
			}
		}
		// A refused change is audited as it was: failed, on the path's id.
		log, err := d.Audit.AuditLog(context.Background(), r.merchant.ID, 2)
		if err != nil || len(log) != 2 || log[1].Action != "api_key.revoke" || log[1].ResourceID != someID || log[1].Outcome != db.OutcomeDenied ||
			log[0].Action != "api_key.create" || log[0].ResourceID != "" || log[0].Outcome != db.OutcomeFailed {
			t.Fatalf("audit %+v, %v", log, err)
		}
	})
}

// The handlers give the use case the request as sent and render its
// answer as before: status, headers, body; changes are audited with the
// resource's id.
func TestAdminHandlersRenderTheUseCase(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		r := newAdminRig(t, d)
		cases := []struct {
			method, path, body, as string
			status                 int
			want                   string // a piece of the body
		}{
			{"POST", "/v1/admin/merchants", `{"slug":"shop","admin_username":"anna","gateway_account":"shop_eu"}`, "operator", 201,
				`"admin":{"id":"u-1","one_time_password":"otp","username":"anna"},"api_key":{"id":"k-1","key":"rbk_secret","prefix":"rbk_secr"}`},
			{"GET", "/v1/admin/merchants", "", "operator", 200, `"slug":"demo","name":"","currency":"","time_zone":"","gateway_account":"demo_gw"`},
			{"GET", "/v1/merchant/policy", "", "clerk", 200, `"currency":"EUR","merchant":"demo","policy":{"window_days":7`},
			{"PUT", "/v1/merchant/policy", `{"window_days":45}`, "admin", 200, `{"policy":{"window_days":45`},
			{"GET", "/v1/merchant/terminals", "", "clerk", 200, `{"id":"P0000001","store_id":"s-1","kind":"physical"}`},
			{"POST", "/v1/merchant/terminals", `{"store_code":"main","terminal_id":"p0000002","kind":"virtual"}`, "admin", 201,
				`{"id":"P0000002","kind":"virtual","store_id":"s-1"}`},
			{"GET", "/v1/merchant/webhooks", "", "admin", 200, `{"id":"w-1","url":"https://hooks.example.com/","created_at":"2026-12-03T07:00:00Z"}`},
			{"POST", "/v1/merchant/webhooks", `{"url":"https://hooks.example.com/x"}`, "admin", 201, `"secret":"whsec_x"`},
			{"POST", "/v1/merchant/webhooks/" + someID + "/test", "", "admin", 200, `{"attempts":2,"delivered":false,"error":"503","status":"failed"}`},
			{"GET", "/v1/merchant/staff", "", "admin", 200, `"username":"clerk","role":"clerk","disabled":false,"must_change_password":false`},
			{"POST", "/v1/merchant/staff", `{"username":"new","role":"clerk"}`, "admin", 201, `"one_time_password":"otp-2"`},
			{"PATCH", "/v1/merchant/staff/" + someID, `{"role":"supervisor"}`, "admin", 200, `"role":"supervisor"`},
			{"GET", "/v1/merchant/api-keys", "", "admin", 200, `{"id":"k-1","name":"till","prefix":"rbk_abcd","created_at"`},
			{"POST", "/v1/merchant/api-keys", `{"name":"till 2"}`, "admin", 201, `"key":"rbk_efghsecret","created_by":"boss"`},
			{"DELETE", "/v1/merchant/api-keys/" + someID, "", "admin", 204, ``},
		}
		for _, tc := range cases {
			rec := r.do(tc.method, tc.path, tc.body, tc.as)
			if rec.Code != tc.status || !strings.Contains(rec.Body.String(), tc.want) {
				t.Errorf("%s %s: %d %s", tc.method, tc.path, rec.Code, rec.Body)
			}
		}
		f := r.f
		if f.merchant.Slug != "shop" || f.merchant.AdminUsername != "anna" || f.merchant.GatewayAccount != "shop_eu" || f.policy.Size != len(`{"window_days":45}`) ||
			f.decoded.WindowDays != 45 || f.terminal.TerminalID != "p0000002" || f.url != "https://hooks.example.com/x" ||
			f.invite.Username != "new" || f.keyName != "till 2" || f.by != "boss" || f.id != someID ||
			f.change.UserID != someID || f.change.By == "" || f.change.MerchantID != r.merchant.ID || *f.change.Role != "supervisor" {
			t.Fatalf("the use case was given %+v", f)
		}
		if rec := r.do("POST", "/v1/admin/merchants", `{}`, "operator"); rec.Header().Get("Location") != "/v1/admin/merchants/"+r.merchant.ID {
			t.Fatalf("onboarding answers Location %q", rec.Header().Get("Location"))
		}
		// The operator's onboarding lands in the new merchant's log.
		log, err := d.Audit.AuditLog(context.Background(), r.merchant.ID, 20)
		if err != nil || len(log) != 10 || log[0].Action != "merchant.onboard" || log[0].ResourceID != r.merchant.ID || log[0].Actor != "op" ||
			log[1].Action != "api_key.revoke" || log[7].Action != "terminal.create" || log[7].ResourceID != "t-row" {
			t.Fatalf("the merchant's audit %+v, %v", log, err)
		}
	})
}
