package freeze

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/rebound-returns/rebound/app/apperr"
)

type world struct {
	store    *fakeStore
	workflow *fakeWorkflow
	admins   *fakeAdmins
	svc      *Service
}

func newWorld() *world {
	w := &world{store: newFakeStore(), workflow: &fakeWorkflow{}, admins: &fakeAdmins{}}
	w.svc = New(Deps{Store: w.store, Workflow: w.workflow, Admins: w.admins, Now: func() time.Time { return t0 }})
	return w
}

var (
	admin    = Caller{Username: "boss", Role: "admin", MerchantID: merchantID}
	operator = Caller{Username: "op", Role: "operator"}
)

// invalid checks err refuses exactly fields ("name: reason").
func invalid(t *testing.T, err error, fields ...string) {
	t.Helper()
	e := apperr.As(err)
	if e == nil || !errors.Is(err, apperr.ErrInvalid) {
		t.Fatalf("error %v, want invalid %v", err, fields)
	}
	var got []string
	for _, f := range e.Fields {
		got = append(got, f.Name+": "+f.Reason)
	}
	if !reflect.DeepEqual(got, fields) {
		t.Fatalf("fields %v, want %v", got, fields)
	}
}

const reasonRule = "reason: is required (at most 500 characters): admins and the audit log are told"

// Every way a freeze is refused, and the store's calls up to the refusal:
// nothing is created, no admin is told.
func TestPlaceRefusals(t *testing.T) {
	cases := []struct {
		name   string
		req    Request
		fields []string // invalid fields; nil: plain errStore
		fail   string
		calls  string
	}{
		{name: "nothing", req: Request{Caller: admin, Reason: "  ", StoreCode: "main", TerminalID: "DP000001"},
			fields: []string{reasonRule, "terminal_id: freeze a store or a terminal, not both"}},
		{name: "reason too long", req: Request{Caller: admin, Reason: strings.Repeat("x", 501)}, fields: []string{reasonRule}},
		{name: "an admin names a merchant", req: Request{Caller: admin, Merchant: "demo", Reason: "fraud"},
			fields: []string{"merchant: only operators name a merchant"}},
		{name: "admin's merchant unread", req: Request{Caller: admin, Reason: "fraud"}, fail: "MerchantByID", calls: "MerchantByID"},
		{name: "an operator names none", req: Request{Caller: operator, Merchant: " ", Reason: "fraud"}, fields: []string{"merchant: is required"}},
		{name: "no such merchant", req: Request{Caller: operator, Merchant: "gamma", Reason: "fraud"},
			fields: []string{"merchant: no such merchant"}, calls: "MerchantBySlug"},
		{name: "merchant unread", req: Request{Caller: operator, Merchant: "demo", Reason: "fraud"}, fail: "MerchantBySlug", calls: "MerchantBySlug"},
		{name: "not the merchant's store", req: Request{Caller: operator, Merchant: "other", StoreCode: "main", Reason: "fraud"},
			fields: []string{"store_code: is not a store of this merchant"}, calls: "MerchantBySlug StoreByCode"},
		{name: "store unread", req: Request{Caller: admin, StoreCode: "main", Reason: "fraud"}, fail: "StoreByCode", calls: "MerchantByID StoreByCode"},
		{name: "not the merchant's terminal", req: Request{Caller: operator, Merchant: "other", TerminalID: "dp000001", Reason: "fraud"},
			fields: []string{"terminal_id: is not a terminal of this merchant"}, calls: "MerchantBySlug TerminalByID"},
		{name: "terminal unread", req: Request{Caller: admin, TerminalID: "DP000001", Reason: "fraud"}, fail: "TerminalByID",
			fields: []string{"terminal_id: is not a terminal of this merchant"}, calls: "MerchantByID TerminalByID"},
		{name: "not created", req: Request{Caller: admin, Reason: "fraud"}, fail: "CreateFreeze", calls: "MerchantByID CreateFreeze"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			w := newWorld()
			w.store.failOn = c.fail
			v, err := w.svc.Place(context.Background(), c.req)
			if c.fields != nil {
				invalid(t, err, c.fields...)
			} else if !errors.Is(err, errStore) {
				t.Fatalf("error %v, want the store's", err)
			}
			if v != (View{}) || len(w.admins.told) != 0 || w.store.called() != c.calls {
				t.Fatalf("view %+v, told %v, calls %q (want %q)", v, w.admins.told, w.store.called(), c.calls)
			}
		})
	}
}

