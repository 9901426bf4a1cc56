package admin

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/rebound-returns/rebound/app/apperr"
	"github.com/rebound-returns/rebound/db"
	"github.com/rebound-returns/rebound/onboard"
	"github.com/rebound-returns/rebound/returns"
)

var ctx = context.Background()

// want is what a test expects of an apperr refusal: its kind, code,
// sentence and fields ("name: reason").
type want struct {
	kind   error
	code   string
	detail string
	fields []string
}

func (w want) check(t *testing.T, name string, err error) {
	t.Helper()
	if w.kind == nil {
		if err != nil {
			t.Errorf("%s: refused: %v", name, err)
		}
		return
	}
	e := apperr.As(err)
	if e == nil || !errors.Is(err, w.kind) {
		t.Errorf("%s: %v, want a %v refusal", name, err, w.kind)
		return
	}
	var fields []string
	for _, f := range e.Fields {
		fields = append(fields, f.Name+": "+f.Reason)
	}
	if e.Code != w.code || e.Detail != w.detail || strings.Join(fields, "|") != strings.Join(w.fields, "|") {
		t.Errorf("%s: %q %q %q, want %q %q %q", name, e.Code, e.Detail, fields, w.code, w.detail, w.fields)
	}
}

func onboardInvalid(fields ...onboard.FieldError) error { return &onboard.InvalidError{Fields: fields} }

// Onboarding's field-by-field refusals become the use case's: a name
// taken is a conflict naming every field at fault, anything else invalid
// input; other failures pass unchanged.
func TestOnboardingRefusals(t *testing.T) {
	cases := []struct {
		name string
		err  error
		want want
	}{
		{"bad fields", onboardInvalid(onboard.FieldError{Field: "slug", Message: "must be 2 to 63"}, onboard.FieldError{Field: "currency", Message: "must be an ISO 4217 code such as EUR"}),
			want{kind: apperr.ErrInvalid, fields: []string{"slug: must be 2 to 63", "currency: must be an ISO 4217 code such as EUR"}}},
		{"slug taken", onboardInvalid(onboard.FieldError{Field: "slug", Message: "is taken"}),
			want{kind: apperr.ErrConflict, code: "conflict", detail: "slug is taken", fields: []string{"slug: is taken"}}},
		{"username taken among others", onboardInvalid(onboard.FieldError{Field: "admin_email", Message: "must be an e-mail address"}, onboard.FieldError{Field: "admin_username", Message: "is taken"}),
			want{kind: apperr.ErrConflict, code: "conflict", detail: "admin_username is taken",
				fields: []string{"admin_email: must be an e-mail address", "admin_username: is taken"}}},
	}
	for _, c := range cases {
		w := newWorld(false)
		w.onboard.err = c.err
		_, err := w.svc.Onboard(ctx, MerchantInput{Slug: "x"}, "op")
		c.want.check(t, "onboard: "+c.name, err)
		_, err = w.svc.Invite(ctx, merchantID, StaffInput{Username: "x"})
		c.want.check(t, "invite: "+c.name, err)
		_, err = w.svc.CreateAPIKey(ctx, merchantID, "x", "boss")
		c.want.check(t, "api key: "+c.name, err)
	}
	w := newWorld(false)
	w.onboard.err = errDown
	if _, err := w.svc.Onboard(ctx, MerchantInput{}, "op"); err != errDown {
		t.Fatalf("a failure is %v", err)
	}
}

func TestOnboardShowsTheSecretsOnce(t *testing.T) {
	w := newWorld(false)
	out, err := w.svc.Onboard(ctx, MerchantInput{Slug: "shop", Name: "Shop", Currency: "SEK", AdminUsername: "anna"}, "op")
	if err != nil {
		t.Fatal(err)
	}
	if w.onboard.merchant.Slug != "shop" || w.onboard.by != "op" {
		t.Fatalf("onboarding was asked %+v by %q", w.onboard.merchant, w.onboard.by)
	}
	if out.Merchant.ID != "m-new" || out.Merchant.Slug != "shop" || out.Merchant.Currency != "SEK" || out.AdminID != "u-admin" ||
		out.AdminUsername != "anna" || out.OneTimePassword != "otp-1" || out.APIKey.ID != "k-first" ||
		out.APIKey.Key != "rbk_0123456789" || out.APIKey.Prefix != "rbk_012345" {
		t.Fatalf("onboarded %+v", out)
	}
}

