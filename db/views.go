package db

import (
	"context"
	"fmt"
	"github.com/rebound-returns/rebound/returns"
	"time"

	"gorm.io/gorm"
)

// The reads behind a return's page (GET /v1/returns/{id}): the return with
// its order, merchant, payment and lines in one statement, then its
// timeline, then its latest refund with the refund's freeze and attempts in
// one more. Each answers only the columns the page shows.

// ReturnShown is a return as its page shows it, with what the page needs of
// its order, merchant and payment, and its lines.
type ReturnShown struct {
	ReturnHead
	Payment *PaymentShown
	Lines   []LineShown
}

// ReturnHead is the return's own columns, its merchant's slug and its
// order's.
type ReturnHead struct {
	ID, MerchantID, OrderID                 string
	Status, Currency                        string
	Method                                  returns.Method
	Channel                                 returns.Channel
	StatusReason, Attention                 string
	TrackingNumber, LabelURL                string
	ReasonCodes                             JSON
	RefundAmount                            *int64
	CreatedAt, UpdatedAt                    time.Time
	MerchantSlug, OrderNumber, CustomerName string
	PlacedAt                                time.Time
	DeliveredAt                             *time.Time
	ShippingAmount                          int64
}

// PaymentShown is what a return's page tells of how its order was paid.
type PaymentShown struct {
	Channel    returns.Channel
	Amount     int64
	TerminalID string
	MaskedPAN  string
}

// LineShown is a returned line beside the name and price it had in the
// order (empty and zero when the order has no such line).
type LineShown struct {
	ReturnLine
	Name      string
	UnitPrice int64
}

// RefundShown is a return's latest refund, the reason of the freeze it
// waits on (empty when none is found) and its attempts in the order they
// were made.
type RefundShown struct {
	ID, Currency, FailureCode string
	Status                    returns.RefundStatus
	Amount, ShippingAmount    int64
	CreditAmount, CreditBonus int64
	FinishedAt                *time.Time
	FrozenBy                  *string
	FreezeReason              string
	Attempts                  []AttemptShown
}

// AttemptShown is what a return's page needs of one attempt to pay its
// refund: where it stands and the references the shopper's bank knows.
type AttemptShown struct {
	State                returns.AttemptState
	RRN, GatewayRefundID string
}

// shownRow is one row of ReturnShown's join: the return's columns, and
// one line's (all NULL when the return has no lines).
type shownRow struct {
	ReturnHead

	PaymentID         *string
	PaymentChannel    *returns.Channel
	PaymentAmount     *int64
	PaymentTerminalID *string
	PaymentMaskedPAN  *string `gorm:"column:payment_masked_pan"`

	LineID             *string
	LineQuantity       *int
	LineReason         *string
	LineNote           *string
	LineAccepted       *int
	LineRejected       *int
	LineCondition      *string
	LineRejectReason   *string
	LineInspectionNote *string
	LineRefundAmount   *int64
	LineResolution     *returns.Resolution
	LineVariantSKU     *string `gorm:"column:line_variant_sku"`
	LineName           *string
	LineUnitPrice      *int64
}

const shownSQL = `SELECT r.id, r.merchant_id, r.order_id, r.status, r.method, r.channel, r.currency,
  r.status_reason, r.attention, r.tracking_number, r.label_url, r.reason_codes, r.refund_amount,
  r.created_at, r.updated_at, m.slug AS merchant_slug, o.order_number, o.customer_name, o.placed_at,
  o.delivered_at, o.shipping_amount,
  p.id AS payment_id, p.channel AS payment_channel, p.amount AS payment_amount,
  p.terminal_id AS payment_terminal_id, p.masked_pan AS payment_masked_pan,
  l.line_id, l.quantity AS line_quantity, l.reason AS line_reason, l.note AS line_note,
  l.accepted_quantity AS line_accepted, l.rejected_quantity AS line_rejected, l.condition AS line_condition,
  l.reject_reason AS line_reject_reason, l.inspection_note AS line_inspection_note,
  l.refund_amount AS line_refund_amount, l.resolution AS line_resolution, l.variant_sku AS line_variant_sku,
  ol.name AS line_name, ol.unit_price AS line_unit_price
FROM returns r
JOIN orders o ON o.id = r.order_id
JOIN merchants m ON m.id = r.merchant_id
LEFT JOIN payments p ON p.order_id = r.order_id
LEFT JOIN return_lines l ON l.return_id = r.id
LEFT JOIN order_lines ol ON ol.order_id = r.order_id AND ol.line_id = l.line_id
WHERE r.id = ?
ORDER BY l.line_id`