func TestPlace(t *testing.T) {
	cases := []struct {
		name string
		req  Request
		want View
		told string
	}{
		{name: "an admin, the whole merchant", req: Request{Caller: admin, Reason: " fraud "},
			want: View{Merchant: "demo", Scope: "merchant", CreatedBy: "boss"},
			told: "m1: Refunds frozen at Demo: Refunds for the whole merchant of Demo are frozen by boss: fraud. Refunds already sending finish; new ones wait until the freeze is lifted."},
		{name: "an operator, a store", req: Request{Caller: operator, Merchant: "demo", StoreCode: "main", Reason: "fraud"},
			want: View{Merchant: "demo", Scope: "store", StoreCode: "main", CreatedBy: "op", ByOperator: true},
			told: "m1: Refunds frozen at Demo: Refunds for a store of Demo are frozen by op: fraud."},
		{name: "a terminal, named in lower case", req: Request{Caller: admin, TerminalID: "dp000001", Reason: "fraud"},
			want: View{Merchant: "demo", Scope: "terminal", TerminalID: "DP000001", CreatedBy: "boss"},
			told: "m1: Refunds frozen at Demo: Refunds for terminal DP000001 of Demo are frozen by boss: fraud."},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			w := newWorld()
			v, err := w.svc.Place(context.Background(), c.req)
			if err != nil {
				t.Fatal(err)
			}
			c.want.ID, c.want.Reason, c.want.CreatedAt, c.want.Active = freezeID, "fraud", t0, true
			if v != c.want {
				t.Fatalf("view %+v, want %+v", v, c.want)
			}
			if f := w.store.freezes[0]; f.MerchantID != merchantID || f.CreatedRole != c.req.Caller.Role || f.Reason != "fraud" {
				t.Fatalf("freeze %+v", f)
			}
			if len(w.admins.told) != 1 || !strings.HasPrefix(w.admins.told[0], c.told) {
				t.Fatalf("told %v, want %q", w.admins.told, c.told)
			}
		})
	}
}

const noFreeze = "no such freeze in force that you may lift (an operator's freeze is lifted by an operator)"

// placed is a world with one freeze in force, placed by role of merchant.
func placed(t *testing.T, by Caller, merchant string) *world {
	t.Helper()
	w := newWorld()
	if _, err := w.svc.Place(context.Background(), Request{Caller: by, Merchant: merchant, StoreCode: "main", Reason: "fraud"}); err != nil {
		t.Fatal(err)
	}
	w.store.calls, w.admins.told = nil, nil
	return w
}

func TestLiftRefusals(t *testing.T) {
	cases := []struct {
		name   string
		w      func(t *testing.T) *world
		caller Caller
		id     string
		fail   string
		calls  string
	}{
		{name: "not an id", w: func(t *testing.T) *world { return placed(t, admin, "") }, caller: admin, id: "x"},
		{name: "an upper-case id", w: func(t *testing.T) *world { return placed(t, admin, "") }, caller: admin, id: strings.ToUpper(freezeID)},
		{name: "no such freeze", w: func(*testing.T) *world { return newWorld() }, caller: operator, id: freezeID, calls: "LiftFreeze"},
		{name: "an operator's, by an admin", w: func(t *testing.T) *world { return placed(t, operator, "demo") }, caller: admin, id: freezeID, calls: "LiftFreeze"},
		{name: "another merchant's", w: func(t *testing.T) *world { return placed(t, admin, "") },
			caller: Caller{Username: "x", Role: "admin", MerchantID: "m2"}, id: freezeID, calls: "LiftFreeze"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			w := c.w(t)
			l, err := w.svc.Lift(context.Background(), c.caller, c.id)
			e := apperr.As(err)
			if e == nil || !errors.Is(err, apperr.ErrNotFound) || e.Code != "not-found" || e.Detail != noFreeze {
				t.Fatalf("error %v", err)
			}
			if l != (Lifted{}) || w.store.called() != c.calls || len(w.admins.told) != 0 {
				t.Fatalf("lifted %+v, calls %q, told %v", l, w.store.called(), w.admins.told)
			}
		})
	}
	w := placed(t, admin, "")
	w.store.failOn = "LiftFreeze"
	if _, err := w.svc.Lift(context.Background(), admin, freezeID); !errors.Is(err, errStore) {
		t.Fatalf("store down: %v", err)
	}
	w = placed(t, admin, "")
	w.store.failOn = "MerchantByID"
	if _, err := w.svc.Lift(context.Background(), admin, freezeID); !errors.Is(err, errStore) || len(w.admins.told) != 0 {
		t.Fatalf("merchant unread: %v, told %v", err, w.admins.told)
	}
}

