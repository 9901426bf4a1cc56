package counter

import (
	"context"
	"errors"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/rebound-returns/rebound/returns"

	"github.com/rebound-returns/rebound/auth"
	"github.com/rebound-returns/rebound/db"
)

// world is a Service over fakes, with the fakes at hand.
type world struct {
	store     *fakeStore
	passwords *fakePasswords
	workflow  *fakeWorkflow
	admins    *fakeAdmins
	svc       *Service
}

func newWorld() *world {
	w := &world{store: newFakeStore(), passwords: &fakePasswords{try: db.Try{Claimed: true}}, workflow: &fakeWorkflow{}, admins: &fakeAdmins{}}
	// By default the refund settles as soon as it is sent.
	w.workflow.settle = func() { w.store.setRefunds(db.Refund{Status: "refunded"}) }
	w.svc = New(Deps{Store: w.store, Passwords: w.passwords, Workflow: w.workflow, Admins: w.admins,
		Now: func() time.Time { return t0 }, PasswordLimit: 10, Wait: 50 * time.Millisecond, Tick: time.Millisecond})
	return w
}

func rightRequest() Request {
	return Request{ReturnID: returnID, MerchantID: merchantID, Clerk: returns.Actor{Kind: returns.ActorStaff, Name: "clerk", Role: "clerk"},
		TerminalID: "P1", SupervisorUsername: "SUP", SupervisorPassword: password, VoucherNo: " 000042 ", CardFingerprint: "fp_1"}
}

