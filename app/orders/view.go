package orders

import (
	"time"

	"github.com/rebound-returns/rebound/db"
)

// View is an order as the merchant's systems read it back: the request's
// form, with times as times, and never the card's fingerprint.
type View struct {
	OrderNumber    string     `json:"order_number"`
	Currency       string     `json:"currency"`
	PlacedAt       time.Time  `json:"placed_at"`
	DeliveredAt    *time.Time `json:"delivered_at,omitempty"`
	ShippingAmount int64      `json:"shipping_amount"`
	Customer       Customer   `json:"customer"`
	Lines          []Line     `json:"lines"`
	Payment        *Payment   `json:"payment,omitempty"`
	CreatedAt      time.Time  `json:"created_at"`
}

// viewOf shows an order; the card fingerprint never leaves Rebound.
func viewOf(o *db.Order) View {
	v := View{OrderNumber: o.OrderNumber, Currency: o.Currency, PlacedAt: o.PlacedAt, DeliveredAt: o.DeliveredAt,
		ShippingAmount: o.ShippingAmount, CreatedAt: o.CreatedAt,
		Customer: Customer{Name: o.CustomerName, Email: o.CustomerEmail, Phone: o.CustomerPhone}}
	for _, l := range o.Lines {
		v.Lines = append(v.Lines, Line{LineID: l.LineID, SKU: l.SKU, Name: l.Name, Category: l.Category,
			Quantity: l.Quantity, UnitPrice: l.UnitPrice, Discount: l.Discount})
	}
	if p := o.Payment; p != nil {
		v.Payment = &Payment{Channel: p.Channel, Amount: p.Amount, TerminalID: p.TerminalID, STAN: p.STAN, RRN: p.RRN,
			ApprovalCode: p.ApprovalCode, MaskedPAN: p.MaskedPAN, GatewayPaymentID: p.GatewayPaymentID, Batch: p.Batch}
		if p.SaleAt != nil {
			v.Payment.TransmittedAt = p.SaleAt.UTC().Format(time.RFC3339)
		}
	}
	return v
}
