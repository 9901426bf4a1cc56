package db

import (
	"context"
	"errors"
	"fmt"
	"github.com/rebound-returns/rebound/returns"
	"time"
)

// StaffOf lists a merchant's staff by user name, a page at a time.
func (d Staff) StaffOf(ctx context.Context, merchantID string, p Page) (*Paged[StaffUser], error) {
	out, err := pageOf[StaffUser](ctx, d.conn, d.with(ctx).Model(&StaffUser{}).Where("merchant_id = ?", merchantID), "username, id", p)
	if err != nil {
		return nil, fmt.Errorf("staff of %s: %w", merchantID, err)
	}
	return out, nil
}

// StaffChange is what a merchant's admin changes about a member; nil
// fields stay as they are.
type StaffChange struct {
	Role     *returns.Role
	Disabled *bool
}

// ErrLastAdmin refuses a change that would leave a merchant without an
// active admin.
var ErrLastAdmin = errors.New("the merchant would have no admin left")

// ChangeStaff changes a member of the merchant's staff; a member of
// another merchant is ErrNotFound. Disabling ends their sessions at once.
// Changes of one merchant's staff take turns, and none may leave it
// without an active admin.
func (d Staff) ChangeStaff(ctx context.Context, merchantID, userID string, ch StaffChange) (*StaffUser, error) {
	var u StaffUser
	err := d.tx(ctx, func(tx *DB) error {
		if err := tx.LockKey(ctx, "staff:"+merchantID); err != nil {
			return err
		}
		set := map[string]any{"updated_at": time.Now().UTC()}
		if ch.Role != nil {
			set["role"] = *ch.Role
		}
		if ch.Disabled != nil {
			set["disabled"] = *ch.Disabled
		}
		res := tx.with(ctx).Model(&StaffUser{}).Where("id = ? AND merchant_id = ?", userID, merchantID).Updates(set)
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return ErrNotFound
		}
		var admins int64
		if err := tx.with(ctx).Model(&StaffUser{}).Where("merchant_id = ? AND role = 'admin' AND NOT disabled", merchantID).
			Count(&admins).Error; err != nil {
			return err
		}
		if admins == 0 {
			return ErrLastAdmin
		}
		if (ch.Disabled != nil && *ch.Disabled) || ch.Role != nil {
			// A new role or a disabled account starts from a new log-in.
			if err := tx.with(ctx).Where("staff_user_id = ?", userID).Delete(&Session{}).Error; err != nil {
				return err
			}
		}
		return tx.with(ctx).Where("id = ?", userID).Take(&u).Error
	})
	if errors.Is(err, ErrLastAdmin) {
		return nil, ErrLastAdmin
	}
	if err != nil {
		return nil, fmt.Errorf("change staff %s: %w", userID, translate(err))
	}
	return &u, nil
}

// SetPassword stores a member's new password hash; mustChange marks it a
// one-time password. The failure count and lock are cleared.
func (d Staff) SetPassword(ctx context.Context, userID, hash string, mustChange bool) error {
	err := d.with(ctx).Model(&StaffUser{}).Where("id = ?", userID).Updates(map[string]any{
		"password_hash": hash, "must_change_password": mustChange, "failed_logins": 0, "locked_until": nil,
		"updated_at": time.Now().UTC()}).Error
	if err != nil {
		return fmt.Errorf("set password of %s: %w", userID, err)
	}
	return nil
}

// APIKeysOf lists a merchant's API keys, newest first, revoked ones too, a
// page at a time.
func (d Staff) APIKeysOf(ctx context.Context, merchantID string, p Page) (*Paged[APIKey], error) {
	out, err := pageOf[APIKey](ctx, d.conn, d.with(ctx).Model(&APIKey{}).Where("merchant_id = ?", merchantID), "created_at DESC, id DESC", p)
	if err != nil {
		return nil, fmt.Errorf("API keys of %s: %w", merchantID, err)
	}
	return out, nil
}

// RevokeAPIKey stops a merchant's key from working; a key of another
// merchant, or one already revoked, is ErrNotFound.
func (d Staff) RevokeAPIKey(ctx context.Context, merchantID, id string, at time.Time) error {
	res := d.with(ctx).Model(&APIKey{}).Where("id = ? AND merchant_id = ? AND revoked_at IS NULL", id, merchantID).
		Update("revoked_at", at.UTC())
	if res.Error != nil {
		return fmt.Errorf("revoke API key %s: %w", id, res.Error)
	}
	if res.RowsAffected == 0 {
		return fmt.Errorf("revoke API key %s: %w", id, ErrNotFound)
	}
	return nil
}
