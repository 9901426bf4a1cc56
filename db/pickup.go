package db

import (
	"context"
	"fmt"
)

// MerchantByAcquirerMID finds the merchant the acquirer knows by merchant
// ID mid: the name of its folder of acquirer settlement files. No merchant
// (or an empty mid) is ErrNotFound; two merchants sharing mid is
// ErrConflict, since a file of that folder could be either's.
func (d Merchants) MerchantByAcquirerMID(ctx context.Context, mid string) (*Merchant, error) {
	if mid == "" {
		return nil, fmt.Errorf("merchant with acquirer merchant ID %q: %w", mid, ErrNotFound)
	}
	var ms []Merchant
	if err := d.with(ctx).Where("acquirer_merchant_id = ?", mid).Order("id").Limit(2).Find(&ms).Error; err != nil {
		return nil, fmt.Errorf("merchant with acquirer merchant ID %s: %w", mid, translate(err))
	}
	switch len(ms) {
	case 0:
		return nil, fmt.Errorf("merchant with acquirer merchant ID %s: %w", mid, ErrNotFound)
	case 1:
		return &ms[0], nil
	default:
		return nil, fmt.Errorf("merchant with acquirer merchant ID %s: more than one: %w", mid, ErrConflict)
	}
}