// Every way the procedure refuses, in the order it checks: the error, the
// check the audit log names, and what was (not) spent or sent.
func TestRefundRefusals(t *testing.T) {
	frozen := "f1"
	cases := []struct {
		name  string
		setup func(w *world)
		req   func(r *Request)
		want  error
		check string // "" when refused before the checks
		after func(t *testing.T, w *world)
	}{
		{name: "missing fields", req: func(r *Request) { r.TerminalID, r.VoucherNo, r.SupervisorPassword = "", " ", "" },
			want: ErrMissing, after: func(t *testing.T, w *world) {
				_, err := w.svc.Refund(context.Background(), Request{ReturnID: returnID, MerchantID: merchantID})
				var m *MissingError
				if !errors.As(err, &m) || !reflect.DeepEqual(m.Fields, []string{"card_fingerprint", "supervisor_password", "supervisor_username", "terminal_id", "voucher_no"}) {
					t.Fatalf("all missing: %v", err)
				}
			}},
		{name: "id not canonical", req: func(r *Request) { r.ReturnID = "0B7C6F3E-4F1A-4D2B-9C3E-1A2B3C4D5E6F" }, want: ErrNotFound},
		{name: "no such return", req: func(r *Request) { r.ReturnID = "2b7c6f3e-4f1a-4d2b-9c3e-1a2b3c4d5e6f" }, want: ErrNotFound},
		{name: "another merchant's return", req: func(r *Request) { r.MerchantID = "m2" }, want: ErrNotFound},
		{name: "a caller of no merchant", setup: func(w *world) { w.store.ret.MerchantID = "" }, req: func(r *Request) { r.MerchantID = "" }, want: ErrNotFound},
		{name: "store fails", setup: func(w *world) { w.store.retErr = errStore }, want: errStore},
		{name: "posted return", setup: func(w *world) { w.store.ret.Method = "postal" }, want: ErrNotAtCounter, check: "return"},
		{name: "online sale", setup: func(w *world) { w.store.ret.Channel = "online" }, want: ErrNotAtCounter, check: "return"},
		{name: "not waiting for its refund", setup: func(w *world) { w.store.ret.Status = "refunded" }, want: ErrWrongState, check: "return",
			after: func(t *testing.T, w *world) {
				_, err := w.svc.Refund(context.Background(), rightRequest())
				if e := (*StateError)(nil); !errors.As(err, &e) || e.Status != "refunded" || err.Error() != "counter check return: the return is refunded" {
					t.Fatalf("state error: %v", err)
				}
			}},
		{name: "unknown terminal", req: func(r *Request) { r.TerminalID = "P9" }, want: ErrUnknownTerminal, check: "terminal"},
		{name: "another merchant's terminal", setup: func(w *world) { w.store.terminal.MerchantID = "m2" }, want: ErrUnknownTerminal, check: "terminal"},
		{name: "unknown supervisor", req: func(r *Request) { r.SupervisorUsername = "nobody" }, want: ErrSupervisorDenied, check: "supervisor",
			after: burned(1)},
		{name: "disabled supervisor", setup: func(w *world) { w.store.staff["sup"].Disabled = true }, want: ErrSupervisorDenied, check: "supervisor", after: burned(1)},
		{name: "supervisor of another merchant", setup: func(w *world) { m := "m2"; w.store.staff["sup"].MerchantID = &m }, want: ErrSupervisorDenied, check: "supervisor"},
		{name: "one-time password", setup: func(w *world) { w.store.staff["sup"].MustChangePassword = true }, want: ErrNoOwnPassword, check: "supervisor",
			after: func(t *testing.T, w *world) {
				burned(1)(t, w)
				_, err := w.svc.Refund(context.Background(), rightRequest())
				if e := (*PersonError)(nil); !errors.As(err, &e) || e.Username != "sup" {
					t.Fatalf("person error: %v", err)
				}
			}},
		{name: "a clerk authorises", req: func(r *Request) { r.SupervisorUsername = "clerk" }, want: ErrNotSupervisor, check: "supervisor", after: burned(1)},
		{name: "an admin authorises as a supervisor", setup: func(w *world) { w.store.staff["sup"].Role = returns.RoleAdmin }},
		{name: "busy refusing", setup: func(w *world) { w.passwords.burnErr = auth.ErrBusy; w.store.staff["sup"].Disabled = true }, want: auth.ErrBusy, check: "supervisor"},
		{name: "busy checking", setup: func(w *world) { w.passwords.tryErr = auth.ErrBusy }, want: auth.ErrBusy, check: "supervisor"},
		{name: "password check fails", setup: func(w *world) { w.passwords.tryErr = errStore }, want: ErrSupervisorDenied, check: "supervisor"},
		{name: "wrong password", req: func(r *Request) { r.SupervisorPassword = "guess" }, want: ErrSupervisorDenied, check: "supervisor",
			after: func(t *testing.T, w *world) { told(0)(t, w); burned(0)(t, w) }},
		{name: "wrong password locks the supervisor", setup: func(w *world) { w.passwords.try.Locks = true }, req: func(r *Request) { r.SupervisorPassword = "guess" },
			want: ErrSupervisorDenied, check: "supervisor", after: told(1, "m1: Supervisor account locked")},
		{name: "supervisor locked", setup: func(w *world) { w.passwords.try = db.Try{LockedUntil: t0.Add(7 * time.Minute)} }, want: ErrSupervisorLocked, check: "supervisor",
			after: lockedFor(7 * time.Minute)},
		{name: "no such sale", setup: func(w *world) { w.store.order = nil }, want: ErrSaleUnknown, check: "sale"},
		{name: "sale without payment", setup: func(w *world) { w.store.order.Payment = nil }, want: ErrSaleUnknown, check: "sale"},
		{name: "try not counted", setup: func(w *world) { w.store.claimErr = errStore }, want: ErrSaleUncounted, check: "sale"},
		{name: "sale locked", setup: func(w *world) { w.store.try = db.Try{LockedUntil: t0.Add(30 * time.Minute)} }, want: ErrSaleLocked, check: "sale",
			after: lockedFor(30 * time.Minute)},
		{name: "wrong voucher", req: func(r *Request) { r.VoucherNo = "000043" }, want: ErrWrongVoucher, check: "voucher",
			after: func(t *testing.T, w *world) { told(0)(t, w); claimed(1, 0)(t, w) }},
		{name: "wrong card", req: func(r *Request) { r.CardFingerprint = "fp_2" }, want: ErrWrongCard, check: "card", after: claimed(1, 0)},
		{name: "wrong voucher locks the sale", setup: func(w *world) { w.store.try.Locks = true }, req: func(r *Request) { r.VoucherNo = "1" },
			want: ErrWrongVoucher, check: "voucher", after: told(1, "m1: Counter refund locked")},
		{name: "workflow refuses", setup: func(w *world) { w.workflow.err = errStore }, want: errStore,
			after: func(t *testing.T, w *world) {
				_, err := w.svc.Refund(context.Background(), rightRequest())
				if e := (*SendError)(nil); !errors.As(err, &e) {
					t.Fatalf("not a send error: %v", err)
				}
				claimed(2, 2)(t, w)
			}},
		{name: "frozen refund is no refusal", setup: func(w *world) {
			w.workflow.settle = func() { w.store.setRefunds(db.Refund{Status: returns.RefundStatusPending, FrozenBy: &frozen}) }
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld()
			if tc.setup != nil {
				tc.setup(w)
			}
			req := rightRequest()
			if tc.req != nil {
				tc.req(&req)
			}
			res, err := w.svc.Refund(context.Background(), req)
			if !errors.Is(err, tc.want) || (tc.want == nil) != (err == nil) {
				t.Fatalf("err %v; want %v", err, tc.want)
			}
			var ce *CheckError
			if got := ""; errors.As(err, &ce) && ce.Check != tc.check || ce == nil && tc.check != "" {
				if ce != nil {
					got = ce.Check
				}
				t.Fatalf("check %q; want %q", got, tc.check)
			}
			if tc.want != nil && (res.Sent || len(w.workflow.sent) != 0) {
				t.Fatalf("refused yet sent: %+v, %d", res, len(w.workflow.sent))
			}
			if tc.check != "" && res.ReturnID != returnID {
				t.Fatalf("a check's refusal names return %q", res.ReturnID)
			}
			if tc.after != nil {
				tc.after(t, w)
			}
		})
	}
}

