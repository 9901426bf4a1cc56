package db

import (
	"context"
	"fmt"
	"time"
)

// CreateSession stores a session under its token's hash.
func (d Staff) CreateSession(ctx context.Context, s *Session) error {
	s.CreatedAt = time.Now().UTC()
	s.ExpiresAt = s.ExpiresAt.UTC()
	if err := d.with(ctx).Create(s).Error; err != nil {
		return fmt.Errorf("create session: %w", translate(err))
	}
	return nil
}

// SessionByHash finds a live session.
func (d Staff) SessionByHash(ctx context.Context, hash string, now time.Time) (*Session, error) {
	var s Session
	if err := d.with(ctx).Where("token_hash = ? AND expires_at > ?", hash, now.UTC()).Take(&s).Error; err != nil {
		return nil, fmt.Errorf("session: %w", translate(err))
	}
	return &s, nil
}

// StaffByID reads a staff user.
func (d Staff) StaffByID(ctx context.Context, id string) (*StaffUser, error) {
	var u StaffUser
	if err := d.with(ctx).Where("id = ?", id).Take(&u).Error; err != nil {
		return nil, fmt.Errorf("staff user: %w", translate(err))
	}
	return &u, nil
}

// CreateAPIKey stores a key's hash.
func (d Staff) CreateAPIKey(ctx context.Context, k *APIKey) error {
	k.ID = NewID()
	k.CreatedAt = time.Now().UTC()
	if err := d.with(ctx).Create(k).Error; err != nil {
		return fmt.Errorf("create API key: %w", translate(err))
	}
	return nil
}

// APIKeyByHash finds a key that is not revoked.
func (d Staff) APIKeyByHash(ctx context.Context, hash string) (*APIKey, error) {
	var k APIKey
	if err := d.with(ctx).Where("key_hash = ? AND revoked_at IS NULL", hash).Take(&k).Error; err != nil {
		return nil, fmt.Errorf("API key: %w", translate(err))
	}
	return &k, nil
}

// EndOtherSessions ends every session of a staff member but the one whose
// token hash is kept.
func (d Staff) EndOtherSessions(ctx context.Context, userID, keepHash string) error {
	if err := d.with(ctx).Where("staff_user_id = ? AND token_hash <> ?", userID, keepHash).Delete(&Session{}).Error; err != nil {
		return fmt.Errorf("end sessions of %s: %w", userID, err)
	}
	return nil
}

// DeleteSession ends a session (a log-out).
func (d Staff) DeleteSession(ctx context.Context, hash string) error {
	if err := d.with(ctx).Where("token_hash = ?", hash).Delete(&Session{}).Error; err != nil {
		return fmt.Errorf("delete session: %w", err)
	}
	return nil
}
