package filing

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/rebound-returns/rebound/app/apperr"
	"github.com/rebound-returns/rebound/db"
	"github.com/rebound-returns/rebound/otp"
)

func TestVerifyRefusals(t *testing.T) {
	cases := []struct {
		name  string
		id    string
		code  string
		set   func(*fakeStore)
		kind  error
		ecode string
		text  string
		calls []string
	}{
		{"not six digits", returnID, "12345", nil, apperr.ErrInvalid, "", "code must be the 6 digits we sent", nil},
		{"letters", returnID, "12345a", nil, apperr.ErrInvalid, "", "code must be the 6 digits we sent", nil},
		{"not an id", "nope", theCode, nil, apperr.ErrNotFound, "", "no such return", nil},
		{"no such return", otherID, theCode, nil, apperr.ErrNotFound, "", "no such return", []string{"ReturnByID"}},
		{"wrong code", returnID, "654321", nil, apperr.ErrInvalid, "", "code is not the code we sent", []string{"ReturnByID", "CheckCode"}},
		{"locked", returnID, theCode, func(f *fakeStore) { f.locked = true }, apperr.ErrLimited, "code-locked",
			"too many wrong codes: ask for a new one", []string{"ReturnByID", "CheckCode"}},
		{"expired", returnID, theCode, func(f *fakeStore) { f.expired = true }, apperr.ErrInvalid, "",
			"code has expired or was used: ask for a new one", []string{"ReturnByID", "CheckCode"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			w := newWorld()
			w.store.leaveAfter = -1
			if c.set != nil {
				c.set(w.store)
			}
			_, err := w.svc.Verify(context.Background(), c.id, c.code)
			e := refused(t, err, c.kind, c.ecode, c.text)
			if e.RetryAfter() != 0 {
				t.Fatalf("wait %v", e.RetryAfter())
			}
			sameCalls(t, w.store.calls, c.calls...)
			sameCalls(t, w.wf.calls)
		})
	}
}

func TestVerifyOpensTheReturn(t *testing.T) {
	w := newWorld()
	w.store.leaveAfter = -1
	opened, err := w.svc.Verify(context.Background(), returnID, theCode)
	if err != nil {
		t.Fatal(err)
	}
	sameCalls(t, w.store.calls, "ReturnByID", "CheckCode", "CreateSession")
	sameCalls(t, w.wf.calls, "Verify")
	if w.wf.verify.ChallengeID != challenge {
		t.Fatalf("the workflow heard %+v", w.wf.verify)
	}
	sess := w.store.sessions[0]
	if opened.ReturnID != returnID || !strings.HasPrefix(opened.Session.Token, "rbr_") || sess.TokenHash != hashOf(opened.Session.Token) ||
		!opened.Session.ExpiresAt.Equal(t0.Add(30*24*time.Hour)) || *sess.ReturnID != returnID {
		t.Fatalf("opened %+v, session %+v", opened, sess)
	}
	// A return already past verification only opens a new session.
	w = newWorld()
	w.store.ret.Status = "submitted"
	w.store.leaveAfter = -1
	if _, err := w.svc.Verify(context.Background(), returnID, theCode); err != nil {
		t.Fatal(err)
	}
	sameCalls(t, w.wf.calls)
	if len(w.store.sessions) != 1 {
		t.Fatal("no session")
	}
}

func TestVerifyFailuresOpenNothing(t *testing.T) {
	refusal := apperr.State("the return has ended")
	for _, c := range []struct {
		name string
		set  func(*world)
		want error
	}{
		{"the workflow refuses", func(w *world) { w.wf.fail["Verify"] = refusal }, refusal},
		{"the check fails", func(w *world) { w.store.fail["CheckCode"] = errors.New("db down") }, nil},
		{"the read fails", func(w *world) { w.store.fail["ReturnByID"] = errors.New("db down") }, nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			w := newWorld()
			w.store.leaveAfter = -1
			c.set(w)
			_, err := w.svc.Verify(context.Background(), returnID, theCode)
			if err == nil || (c.want != nil && !errors.Is(err, c.want)) {
				t.Fatalf("err %v", err)
			}
			if len(w.store.sessions) != 0 {
				t.Fatal("opened a session")
			}
		})
	}
	w := newWorld()
	w.store.leaveAfter = -1
	w.store.fail["CreateSession"] = errors.New("db down")
	if _, err := w.svc.Verify(context.Background(), returnID, theCode); err == nil {
		t.Fatal("a session that was not stored was handed out")
	}
}

