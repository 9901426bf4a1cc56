package session

import (
	"context"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/rebound-returns/rebound/app/apperr"
	"github.com/rebound-returns/rebound/auth"
	"github.com/rebound-returns/rebound/db"
)

var supCaller = Principal{Kind: KindStaff, UserID: "u-sup", Username: "sup", Role: "supervisor", MerchantID: merchantID}

func newPassword(reason string) refusal {
	return refusal{kind: apperr.ErrInvalid, fields: []string{"new_password: " + reason}}
}

// Every way a password change is refused: the answer, the event, the
// store's calls; nothing is set.
func TestChangePasswordRefusals(t *testing.T) {
	right := PasswordChange{Current: password, New: "a-brand-new-password", Token: "rbs_mine"}
	long := string(make([]byte, 257))
	cases := []struct {
		name  string
		setup func(w *world)
		req   func(r *PasswordChange)
		want  refusal
		plain error
		event *Event
		calls string
	}{
		{name: "nothing", req: func(r *PasswordChange) { r.Current, r.New = "", "" },
			want: refusal{kind: apperr.ErrInvalid, fields: []string{"current_password: is required", "new_password: must be at least 12 characters"}}},
		{name: "too short", req: func(r *PasswordChange) { r.New = "short" }, want: newPassword("must be at least 12 characters")},
		{name: "too long", req: func(r *PasswordChange) { r.New = long }, want: newPassword("must be at most 256 characters")},
		{name: "the same", req: func(r *PasswordChange) { r.New = password }, want: newPassword("must differ from the current one")},
		{name: "holds the name", req: func(r *PasswordChange) { r.New = "my-name-is-SUP-ok" }, want: newPassword("must not contain your user name")},
		{name: "member unread", setup: func(w *world) { w.store.failOn = "StaffByID" }, plain: errStore, calls: "StaffByID"},
		{name: "busy", setup: func(w *world) { w.pool.busy = auth.ErrBusy }, plain: auth.ErrBusy, calls: "StaffByID"},
		{name: "locked", setup: func(w *world) { w.store.try = db.Try{LockedUntil: t0.Add(time.Hour)} }, want: locked(time.Hour),
			event: &Event{Actor: supCaller, Action: "auth.password", UserID: "u-sup", Outcome: "denied", Detail: map[string]any{"why": "locked"}},
			calls: "StaffByID ClaimPasswordTry"},
		{name: "wrong current", setup: func(w *world) { w.store.try.Locks = true }, req: func(r *PasswordChange) { r.Current = "guess" },
			want: refusal{kind: apperr.ErrInvalid, fields: []string{"current_password: is not your current password"}},
			event: &Event{Actor: supCaller, Action: "auth.password", UserID: "u-sup", Outcome: "failed",
				Detail: map[string]any{"why": "wrong current password", "locked": true}},
			calls: "StaffByID ClaimPasswordTry"},
		{name: "not set", setup: func(w *world) { w.store.failOn = "SetPassword" }, plain: errStore, calls: "StaffByID ClaimPasswordTry SetPassword"},
		{name: "others not ended", setup: func(w *world) { w.store.failOn = "EndOtherSessions" }, plain: errStore,
			calls: "StaffByID ClaimPasswordTry SetPassword EndOtherSessions"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			w := newWorld()
			if c.setup != nil {
				c.setup(w)
			}
			req := right
			if c.req != nil {
				c.req(&req)
			}
			ev, err := w.svc.ChangePassword(context.Background(), supCaller, req)
			if c.plain != nil {
				if !errors.Is(err, c.plain) {
					t.Fatalf("error %v, want %v", err, c.plain)
				}
			} else {
				checkRefusal(t, err, c.want)
			}
			if !reflect.DeepEqual(ev, c.event) || w.store.called() != c.calls {
				t.Fatalf("event %+v, calls %q; want %+v, %q", ev, w.store.called(), c.event, c.calls)
			}
		})
	}
}

// The right current password sets the new one (no longer a one-time one)
// and ends every other session, keeping the caller's.
func TestChangePassword(t *testing.T) {
	w := newWorld()
	supOf(w).MustChangePassword = true
	ev, err := w.svc.ChangePassword(context.Background(), supCaller, PasswordChange{Current: password, New: "a-brand-new-password", Token: "rbs_mine"})
	if err != nil {
		t.Fatal(err)
	}
	if w.store.set != "hash:a-brand-new-password" || w.store.kept != auth.HashToken("rbs_mine") || w.pool.hashes != 1 {
		t.Fatalf("set %q, kept %q, %d hashes", w.store.set, w.store.kept, w.pool.hashes)
	}
	if want := (&Event{Actor: supCaller, Action: "auth.password", UserID: "u-sup", Outcome: "success"}); !reflect.DeepEqual(ev, want) {
		t.Fatalf("event %+v", ev)
	}
	if got := w.store.called(); got != "StaffByID ClaimPasswordTry SetPassword EndOtherSessions" {
		t.Fatalf("calls %q (no PasswordSucceeded: setting the password clears the failures)", got)
	}
}

