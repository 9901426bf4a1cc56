package filing

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/rebound-returns/rebound/returns"

	"github.com/rebound-returns/rebound/app/apperr"
)

func seeAll(string, string) bool  { return true }
func seeNone(string, string) bool { return false }

// ownShop sees only merchant m1's returns.
func ownShop(merchant, _ string) bool { return merchant == merchantID }

func TestReturnIsSeenOnlyByWhoMay(t *testing.T) {
	cases := []struct {
		name string
		id   string
		see  See
		ok   bool
	}{
		{"its merchant", returnID, ownShop, true},
		{"no one else", returnID, seeNone, false},
		{"no judge: anyone", returnID, nil, true},
		{"not an id", "../etc", seeAll, false},
		{"no such return", otherID, seeAll, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			w := newWorld()
			w.store.leaveAfter = -1
			r, err := w.svc.Return(context.Background(), c.id, c.see)
			if !c.ok {
				refused(t, err, apperr.ErrNotFound, "", "no such return")
				return
			}
			if err != nil || r.ID != returnID || r.MerchantID != merchantID || r.Status != "pending_verification" {
				t.Fatalf("%+v %v", r, err)
			}
		})
	}
	w := newWorld()
	boom := errors.New("db down")
	w.store.fail["ReturnByID"] = boom
	if _, err := ReturnOf(context.Background(), w.store, returnID, seeAll); !errors.Is(err, boom) {
		t.Fatalf("err %v", err)
	}
}

func TestLabel(t *testing.T) {
	w := newWorld()
	w.store.leaveAfter = -1
	_, err := w.svc.Label(context.Background(), returnID, seeAll)
	refused(t, err, apperr.ErrNotFound, "no-label", "this return has no shipping label")

	w.store.ret.TrackingNumber = "TRK1"
	pdf, err := w.svc.Label(context.Background(), returnID, seeAll)
	if err != nil || string(pdf) != "%PDF "+returnID+" TRK1" {
		t.Fatalf("%q %v", pdf, err)
	}
	_, err = w.svc.Label(context.Background(), returnID, seeNone)
	refused(t, err, apperr.ErrNotFound, "", "no such return")

	boom := errors.New("no addresses")
	w.build(fakeLabels{err: boom})
	if _, err := w.svc.Label(context.Background(), returnID, seeAll); !errors.Is(err, boom) {
		t.Fatalf("err %v", err)
	}
}

func staff(role returns.Role) returns.Actor {
	return returns.Actor{Kind: returns.ActorStaff, Name: "kim", Role: role}
}

var shopper = returns.Actor{Kind: returns.ActorShopper, Name: "shopper"}

func TestMayCancel(t *testing.T) {
	for _, c := range []struct {
		actor returns.Actor
		ok    bool
	}{
		{shopper, true}, {staff("clerk"), true}, {staff("supervisor"), true}, {staff("admin"), true},
		{staff("finance"), false}, {staff("viewer"), false}, {staff(""), false},
	} {
		err := newWorld().svc.MayCancel(c.actor)
		if c.ok && err != nil {
			t.Errorf("%+v: %v", c.actor, err)
		}
		if !c.ok {
			refused(t, err, apperr.ErrForbidden, "forbidden", "your role ("+string(c.actor.Role)+") may not cancel returns")
		}
	}
}

func TestCancel(t *testing.T) {
	refusal := apperr.State("the return is refunded")
	cases := []struct {
		name   string
		req    CancelRequest
		failWF error
		kind   error
		code   string
		text   string
		sent   bool
	}{
		{"by the shopper", CancelRequest{ReturnID: returnID, Reason: "changed my mind", Actor: shopper, See: seeAll}, nil, nil, "", "", true},
		{"by a clerk", CancelRequest{ReturnID: returnID, Actor: staff("clerk"), See: ownShop}, nil, nil, "", "", true},
		{"by finance", CancelRequest{ReturnID: returnID, Actor: staff("finance"), See: ownShop}, nil,
			apperr.ErrForbidden, "forbidden", "your role (finance) may not cancel returns", false},
		{"a long reason", CancelRequest{ReturnID: returnID, Reason: strings.Repeat("x", 501), Actor: shopper, See: seeAll}, nil,
			apperr.ErrInvalid, "", "reason must be at most 500 characters", false},
		{"another's return", CancelRequest{ReturnID: returnID, Actor: shopper, See: seeNone}, nil,
			apperr.ErrNotFound, "", "no such return", false},
		{"the workflow refuses", CancelRequest{ReturnID: returnID, Actor: shopper, See: seeAll}, refusal,
			apperr.ErrState, "", "the return is refunded", true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			w := newWorld()
			w.store.leaveAfter = -1
			w.wf.fail["Cancel"] = c.failWF
			id, err := w.svc.Cancel(context.Background(), c.req)
			if c.kind != nil {
				refused(t, err, c.kind, c.code, c.text)
			} else if err != nil || id != returnID {
				t.Fatalf("%q %v", id, err)
			}
			if sent := len(w.wf.calls) > 0; sent != c.sent {
				t.Fatalf("sent to the workflow: %v", sent)
			}
			if c.sent && (w.wf.cancel.Reason != c.req.Reason || w.wf.cancel.Actor != c.req.Actor) {
				t.Fatalf("the workflow heard %+v", w.wf.cancel)
			}
		})
	}
	// Exactly 500 characters is a reason.
	w := newWorld()
	w.store.leaveAfter = -1
	if _, err := w.svc.Cancel(context.Background(), CancelRequest{ReturnID: returnID, Reason: strings.Repeat("x", 500),
		Actor: shopper, See: seeAll}); err != nil {
		t.Fatal(err)
	}
}