// ReturnShown reads the return id names as its page shows it, in one
// statement.
func (d Returns) ReturnShown(ctx context.Context, id string) (*ReturnShown, error) {
	var rows []shownRow
	if err := d.read(ctx).Raw(shownSQL, id).Scan(&rows).Error; err != nil {
		return nil, fmt.Errorf("return %s: %w", id, translate(err))
	}
	if len(rows) == 0 {
		return nil, fmt.Errorf("return %s: %w", id, ErrNotFound)
	}
	h := rows[0]
	r := &ReturnShown{ReturnHead: h.ReturnHead}
	if h.PaymentID != nil {
		r.Payment = &PaymentShown{Channel: deref(h.PaymentChannel), Amount: deref(h.PaymentAmount),
			TerminalID: deref(h.PaymentTerminalID), MaskedPAN: deref(h.PaymentMaskedPAN)}
	}
	for _, row := range rows {
		if row.LineID == nil {
			continue
		}
		r.Lines = append(r.Lines, LineShown{ReturnLine: ReturnLine{ReturnID: h.ID, LineID: *row.LineID,
			Quantity: deref(row.LineQuantity), Reason: deref(row.LineReason), Note: deref(row.LineNote),
			AcceptedQuantity: row.LineAccepted, RejectedQuantity: row.LineRejected, Condition: row.LineCondition,
			RejectReason: deref(row.LineRejectReason), InspectionNote: deref(row.LineInspectionNote),
			RefundAmount: row.LineRefundAmount, Resolution: deref(row.LineResolution), VariantSKU: deref(row.LineVariantSKU)}, Name: deref(row.LineName), UnitPrice: deref(row.LineUnitPrice)})
	}
	return r, nil
}

// refundRow is one row of LatestRefundShown's join: the refund, its
// freeze's reason and one attempt (NULL when it has none).
type refundRow struct {
	ID, Currency, FailureCode string
	Status                    returns.RefundStatus
	Amount, ShippingAmount    int64
	CreditAmount, CreditBonus int64
	FinishedAt                *time.Time
	FrozenBy                  *string
	FreezeReason              *string
	AttemptState              *returns.AttemptState
	AttemptRRN                *string `gorm:"column:attempt_rrn"`
	AttemptGatewayRefundID    *string
}

// The latest refund is the last by creation (then id), as RefundsOfReturn
// lists them; its attempts by number, then creation, as AttemptsOfRefund.
const latestRefundSQL = `SELECT f.id, f.currency, f.status, f.failure_code, f.amount, f.shipping_amount, f.credit_amount, f.credit_bonus,
  f.finished_at, f.frozen_by, z.reason AS freeze_reason,
  a.state AS attempt_state, a.rrn AS attempt_rrn, a.gateway_refund_id AS attempt_gateway_refund_id
FROM refunds f
LEFT JOIN refund_freezes z ON z.id = f.frozen_by
LEFT JOIN refund_attempts a ON a.refund_id = f.id
WHERE f.id = (SELECT id FROM refunds WHERE return_id = ? ORDER BY created_at DESC, id DESC LIMIT 1)
ORDER BY a.n, a.created_at`

// LatestRefundShown reads a return's latest refund with its freeze's
// reason and its attempts, in one statement; nil when it has none.
func (d Returns) LatestRefundShown(ctx context.Context, returnID string) (*RefundShown, error) {
	var rows []refundRow
	if err := d.read(ctx).Raw(latestRefundSQL, returnID).Scan(&rows).Error; err != nil {
		return nil, fmt.Errorf("latest refund of %s: %w", returnID, translate(err))
	}
	if len(rows) == 0 {
		return nil, nil
	}
	h := rows[0]
	f := &RefundShown{ID: h.ID, Currency: h.Currency, Status: h.Status, FailureCode: h.FailureCode, Amount: h.Amount,
		ShippingAmount: h.ShippingAmount, CreditAmount: h.CreditAmount, CreditBonus: h.CreditBonus, FinishedAt: h.FinishedAt, FrozenBy: h.FrozenBy, FreezeReason: deref(h.FreezeReason)}
	for _, row := range rows {
		if row.AttemptState != nil {
			f.Attempts = append(f.Attempts, AttemptShown{State: *row.AttemptState, RRN: deref(row.AttemptRRN),
				GatewayRefundID: deref(row.AttemptGatewayRefundID)})
		}
	}
	return f, nil
}

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}

// CountStatements calls count after each statement d (and every
// transaction begun on it) runs from now on: how tests and benchmarks
// measure what a read costs. Call it before d is shared.
func (d *DB) CountStatements(count func()) error {
	cb := d.g.Callback()
	after := func(*gorm.DB) { count() }
	for _, err := range []error{
		cb.Create().After("*").Register("rebound:count", after),
		cb.Query().After("*").Register("rebound:count", after),
		cb.Update().After("*").Register("rebound:count", after),
		cb.Delete().After("*").Register("rebound:count", after),
		cb.Row().After("*").Register("rebound:count", after),
		cb.Raw().After("*").Register("rebound:count", after),
	} {
		if err != nil {
			return fmt.Errorf("count statements: %w", err)
		}
	}
	return nil
}