// Every list shows its rows as views and keeps the page's More and Total;
// a failing store fails the list.
func TestListsArePagesOfViews(t *testing.T) {
	w := newWorld(false)
	w.store.terminals = []db.Terminal{{ID: "t1", TerminalID: "P0000001", StoreID: "s-main", Kind: db.TerminalPhysical}}
	p := Page{Limit: 10}
	ms, err := w.svc.Merchants(ctx, p)
	if err != nil || len(ms.Items) != 1 || ms.Items[0].Slug != "demo" || !ms.More || ms.Total != 11 {
		t.Fatalf("merchants %+v, %v", ms, err)
	}
	ts, err := w.svc.Terminals(ctx, merchantID, p)
	if err != nil || len(ts.Items) != 1 || ts.Items[0] != (Terminal{ID: "t1", TerminalID: "P0000001", StoreID: "s-main", Kind: "physical"}) {
		t.Fatalf("terminals %+v, %v", ts, err)
	}
	hs, err := w.svc.Webhooks(ctx, merchantID, p)
	if err != nil || len(hs.Items) != 1 || hs.Items[0].ID != hookID || hs.Items[0].Secret != "" {
		t.Fatalf("webhooks %+v, %v", hs, err)
	}
	st, err := w.svc.Staff(ctx, merchantID, p)
	if err != nil || len(st.Items) != 2 || st.Items[1].Username != "clerk" || st.Total != 12 {
		t.Fatalf("staff %+v, %v", st, err)
	}
	ks, err := w.svc.APIKeys(ctx, merchantID, p)
	if err != nil || len(ks.Items) != 1 || ks.Items[0].Prefix != "rbk_abcdef" || ks.Items[0].Key != "" {
		t.Fatalf("keys %+v, %v", ks, err)
	}
	w.store.pageErr = errDown
	for name, list := range map[string]func() error{
		"merchants": func() error { _, err := w.svc.Merchants(ctx, p); return err },
		"terminals": func() error { _, err := w.svc.Terminals(ctx, merchantID, p); return err },
		"webhooks":  func() error { _, err := w.svc.Webhooks(ctx, merchantID, p); return err },
		"staff":     func() error { _, err := w.svc.Staff(ctx, merchantID, p); return err },
		"keys":      func() error { _, err := w.svc.APIKeys(ctx, merchantID, p); return err },
	} {
		if err := list(); !errors.Is(err, errDown) {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func TestPolicyShowsDefaultsFilledIn(t *testing.T) {
	w := newWorld(false)
	v, err := w.svc.Policy(ctx, merchantID)
	if err != nil || v.Merchant != "demo" || v.Currency != "EUR" || v.Policy.WindowDays != 30 ||
		v.Policy.RemoteRefundApprovalLimit != returns.DefaultPolicy().RemoteRefundApprovalLimit || len(v.Reasons) != len(returns.Reasons) {
		t.Fatalf("%+v, %v", v, err)
	}
	w.store.merchant.Policy = db.JSON(`{"window_days":"thirty"}`)
	if _, err := w.svc.Policy(ctx, merchantID); err == nil {
		t.Fatal("a policy that does not parse is shown")
	}
	w.store.merchantErr = errDown
	if _, err := w.svc.Policy(ctx, merchantID); !errors.Is(err, errDown) {
		t.Fatalf("%v", err)
	}
}

// A policy is checked for size before it is decoded, then field by field;
// only a good one is kept.
func TestSetPolicy(t *testing.T) {
	decodeErr := errors.New("not JSON")
	cases := []struct {
		name    string
		size    int
		decode  func(*returns.Policy) error
		want    want
		wantErr error
		kept    bool
	}{
		{"16 KiB", MaxPolicySize, func(p *returns.Policy) error { p.WindowDays = 60; return nil }, want{}, nil, true},
		{"defaults kept", 20, func(*returns.Policy) error { return nil }, want{}, nil, true},
		{"one byte more", MaxPolicySize + 1, func(*returns.Policy) error { panic("decoded") }, want{}, ErrPolicyTooLarge, false},
		{"undecodable", 10, func(*returns.Policy) error { return decodeErr }, want{}, decodeErr, false},
		{"bad fields", 30, func(p *returns.Policy) error { p.WindowDays, p.AutoApproveLimit = 400, -1; return nil },
			want{kind: apperr.ErrInvalid, fields: []string{"auto_approve_limit: must not be negative", "window_days: must be from 0 to 365"}}, nil, false},
	}
	for _, c := range cases {
		w := newWorld(false)
		v, err := w.svc.SetPolicy(ctx, PolicyChange{MerchantID: merchantID, Size: c.size,
			Decode: func(into any) error { return c.decode(into.(*returns.Policy)) }})
		switch {
		case c.wantErr != nil:
			if !errors.Is(err, c.wantErr) {
				t.Errorf("%s: %v, want %v", c.name, err, c.wantErr)
			}
		default:
			c.want.check(t, c.name, err)
		}
		kept := len(w.store.calls) == 1
		if kept != c.kept {
			t.Errorf("%s: kept %v (%v)", c.name, kept, w.store.calls)
		}
		if c.kept {
			got, _ := returns.ParsePolicy(w.store.merchant.Policy)
			if got.WindowDays != v.Policy.WindowDays || got.ShipWithin != returns.DefaultPolicy().ShipWithin || len(v.Reasons) == 0 {
				t.Errorf("%s: kept %+v, answered %+v", c.name, got, v)
			}
		}
	}
	w := newWorld(false)
	w.store.setPolicyErr = errDown
	if _, err := w.svc.SetPolicy(ctx, PolicyChange{MerchantID: merchantID, Decode: func(any) error { return nil }}); !errors.Is(err, errDown) {
		t.Fatalf("%v", err)
	}
}

func TestRegisterTerminal(t *testing.T) {
	conflict := want{kind: apperr.ErrConflict, code: "conflict",
		detail: "terminal P0000009 is registered already, or its store already has a virtual terminal"}
	cases := []struct {
		name        string
		in          TerminalInput
		terminalErr error
		want        want
		calls       []string
	}{
		{"at an existing store", TerminalInput{StoreCode: " main ", TerminalID: " p0000009 ", Kind: "physical"}, nil, want{},
			[]string{"CreateTerminal P0000009"}},
		{"with a new store", TerminalInput{StoreCode: "north", StoreName: " North ", StoreAddress: " 1 Road ", TerminalID: "V0000009", Kind: "virtual"},
			nil, want{}, []string{"CreateStore north", "CreateTerminal V0000009"}},
		{"a new store without a name", TerminalInput{StoreCode: "north", StoreName: "  ", TerminalID: "P0000009", Kind: "physical"}, nil,
			want{kind: apperr.ErrInvalid, fields: []string{"store_name: is required for a new store"}}, nil},
		{"every field wrong", TerminalInput{StoreCode: " ", TerminalID: "P-1", Kind: "mobile"}, nil,
			want{kind: apperr.ErrInvalid, fields: []string{"store_code: is required (at most 32 characters)",
				"terminal_id: must be the terminal's 8 letters or digits (ISO 8583 DE41)", "kind: must be physical or virtual"}}, nil},
		{"a long store code", TerminalInput{StoreCode: strings.Repeat("s", 33), TerminalID: "P0000009", Kind: "physical"}, nil,
			want{kind: apperr.ErrInvalid, fields: []string{"store_code: is required (at most 32 characters)"}}, nil},
		{"registered already", TerminalInput{StoreCode: "north", StoreName: "North", TerminalID: "P0000009", Kind: "physical"},
			db.ErrConflict, conflict, nil},
	}
	for _, c := range cases {
		w := newWorld(false)
		w.store.terminalErr = c.terminalErr
		got, err := w.svc.RegisterTerminal(ctx, merchantID, c.in)
		c.want.check(t, c.name, err)
		if strings.Join(w.store.calls, ",") != strings.Join(c.calls, ",") {
			t.Errorf("%s: wrote %v, want %v", c.name, w.store.calls, c.calls)
		}
		if err == nil && (got.ID != "t-"+got.TerminalID || got.StoreID != "s-"+strings.TrimSpace(c.in.StoreCode)) {
			t.Errorf("%s: %+v", c.name, got)
		}
	}
	w := newWorld(false)
	_, err := w.svc.RegisterTerminal(ctx, merchantID, TerminalInput{StoreCode: "north", StoreName: " North ", StoreAddress: " 1 Road ", TerminalID: "P0000009", Kind: "physical"})
	if st := w.store.stores["north"]; err != nil || st.Name != "North" || st.Address != "1 Road" || st.MerchantID != merchantID {
		t.Fatalf("store %+v, %v", st, err)
	}
	w.store.storeErr = errDown
	if _, err := w.svc.RegisterTerminal(ctx, merchantID, TerminalInput{StoreCode: "main", TerminalID: "P0000010", Kind: "physical"}); !errors.Is(err, errDown) {
		t.Fatalf("%v", err)
	}
}

func TestAddWebhook(t *testing.T) {
	badURL := want{kind: apperr.ErrInvalid, fields: []string{"url: must be an http(s) URL"}}
	cases := []struct {
		name string
		dev  bool
		url  string
		want want
	}{
		{"public https", false, "https://hooks.example.com/rebound", want{}},
		{"plain http outside dev", false, "http://hooks.example.com/rebound", want{kind: apperr.ErrInvalid, fields: []string{"url: must be an https URL"}}},
		{"a private address outside dev", false, "https://internal.example.com/x",
			want{kind: apperr.ErrInvalid, fields: []string{"url: " + publicEndpoint(ctx, mustURL("https://internal.example.com/x"), fakeResolver{"internal.example.com": {"10.0.0.7"}})}}},
		{"a private address in dev", true, "http://internal.example.com/x", want{}},
		{"not http", true, "ftp://hooks.example.com/x", badURL},
		{"no host", true, "https:///x", badURL},
		{"unparsable", true, "https://hooks example.com/%zz", badURL},
		{"too long", true, "https://hooks.example.com/" + strings.Repeat("a", 480), badURL},
	}
	for _, c := range cases {
		w := newWorld(c.dev)
		got, err := w.svc.AddWebhook(ctx, merchantID, c.url)
		c.want.check(t, c.name, err)
		created := len(w.store.calls) == 1
		if created != (c.want.kind == nil) {
			t.Errorf("%s: wrote %v", c.name, w.store.calls)
		}
		if err == nil {
			kept := w.store.hooks[got.ID]
			if !strings.HasPrefix(got.Secret, "whsec_") || kept.Secret != got.Secret || kept.URL != c.url || kept.MerchantID != merchantID {
				t.Errorf("%s: answered %+v, kept %+v", c.name, got, kept)
			}
		}
	}
	w := newWorld(true)
	w.store.hookErr = errDown
	if _, err := w.svc.AddWebhook(ctx, merchantID, "https://hooks.example.com/"); !errors.Is(err, errDown) {
		t.Fatalf("%v", err)
	}
}

func TestTestWebhook(t *testing.T) {
	noHook := want{kind: apperr.ErrNotFound, code: "not-found", detail: "no such webhook endpoint"}
	cases := []struct {
		name   string
		id     string
		setup  func(w *world)
		want   want
		err    error
		result TestDelivery
	}{
		{"delivered", hookID, nil, want{}, nil, TestDelivery{EndpointID: hookID, Delivered: true, Status: "sent", Attempts: 1}},
		{"failed", hookID, func(w *world) { w.delivery.status, w.delivery.lastError = "failed", "503 from the endpoint" }, want{}, nil,
			TestDelivery{EndpointID: hookID, Status: "failed", Attempts: 1, Error: "503 from the endpoint"}},
		{"not over within the wait", hookID, func(w *world) { w.delivery.hang = true }, want{}, nil,
			TestDelivery{EndpointID: hookID, Status: "pending"}},
		{"not an id", "hook-1", nil, noHook, nil, TestDelivery{}},
		{"unknown", unknownID, nil, noHook, nil, TestDelivery{}},
		{"another merchant's", otherHook, nil, noHook, nil, TestDelivery{}},
		{"store down", hookID, func(w *world) { w.store.hookErr = errDown }, want{}, errDown, TestDelivery{}},
		{"outbox down", hookID, func(w *world) { w.store.queueErr = errDown }, want{}, errDown, TestDelivery{}},
		{"delivery not started", hookID, func(w *world) { w.delivery.err = errDown }, want{}, errDown, TestDelivery{}},
		{"outcome unread", hookID, func(w *world) { w.store.outboxErr = errDown }, want{}, errDown, TestDelivery{}},
	}
	for _, c := range cases {
		w := newWorld(false)
		if c.setup != nil {
			c.setup(w)
		}
		start := time.Now()
		got, err := w.svc.TestWebhook(ctx, merchantID, c.id)
		if c.err != nil {
			if !errors.Is(err, c.err) {
				t.Errorf("%s: %v", c.name, err)
			}
		} else {
			c.want.check(t, c.name, err)
		}
		if got != c.result || time.Since(start) > 5*time.Second {
			t.Errorf("%s: %+v, want %+v", c.name, got, c.result)
		}
	}
	w := newWorld(false)
	if _, err := w.svc.TestWebhook(ctx, merchantID, hookID); err != nil {
		t.Fatal(err)
	}
	m := w.store.outbox["o-1"]
	if m.Channel != "webhook" || m.Recipient != "https://hooks.example.com/rebound" || *m.WebhookID != hookID || *m.MerchantID != merchantID ||
		m.BodyText != `{"at":"2026-12-03T07:00:00Z","endpoint_id":"`+hookID+`","type":"webhook.test"}` || w.delivery.ids[0] != "o-1" {
		t.Fatalf("queued %+v %s", m, m.BodyText)
	}
	w = newWorld(false)
	w.store.dropOutbox = true
	if _, err := w.svc.TestWebhook(ctx, merchantID, hookID); err == nil || !strings.Contains(err.Error(), "o-1 not found") {
		t.Fatalf("a lost message: %v", err)
	}
}

func TestChangeStaff(t *testing.T) {
	role := func(r returns.Role) *returns.Role { return &r }
	yes := true
	noStaff := want{kind: apperr.ErrNotFound, code: "not-found", detail: "no such staff member"}
	cases := []struct {
		name     string
		ch       StaffChange
		storeErr error
		want     want
		role     returns.Role
		disabled bool
	}{
		{"promote", StaffChange{UserID: clerkID, Role: role("supervisor")}, nil, want{}, "supervisor", false},
		{"disable", StaffChange{UserID: clerkID, Disabled: &yes}, nil, want{}, "clerk", true},
		{"nothing to change", StaffChange{UserID: clerkID}, nil,
			want{kind: apperr.ErrInvalid, fields: []string{"role: send a role, disabled, or both"}}, "clerk", false},
		{"no such role", StaffChange{UserID: clerkID, Role: role("operator")}, nil,
			want{kind: apperr.ErrInvalid, fields: []string{"role: must be one of " + returns.JoinRoles(onboard.Roles, ", ")}}, "clerk", false},
		{"own account", StaffChange{UserID: adminID, Disabled: &yes}, nil,
			want{kind: apperr.ErrConflict, code: "own-account", detail: "ask another admin to change your own account"}, "clerk", false},
		{"not an id", StaffChange{UserID: "clerk", Disabled: &yes}, nil, noStaff, "clerk", false},
		{"unknown", StaffChange{UserID: unknownID, Disabled: &yes}, nil, noStaff, "clerk", false},
		{"the last admin", StaffChange{UserID: clerkID, Role: role("clerk")}, db.ErrLastAdmin,
			want{kind: apperr.ErrConflict, code: "last-admin", detail: "the merchant would have no active admin left"}, "clerk", false},
	}
	for _, c := range cases {
		w := newWorld(false)
		w.store.changeErr = c.storeErr
		c.ch.MerchantID, c.ch.By = merchantID, adminID
		got, err := w.svc.ChangeStaff(ctx, c.ch)
		c.want.check(t, c.name, err)
		if u := w.store.staff[clerkID]; u.Role != c.role || u.Disabled != c.disabled {
			t.Errorf("%s: the clerk is now %+v", c.name, u)
		}
		if err == nil && (got.ID != clerkID || got.Role != c.role || got.Disabled != c.disabled) {
			t.Errorf("%s: answered %+v", c.name, got)
		}
	}
	w := newWorld(false)
	w.store.changeErr = errDown
	if _, err := w.svc.ChangeStaff(ctx, StaffChange{MerchantID: merchantID, By: adminID, UserID: clerkID, Disabled: &yes}); !errors.Is(err, errDown) {
		t.Fatalf("%v", err)
	}
}

func TestInviteShowsTheOneTimePassword(t *testing.T) {
	w := newWorld(false)
	in, err := w.svc.Invite(ctx, merchantID, StaffInput{Username: "new", Role: "clerk"})
	if err != nil || in.OneTimePassword != "otp-2" || in.Staff.ID != "u-new" || !in.Staff.MustChangePassword || w.onboard.staff.Username != "new" {
		t.Fatalf("%+v, %v", in, err)
	}
}

func TestAPIKeys(t *testing.T) {
	w := newWorld(false)
	k, err := w.svc.CreateAPIKey(ctx, merchantID, "till", "boss")
	if err != nil || k.ID != "k-new" || k.Key != "rbk_999999xyz" || k.Prefix != "rbk_999999" || k.CreatedBy != "boss" || w.onboard.name != "till" {
		t.Fatalf("%+v, %v", k, err)
	}
	noKey := want{kind: apperr.ErrNotFound, code: "not-found", detail: "no such API key, or revoked already"}
	for _, c := range []struct {
		name, id string
		err      error
		want     want
		revoked  bool
	}{
		{"revoke", keyID, nil, want{}, true},
		{"not an id", "rbk_abcdef", nil, noKey, false},
		{"unknown", unknownID, nil, noKey, false},
	} {
		w := newWorld(false)
		c.want.check(t, c.name, w.svc.RevokeAPIKey(ctx, merchantID, c.id))
		if revoked := w.store.keys[keyID].RevokedAt != nil; revoked != c.revoked || (revoked && !w.store.revokedAt.Equal(t0)) {
			t.Errorf("%s: revoked %v at %v", c.name, revoked, w.store.revokedAt)
		}
	}
	w = newWorld(false)
	if err := w.svc.RevokeAPIKey(ctx, merchantID, keyID); err != nil {
		t.Fatal(err)
	}
	noKey.check(t, "revoked twice", w.svc.RevokeAPIKey(ctx, merchantID, keyID))
	w.store.revokeErr = errDown
	if err := w.svc.RevokeAPIKey(ctx, merchantID, keyID); !errors.Is(err, errDown) {
		t.Fatalf("%v", err)
	}
}
