package db

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// CreateStaff inserts u; user names are kept in lower case and are unique
// within the merchant (among platform operators for an operator): another
// merchant may have a member of the same name.
func (d Staff) CreateStaff(ctx context.Context, u *StaffUser) error {
	now := time.Now().UTC()
	if u.ID == "" {
		u.ID = NewID()
	}
	u.Username = strings.ToLower(u.Username)
	u.CreatedAt, u.UpdatedAt = now, now
	if err := d.with(ctx).Create(u).Error; err != nil {
		return fmt.Errorf("create staff user %s: %w", u.Username, translate(err))
	}
	return nil
}

// StaffByUsername finds a member of the merchant by user name, in any case;
// merchantID "" finds a platform operator (who belongs to no merchant).
func (d Staff) StaffByUsername(ctx context.Context, merchantID, username string) (*StaffUser, error) {
	var u StaffUser
	q := d.with(ctx).Where("username = ?", strings.ToLower(username))
	if merchantID == "" {
		q = q.Where("merchant_id IS NULL")
	} else {
		q = q.Where("merchant_id = ?", merchantID)
	}
	if err := q.Take(&u).Error; err != nil {
		return nil, fmt.Errorf("staff user: %w", translate(err))
	}
	return &u, nil
}
