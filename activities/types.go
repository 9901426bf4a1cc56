package activities

import (
	"time"

	"github.com/rebound-returns/rebound/returns"
)

// The inputs and results of the activities: plain exported structs, because
// they cross the workflow boundary as JSON.

// Events say why a timeline entry is written; they decide who is told.
const (
	EventStatus            = "status"
	EventReminder          = "reminder"
	EventEscalation        = "escalation"
	EventCarrierException  = "carrier_exception"
	EventSettlementOverdue = "settlement_overdue"
	// EventNote records who did what without a change of status.
	EventNote = "note"
)

// TransitionInput is one step of a return: its new status (or the same
// status for a reminder, an escalation or a carrier problem), written to the
// read model with its timeline event and notifications in one transaction.
type TransitionInput struct {
	ReturnID string         `json:"return_id"`
	Seq      int64          `json:"seq"`
	Status   returns.Status `json:"status"`
	Event    string         `json:"event"`
	Actor    returns.Actor  `json:"actor"`
	Note     string         `json:"note,omitempty"`
	At       time.Time      `json:"at"`

	// Optional changes to the read model.
	Refusals       []returns.Refusal       `json:"refusals,omitempty"`
	StatusReason   string                  `json:"status_reason,omitempty"`
	TrackingNumber string                  `json:"tracking_number,omitempty"`
	LabelURL       string                  `json:"label_url,omitempty"`
	Inspection     []returns.InspectedLine `json:"inspection,omitempty"`
	Quote          *returns.Quote          `json:"quote,omitempty"`
	Attention      string                  `json:"attention,omitempty"`
	ClearAttention bool                    `json:"clear_attention,omitempty"`
}

// TransitionResult names the notifications the step queued.
type TransitionResult struct {
	Applied   bool     `json:"applied"`
	OutboxIDs []string `json:"outbox_ids"`
}

// DeliverInput names outbox messages to send.
type DeliverInput struct {
	OutboxIDs []string `json:"outbox_ids"`
}

// SendCodeInput asks for a new one-time code for a return.
type SendCodeInput struct {
	ReturnID string `json:"return_id"`
	// ClientIP is counted against the hourly cap per client address.
	ClientIP string `json:"client_ip"`
	// First is the code sent when the return is filed: the API checked the
	// caps before filing, so only the counting happens here.
	First bool `json:"first"`
}

// SendCodeResult tells the workflow that a code went out, never the code.
type SendCodeResult struct {
	ChallengeID string    `json:"challenge_id"`
	ExpiresAt   time.Time `json:"expires_at"`
}

// EvaluateInput asks whether a verified return meets the policy, and
// reserves its quantities when it does.
type EvaluateInput struct {
	ReturnID string                  `json:"return_id"`
	Policy   returns.Policy          `json:"policy"`
	Order    returns.Order           `json:"order"`
	Lines    []returns.RequestedLine `json:"lines"`
	FiledAt  time.Time               `json:"filed_at"`
}

// EvaluateResult is the policy's answer.
type EvaluateResult struct {
	Refusals []returns.Refusal `json:"refusals"`
	// Estimate is the refund if everything comes back new.
	Estimate int64 `json:"estimate"`
}

// ShipmentInput books the carrier for a return that is shipped back.
type ShipmentInput struct {
	ReturnID string `json:"return_id"`
}

// ShipmentResult is the booked shipment.
type ShipmentResult struct {
	Carrier        string `json:"carrier"`
	TrackingNumber string `json:"tracking_number"`
	LabelURL       string `json:"label_url"`
}

// PrepareRefundInput creates the refund of an inspected return, capped at
// what is still refundable on the order under a lock on the order.
type PrepareRefundInput struct {
	ReturnID   string                  `json:"return_id"`
	RefundID   string                  `json:"refund_id"`
	Policy     returns.Policy          `json:"policy"`
	Order      returns.Order           `json:"order"`
	Lines      []returns.RequestedLine `json:"lines"`
	Inspection []returns.InspectedLine `json:"inspection"`
}

// PrepareRefundResult is the refund as created (or as created before, on a
// retry).
type PrepareRefundResult struct {
	Quote returns.Quote `json:"quote"`
}

// GatewayRefundInput sends an online refund attempt to the payment gateway.
// The attempt id is the gateway's Idempotency-Key, so a retry can never pay
// twice.
type GatewayRefundInput struct {
	RefundID  string `json:"refund_id"`
	AttemptID string `json:"attempt_id"`
	PaymentID string `json:"payment_id"`
	Amount    int64  `json:"amount"`
	Currency  string `json:"currency"`
}

// GatewayRefundResult is where the attempt stands at the gateway.
type GatewayRefundResult struct {
	// AttemptID is the attempt the gateway was asked about.
	AttemptID       string               `json:"attempt_id,omitempty"`
	Status          returns.RefundStatus `json:"status"`
	GatewayRefundID string               `json:"gateway_refund_id,omitempty"`
	FailureCode     string               `json:"failure_code,omitempty"`
}

// FinishRefundInput records a refund's final outcome.
type FinishRefundInput struct {
	RefundID    string               `json:"refund_id"`
	Status      returns.RefundStatus `json:"status"` // succeeded or failed
	FailureCode string               `json:"failure_code,omitempty"`
}

