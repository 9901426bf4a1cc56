package dbtest

import (
	"context"
	"github.com/rebound-returns/rebound/returns"
	"testing"
	"time"

	"github.com/rebound-returns/rebound/auth"
	"github.com/rebound-returns/rebound/db"
)

// StaffToken makes a merchant member of role (a platform operator when
// merchantID is "") and a session for them, and answers the bearer token.
func StaffToken(t testing.TB, d *db.DB, merchantID, username string, role returns.Role) string {
	t.Helper()
	ctx := context.Background()
	var mid *string
	if merchantID != "" {
		mid = &merchantID
	}
	u := &db.StaffUser{MerchantID: mid, Username: username, DisplayName: username, Email: username + "@example.test", Role: role, PasswordHash: "x"}
	if err := d.Staff.CreateStaff(ctx, u); err != nil {
		t.Fatal(err)
	}
	tok, err := auth.NewToken("rbs_")
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC()
	if err := d.Staff.CreateSession(ctx, &db.Session{TokenHash: auth.HashToken(tok), Kind: db.SessionStaff, StaffUserID: &u.ID,
		MerchantID: mid, Role: role, ExpiresAt: now.Add(time.Hour), CreatedAt: now}); err != nil {
		t.Fatal(err)
	}
	return tok
}

// BulkWorkItems inserts n open work items of a merchant in one statement
// (generate_series on Postgres, a recursive CTE on SQLite), all made at
// the same instant so that pages are told apart by id alone.
func BulkWorkItems(t testing.TB, d *db.DB, merchantID string, n int, at time.Time) {
	t.Helper()
	ctx := context.Background()
	var q string
	args := []any{merchantID, at.UTC(), n}
	if d.Dialect() == db.Postgres {
		q = `INSERT INTO work_items (id, dedupe_key, merchant_id, kind, summary, status, created_at)
SELECT ('00000000-0000-7000-8000-' || lpad(g::text, 12, '0'))::uuid, 'bulk/' || g, ?, 'unexpected_at_acquirer',
  'unexpected_at_acquirer on line ' || g || ': terminal T0000001 STAN 000001 RRN 700000000001 amount 1000 EUR', 'open', ?
FROM generate_series(1, ?) AS g`
	} else {
		q = `WITH RECURSIVE g(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM g WHERE n < ?)
INSERT INTO work_items (id, dedupe_key, merchant_id, kind, summary, status, created_at)
SELECT printf('00000000-0000-7000-8000-%012d', n), 'bulk/' || n, ?, 'unexpected_at_acquirer',
  'unexpected_at_acquirer on line ' || n || ': terminal T0000001 STAN 000001 RRN 700000000001 amount 1000 EUR', 'open', ?
FROM g`
		args = []any{n, merchantID, at.UTC()}
	}
	if err := d.Exec(ctx, q, args...); err != nil {
		t.Fatalf("bulk work items: %v", err)
	}
}
