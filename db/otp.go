package db

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm/clause"
)

// CreateChallenge stores a new one-time code's HMAC; older codes of the
// return stop working.
func (d Shoppers) CreateChallenge(ctx context.Context, c *OTPChallenge) error {
	if c.ID == "" {
		c.ID = NewID()
	}
	if c.CreatedAt.IsZero() {
		c.CreatedAt = time.Now()
	}
	c.CreatedAt = c.CreatedAt.UTC()
	c.ExpiresAt = c.ExpiresAt.UTC()
	err := d.with(ctx).Model(&OTPChallenge{}).Where("return_id = ? AND consumed_at IS NULL", c.ReturnID).
		Update("consumed_at", c.CreatedAt).Error
	if err != nil {
		return fmt.Errorf("supersede codes: %w", err)
	}
	if err := d.with(ctx).Create(c).Error; err != nil {
		return fmt.Errorf("store code: %w", err)
	}
	return nil
}

// ChallengeByID reads a challenge.
func (d Shoppers) ChallengeByID(ctx context.Context, id string) (*OTPChallenge, error) {
	var c OTPChallenge
	if err := d.with(ctx).Where("id = ?", id).Take(&c).Error; err != nil {
		return nil, fmt.Errorf("challenge %s: %w", id, translate(err))
	}
	return &c, nil
}

// CodeCounts are what the sending limits look at.
type CodeCounts struct {
	LastForReturn time.Time // zero when none
	ForContact    int64     // codes sent to the contact since the cut-off
	ForClient     int64     // codes asked for from the client address since the cut-off
}

// CountCodes counts recent codes for the limits on sending.
func (d Shoppers) CountCodes(ctx context.Context, returnID, contact, clientIP string, since time.Time) (CodeCounts, error) {
	var c CodeCounts
	if returnID != "" {
		var last OTPChallenge
		err := d.with(ctx).Where("return_id = ?", returnID).Order("created_at DESC").Limit(1).Find(&last).Error
		if err != nil {
			return c, fmt.Errorf("count codes: %w", err)
		}
		c.LastForReturn = last.CreatedAt
	}
	// Codes of returns and of order lookups count alike.
	for _, model := range []any{&OTPChallenge{}, &OrderLookup{}} {
		var n int64
		if err := d.with(ctx).Model(model).Where("contact = ? AND created_at > ?", contact, since.UTC()).Count(&n).Error; err != nil {
			return c, fmt.Errorf("count codes: %w", err)
		}
		c.ForContact += n
		if clientIP == "" {
			continue
		}
		if err := d.with(ctx).Model(model).Where("client_ip = ? AND created_at > ?", clientIP, since.UTC()).Count(&n).Error; err != nil {
			return c, fmt.Errorf("count codes: %w", err)
		}
		c.ForClient += n
	}
	return c, nil
}

// CodeCheck is the outcome of checking a code.
type CodeCheck int

const (
	CodeOK      CodeCheck = iota
	CodeWrong             // wrong code; tries remain
	CodeLocked            // too many wrong tries on the newest code
	CodeExpired           // no live code (never sent, expired or used)
)

// CheckCode checks a code against the return's newest live challenge, in
// one transaction: match(hmac) compares in constant time; a match uses the
// challenge up, a miss counts against it, and maxTries misses lock it.
func (d Shoppers) CheckCode(ctx context.Context, returnID string, now time.Time, maxTries int, match func(challengeID, codeHMAC string) bool) (CodeCheck, string, error) {
	var result CodeCheck
	var id string
	err := d.tx(ctx, func(tx *DB) error {
		var c OTPChallenge
		q := tx.with(ctx).Where("return_id = ? AND consumed_at IS NULL", returnID)
		if d.dialect == Postgres {
			// Concurrent checks of one code take turns, so that five wrong
			// tries mean five, however many arrive at once.
			q = q.Clauses(clause.Locking{Strength: "UPDATE"})
		}
		err := q.Order("created_at DESC").Limit(1).Find(&c).Error
		if err != nil {
			return err
		}
		switch {
		case c.ID == "" || !now.Before(c.ExpiresAt):
			result = CodeExpired
			return nil
		case c.Attempts >= maxTries:
			result = CodeLocked
			return nil
		}
		id = c.ID
		if match(c.ID, c.CodeHMAC) {
			res := tx.with(ctx).Model(&OTPChallenge{}).Where("id = ? AND consumed_at IS NULL", c.ID).
				Update("consumed_at", now.UTC())
			if res.Error != nil {
				return res.Error
			}
			if res.RowsAffected != 1 {
				result = CodeExpired // used by a concurrent check a moment ago
				return nil
			}
			result = CodeOK
			return nil
		}
		result = CodeWrong
		if c.Attempts+1 >= maxTries {
			result = CodeLocked
		}
		return tx.with(ctx).Model(&OTPChallenge{}).Where("id = ?", c.ID).Update("attempts", gormExpr("attempts + 1")).Error
	})
	if err != nil {
		return 0, "", fmt.Errorf("check code: %w", err)
	}
	return result, id, nil
}
