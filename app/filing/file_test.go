package filing

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
	"github.com/rebound-returns/rebound/otp"
	"github.com/rebound-returns/rebound/returns"
)

func hashOf(token string) string { return auth.HashToken(token) }

// refused checks that err is a refusal of kind with code and text, and
// answers it.
func refused(t *testing.T, err error, kind error, code, text string) *apperr.Error {
	t.Helper()
	e := apperr.As(err)
	if e == nil || !errors.Is(err, kind) {
		t.Fatalf("err %v; want a refusal %v", err, kind)
	}
	if e.Code != code || e.Error() != text {
		t.Fatalf("refusal %q %q; want %q %q", e.Code, e.Error(), code, text)
	}
	return e
}

func sameCalls(t *testing.T, got []string, want ...string) {
	t.Helper()
	if !reflect.DeepEqual(got, want) && !(len(got) == 0 && len(want) == 0) {
		t.Fatalf("calls %v; want %v", got, want)
	}
}

func byEmail() FileRequest {
	return FileRequest{Merchant: " shop ", OrderNumber: "S-1 ", Contact: " Shopper@Example.com ", Lines: aLine,
		Method: returns.MethodShip, ClientIP: "192.0.2.7"}
}

// What is wrong whatever the order is is said at once, before any try is
// counted.
func TestFileRefusesBadInputBeforeAnyLookUp(t *testing.T) {
	access := &Access{ID: lookupID}
	cases := []struct {
		name string
		req  FileRequest
		text string // the refusal's text, or its start
	}{
		{"all missing", FileRequest{Lines: aLine}, "contact is required; merchant is required; method must be ship or in_store; order_number is required"},
		{"blank contact", FileRequest{Merchant: "shop", OrderNumber: "S-1", Contact: "  ", Lines: aLine, Method: "ship"}, "contact is required"},
		{"through a lookup only the method", FileRequest{Access: access, Lines: aLine, Method: "post"}, "method must be ship or in_store"},
		{"no lines", FileRequest{Merchant: "shop", OrderNumber: "S-1", Contact: "a@b.c", Method: "in_store"}, "lines must name at least one line"},
		{"unknown reason", FileRequest{Access: access, Method: "ship", Lines: []returns.RequestedLine{{LineID: "shoes", Quantity: 1, Reason: "bored"}}},
			"lines[0].reason "},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			w := newWorld()
			_, err := w.svc.File(context.Background(), c.req)
			e := apperr.As(err)
			if e == nil || !errors.Is(err, apperr.ErrInvalid) {
				t.Fatalf("err %v; want invalid", err)
			}
			if !strings.HasPrefix(e.Error(), c.text) {
				t.Fatalf("refusal %q; want %q", e.Error(), c.text)
			}
			sameCalls(t, w.store.calls)
			sameCalls(t, w.wf.calls)
		})
	}
}

// Before a code is verified every mismatch is the same no-such-order,
// after the floor, and the try is counted first.
func TestFileUnverifiedMismatchesAreOneAnswerAfterTheFloor(t *testing.T) {
	cases := []struct {
		name  string
		edit  func(*FileRequest)
		calls []string
	}{
		{"unknown merchant", func(r *FileRequest) { r.Merchant = "other" }, []string{"RecordTry", "MerchantBySlug"}},
		{"unknown order", func(r *FileRequest) { r.OrderNumber = "S-2" }, []string{"RecordTry", "MerchantBySlug", "OrderByNumber"}},
		{"wrong e-mail", func(r *FileRequest) { r.Contact = "someone@example.com" }, []string{"RecordTry", "MerchantBySlug", "OrderByNumber"}},
		{"wrong phone", func(r *FileRequest) { r.Contact = "+49 151 0000000" }, []string{"RecordTry", "MerchantBySlug", "OrderByNumber"}},
		{"a line the order does not have", func(r *FileRequest) {
			r.Lines = []returns.RequestedLine{{LineID: "hat", Quantity: 1, Reason: "too_small"}}
		}, []string{"RecordTry", "MerchantBySlug", "OrderByNumber"}},
		{"more than was ordered", func(r *FileRequest) {
			r.Lines = []returns.RequestedLine{{LineID: "socks", Quantity: 2, Reason: "too_small"}}
		}, []string{"RecordTry", "MerchantBySlug", "OrderByNumber"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			w := newWorld()
			req := byEmail()
			c.edit(&req)
			_, err := w.svc.File(context.Background(), req)
			refused(t, err, apperr.ErrNotFound, "no-such-order", "no order matches this merchant, order number and contact")
			sameCalls(t, w.store.calls, c.calls...)
			if w.clock.total() != Floor {
				t.Fatalf("slept %v; want the floor %v", w.clock.total(), Floor)
			}
			try := w.store.recorded[0]
			if try.Action != db.TryFiling || try.ClientIP != "192.0.2.7" || try.OrderKey != db.OrderKey(req.Merchant, req.OrderNumber) ||
				!try.CreatedAt.Equal(t0) {
				t.Fatalf("try %+v", try)
			}
			if !w.store.since.Equal(t0.Add(-otp.Window)) {
				t.Fatalf("counted since %v", w.store.since)
			}
			sameCalls(t, w.wf.calls)
		})
	}
}

