package views

import (
	"time"

	"github.com/rebound-returns/rebound/returns"
)

// The answer of GET /v1/returns/{id} (and of every step that answers with
// the return as it now stands). The web pages decode the API's JSON into
// these same types, so the two cannot drift apart; the JSON tags are the
// API's contract and never change.

// Return is a return as its shopper or a member of staff sees it.
type Return struct {
	ID             string            `json:"id"`
	Status         returns.Status    `json:"status"`
	Merchant       string            `json:"merchant"`
	OrderNumber    string            `json:"order_number"`
	Method         returns.Method    `json:"method"`
	Channel        returns.Channel   `json:"channel"`
	Currency       string            `json:"currency"`
	StatusReason   string            `json:"status_reason,omitempty"`
	ReasonCodes    []returns.Refusal `json:"reason_codes,omitempty"`
	Attention      string            `json:"attention,omitempty"`
	TrackingNumber string            `json:"tracking_number,omitempty"`
	LabelURL       string            `json:"label_url,omitempty"`
	Lines          []Line            `json:"lines"`
	Timeline       []Event           `json:"timeline"`
	Refund         *Refund           `json:"refund"`
	Order          Order             `json:"order"`
	CreatedAt      time.Time         `json:"created_at"`
	UpdatedAt      time.Time         `json:"updated_at"`
}

// Order is the order a return is of, as far as the return's page needs it:
// when it was bought, by whom, for how much and how it was paid (a card by
// its last four digits only).
type Order struct {
	PlacedAt     time.Time       `json:"placed_at"`
	DeliveredAt  *time.Time      `json:"delivered_at,omitempty"`
	CustomerName string          `json:"customer_name,omitempty"`
	Paid         int64           `json:"paid"`
	Shipping     int64           `json:"shipping"`
	Channel      returns.Channel `json:"channel"`
	CardLast4    string          `json:"card_last4,omitempty"`
	TerminalID   string          `json:"terminal_id,omitempty"`
}

// Line is a returned line with its name and price in the order and, once
// inspected, the verdict.
type Line struct {
	LineID           string `json:"line_id"`
	Name             string `json:"name"`
	Quantity         int    `json:"quantity"`
	UnitPrice        int64  `json:"unit_price"`
	Reason           string `json:"reason"`
	Note             string `json:"note,omitempty"`
	AcceptedQuantity *int   `json:"accepted_quantity,omitempty"`
	RejectedQuantity *int   `json:"rejected_quantity,omitempty"`
	Condition        string `json:"condition,omitempty"`
	RejectReason     string `json:"reject_reason,omitempty"`
	RefundAmount     *int64 `json:"refund_amount,omitempty"`
	// Resolution is what the shopper chose for the line when it is not a
	// refund (store credit, exchange; absent: a refund, as every line filed
	// before resolutions, so their bytes stay as they were); VariantSKU the
	// variant wanted for an exchange.
	Resolution returns.Resolution `json:"resolution,omitempty"`
	VariantSKU string             `json:"variant_sku,omitempty"`
}

// Event is one step of the return's timeline. Actor is a member of staff's
// user name only for staff; a shopper reads a role.
type Event struct {
	Status    returns.Status `json:"status"`
	At        time.Time      `json:"at"`
	Actor     string         `json:"actor"`
	ActorRole returns.Role   `json:"actor_role,omitempty"`
	Note      string         `json:"note,omitempty"`
}

// RefundNone is the status of a refund the inspection settled but no
// payment has started for.
const RefundNone returns.RefundStatus = "none"

// Refund is the return's latest refund.
type Refund struct {
	Amount      int64                `json:"amount"`
	Shipping    int64                `json:"shipping"`
	Currency    string               `json:"currency"`
	Status      returns.RefundStatus `json:"status"`
	FailureCode string               `json:"failure_code,omitempty"`
	FinishedAt  *time.Time           `json:"finished_at,omitempty"`
	// Reference is what the shopper's bank or card statement knows the
	// refund by: the acquirer's RRN, or the gateway's refund id.
	Reference string `json:"reference,omitempty"`
	// Frozen: the refund waits on an emergency freeze; staff see its
	// reason.
	Frozen       bool   `json:"frozen,omitempty"`
	FrozenReason string `json:"frozen_reason,omitempty"`
	// Credit is the part issued as store credit, CreditBonus the
	// merchant's bonus on it (Amount is the part paid to the payment).
	Credit      int64 `json:"credit,omitempty"`
	CreditBonus int64 `json:"credit_bonus,omitempty"`
}
