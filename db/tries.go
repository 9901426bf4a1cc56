package db

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"time"
)

// What a shopper tries before a code is verified (filing a return, looking
// an order up) is recorded whatever its outcome, so that the limits on it
// count failures and successes alike and cannot tell one from the other.

// ShopperTry is one filing or lookup made without a verified code, or
// one request for a new code.
type ShopperTry struct {
	ID       string
	Action   string
	ClientIP string
	// OrderKey names the order tried (see OrderKey), known or not.
	OrderKey  string
	CreatedAt time.Time
}

func (ShopperTry) TableName() string { return "shopper_tries" }

// Actions of a shopper's try.
const (
	TryFiling = "filing"
	TryLookup = "lookup"
	// TryCode is a request for a new code of a return.
	TryCode = "code"
)

// OrderKey is what the tries on an order are counted under: a hash of the
// merchant and order number as typed (trimmed, case-folded), so that an
// order that does not exist is counted like one that does and nothing the
// shopper typed is stored.
func OrderKey(merchant, orderNumber string) string {
	sum := sha256.Sum256([]byte(strings.ToLower(strings.TrimSpace(merchant)) + "\x00" + strings.ToLower(strings.TrimSpace(orderNumber))))
	return hex.EncodeToString(sum[:])
}

// TryCounts are the tries within the window, this one included.
type TryCounts struct {
	ForClient int64
	ForOrder  int64
}

// RecordTry stores a try and then counts the tries since the cut-off, this
// one included. Counting after storing makes the limits hold under
// concurrency: the n-th try to be stored sees at least n.
func (d Shoppers) RecordTry(ctx context.Context, t *ShopperTry, since time.Time) (TryCounts, error) {
	var c TryCounts
	if t.ID == "" {
		t.ID = NewID()
	}
	if t.CreatedAt.IsZero() {
		t.CreatedAt = time.Now()
	}
	t.CreatedAt = t.CreatedAt.UTC()
	if err := d.with(ctx).Create(t).Error; err != nil {
		return c, fmt.Errorf("record try: %w", translate(err))
	}
	q := d.with(ctx).Model(&ShopperTry{})
	if err := q.Where("client_ip = ? AND created_at > ?", t.ClientIP, since.UTC()).Count(&c.ForClient).Error; err != nil {
		return c, fmt.Errorf("count tries: %w", err)
	}
	if err := d.with(ctx).Model(&ShopperTry{}).Where("order_key = ? AND created_at > ?", t.OrderKey, since.UTC()).Count(&c.ForOrder).Error; err != nil {
		return c, fmt.Errorf("count tries: %w", err)
	}
	return c, nil
}

// ClaimLookupFiling takes one of the filings a lookup's access token may
// make, in one conditional update, so that concurrent filings with one
// token never pass the cap: false when none is left.
func (d Shoppers) ClaimLookupFiling(ctx context.Context, lookupID string, max int) (bool, error) {
	res := d.with(ctx).Model(&OrderLookup{}).Where("id = ? AND filings < ?", lookupID, max).
		Update("filings", gormExpr("filings + 1"))
	if res.Error != nil {
		return false, fmt.Errorf("lookup %s: claim a filing: %w", lookupID, res.Error)
	}
	return res.RowsAffected == 1, nil
}