// A mismatch that took longer than the floor waits no more.
func TestFileFloorCountsTheTimeAlreadySpent(t *testing.T) {
	w := newWorld()
	slow := &slowStore{fakeStore: w.store, clock: w.clock, by: 100 * time.Millisecond}
	w.svc = New(Deps{Store: slow, Workflow: w.wf, Now: func() time.Time { return t0 }, Clock: w.clock.Now, Sleep: w.clock.Sleep})
	req := byEmail()
	req.Contact = "nobody@example.com"
	_, err := w.svc.File(context.Background(), req)
	refused(t, err, apperr.ErrNotFound, "no-such-order", "no order matches this merchant, order number and contact")
	if w.clock.total() != Floor-100*time.Millisecond {
		t.Fatalf("slept %v; want the rest of the floor", w.clock.total())
	}
	slow.by = time.Second
	w.clock.slept = nil
	_, _ = w.svc.File(context.Background(), req)
	if len(w.clock.slept) != 0 {
		t.Fatalf("slept %v after a slow look-up", w.clock.slept)
	}
}

// slowStore's MerchantBySlug takes by on the wait clock.
type slowStore struct {
	*fakeStore
	clock *fakeClock
	by    time.Duration
}

func (s *slowStore) MerchantBySlug(ctx context.Context, slug string) (*db.Merchant, error) {
	s.clock.now = s.clock.now.Add(s.by)
	return s.fakeStore.MerchantBySlug(ctx, slug)
}

func TestFileLimits(t *testing.T) {
	cases := []struct {
		name  string
		set   func(*fakeStore)
		text  string
		calls []string
	}{
		{"tries from the address", func(f *fakeStore) { f.tries = db.TryCounts{ForClient: otp.TriesPerClient + 1} },
			"too many tries from this address; try again in 3600 seconds", []string{"RecordTry"}},
		{"tries on the order", func(f *fakeStore) { f.tries = db.TryCounts{ForOrder: otp.TriesPerOrder + 1} },
			"too many tries for this order; try again in 3600 seconds", []string{"RecordTry"}},
		{"codes to the contact", func(f *fakeStore) { f.codes = db.CodeCounts{ForContact: otp.PerContact} },
			"too many codes for this contact; try again in 3600 seconds", []string{"RecordTry", "MerchantBySlug", "OrderByNumber", "CountCodes"}},
		{"codes from the address", func(f *fakeStore) { f.codes = db.CodeCounts{ForClient: otp.PerClient} },
			"too many codes from this address; try again in 3600 seconds", []string{"RecordTry", "MerchantBySlug", "OrderByNumber", "CountCodes"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			w := newWorld()
			c.set(w.store)
			_, err := w.svc.File(context.Background(), byEmail())
			e := refused(t, err, apperr.ErrLimited, "rate-limited", c.text)
			if e.RetryAfter() != otp.Window {
				t.Fatalf("wait %v", e.RetryAfter())
			}
			sameCalls(t, w.store.calls, c.calls...)
			if len(w.clock.slept) != 0 {
				t.Fatal("a limit is not a mismatch: no floor")
			}
		})
	}
}

