package db

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm"
)

// CreateOrder inserts o with its lines and payment in one transaction.
// A second order with the same merchant and order number is ErrConflict.
func (d *DB) CreateOrder(ctx context.Context, o *Order) error {
	if o.ID == "" {
		o.ID = NewID()
	}
	o.CreatedAt = time.Now().UTC()
	o.PlacedAt = o.PlacedAt.UTC()
	if o.DeliveredAt != nil {
		t := o.DeliveredAt.UTC()
		o.DeliveredAt = &t
	}
	for i := range o.Lines {
		o.Lines[i].OrderID = o.ID
		o.Lines[i].Position = i
	}
	if o.Payment != nil {
		if o.Payment.ID == "" {
			o.Payment.ID = NewID()
		}
		o.Payment.OrderID = o.ID
		o.Payment.CreatedAt = o.CreatedAt
	}
	err := d.with(ctx).Transaction(func(tx *gorm.DB) error {
		return tx.Create(o).Error
	})
	if err != nil {
		return fmt.Errorf("create order %s: %w", o.OrderNumber, translate(err))
	}
	return nil
}

// OrderByNumber finds a merchant's order with its lines (in order) and payment.
func (d *DB) OrderByNumber(ctx context.Context, merchantID, orderNumber string) (*Order, error) {
	var o Order
	err := d.with(ctx).
		Preload("Lines", func(g *gorm.DB) *gorm.DB { return g.Order("position") }).
		Preload("Payment").
		Where("merchant_id = ? AND order_number = ?", merchantID, orderNumber).
		Take(&o).Error
	if err != nil {
		return nil, fmt.Errorf("order %s: %w", orderNumber, translate(err))
	}
	return &o, nil
}

// OrderByID reads an order with its lines and payment.
func (d *DB) OrderByID(ctx context.Context, id string) (*Order, error) {
	var o Order
	err := d.with(ctx).
		Preload("Lines", func(g *gorm.DB) *gorm.DB { return g.Order("position") }).
		Preload("Payment").
		Where("id = ?", id).Take(&o).Error
	if err != nil {
		return nil, fmt.Errorf("order %s: %w", id, translate(err))
	}
	return &o, nil
}

// OrderNumbers maps order ids to the numbers shoppers know them by.
func (d *DB) OrderNumbers(ctx context.Context, ids []string) (map[string]string, error) {
	out := make(map[string]string, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	var rows []struct{ ID, OrderNumber string }
	if err := d.with(ctx).Model(&Order{}).Select("id, order_number").Where("id IN ?", ids).Scan(&rows).Error; err != nil {
		return nil, fmt.Errorf("order numbers: %w", err)
	}
	for _, r := range rows {
		out[r.ID] = r.OrderNumber
	}
	return out, nil
}
