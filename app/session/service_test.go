package session

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/rebound-returns/rebound/app/apperr"
	"github.com/rebound-returns/rebound/auth"
	"github.com/rebound-returns/rebound/db"
)

// world is a Service over fakes, with the fakes at hand.
type world struct {
	store *fakeStore
	pool  *fakePool
	svc   *Service
}

func newWorld() *world {
	w := &world{store: newFakeStore(), pool: &fakePool{}}
	w.svc = New(Deps{Store: w.store, Pool: w.pool, Now: func() time.Time { return t0 }})
	return w
}

// refusal is what a refused step must answer: the apperr kind, code,
// sentence, fields ("name: reason") and wait.
type refusal struct {
	kind   error
	code   string
	detail string
	fields []string
	wait   time.Duration
}

func checkRefusal(t *testing.T, err error, want refusal) {
	t.Helper()
	e := apperr.As(err)
	if e == nil || !errors.Is(err, want.kind) {
		t.Fatalf("error %v, want a refusal of kind %v", err, want.kind)
	}
	var fields []string
	for _, f := range e.Fields {
		fields = append(fields, f.Name+": "+f.Reason)
	}
	if e.Code != want.code || e.Detail != want.detail || !reflect.DeepEqual(fields, want.fields) || e.Wait != want.wait {
		t.Fatalf("refusal %q %q %v %v, want %+v", e.Code, e.Detail, fields, e.Wait, want)
	}
}

var (
	badCredentials = refusal{kind: apperr.ErrUnauthenticated, code: "bad-credentials", detail: "wrong user name or password"}
	noSession      = refusal{kind: apperr.ErrUnauthenticated, code: "unauthenticated", detail: "send a valid bearer token"}
)

func locked(wait time.Duration) refusal {
	return refusal{kind: apperr.ErrLocked, code: "account-locked", detail: "too many failed log-ins; try again later", wait: wait}
}

func supOf(w *world) *db.StaffUser { return w.store.staff["u-sup"] }

var sup = Principal{Username: "sup", Role: "supervisor", MerchantID: merchantID}

// Every way a log-in is refused: the answer, the audit event (nil: none),
// the store's calls and the hashes spent.
func TestLogInRefusals(t *testing.T) {
	right := LoginRequest{Merchant: " DEMO ", Username: "Sup", Password: password}
	cases := []struct {
		name   string
		setup  func(w *world)
		req    func(r *LoginRequest)
		want   refusal
		plain  error // a failure passed on as it is, instead of want
		event  *Event
		calls  string
		checks int
	}{
		{name: "nothing", req: func(r *LoginRequest) { r.Username, r.Password = " ", "" },
			want: refusal{kind: apperr.ErrInvalid, fields: []string{"username: is required", "password: is required"}}},
		{name: "no password", req: func(r *LoginRequest) { r.Password = "" },
			want: refusal{kind: apperr.ErrInvalid, fields: []string{"password: is required"}}},
		{name: "unknown merchant", req: func(r *LoginRequest) { r.Merchant = "gamma" }, want: badCredentials,
			event: &Event{Actor: Principal{Username: "sup"}, Action: "auth.login", Outcome: "failed", Detail: map[string]any{"why": "unknown user"}},
			calls: "MerchantBySlug"},
		{name: "unknown user", req: func(r *LoginRequest) { r.Username = "NOBODY" }, want: badCredentials,
			event: &Event{Actor: Principal{Username: "nobody"}, Action: "auth.login", Outcome: "failed", Detail: map[string]any{"why": "unknown user"}},
			calls: "MerchantBySlug StaffByUsername"},
		{name: "a merchant's member without the merchant", req: func(r *LoginRequest) { r.Merchant = "" }, want: badCredentials,
			event: &Event{Actor: Principal{Username: "sup"}, Action: "auth.login", Outcome: "failed", Detail: map[string]any{"why": "unknown user"}},
			calls: "StaffByUsername"},
		{name: "busy while burning", setup: func(w *world) { w.pool.busy = auth.ErrBusy }, req: func(r *LoginRequest) { r.Username = "nobody" },
			plain: auth.ErrBusy, calls: "MerchantBySlug StaffByUsername"},
		{name: "store down", setup: func(w *world) { w.store.failOn = "StaffByUsername" }, plain: errStore, calls: "MerchantBySlug StaffByUsername"},
		{name: "known locked", setup: func(w *world) { until := t0.Add(time.Minute); supOf(w).LockedUntil = &until }, want: locked(time.Minute),
			event: &Event{Actor: sup, Action: "auth.login", UserID: "u-sup", Outcome: "denied", Detail: map[string]any{"why": "locked"}},
			calls: "MerchantBySlug StaffByUsername"},
		{name: "locked by the claim", setup: func(w *world) { w.store.try = db.Try{LockedUntil: t0.Add(90 * time.Second)} }, want: locked(90 * time.Second),
			event: &Event{Actor: sup, Action: "auth.login", UserID: "u-sup", Outcome: "denied", Detail: map[string]any{"why": "locked"}},
			calls: "MerchantBySlug StaffByUsername ClaimPasswordTry"},
		{name: "wrong password", req: func(r *LoginRequest) { r.Password = "guess" }, want: badCredentials,
			event: &Event{Actor: sup, Action: "auth.login", UserID: "u-sup", Outcome: "failed", Detail: map[string]any{"locked": false}},
			calls: "MerchantBySlug StaffByUsername ClaimPasswordTry", checks: 1},
		{name: "the wrong password that locks", setup: func(w *world) { w.store.try.Locks = true }, req: func(r *LoginRequest) { r.Password = "guess" },
			want:  badCredentials,
			event: &Event{Actor: sup, Action: "auth.login", UserID: "u-sup", Outcome: "failed", Detail: map[string]any{"locked": true}},
			calls: "MerchantBySlug StaffByUsername ClaimPasswordTry", checks: 1},
		{name: "disabled", setup: func(w *world) { supOf(w).Disabled = true }, want: badCredentials,
			event: &Event{Actor: sup, Action: "auth.login", UserID: "u-sup", Outcome: "failed", Detail: map[string]any{"locked": false}},
			calls: "MerchantBySlug StaffByUsername ClaimPasswordTry", checks: 1},
		{name: "claim fails", setup: func(w *world) { w.store.failOn = "ClaimPasswordTry" }, plain: errStore,
			calls: "MerchantBySlug StaffByUsername ClaimPasswordTry"},
		{name: "success not recorded", setup: func(w *world) { w.store.failOn = "PasswordSucceeded" }, plain: errStore,
			calls: "MerchantBySlug StaffByUsername ClaimPasswordTry PasswordSucceeded", checks: 1},
		{name: "session not stored", setup: func(w *world) { w.store.failOn = "CreateSession" }, plain: errStore,
			calls: "MerchantBySlug StaffByUsername ClaimPasswordTry PasswordSucceeded CreateSession", checks: 1},
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
			l, ev, err := w.svc.LogIn(context.Background(), req)
			if c.plain != nil {
				if !errors.Is(err, c.plain) {
					t.Fatalf("error %v, want %v", err, c.plain)
				}
			} else {
				checkRefusal(t, err, c.want)
			}
			if l != (Login{}) || !reflect.DeepEqual(ev, c.event) {
				t.Fatalf("login %+v, event %+v; want none and %+v", l, ev, c.event)
			}
			if got := w.store.called(); got != c.calls {
				t.Fatalf("calls %q, want %q", got, c.calls)
			}
			if w.pool.checks != c.checks || w.pool.holds != w.pool.released {
				t.Fatalf("%d checks (want %d), %d holds, %d released", w.pool.checks, c.checks, w.pool.holds, w.pool.released)
			}
			if len(w.store.sessions) != 0 {
				t.Fatal("a refused log-in opened a session")
			}
		})
	}
}