func TestFileUnverifiedStoresTheReturnAndStartsItsWorkflow(t *testing.T) {
	for _, c := range []struct{ typed, contact, kind, sentTo string }{
		{" Shopper@Example.com ", "shopper@example.com", KindEmail, "s******@example.com"},
		{"+49 151 1234-5678", "+4915112345678", KindPhone, "+49********678"},
	} {
		t.Run(c.kind, func(t *testing.T) {
			w := newWorld()
			req := byEmail()
			req.Contact = c.typed
			filed, err := w.svc.File(context.Background(), req)
			if err != nil {
				t.Fatal(err)
			}
			want := Filed{ReturnID: otherID, Status: "pending_verification", SentTo: c.sentTo, VerifyWithin: 10 * time.Minute}
			if !reflect.DeepEqual(filed, want) {
				t.Fatalf("filed %+v; want %+v", filed, want)
			}
			sameCalls(t, w.store.calls, "RecordTry", "MerchantBySlug", "OrderByNumber", "CountCodes", "CreateReturn")
			sameCalls(t, w.wf.calls, "StartReturn")
			r := w.store.created[0]
			if r.Contact != c.contact || r.ContactKind != c.kind || r.MerchantID != merchantID || r.OrderID != orderID ||
				r.Status != "pending_verification" || r.Method != "ship" || r.Currency != "EUR" || r.Channel != "card_present" {
				t.Fatalf("stored %+v", r)
			}
			if len(r.Lines) != 1 || r.Lines[0].LineID != "shoes" || r.Lines[0].Reason != "too_small" {
				t.Fatalf("lines %+v", r.Lines)
			}
			if pol, err := returns.ParsePolicy(r.Policy); err != nil || pol.VerifyWithin.D() != 10*time.Minute {
				t.Fatalf("policy snapshot %s: %v", r.Policy, err)
			}
			in := w.wf.in
			if in.ReturnID != otherID || in.MerchantID != merchantID || in.OrderID != orderID || in.PaymentID != "gw-1" ||
				in.ClientIP != "192.0.2.7" || in.VerifiedBy != "" || !in.FiledAt.Equal(t0) || in.Order.Number != "S-1" ||
				in.Order.Paid != 9500 || len(in.Order.Lines) != 2 || in.Lines[0].LineID != "shoes" || in.Channel != "card_present" {
				t.Fatalf("input %+v", in)
			}
			if len(w.store.sessions) != 0 {
				t.Fatal("an unverified filing opens no session")
			}
		})
	}
}

// The start outlives the request: a shopper who goes away does not leave
// a row without a workflow.
func TestFileStartOutlivesTheRequest(t *testing.T) {
	w := newWorld()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := w.svc.File(ctx, byEmail()); err != nil {
		t.Fatal(err)
	}
	if w.wf.ctxErr != nil {
		t.Fatalf("start's context: %v", w.wf.ctxErr)
	}
}

// A failed start removes the row only when the workflow is certainly not
// there.
func TestFileFailedStart(t *testing.T) {
	startErr := errors.New("temporal unreachable")
	cases := []struct {
		name     string
		started  bool
		describe error
		err      error
		deleted  []string
	}{
		{"not there: the row goes", false, nil, startErr, []string{otherID}},
		{"there after all: filed", true, nil, nil, nil},
		{"in doubt: the row stays", false, errors.New("describe failed"), startErr, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			w := newWorld()
			w.wf.fail["StartReturn"], w.wf.fail["ReturnStarted"], w.wf.started = startErr, c.describe, c.started
			_, err := w.svc.File(context.Background(), byEmail())
			if !errors.Is(err, c.err) || (c.err == nil) != (err == nil) {
				t.Fatalf("err %v; want %v", err, c.err)
			}
			if !reflect.DeepEqual(w.store.deleted, c.deleted) {
				t.Fatalf("deleted %v; want %v", w.store.deleted, c.deleted)
			}
		})
	}
	w := newWorld()
	w.wf.fail["StartReturn"] = startErr
	w.store.fail["DeleteUnstartedReturn"] = errors.New("db down")
	if _, err := w.svc.File(context.Background(), byEmail()); !errors.Is(err, startErr) {
		t.Fatalf("a failed delete keeps the start's error: %v", err)
	}
}

func TestFileStoreFailuresStopIt(t *testing.T) {
	for _, step := range []string{"RecordTry", "MerchantBySlug", "OrderByNumber", "CountCodes", "CreateReturn"} {
		t.Run(step, func(t *testing.T) {
			w := newWorld()
			boom := errors.New(step + " failed")
			w.store.fail[step] = boom
			if _, err := w.svc.File(context.Background(), byEmail()); !errors.Is(err, boom) {
				t.Fatalf("err %v", err)
			}
			sameCalls(t, w.wf.calls)
		})
	}
	w := newWorld()
	w.store.merchant.Policy = db.JSON(`{"verify_within":`)
	if _, err := w.svc.File(context.Background(), byEmail()); err == nil || len(w.store.created) != 0 {
		t.Fatalf("a broken policy files nothing: %v", err)
	}
}

func viaLookup(a *Access) FileRequest {
	return FileRequest{Access: a, Lines: aLine, Method: returns.MethodInStore, ClientIP: "2001:db8::1"}
}

