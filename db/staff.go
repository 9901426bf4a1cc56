package db

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// CreateStaff inserts u; user names are kept in lower case and are unique
// across the platform.
func (d *DB) CreateStaff(ctx context.Context, u *StaffUser) error {
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

// StaffByUsername finds a staff user by user name, in any case.
func (d *DB) StaffByUsername(ctx context.Context, username string) (*StaffUser, error) {
	var u StaffUser
	if err := d.with(ctx).Where("username = ?", strings.ToLower(username)).Take(&u).Error; err != nil {
		return nil, fmt.Errorf("staff user: %w", translate(err))
	}
	return &u, nil
}