// An unknown name costs a hash in the pool, as a known one does.
func TestUnknownNameBurnsAHash(t *testing.T) {
	w := newWorld()
	if _, _, err := w.svc.LogIn(context.Background(), LoginRequest{Merchant: "demo", Username: "nobody", Password: "x"}); err == nil {
		t.Fatal("an unknown name logged in")
	}
	if w.pool.burn != 1 || w.pool.checks != 0 {
		t.Fatalf("%d burns, %d checks", w.pool.burn, w.pool.checks)
	}
}

func TestLogIn(t *testing.T) {
	cases := []struct {
		name     string
		setup    func(w *world)
		req      LoginRequest
		want     Login
		who      Principal
		userID   string
		merchant *string
	}{
		{name: "a merchant's member", req: LoginRequest{Merchant: " Demo", Username: "SUP", Password: password},
			want: Login{Username: "sup", Role: "supervisor", Merchant: "demo"}, who: sup, userID: "u-sup"},
		{name: "an operator", req: LoginRequest{Username: "op", Password: password},
			want: Login{Username: "op", Role: "operator"}, who: Principal{Username: "op", Role: "operator"}, userID: "u-op"},
		{name: "a one-time password", setup: func(w *world) { supOf(w).MustChangePassword = true },
			req:  LoginRequest{Merchant: "demo", Username: "sup", Password: password},
			want: Login{Username: "sup", Role: "supervisor", Merchant: "demo", MustChange: true}, who: sup, userID: "u-sup"},
		{name: "merchant unread", setup: func(w *world) { w.store.failOn = "MerchantByID" },
			req:  LoginRequest{Merchant: "demo", Username: "sup", Password: password},
			want: Login{Username: "sup", Role: "supervisor"}, who: sup, userID: "u-sup"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			w := newWorld()
			if c.setup != nil {
				c.setup(w)
			}
			l, ev, err := w.svc.LogIn(context.Background(), c.req)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(l.Token, TokenPrefix) || len(l.Token) < 20 {
				t.Fatalf("token %q", l.Token)
			}
			sess := w.store.sessions[auth.HashToken(l.Token)]
			if sess == nil || sess.Kind != db.SessionStaff || *sess.StaffUserID != c.userID || sess.Role != c.want.Role || !sess.ExpiresAt.Equal(t0.Add(Life)) {
				t.Fatalf("session %+v", sess)
			}
			c.want.Token, c.want.ExpiresAt = l.Token, t0.Add(Life)
			if l != c.want {
				t.Fatalf("login %+v, want %+v", l, c.want)
			}
			if want := (&Event{Actor: c.who, Action: "auth.login", UserID: c.userID, Outcome: "success"}); !reflect.DeepEqual(ev, want) {
				t.Fatalf("event %+v, want %+v", ev, want)
			}
			if w.pool.checks != 1 || w.pool.released != 1 {
				t.Fatalf("%d checks, %d released", w.pool.checks, w.pool.released)
			}
		})
	}
}

// The busy pool is answered before any try is claimed.
func TestTryPasswordBusySpendsNoTry(t *testing.T) {
	w := newWorld()
	w.pool.busy = auth.ErrBusy
	ok, _, err := w.svc.TryPassword(context.Background(), supOf(w), password)
	if ok || !errors.Is(err, auth.ErrBusy) || w.store.called() != "" {
		t.Fatalf("ok %v, err %v, calls %q", ok, err, w.store.called())
	}
}