var errStore = errors.New("store down")

func burned(n int) func(t *testing.T, w *world) {
	return func(t *testing.T, w *world) {
		t.Helper()
		if w.passwords.burns != n || n > 0 && w.passwords.tries != 0 {
			t.Fatalf("%d burns, %d tries; want %d burns and no try", w.passwords.burns, w.passwords.tries, n)
		}
	}
}

func told(n int, want ...string) func(t *testing.T, w *world) {
	return func(t *testing.T, w *world) {
		t.Helper()
		if len(w.admins.told) != n || n > 0 && !reflect.DeepEqual(w.admins.told, want) {
			t.Fatalf("admins told %q; want %q", w.admins.told, want)
		}
	}
}

func claimed(claims, ok int) func(t *testing.T, w *world) {
	return func(t *testing.T, w *world) {
		t.Helper()
		if w.store.claims != claims || w.store.saleOK != ok {
			t.Fatalf("%d claims, %d successes; want %d, %d", w.store.claims, w.store.saleOK, claims, ok)
		}
	}
}

func lockedFor(d time.Duration) func(t *testing.T, w *world) {
	return func(t *testing.T, w *world) {
		t.Helper()
		_, err := w.svc.Refund(context.Background(), rightRequest())
		var le *LockedError
		if !errors.As(err, &le) || le.RetryAfter() != d || !le.Until.Equal(t0.Add(d)) {
			t.Fatalf("lock: %v", err)
		}
	}
}

// All checks passed: the refund is sent once, authorised by the supervisor
// named in lower case, the tries are reset, and the outcome is read back.
func TestRefundSendsOnceAndReportsTheOutcome(t *testing.T) {
	frozen := "f1"
	for _, tc := range []struct {
		name    string
		refunds []db.Refund // what the workflow leaves
		want    Outcome
	}{
		{"settled", []db.Refund{{Status: "refunded"}}, Settled},
		{"failed is settled too", []db.Refund{{Status: "failed"}}, Settled},
		{"the last refund counts", []db.Refund{{Status: "failed"}, {Status: returns.RefundStatusPending}}, Pending},
		{"frozen", []db.Refund{{Status: returns.RefundStatusPending, FrozenBy: &frozen}}, Frozen},
		{"no answer within the wait", []db.Refund{{Status: returns.RefundStatusPending}}, Pending},
		{"no refund yet", nil, Pending},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld()
			w.workflow.settle = func() { w.store.setRefunds(tc.refunds...) }
			res, err := w.svc.Refund(context.Background(), rightRequest())
			if err != nil || !res.Sent || res.Outcome != tc.want || res.ReturnID != returnID {
				t.Fatalf("%+v, %v; want outcome %v", res, err, tc.want)
			}
			want := rightRequest().Clerk
			if len(w.workflow.sent) != 1 || w.workflow.sent[0].AuthorisedBy != "sup" || w.workflow.sent[0].TerminalID != "P1" || w.workflow.sent[0].Actor != want {
				t.Fatalf("sent %+v", w.workflow.sent)
			}
			if w.store.passwordOK != 1 || w.store.saleOK != 1 || w.passwords.burns != 0 {
				t.Fatalf("password reset %d, sale reset %d, burns %d", w.store.passwordOK, w.store.saleOK, w.passwords.burns)
			}
		})
	}
}