func TestAuthenticate(t *testing.T) {
	cases := []struct {
		name  string
		setup func(w *world)
		token string
		want  Principal
		err   any // a refusal or a plain error
	}{
		{name: "no token", token: "", err: noSession},
		{name: "unknown", token: "rbs_unknown", err: noSession},
		{name: "expired", setup: func(w *world) { w.store.sessions[auth.HashToken("rbs_sup")].ExpiresAt = t0 }, token: "rbs_sup", err: noSession},
		{name: "store down", setup: func(w *world) { w.store.failOn = "SessionByHash" }, token: "rbs_sup", err: errStore},
		{name: "member unread", setup: func(w *world) { w.store.failOn = "StaffByID" }, token: "rbs_sup", err: errStore},
		{name: "disabled", setup: func(w *world) { supOf(w).Disabled = true }, token: "rbs_sup", err: noSession},
		{name: "staff, role read afresh", token: "rbs_sup", want: supCaller},
		{name: "one-time password", setup: func(w *world) { supOf(w).MustChangePassword = true }, token: "rbs_sup",
			want: Principal{Kind: KindStaff, UserID: "u-sup", Username: "sup", Role: "supervisor", MerchantID: merchantID, MustChange: true}},
		{name: "shopper", token: "rbr_shopper", want: Principal{Kind: KindShopper, Role: "stale", MerchantID: merchantID, ReturnID: "r1"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			w := newWorld()
			w.store.session("rbs_sup", "u-sup", "")
			w.store.session("rbr_shopper", "", "r1")
			if c.setup != nil {
				c.setup(w)
			}
			p, err := w.svc.Authenticate(context.Background(), c.token)
			switch want := c.err.(type) {
			case refusal:
				checkRefusal(t, err, want)
			case error:
				if !errors.Is(err, want) {
					t.Fatalf("error %v, want %v", err, want)
				}
			default:
				if err != nil || p != c.want {
					t.Fatalf("principal %+v, %v; want %+v", p, err, c.want)
				}
			}
		})
	}
}

func TestAPIKey(t *testing.T) {
	w := newWorld()
	w.store.keys[auth.HashToken("rbk_key")] = &db.APIKey{MerchantID: merchantID, Prefix: "rbk_ab"}
	_, err := w.svc.APIKey(context.Background(), "")
	checkRefusal(t, err, refusal{kind: apperr.ErrUnauthenticated, code: "unauthenticated", detail: "send the merchant's API key in X-API-Key"})
	_, err = w.svc.APIKey(context.Background(), "rbk_other")
	checkRefusal(t, err, refusal{kind: apperr.ErrUnauthenticated, code: "unauthenticated", detail: "the API key is not valid"})
	p, err := w.svc.APIKey(context.Background(), "rbk_key")
	if err != nil || p != (Principal{Kind: KindIntegration, MerchantID: merchantID, Username: "api-key:rbk_ab"}) {
		t.Fatalf("principal %+v, %v", p, err)
	}
	w.store.failOn = "APIKeyByHash"
	if _, err := w.svc.APIKey(context.Background(), "rbk_key"); !errors.Is(err, errStore) {
		t.Fatalf("store down: %v", err)
	}
}

func TestLogOut(t *testing.T) {
	w := newWorld()
	w.store.session("rbs_sup", "u-sup", "")
	ev, err := w.svc.LogOut(context.Background(), supCaller, "rbs_sup")
	if err != nil || len(w.store.sessions) != 0 {
		t.Fatalf("%v; sessions left %d", err, len(w.store.sessions))
	}
	if want := (&Event{Actor: supCaller, Action: "auth.logout", UserID: "u-sup", Outcome: "success"}); !reflect.DeepEqual(ev, want) {
		t.Fatalf("event %+v", ev)
	}
	w.store.failOn = "DeleteSession"
	if ev, err := w.svc.LogOut(context.Background(), supCaller, "rbs_sup"); !errors.Is(err, errStore) || ev != nil {
		t.Fatalf("store down: %+v, %v", ev, err)
	}
}

func TestWhoAmI(t *testing.T) {
	w := newWorld()
	me, err := w.svc.WhoAmI(context.Background(), Principal{Username: "sup", Role: "supervisor", MerchantID: merchantID, MustChange: true})
	if err != nil || me != (Me{Username: "sup", Role: "supervisor", Merchant: "demo", MerchantName: "Demo", MustChange: true}) {
		t.Fatalf("%+v, %v", me, err)
	}
	me, err = w.svc.WhoAmI(context.Background(), Principal{Username: "op", Role: "operator"})
	if err != nil || me != (Me{Username: "op", Role: "operator"}) || w.store.called() != "MerchantByID" {
		t.Fatalf("an operator: %+v, %v, calls %q", me, err, w.store.called())
	}
	w.store.failOn = "MerchantByID"
	if _, err := w.svc.WhoAmI(context.Background(), supCaller); !errors.Is(err, errStore) {
		t.Fatalf("store down: %v", err)
	}
}
