package db_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rebound-returns/rebound/db"
	"github.com/rebound-returns/rebound/db/dbtest"
)

// Tries are claimed before the secret is checked: of 50 at once against a
// limit of 10, exactly 10 are let through, the last of them locks, and no
// try is let through while the lock holds — not even a right one.
func TestConcurrentTriesClaimAtMostTheLimit(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		m := seedMerchant(t, d, "demo")
		u := &db.StaffUser{MerchantID: &m.ID, Username: "sup", Role: "supervisor", PasswordHash: "x"}
		if err := d.Staff.CreateStaff(ctx, u); err != nil {
			t.Fatal(err)
		}
		l := db.Lockout{Limit: 10, For: 30 * time.Minute}
		now := time.Now()
		var claimed, locks, refused atomic.Int32
		var wg sync.WaitGroup
		for range 50 {
			wg.Go(func() {
				try, err := d.Staff.ClaimPasswordTry(ctx, u.ID, l, now)
				switch {
				case err != nil:
					t.Error(err)
				case try.Claimed:
					claimed.Add(1)
					if try.Locks {
						locks.Add(1)
					}
				default:
					refused.Add(1)
					if !try.LockedUntil.After(now) {
						t.Errorf("refused try says the lock ends at %v", try.LockedUntil)
					}
				}
			})
		}
		wg.Wait()
		if claimed.Load() != 10 || locks.Load() != 1 || refused.Load() != 40 {
			t.Fatalf("claimed %d (locking %d), refused %d; want 10 (1), 40", claimed.Load(), locks.Load(), refused.Load())
		}
		got, err := d.Staff.StaffByID(ctx, u.ID)
		if err != nil || got.LockedUntil == nil || got.FailedLogins != 10 {
			t.Fatalf("after 50 tries: %+v, %v", got, err)
		}
		// Still locked a minute before the end; free after it, with a new count.
		if try, _ := d.Staff.ClaimPasswordTry(ctx, u.ID, l, now.Add(29*time.Minute)); try.Claimed {
			t.Fatal("a try was let through while locked")
		}
		try, err := d.Staff.ClaimPasswordTry(ctx, u.ID, l, now.Add(31*time.Minute))
		if err != nil || !try.Claimed || try.Locks {
			t.Fatalf("after the lock: %+v, %v", try, err)
		}
		if got, _ := d.Staff.StaffByID(ctx, u.ID); got.FailedLogins != 1 || got.LockedUntil != nil {
			t.Fatalf("a new count starts after the lock: %+v", got)
		}
		if _, err := d.Staff.ClaimPasswordTry(ctx, db.NewID(), l, now); err == nil {
			t.Fatal("a try on nobody was claimed")
		}
	})
}

// A success within the limit resets the count; a success never lifts a lock
// that tries claimed after it set.
func TestASuccessResetsTheCountButNotALaterLock(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		m := seedMerchant(t, d, "demo")
		u := &db.StaffUser{MerchantID: &m.ID, Username: "sup", Role: "supervisor", PasswordHash: "x"}
		if err := d.Staff.CreateStaff(ctx, u); err != nil {
			t.Fatal(err)
		}
		l := db.Lockout{Limit: 3, For: time.Hour}
		now := time.Now()
		claim := func() db.Try {
			t.Helper()
			try, err := d.Staff.ClaimPasswordTry(ctx, u.ID, l, now)
			if err != nil {
				t.Fatal(err)
			}
			return try
		}
		claim()
		right := claim()
		if err := d.Staff.PasswordSucceeded(ctx, u.ID, right); err != nil {
			t.Fatal(err)
		}
		if got, _ := d.Staff.StaffByID(ctx, u.ID); got.FailedLogins != 0 {
			t.Fatalf("a success left %d failures", got.FailedLogins)
		}
		// The right password's try is claimed, then two guesses lock the
		// account before it is found right: the lock stays.
		right = claim()
		claim()
		if last := claim(); !last.Locks {
			t.Fatal("the third try does not lock")
		}
		if err := d.Staff.PasswordSucceeded(ctx, u.ID, right); err != nil {
			t.Fatal(err)
		}
		if claim().Claimed {
			t.Fatal("a success lifted a lock later tries set")
		}
		// The try that reaches the limit, found right, lifts its own lock.
		try, err := d.Staff.ClaimPasswordTry(ctx, u.ID, l, now.Add(2*time.Hour))
		if err != nil || !try.Claimed {
			t.Fatal(try, err)
		}
		claim2 := func() db.Try {
			try, _ := d.Staff.ClaimPasswordTry(ctx, u.ID, l, now.Add(2*time.Hour))
			return try
		}
		claim2()
		last := claim2()
		if !last.Locks {
			t.Fatal("the third try does not lock")
		}
		if err := d.Staff.PasswordSucceeded(ctx, u.ID, last); err != nil {
			t.Fatal(err)
		}
		if got, _ := d.Staff.StaffByID(ctx, u.ID); got.FailedLogins != 0 || got.LockedUntil != nil {
			t.Fatalf("the last try, right, left %+v", got)
		}
	})
}

// Migration 00010 rebuilds staff_users on SQLite: members, their sessions
// and the sessions' reference to them come through it, down and up again.
func TestStaffKeepTheirSessionsThroughMigration10(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	for _, e := range dbtest.Engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			d, err := db.Open(e.URL(t), db.DefaultPool, nil)
			if err != nil {
				t.Fatal(err)
			}
			defer d.Close()
			m, err := db.NewMigrator(d, nil)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := m.Up(ctx); err != nil {
				t.Fatal(err)
			}
			if _, err := m.DownTo(ctx, 9); err != nil {
				t.Fatal(err)
			}
			// Written at version 9, by hand: the models know version 10.
			mc := seedMerchant(t, d, "demo")
			must(t, d.Staff.CreateStaff(ctx, &db.StaffUser{MerchantID: &mc.ID, Username: "ann", Role: "clerk", PasswordHash: "x"}))
			u, err := d.Staff.StaffByUsername(ctx, mc.ID, "ann")
			if err != nil {
				t.Fatal(err)
			}
			must(t, d.Staff.CreateSession(ctx, &db.Session{TokenHash: "h1", Kind: db.SessionStaff, StaffUserID: &u.ID, MerchantID: &mc.ID,
				Role: "clerk", ExpiresAt: time.Now().Add(time.Hour)}))
			for _, step := range []func() error{
				func() error { _, err := m.Up(ctx); return err },
				func() error { _, err := m.DownTo(ctx, 9); return err },
				func() error { _, err := m.Up(ctx); return err },
			} {
				must(t, step())
			}
			s, err := d.Staff.SessionByHash(ctx, "h1", time.Now())
			if err != nil || *s.StaffUserID != u.ID {
				t.Fatalf("the session after the rebuild: %+v, %v", s, err)
			}
			if got, err := d.Staff.StaffByID(ctx, u.ID); err != nil || got.Username != "ann" {
				t.Fatalf("the member after the rebuild: %+v, %v", got, err)
			}
			// The sessions still reference the members.
			stranger := db.NewID()
			err = d.Staff.CreateSession(ctx, &db.Session{TokenHash: "h2", Kind: db.SessionStaff, StaffUserID: &stranger, MerchantID: &mc.ID,
				Role: "clerk", ExpiresAt: time.Now().Add(time.Hour)})
			if err == nil {
				t.Fatal("a session of nobody was stored")
			}
		})
	}
}