func TestResend(t *testing.T) {
	w := newWorld()
	w.store.leaveAfter = -1
	sent, err := w.svc.Resend(context.Background(), returnID, "::ffff:192.0.2.9")
	if err != nil {
		t.Fatal(err)
	}
	if sent.SentTo != "s******@example.com" || !sent.ExpiresAt.Equal(t0.Add(10*time.Minute)) {
		t.Fatalf("sent %+v", sent)
	}
	sameCalls(t, w.store.calls, "ReturnByID", "MerchantByID", "OrderByID", "RecordTry")
	try := w.store.recorded[0]
	if try.Action != db.TryCode || try.OrderKey != db.OrderKey("shop", "S-1") || try.ClientIP != "192.0.2.9" {
		t.Fatalf("try %+v", try)
	}
	if w.wf.send.ClientIP != "::ffff:192.0.2.9" {
		t.Fatalf("the workflow heard the client as %q", w.wf.send.ClientIP)
	}
}

func TestResendRefusals(t *testing.T) {
	refusal := apperr.Limited("rate-limited", "a code was sent moments ago", time.Minute)
	cases := []struct {
		name string
		id   string
		set  func(*world)
		kind error
		code string
		text string
		sent bool
	}{
		{"not an id", "x", nil, apperr.ErrNotFound, "", "no such return", false},
		{"no such return", otherID, nil, apperr.ErrNotFound, "", "no such return", false},
		{"too many tries on the order", returnID, func(w *world) { w.store.tries.ForOrder = otp.TriesPerOrder + 1 },
			apperr.ErrLimited, "rate-limited", "too many tries for this order; try again in 3600 seconds", false},
		{"the workflow's own limit", returnID, func(w *world) { w.wf.fail["SendCode"] = refusal },
			apperr.ErrLimited, "rate-limited", "a code was sent moments ago", true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			w := newWorld()
			w.store.leaveAfter = -1
			if c.set != nil {
				c.set(w)
			}
			_, err := w.svc.Resend(context.Background(), c.id, "192.0.2.7")
			refused(t, err, c.kind, c.code, c.text)
			if asked := len(w.wf.calls) > 0; asked != c.sent {
				t.Fatalf("asked the workflow: %v", asked)
			}
		})
	}
	for _, step := range []string{"MerchantByID", "OrderByID", "RecordTry"} {
		w := newWorld()
		w.store.leaveAfter = -1
		boom := errors.New(step)
		w.store.fail[step] = boom
		if _, err := w.svc.Resend(context.Background(), returnID, "192.0.2.7"); !errors.Is(err, boom) || len(w.wf.calls) != 0 {
			t.Fatalf("%s: %v", step, err)
		}
	}
}

func TestOpenSessionKeepsOnlyTheHash(t *testing.T) {
	f := newFakeStore()
	token, sess, err := OpenSession(context.Background(), f, "rbr_", t0, returnID, merchantID)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(token, "rbr_") || sess.TokenHash == token || sess.TokenHash != hashOf(token) || !sess.ExpiresAt.Equal(t0) {
		t.Fatalf("token %q session %+v", token, sess)
	}
	f.fail["CreateSession"] = errors.New("db down")
	if token, _, err := OpenSession(context.Background(), f, "rbr_", t0, returnID, merchantID); err == nil || token != "" {
		t.Fatal("a session that was not stored was handed out")
	}
}
