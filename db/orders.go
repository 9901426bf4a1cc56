package db

import (
	"context"
	"errors"
	"fmt"
	"github.com/rebound-returns/rebound/returns"
	"time"

	"gorm.io/gorm"
)

// Errors of a payment that is not the registering merchant's to register.
var (
	// ErrPaymentTaken: the payment reference (a gateway payment id, a card
	// sale's RRN or its terminal, STAN and day) belongs to another order.
	ErrPaymentTaken = errors.New("the payment is registered with another order")
	// ErrForeignTerminal: a card sale's terminal is not one of the
	// merchant's.
	ErrForeignTerminal = errors.New("the sale's terminal is not one of the merchant's")
)

// CreateOrder inserts o with its lines and payment in one transaction.
// A second order with the same merchant and order number is ErrConflict. A
// payment belongs to one merchant: a card sale's terminal must be one of
// the merchant's (ErrForeignTerminal), and a payment reference another
// order holds, of any merchant, is ErrPaymentTaken.
func (d Orders) CreateOrder(ctx context.Context, o *Order) error {
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
	if p := o.Payment; p != nil {
		if p.ID == "" {
			p.ID = NewID()
		}
		p.OrderID = o.ID
		p.CreatedAt = o.CreatedAt
		if p.Channel == returns.ChannelCardPresent {
			saleAt := o.PlacedAt
			if p.SaleAt != nil {
				t := p.SaleAt.UTC()
				p.SaleAt, saleAt = &t, t
			}
			p.SaleDay = saleAt.Format("2006-01-02")
		}
	}
	err := d.tx(ctx, func(tx *DB) error {
		var n int64
		if err := tx.with(ctx).Model(&Order{}).Where("merchant_id = ? AND order_number = ?", o.MerchantID, o.OrderNumber).Count(&n).Error; err != nil {
			return err
		}
		if n > 0 {
			return ErrConflict
		}
		if err := tx.paymentFree(ctx, o); err != nil {
			return err
		}
		return tx.with(ctx).Create(o).Error
	})
	if errors.Is(translate(err), ErrConflict) && !errors.Is(err, ErrConflict) {
		// A race another order won: tell whether it took the payment.
		if perr := d.paymentFree(ctx, o); perr != nil {
			err = perr
		}
	}
	if err != nil {
		return fmt.Errorf("create order %s: %w", o.OrderNumber, translate(err))
	}
	return nil
}

// paymentFree checks that o's payment may be registered by o's merchant.
func (d *conn) paymentFree(ctx context.Context, o *Order) error {
	p := o.Payment
	if p == nil {
		return nil
	}
	q := d.with(ctx).Model(&Payment{})
	switch p.Channel {
	case returns.ChannelCardPresent:
		var mine int64
		if err := d.with(ctx).Model(&Terminal{}).Where("terminal_id = ? AND merchant_id = ?", p.TerminalID, o.MerchantID).Count(&mine).Error; err != nil {
			return err
		}
		if mine == 0 {
			return ErrForeignTerminal
		}
		q = q.Where("(terminal_id = ? AND stan = ? AND sale_day = ? AND channel = ?) OR (rrn <> '' AND rrn = ?)",
			p.TerminalID, p.STAN, p.SaleDay, returns.ChannelCardPresent, p.RRN)
	case returns.ChannelOnline:
		q = q.Where("gateway_payment_id <> '' AND gateway_payment_id = ?", p.GatewayPaymentID)
	default:
		return nil
	}
	var taken int64
	if err := q.Count(&taken).Error; err != nil {
		return err
	}
	if taken > 0 {
		return ErrPaymentTaken
	}
	return nil
}

// OrderByNumber finds a merchant's order with its lines (in order) and payment.
func (d Orders) OrderByNumber(ctx context.Context, merchantID, orderNumber string) (*Order, error) {
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
func (d Orders) OrderByID(ctx context.Context, id string) (*Order, error) {
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
func (d Orders) OrderNumbers(ctx context.Context, ids []string) (map[string]string, error) {
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
