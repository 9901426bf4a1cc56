package db_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rebound-returns/rebound/db"
	"github.com/rebound-returns/rebound/db/dbtest"
)

// A bearer token is looked up with its member in one statement, and the
// member is read as they stand now: a new role, a one-time password or a
// disabled flag shows on the next lookup; an expired or ended session is
// not found; a shopper's session has no member.
func TestCallerByHash(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		sale, r, _ := shownReturn(t, d)
		mc, rid := sale.m, r.ID
		must(t, d.Staff.CreateStaff(ctx, &db.StaffUser{MerchantID: &mc.ID, Username: "ann", Role: "clerk", PasswordHash: "x"}))
		u, err := d.Staff.StaffByUsername(ctx, mc.ID, "ann")
		must(t, err)
		must(t, d.Staff.CreateSession(ctx, &db.Session{TokenHash: "staff", Kind: db.SessionStaff, StaffUserID: &u.ID, MerchantID: &mc.ID,
			Role: "clerk", ExpiresAt: time.Now().Add(time.Hour)}))
		must(t, d.Staff.CreateSession(ctx, &db.Session{TokenHash: "shopper", Kind: db.SessionShopper, ReturnID: &rid, MerchantID: &mc.ID,
			ExpiresAt: time.Now().Add(time.Hour)}))
		must(t, d.Staff.CreateSession(ctx, &db.Session{TokenHash: "old", Kind: db.SessionStaff, StaffUserID: &u.ID, MerchantID: &mc.ID,
			Role: "clerk", ExpiresAt: time.Now().Add(-time.Minute)}))
		var n atomic.Int64
		must(t, d.CountStatements(func() { n.Add(1) }))

		c, err := d.Staff.CallerByHash(ctx, "staff", time.Now())
		must(t, err)
		if n.Load() != 1 {
			t.Errorf("the lookup ran %d statements; want 1", n.Load())
		}
		if c.Session.Kind != db.SessionStaff || *c.Session.MerchantID != mc.ID || c.Staff == nil || c.Staff.ID != u.ID ||
			c.Staff.Username != "ann" || c.Staff.Role != "clerk" || c.Staff.Disabled || c.Staff.MustChangePassword {
			t.Fatalf("staff caller %+v %+v", c.Session, c.Staff)
		}
		must(t, d.Exec(ctx, "UPDATE staff_users SET role = 'supervisor', must_change_password = ?, disabled = ? WHERE id = ?", true, true, u.ID))
		c, err = d.Staff.CallerByHash(ctx, "staff", time.Now())
		must(t, err)
		if c.Staff.Role != "supervisor" || !c.Staff.Disabled || !c.Staff.MustChangePassword {
			t.Fatalf("the member was not read afresh: %+v", c.Staff)
		}
		c, err = d.Staff.CallerByHash(ctx, "shopper", time.Now())
		must(t, err)
		if c.Session.Kind != db.SessionShopper || *c.Session.ReturnID != rid || c.Staff != nil {
			t.Fatalf("shopper caller %+v %+v", c.Session, c.Staff)
		}
		for _, hash := range []string{"old", "nobody"} {
			if _, err := d.Staff.CallerByHash(ctx, hash, time.Now()); !errors.Is(err, db.ErrNotFound) {
				t.Errorf("%s: %v; want not found", hash, err)
			}
		}
		must(t, d.Staff.DeleteSession(ctx, "staff"))
		if _, err := d.Staff.CallerByHash(ctx, "staff", time.Now()); !errors.Is(err, db.ErrNotFound) {
			t.Errorf("after log-out: %v; want not found", err)
		}
	})
}