// A refund that settles while the counter waits is seen on the next look.
func TestRefundWaitsForALateOutcome(t *testing.T) {
	w := newWorld()
	w.svc.d.Wait = 5 * time.Second
	w.workflow.settle = func() {
		w.store.setRefunds(db.Refund{Status: returns.RefundStatusPending})
		time.AfterFunc(20*time.Millisecond, func() { w.store.setRefunds(db.Refund{Status: "refunded"}) })
	}
	start := time.Now()
	res, err := w.svc.Refund(context.Background(), rightRequest())
	if err != nil || res.Outcome != Settled || time.Since(start) > 4*time.Second {
		t.Fatalf("%+v, %v after %s", res, err, time.Since(start))
	}
}

// A clerk who goes away while the refund is under way is told so; the
// refund was sent (the audit records it) and finishes on its own.
func TestRefundCallerGoneWhileWaiting(t *testing.T) {
	w := newWorld()
	w.svc.d.Wait = 5 * time.Second
	ctx, cancel := context.WithCancel(context.Background())
	w.workflow.settle = func() {
		w.store.setRefunds(db.Refund{Status: returns.RefundStatusPending})
		time.AfterFunc(10*time.Millisecond, cancel)
	}
	res, err := w.svc.Refund(ctx, rightRequest())
	if !errors.Is(err, context.Canceled) || !res.Sent || res.Outcome != Pending {
		t.Fatalf("%+v, %v", res, err)
	}
}

// The same counter refund sent again (a retry after a lost answer) runs
// the checks again and sends the same request: the workflow's update is
// what makes the step happen once.
func TestRefundSentAgainSendsTheSameRequest(t *testing.T) {
	w := newWorld()
	for range 2 {
		if res, err := w.svc.Refund(context.Background(), rightRequest()); err != nil || res.Outcome != Settled {
			t.Fatalf("%+v, %v", res, err)
		}
	}
	if len(w.workflow.sent) != 2 || w.workflow.sent[0] != w.workflow.sent[1] {
		t.Fatalf("sent %+v", w.workflow.sent)
	}
	claimed(2, 2)(t, w)
}

// Clerks at several tills at once: every request is checked and counted
// (run under -race).
func TestRefundsAtOnce(t *testing.T) {
	w := newWorld()
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for i := range 16 {
		wg.Go(func() {
			req := rightRequest()
			if i%2 == 1 {
				req.VoucherNo = "bad"
			}
			_, err := w.svc.Refund(context.Background(), req)
			if (i%2 == 1) != errors.Is(err, ErrWrongVoucher) {
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	claimed(16, 8)(t, w)
}

func TestNewDefaults(t *testing.T) {
	s := New(Deps{})
	if s.d.Wait != DefaultWait || s.d.Tick != 200*time.Millisecond || s.d.Log == nil || s.d.Now == nil {
		t.Fatalf("defaults: %+v", s.d)
	}
}

func TestErrorTexts(t *testing.T) {
	for err, want := range map[error]string{
		&MissingError{Fields: []string{"a"}}:                 "required fields are missing",
		&PersonError{Username: "sup", Err: ErrNotSupervisor}: "sup: not a supervisor",
		&LockedError{Err: ErrSaleLocked, Until: t0}:          "the sale is locked until 2026-12-03T07:00:00Z",
		&CheckError{Check: "card", Err: ErrWrongCard}:        "counter check card: not the card the sale was paid with",
		&SendError{Err: errStore}:                            "send counter refund: store down",
	} {
		if err.Error() != want {
			t.Errorf("%q; want %q", err.Error(), want)
		}
	}
}
