package db

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm/clause"
)

// OrderLookup is a shopper's proof that an order is theirs: a code sent to
// the order's contact which, once entered, opens the order for a while
// through an access token. Only hashes are kept.
type OrderLookup struct {
	ID             string
	MerchantID     string
	OrderID        string
	Contact        string
	ContactKind    string
	ClientIP       string
	CodeHMAC       string `gorm:"column:code_hmac"`
	Attempts       int
	ExpiresAt      time.Time
	VerifiedAt     *time.Time
	TokenHash      *string
	TokenExpiresAt *time.Time
	// Filings counts the returns filed with the access token.
	Filings   int
	CreatedAt time.Time
}

func (OrderLookup) TableName() string { return "order_lookups" }

// CreateLookup stores a new lookup's code.
func (d Shoppers) CreateLookup(ctx context.Context, l *OrderLookup) error {
	l.CreatedAt = l.CreatedAt.UTC()
	l.ExpiresAt = l.ExpiresAt.UTC()
	if err := d.with(ctx).Create(l).Error; err != nil {
		return fmt.Errorf("store lookup: %w", translate(err))
	}
	return nil
}

// LookupByID reads a lookup.
func (d Shoppers) LookupByID(ctx context.Context, id string) (*OrderLookup, error) {
	var l OrderLookup
	if err := d.with(ctx).Where("id = ?", id).Take(&l).Error; err != nil {
		return nil, fmt.Errorf("lookup %s: %w", id, translate(err))
	}
	return &l, nil
}

// LookupByToken finds the verified lookup an access token opens, while the
// token lives.
func (d Shoppers) LookupByToken(ctx context.Context, hash string, now time.Time) (*OrderLookup, error) {
	var l OrderLookup
	err := d.with(ctx).Where("token_hash = ? AND token_expires_at > ?", hash, now.UTC()).Take(&l).Error
	if err != nil {
		return nil, fmt.Errorf("lookup by token: %w", translate(err))
	}
	return &l, nil
}

// CheckLookupCode checks a code against a lookup, in one transaction, as
// CheckCode does for a return's: a match verifies the lookup and stores
// the access token's hash; a miss counts, and maxTries misses lock it.
func (d Shoppers) CheckLookupCode(ctx context.Context, id string, now time.Time, maxTries int, match func(id, codeHMAC string) bool,
	tokenHash string, tokenExpires time.Time) (CodeCheck, error) {
	var result CodeCheck
	err := d.tx(ctx, func(tx *DB) error {
		var l OrderLookup
		q := tx.with(ctx).Where("id = ?", id)
		if d.dialect == Postgres {
			q = q.Clauses(clause.Locking{Strength: "UPDATE"})
		}
		if err := q.Limit(1).Find(&l).Error; err != nil {
			return err
		}
		switch {
		case l.ID == "" || l.VerifiedAt != nil || !now.Before(l.ExpiresAt):
			result = CodeExpired
			return nil
		case l.Attempts >= maxTries:
			result = CodeLocked
			return nil
		}
		if match(l.ID, l.CodeHMAC) {
			res := tx.with(ctx).Model(&OrderLookup{}).Where("id = ? AND verified_at IS NULL", l.ID).
				Updates(map[string]any{"verified_at": now.UTC(), "token_hash": tokenHash, "token_expires_at": tokenExpires.UTC()})
			if res.Error != nil {
				return res.Error
			}
			result = CodeOK
			if res.RowsAffected != 1 {
				result = CodeExpired
			}
			return nil
		}
		result = CodeWrong
		if l.Attempts+1 >= maxTries {
			result = CodeLocked
		}
		return tx.with(ctx).Model(&OrderLookup{}).Where("id = ?", l.ID).Update("attempts", gormExpr("attempts + 1")).Error
	})
	if err != nil {
		return 0, fmt.Errorf("check lookup code: %w", err)
	}
	return result, nil
}
