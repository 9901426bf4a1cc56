package db

import (
	"context"
	"fmt"
	"time"
)

// CreateMerchant inserts m, filling its id and times when empty.
func (d Merchants) CreateMerchant(ctx context.Context, m *Merchant) error {
	now := time.Now().UTC()
	if m.ID == "" {
		m.ID = NewID()
	}
	if m.Status == "" {
		m.Status = "active"
	}
	if m.Currency == "" {
		m.Currency = "EUR"
	}
	if m.TimeZone == "" {
		m.TimeZone = "UTC"
	}
	if len(m.Policy) == 0 {
		m.Policy = JSON("{}")
	}
	m.CreatedAt, m.UpdatedAt = now, now
	if err := d.with(ctx).Create(m).Error; err != nil {
		return fmt.Errorf("create merchant %s: %w", m.Slug, translate(err))
	}
	return nil
}

// GatewayAccountTaken tells whether a merchant already refunds through
// the gateway account named account: its own (gateway_account), or its
// slug when it has none (Merchant.GatewayAccountName).
func (d Merchants) GatewayAccountTaken(ctx context.Context, account string) (bool, error) {
	var n int64
	err := d.with(ctx).Model(&Merchant{}).
		Where("gateway_account = ? OR (gateway_account = '' AND slug = ?)", account, account).Count(&n).Error
	if err != nil {
		return false, fmt.Errorf("gateway account %s: %w", account, translate(err))
	}
	return n > 0, nil
}

// MerchantBySlug finds a merchant by the short name shoppers and staff use.
func (d Merchants) MerchantBySlug(ctx context.Context, slug string) (*Merchant, error) {
	var m Merchant
	if err := d.with(ctx).Where("slug = ?", slug).Take(&m).Error; err != nil {
		return nil, fmt.Errorf("merchant %s: %w", slug, translate(err))
	}
	return &m, nil
}

// MerchantByID finds a merchant by id.
func (d Merchants) MerchantByID(ctx context.Context, id string) (*Merchant, error) {
	var m Merchant
	if err := d.with(ctx).Where("id = ?", id).Take(&m).Error; err != nil {
		return nil, fmt.Errorf("merchant %s: %w", id, translate(err))
	}
	return &m, nil
}

// CreateStore inserts s.
func (d Merchants) CreateStore(ctx context.Context, s *Store) error {
	if s.ID == "" {
		s.ID = NewID()
	}
	s.CreatedAt = time.Now().UTC()
	if err := d.with(ctx).Create(s).Error; err != nil {
		return fmt.Errorf("create store %s: %w", s.Code, translate(err))
	}
	return nil
}

// CreateTerminal inserts t.
func (d Merchants) CreateTerminal(ctx context.Context, t *Terminal) error {
	if t.ID == "" {
		t.ID = NewID()
	}
	t.CreatedAt = time.Now().UTC()
	if t.NextSTAN == 0 {
		t.NextSTAN = 1
	}
	if err := d.with(ctx).Create(t).Error; err != nil {
		return fmt.Errorf("create terminal %s: %w", t.TerminalID, translate(err))
	}
	return nil
}

// Terminals lists a merchant's terminals by terminal id.
func (d Merchants) Terminals(ctx context.Context, merchantID string) ([]Terminal, error) {
	var ts []Terminal
	if err := d.with(ctx).Where("merchant_id = ?", merchantID).Order("terminal_id").Find(&ts).Error; err != nil {
		return nil, fmt.Errorf("terminals of %s: %w", merchantID, err)
	}
	return ts, nil
}

// TerminalsPage lists a merchant's terminals by terminal id, a page at a
// time.
func (d Merchants) TerminalsPage(ctx context.Context, merchantID string, p Page) (*Paged[Terminal], error) {
	out, err := pageOf[Terminal](ctx, d.conn, d.with(ctx).Model(&Terminal{}).Where("merchant_id = ?", merchantID), "terminal_id", p)
	if err != nil {
		return nil, fmt.Errorf("terminals of %s: %w", merchantID, err)
	}
	return out, nil
}

// Stores lists a merchant's stores by code.
func (d Merchants) Stores(ctx context.Context, merchantID string) ([]Store, error) {
	var ss []Store
	if err := d.with(ctx).Where("merchant_id = ?", merchantID).Order("code").Find(&ss).Error; err != nil {
		return nil, fmt.Errorf("stores of %s: %w", merchantID, err)
	}
	return ss, nil
}

// Merchants lists every merchant by slug (for operators), a page at a time.
func (d Merchants) MerchantsPage(ctx context.Context, p Page) (*Paged[Merchant], error) {
	out, err := pageOf[Merchant](ctx, d.conn, d.with(ctx).Model(&Merchant{}), "slug", p)
	if err != nil {
		return nil, fmt.Errorf("list merchants: %w", err)
	}
	return out, nil
}

// SetPolicy replaces a merchant's policy; returns filed afterwards get it.
func (d Merchants) SetPolicy(ctx context.Context, merchantID string, policy JSON) error {
	res := d.with(ctx).Model(&Merchant{}).Where("id = ?", merchantID).
		Updates(map[string]any{"policy": policy, "updated_at": time.Now().UTC()})
	if res.Error != nil {
		return fmt.Errorf("set policy of %s: %w", merchantID, res.Error)
	}
	if res.RowsAffected == 0 {
		return fmt.Errorf("set policy of %s: %w", merchantID, ErrNotFound)
	}
	return nil
}

// StoreByCode finds a merchant's store.
func (d Merchants) StoreByCode(ctx context.Context, merchantID, code string) (*Store, error) {
	var s Store
	if err := d.with(ctx).Where("merchant_id = ? AND code = ?", merchantID, code).Take(&s).Error; err != nil {
		return nil, fmt.Errorf("store %s: %w", code, translate(err))
	}
	return &s, nil
}