// A lift wakes every refund the freeze held (one not woken is let be: it
// looks again on its own) and tells the admins.
func TestLift(t *testing.T) {
	for _, by := range []Caller{admin, operator} {
		w := placed(t, admin, "")
		w.store.waiting = []string{"refund-a", "refund-b"}
		w.workflow.err = errors.New("temporal down")
		l, err := w.svc.Lift(context.Background(), by, freezeID)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(w.store.lifted, []any{by.MerchantID, freezeID, by.Username, t0}) {
			t.Fatalf("lifted with %v", w.store.lifted)
		}
		lifted := t0
		want := View{ID: freezeID, Merchant: "demo", Scope: "store", StoreCode: "main", Reason: "fraud", CreatedBy: "boss", CreatedAt: t0,
			LiftedAt: &lifted, LiftedBy: by.Username}
		if l.Released != 2 || !reflect.DeepEqual(l.Freeze, want) || !reflect.DeepEqual(w.workflow.woken, []string{"refund-a", "refund-b"}) {
			t.Fatalf("lifted %+v, woken %v", l, w.workflow.woken)
		}
		if told := "m1: Refunds unfrozen at Demo: The refund freeze on a store of Demo was lifted by " + by.Username + "; waiting refunds go on."; !reflect.DeepEqual(w.admins.told, []string{told}) {
			t.Fatalf("told %v", w.admins.told)
		}
		if w.store.called() != "LiftFreeze MerchantByID Stores" {
			t.Fatalf("calls %q", w.store.called())
		}
	}
}

func pageOf(p Page, err error) func() (Page, error) { return func() (Page, error) { return p, err } }

func TestList(t *testing.T) {
	errPage := errors.New("bad cursor")
	w := newWorld()
	for _, r := range []Request{{Caller: admin, Reason: "a"}, {Caller: operator, Merchant: "other", Reason: "b"}, {Caller: admin, StoreCode: "main", Reason: "c"}} {
		if _, err := w.svc.Place(context.Background(), r); err != nil {
			t.Fatal(err)
		}
	}
	reasons := func(l *Listed) (out []string) {
		for _, v := range l.Items {
			out = append(out, v.Merchant+"/"+v.Scope+"/"+v.Reason)
		}
		return out
	}
	cases := []struct {
		name string
		req  ListRequest
		want []string
		err  error
	}{
		{name: "an admin sees their own, whatever they name", req: ListRequest{Caller: admin, Merchant: "other"},
			want: []string{"demo/merchant/a", "demo/store/c"}},
		{name: "an operator sees all", req: ListRequest{Caller: operator}, want: []string{"demo/merchant/a", "other/merchant/b", "demo/store/c"}},
		{name: "an operator names one", req: ListRequest{Caller: operator, Merchant: "other"}, want: []string{"other/merchant/b"}},
		{name: "a bad page", req: ListRequest{Caller: operator, Merchant: "other", Page: pageOf(Page{}, errPage)}, err: errPage},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if c.req.Page == nil {
				c.req.Page = pageOf(Page{Offset: 2, Limit: 5}, nil)
			}
			p, l, err := w.svc.List(context.Background(), c.req)
			if c.err != nil {
				if !errors.Is(err, c.err) || l != nil {
					t.Fatalf("%v, want %v", err, c.err)
				}
				return
			}
			if err != nil || p != (Page{Offset: 2, Limit: 5}) || !l.More || l.Total != 5 || !reflect.DeepEqual(reasons(l), c.want) {
				t.Fatalf("page %+v, %+v, %v; want %v", p, l, err, c.want)
			}
		})
	}
	// An unknown merchant is the answer even when the page is bad too.
	_, _, err := w.svc.List(context.Background(), ListRequest{Caller: operator, Merchant: "gamma", Page: pageOf(Page{}, errPage)})
	invalid(t, err, "merchant: no such merchant")
	for _, fail := range []string{"MerchantBySlug", "Freezes", "MerchantByID", "Stores"} {
		w.store.failOn = fail
		if _, _, err := w.svc.List(context.Background(), ListRequest{Caller: operator, Merchant: "demo", Page: pageOf(Page{}, nil)}); !errors.Is(err, errStore) {
			t.Fatalf("%s failing: %v", fail, err)
		}
	}
}
