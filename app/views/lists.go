package views

import (
	"time"

	"github.com/rebound-returns/rebound/returns"
)

// Items of the lists the API answers and the console shows, with the API's
// JSON tags: the API renders them and the web pages decode them, so
// neither keeps a copy of the other's.

// WorkItem is one of finance's work items (a finance.WorkItem as answered).
type WorkItem struct {
	ID         string     `json:"id"`
	Kind       string     `json:"kind"`
	Status     string     `json:"status"`
	Summary    string     `json:"summary"`
	ReturnID   *string    `json:"return_id,omitempty"`
	RefundID   *string    `json:"refund_id,omitempty"`
	AttemptID  *string    `json:"attempt_id,omitempty"`
	FileID     *string    `json:"file_id,omitempty"`
	Line       *int64     `json:"line,omitempty"`
	Resolution string     `json:"resolution,omitempty"`
	Note       string     `json:"note,omitempty"`
	ResolvedBy string     `json:"resolved_by,omitempty"`
	CreatedAt  time.Time  `json:"created_at"`
	ResolvedAt *time.Time `json:"resolved_at,omitempty"`
}

// Freeze is a refund freeze as answered (a freeze.View).
type Freeze struct {
	ID         string `json:"id"`
	Merchant   string `json:"merchant"`
	Scope      string `json:"scope"`
	StoreCode  string `json:"store_code,omitempty"`
	TerminalID string `json:"terminal_id,omitempty"`
	Reason     string `json:"reason"`
	CreatedBy  string `json:"created_by"`
	// ByOperator: the platform froze it; only an operator lifts it.
	ByOperator bool       `json:"by_operator"`
	CreatedAt  time.Time  `json:"created_at"`
	Active     bool       `json:"active"`
	LiftedAt   *time.Time `json:"lifted_at,omitempty"`
	LiftedBy   string     `json:"lifted_by,omitempty"`
}

// RefundListItem is a refund as finance's lists and exports show it.
type RefundListItem struct {
	ID           string               `json:"id"`
	ReturnID     string               `json:"return_id"`
	Merchant     string               `json:"merchant"`
	OrderNumber  string               `json:"order_number"`
	Channel      returns.Channel      `json:"channel"`
	Amount       int64                `json:"amount"`
	Shipping     int64                `json:"shipping"`
	Currency     string               `json:"currency"`
	Status       returns.RefundStatus `json:"status"`
	FailureCode  string               `json:"failure_code,omitempty"`
	AuthorisedBy string               `json:"authorised_by,omitempty"`
	Attempts     int                  `json:"attempts"`
	CreatedAt    time.Time            `json:"created_at"`
	FinishedAt   *time.Time           `json:"finished_at,omitempty"`
}
