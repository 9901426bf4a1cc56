package db

import (
	"context"
	"fmt"
	"time"

	"github.com/rebound-returns/rebound/returns"
)

// Caller is a live session with, for a staff session, the member it was
// given to as the member stands now (nil for a shopper's): only the
// member's id, user name, role, one-time password and disabled flag.
type Caller struct {
	Session Session
	Staff   *StaffUser
}

// callerRow is the joined row CallerByHash scans: the session and the
// member's columns that decide what the caller may do.
type callerRow struct {
	TokenHash, Kind, Role  string
	StaffUserID, ReturnID  *string
	MerchantID             *string
	ExpiresAt, CreatedAt   time.Time
	UID, UUsername, URole  *string
	UMustChange, UDisabled *bool
}

// CallerByHash finds a live session and its member in one statement: every
// authenticated request runs it, so a log-out, a disabled member or a new
// role takes effect on the next request, in every process.
func (d Staff) CallerByHash(ctx context.Context, hash string, now time.Time) (*Caller, error) {
	var rows []callerRow
	err := d.read(ctx).Raw(`SELECT s.token_hash, s.kind, s.role, s.staff_user_id, s.return_id, s.merchant_id, s.expires_at,
		s.created_at, u.id AS uid, u.username AS u_username, u.role AS u_role, u.must_change_password AS u_must_change,
		u.disabled AS u_disabled
		FROM sessions s LEFT JOIN staff_users u ON u.id = s.staff_user_id
		WHERE s.token_hash = ? AND s.expires_at > ? LIMIT 1`, hash, now.UTC()).Scan(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("session: %w", translate(err))
	}
	if len(rows) == 0 {
		return nil, fmt.Errorf("session: %w", ErrNotFound)
	}
	r := rows[0]
	c := &Caller{Session: Session{TokenHash: r.TokenHash, Kind: r.Kind, StaffUserID: r.StaffUserID, ReturnID: r.ReturnID,
		MerchantID: r.MerchantID, Role: returns.Role(r.Role), ExpiresAt: r.ExpiresAt, CreatedAt: r.CreatedAt}}
	if r.UID != nil {
		c.Staff = &StaffUser{ID: *r.UID, Username: deref(r.UUsername), Role: returns.Role(deref(r.URole)),
			MustChangePassword: r.UMustChange != nil && *r.UMustChange, Disabled: r.UDisabled != nil && *r.UDisabled}
	}
	return c, nil
}