// ResolveRefundInput is finance's resolution of a failed refund.
type ResolveRefundInput struct {
	ReturnID string `json:"return_id"`
	RefundID string `json:"refund_id"`
	Action   string `json:"action"` // retry, mark_refunded, store_credit
	Note     string `json:"note,omitempty"`
	By       string `json:"by"`
	Amount   int64  `json:"amount"`
	Currency string `json:"currency"`
}

// ResolveRefundResult names the refund a retry pays (the same, reopened).
type ResolveRefundResult struct {
	RefundID string `json:"refund_id,omitempty"`
	Amount   int64  `json:"amount,omitempty"`
	// PaidBy is the attempt that had paid the refund: a retry or "mark
	// refunded" recorded it as the refund and sent nothing.
	PaidBy string `json:"paid_by,omitempty"`
}

// CardAttemptInput prepares the next attempt of a card refund.
type CardAttemptInput struct {
	RefundID     string `json:"refund_id"`
	AttemptID    string `json:"attempt_id"`
	AuthorisedBy string `json:"authorised_by,omitempty"`
	// AsRefund: a void was refused (or its batch closed before it left):
	// this attempt is a refund whatever the sale's batch.
	AsRefund bool `json:"as_refund,omitempty"`
}

// Recovery is what a refund's new run takes up from an earlier one.
type Recovery struct {
	// Reverse are card attempts whose outcome is unknown.
	Reverse []string `json:"reverse,omitempty"`
	// Resume is an online attempt whose answer is not known.
	Resume string `json:"resume,omitempty"`
}

// CardSettings are the worker's settings for card messages.
type CardSettings struct {
	// SendTimeout bounds the activity that sends one card message; it is
	// longer than the ISO response timeout.
	SendTimeout time.Duration `json:"send_timeout"`
	// RetryWait is the first wait before repeating a reversal or resending
	// a message that never left; it doubles up to 12 times itself.
	RetryWait time.Duration `json:"retry_wait"`
	// ReversalPatience is how long a reversal is repeated while the
	// acquirer cannot be reached at all before finance is called in.
	ReversalPatience time.Duration `json:"reversal_patience"`
	// FateWait is how long, after a reversal answered 25 (no such
	// message), the original is given to arrive before the reversal is
	// repeated and a 25 believed.
	FateWait time.Duration `json:"fate_wait"`
	// MaxReversals bounds the reversals that left unacknowledged.
	MaxReversals int `json:"max_reversals"`
	// VoidFromSaleTerminal sends voids from the sale's own terminal (the
	// acquirer requires it), not the store's virtual one.
	VoidFromSaleTerminal bool `json:"void_from_sale_terminal"`
}

// CardAttempt is a prepared attempt: its STAN is reserved and stored.
type CardAttempt struct {
	AttemptID  string              `json:"attempt_id"`
	Kind       returns.AttemptKind `json:"kind"` // void or refund
	TerminalID string              `json:"terminal_id"`
	STAN       string              `json:"stan"`
	Amount     int64               `json:"amount"`
}

// CardOutcome is where an attempt stands after sending.
type CardOutcome struct {
	State        returns.AttemptState `json:"state"` // prepared (never left), approved, declined, unknown
	ResponseCode string               `json:"response_code,omitempty"`
	ApprovalCode string               `json:"approval_code,omitempty"`
	RRN          string               `json:"rrn,omitempty"`
	// AsRefund: a void was refused or not sent before its batch closed;
	// the refund goes on as a refund.
	AsRefund bool `json:"as_refund,omitempty"`
	// Retry: refused for a reason that may pass (91, 96): a new attempt
	// may go after a wait.
	Retry bool `json:"retry,omitempty"`
}

// ReversalInput reverses an attempt whose outcome is unknown.
type ReversalInput struct {
	AttemptID string `json:"attempt_id"`
	// Repeat is read by refunds started before reversals counted their own
	// sends; the activity now tells a repeat from the attempt's row.
	Repeat bool `json:"repeat"`
	// AfterFateWait: a 25 came before and the original has had its time to
	// arrive: a 25 now is believed.
	AfterFateWait bool `json:"after_fate_wait,omitempty"`
}

// ReversalOutcome says where a reversal stands (State, one of the
// Reversal constants) and whether the acquirer acknowledged it.
type ReversalOutcome struct {
	State        string `json:"state,omitempty"`
	Acknowledged bool   `json:"acknowledged"`
	ResponseCode string `json:"response_code,omitempty"`
}

// ReconcileResult is what a settlement file's reconciliation found.
type ReconcileResult struct {
	Matched        int64 `json:"matched"`
	AlreadyMatched int64 `json:"already_matched"`
	Unexpected     int64 `json:"unexpected"`
	AmountMismatch int64 `json:"amount_mismatch"`
	Missing        int64 `json:"missing"`
	Ignored        int64 `json:"ignored"`
}

// SettlePage asks to signal the returns a file settled, after a return id.
type SettlePage struct {
	FileID string `json:"file_id"`
	After  string `json:"after"`
}

// ReturnCreditInput names the refund whose store-credit part to issue.
type ReturnCreditInput struct {
	ReturnID string `json:"return_id"`
	RefundID string `json:"refund_id"`
}