// Through a verified lookup the return is verified from the start: no try
// and no code, one of the lookup's filings, and a session once the
// workflow has submitted it.
func TestFileThroughALookupIsVerifiedAtOnce(t *testing.T) {
	w := newWorld()
	a, _ := w.verified()
	w.store.leaveAfter = 2
	filed, err := w.svc.File(context.Background(), viaLookup(a))
	if err != nil {
		t.Fatal(err)
	}
	sameCalls(t, w.store.calls, "MerchantByID", "OrderByID", "ClaimLookupFiling", "CreateReturn",
		"ReturnByID", "ReturnByID", "ReturnByID", "CreateSession")
	if w.wf.in.VerifiedBy != lookupID || w.wf.in.Method != "in_store" || w.wf.in.ClientIP != "2001:db8::1" {
		t.Fatalf("input %+v", w.wf.in)
	}
	if r := w.store.created[0]; r.Contact != "shopper@example.com" || r.ContactKind != KindEmail {
		t.Fatalf("stored %+v", r)
	}
	if filed.Session == nil || !strings.HasPrefix(filed.Session.Token, "rbr_") || filed.SentTo != "" {
		t.Fatalf("filed %+v", filed)
	}
	sess := w.store.sessions[0]
	if sess.TokenHash != hashOf(filed.Session.Token) || *sess.ReturnID != otherID || *sess.MerchantID != merchantID ||
		sess.Kind != db.SessionShopper || !sess.ExpiresAt.Equal(t0.Add(30*24*time.Hour)) || !filed.Session.ExpiresAt.Equal(sess.ExpiresAt) {
		t.Fatalf("session %+v", sess)
	}
	if !reflect.DeepEqual(w.clock.slept, []time.Duration{50 * time.Millisecond, 50 * time.Millisecond}) {
		t.Fatalf("polled %v", w.clock.slept)
	}
}

// The wait for the workflow's submission is bounded; the answer comes
// anyway.
func TestFileThroughALookupWaitsAtMostAwaitFor(t *testing.T) {
	w := newWorld()
	a, _ := w.verified()
	w.store.leaveAfter = -1
	filed, err := w.svc.File(context.Background(), viaLookup(a))
	if err != nil || filed.Session == nil {
		t.Fatalf("%+v %v", filed, err)
	}
	if w.clock.total() != 10*time.Second || len(w.clock.slept) != 200 {
		t.Fatalf("waited %v in %d ticks", w.clock.total(), len(w.clock.slept))
	}
	// A read that fails ends the wait.
	w = newWorld()
	a, _ = w.verified()
	w.store.leaveAfter = -1
	w.store.fail["ReturnByID"] = errors.New("db down")
	if _, err := w.svc.File(context.Background(), viaLookup(a)); err != nil || len(w.clock.slept) != 0 {
		t.Fatalf("%v after %v", err, w.clock.slept)
	}
}

func TestFileThroughALookupRefusals(t *testing.T) {
	w := newWorld()
	a, _ := w.verified()
	req := viaLookup(a)
	req.Lines = []returns.RequestedLine{{LineID: "hat", Quantity: 1, Reason: "too_small"}}
	_, err := w.svc.File(context.Background(), req)
	e := apperr.As(err)
	if e == nil || !errors.Is(err, apperr.ErrInvalid) || e.Fields[0].Name != "lines[0].line_id" {
		t.Fatalf("a verified shopper hears which line: %v", err)
	}
	sameCalls(t, w.store.calls, "MerchantByID", "OrderByID")

	w = newWorld()
	a, _ = w.verified()
	w.store.claimOK = false
	_, err = w.svc.File(context.Background(), viaLookup(a))
	e = refused(t, err, apperr.ErrLimited, "filings-exhausted",
		"this order's access has filed as many returns as it may: find the order again to file more")
	if e.RetryAfter() != OrderAccessLife {
		t.Fatalf("wait %v", e.RetryAfter())
	}
	if len(w.store.created) != 0 {
		t.Fatal("filed beyond the cap")
	}

	for _, step := range []string{"MerchantByID", "OrderByID", "ClaimLookupFiling", "CreateSession"} {
		w = newWorld()
		a, _ = w.verified()
		boom := errors.New(step + " failed")
		w.store.fail[step] = boom
		if _, err := w.svc.File(context.Background(), viaLookup(a)); !errors.Is(err, boom) {
			t.Fatalf("%s: %v", step, err)
		}
	}
}
