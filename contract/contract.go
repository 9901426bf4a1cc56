// Package contract is what Rebound's workflows and their callers agree on:
// task queues, workflow IDs, the names of updates, signals and queries, the
// error types of refusals, and the inputs and results that cross the
// boundary. Workflows, activities, the use cases and the worker import it;
// it does no I/O and imports only the domain (returns). Its JSON shapes are
// in every recorded workflow history: a field's name never changes.
package contract

import (
	"fmt"
	"time"

	"github.com/rebound-returns/rebound/returns"
)

// TaskQueue is where the return and refund workflows and their activities run.
const TaskQueue = "returns"

// CardTaskQueue is where the card activities that talk to the acquirer
// (and wait on it, up to the send timeout) run: a worker of their own, with
// its own slots, so that a slow acquirer cannot starve e-mail and steps.
const CardTaskQueue = "cards"

// ReturnWorkflowID is the id of a return's workflow.
func ReturnWorkflowID(returnID string) string { return "return/" + returnID }

// RefundWorkflowID is the id of the n-th refund of a return (n from 1).
func RefundWorkflowID(returnID string, n int) string { return fmt.Sprintf("refund/%s/%d", returnID, n) }

// Updates people send to a return: each answers once its step is recorded.
const (
	UpdateVerify   = "verify"
	UpdateSendCode = "send_code"
	UpdateReview   = "review"
	UpdateReceive  = "receive"
	UpdateInspect  = "inspect"
	UpdateCancel   = "cancel"

	UpdateCounterRefund    = "counter_refund"
	UpdateRefundApproval   = "refund_approval"
	UpdateRefundResolution = "refund_resolution"
)

// Signals.
const (
	// SignalCarrierEvent carries a CarrierEvent to a return.
	SignalCarrierEvent = "carrier_event"
	// SignalSettled tells a return its refund was matched in settlement.
	SignalSettled = "settled"
	// SignalGatewayResult carries a GatewayResult to a refund.
	SignalGatewayResult = "gateway_result"
	// SignalFreezeLifted wakes a refund waiting on a freeze that was lifted.
	SignalFreezeLifted = "freeze_lifted"
)

// QueryStatus answers a StatusView.
const QueryStatus = "status"

// Error types of update rejections, so the API can tell a state conflict
// (409) from bad input (422).
const (
	ErrInvalidState = "invalid_state"
	ErrInvalidInput = "invalid_input"
	ErrRateLimited  = "rate_limited"
)

// ReturnInput starts a return. The policy and the order are snapshots taken
// when the return was filed.
type ReturnInput struct {
	ReturnID   string                  `json:"return_id"`
	MerchantID string                  `json:"merchant_id"`
	OrderID    string                  `json:"order_id"`
	Method     returns.Method          `json:"method"`
	Channel    returns.Channel         `json:"channel"`
	PaymentID  string                  `json:"payment_id,omitempty"` // the gateway's, for online orders
	ClientIP   string                  `json:"client_ip"`
	Policy     returns.Policy          `json:"policy"`
	Order      returns.Order           `json:"order"`
	Lines      []returns.RequestedLine `json:"lines"`
	FiledAt    time.Time               `json:"filed_at"`
	// VerifiedBy is the order lookup whose code the shopper entered before
	// filing; such a return is submitted at once, without a code of its own.
	VerifiedBy string `json:"verified_by,omitempty"`
	// CardSendTimeout and CardRetryWait were the worker's card settings,
	// carried in every return until card refunds read them from the worker
	// (the CardSettings activity). Only refunds started before the money
	// rules (cardRefundV1, kept for their histories) still read them; they
	// are kept readable for those and no longer filled.
	CardSendTimeout time.Duration `json:"card_send_timeout,omitempty"`
	CardRetryWait   time.Duration `json:"card_retry_wait,omitempty"`
}

// DefaultCardRetryWait is the first back-off of card messages.
const DefaultCardRetryWait = 5 * time.Second

// DefaultCardSendTimeout bounds a card message's activity when the return
// names none.
const DefaultCardSendTimeout = 45 * time.Second

// ReturnResult is how a return ended.
type ReturnResult struct {
	Status       returns.Status `json:"status"`
	RefundAmount int64          `json:"refund_amount"`
}

// VerifyRequest tells the return that the API checked a one-time code.
// The code itself never reaches the workflow.
type VerifyRequest struct {
	ChallengeID string `json:"challenge_id"`
}

// SendCodeRequest asks for a new code.
type SendCodeRequest struct {
	ClientIP string `json:"client_ip"`
}

// ReviewRequest is a supervisor's decision.
type ReviewRequest struct {
	Decision string        `json:"decision"` // approve or decline
	Reason   string        `json:"reason,omitempty"`
	Actor    returns.Actor `json:"actor"`
}

// Review decisions.
const (
	DecisionApprove = "approve"
	DecisionDecline = "decline"
)

// ReceiveRequest records that the goods are in the merchant's hands.
type ReceiveRequest struct {
	Actor returns.Actor `json:"actor"`
	Note  string        `json:"note,omitempty"`
}

// InspectRequest is the inspector's verdict.
type InspectRequest struct {
	Lines []returns.InspectedLine `json:"lines"`
	Actor returns.Actor           `json:"actor"`
}

// CancelRequest ends a return before the goods are sent.
type CancelRequest struct {
	Reason string        `json:"reason,omitempty"`
	Actor  returns.Actor `json:"actor"`
}

// ActionResult is where a return stands after an update.
type ActionResult struct {
	Status returns.Status `json:"status"`
	Seq    int64          `json:"seq"`
}

// CarrierEvent is a tracking event for a return's parcel.
type CarrierEvent struct {
	EventID        string    `json:"event_id"`
	TrackingNumber string    `json:"tracking_number"`
	Event          string    `json:"event"` // in_transit, delivered, exception
	OccurredAt     time.Time `json:"occurred_at"`
}

// Carrier events.
const (
	CarrierInTransit = "in_transit"
	CarrierDelivered = "delivered"
	CarrierException = "exception"
)

// StatusView is the answer to QueryStatus.
type StatusView struct {
	Status    returns.Status `json:"status"`
	Seq       int64          `json:"seq"`
	Attention string         `json:"attention,omitempty"`
}

// RefundInput starts a refund of a return.
type RefundInput struct {
	ReturnID  string          `json:"return_id"`
	RefundID  string          `json:"refund_id"`
	Channel   returns.Channel `json:"channel"`
	PaymentID string          `json:"payment_id"`
	Amount    int64           `json:"amount"`
	Currency  string          `json:"currency"`
	// AuthorisedBy is the supervisor (counter, approval) or finance user
	// (retry) who let a card refund go.
	AuthorisedBy string        `json:"authorised_by,omitempty"`
	SendTimeout  time.Duration `json:"send_timeout,omitempty"`
	RetryWait    time.Duration `json:"retry_wait,omitempty"`
	// FreezeRecheck is how often a refund held by a freeze looks again
	// (0: DefaultFreezeRecheck); lifting the freeze also wakes it.
	FreezeRecheck time.Duration `json:"freeze_recheck,omitempty"`
}

// DefaultFreezeRecheck is how soon a frozen refund first looks again (then
// less and less often).
const DefaultFreezeRecheck = time.Minute

// CounterRefundRequest starts a card refund at the counter once the API has
// checked the supervisor's password, the voucher and the card.
type CounterRefundRequest struct {
	Actor        returns.Actor `json:"actor"`
	AuthorisedBy string        `json:"authorised_by"`
	TerminalID   string        `json:"terminal_id"`
}

// RefundApprovalRequest is a supervisor's word on a card refund without the card.
type RefundApprovalRequest struct {
	Decision string        `json:"decision"` // approve or decline
	Note     string        `json:"note,omitempty"`
	Actor    returns.Actor `json:"actor"`
}

// Finance resolutions of a failed refund.
const (
	ResolveRetry        = "retry"
	ResolveMarkRefunded = "mark_refunded"
	ResolveStoreCredit  = string(returns.ResolutionStoreCredit)
)

// RefundResolutionRequest is finance's resolution of a failed refund.
type RefundResolutionRequest struct {
	Action string        `json:"action"`
	Note   string        `json:"note,omitempty"`
	Actor  returns.Actor `json:"actor"`
}

// RefundResult is how a refund ended.
type RefundResult struct {
	Status      returns.RefundStatus `json:"status"` // succeeded or failed
	FailureCode string               `json:"failure_code,omitempty"`
}

// GatewayResult is the gateway's word on a refund, from its webhook.
type GatewayResult struct {
	AttemptID   string               `json:"attempt_id"`
	Status      returns.RefundStatus `json:"status"`
	FailureCode string               `json:"failure_code,omitempty"`
}

// Attention flags on a return, shown in task lists.
const (
	AttentionReviewOverdue     = "review_overdue"
	AttentionInspectionOverdue = "inspection_overdue"
	AttentionSettlementOverdue = "settlement_overdue"
)

// ReconcileWorkflowID is the id of a settlement file's reconciliation.
func ReconcileWorkflowID(fileID string) string { return "reconcile/" + fileID }

// ReconcileInput names the imported file to reconcile.
type ReconcileInput struct {
	FileID string `json:"file_id"`
}

// LookupWorkflowID is the id of an order lookup's workflow.
func LookupWorkflowID(lookupID string) string { return "lookup/" + lookupID }

// SettlementPickupScheduleID is the Temporal Schedule that runs
// SettlementPickupWorkflow daily.
const SettlementPickupScheduleID = "settlement-pickup"

// SettlementPickupWorkflowID is the id of the pickup workflow the schedule
// starts (the schedule appends the time of each run).
const SettlementPickupWorkflowID = "settlement-pickup"

// PickupInput starts a pickup; it needs nothing yet.
type PickupInput struct{}

// PickupResult counts what a pickup did with the files it found.
type PickupResult struct {
	Imported   int `json:"imported"`
	Duplicates int `json:"duplicates"` // content imported before: moved, nothing changed
	Refused    int `json:"refused"`
	// Failed files could not be dealt with this time (the database was
	// down, say) and wait in their folder for the next pickup; or were
	// imported but their reconciliation could not be started.
	Failed int `json:"failed"`
	// Reconciling are the files whose reconciliation this pickup started
	// (not those started before, by an upload or an earlier pickup).
	Reconciling []string `json:"reconciling,omitempty"`
}

// ErrGatewayRejected is the type of a refund the gateway refused outright
// (a 4xx): retrying cannot help.
const ErrGatewayRejected = "gateway_rejected"

// Failure codes of card refunds that did not reach an answer.
const (
	FailUnreachable         = "acquirer_unreachable"
	FailNoAnswer            = "no_answer"
	FailReversalUnconfirmed = "reversal_unacknowledged"
)

// FailRefused is the failure code of a refund the money rules stopped: an
// earlier attempt is in doubt or the payment has nothing left.
const FailRefused = "refused_by_rules"

// CreditExpiryScheduleID is the Temporal Schedule that runs
// CreditExpiryWorkflow daily (at CreditExpiryCron).
const CreditExpiryScheduleID = "store-credit-expiry"

// CreditExpiryWorkflowID is the id of the expiry workflow the schedule
// starts (the schedule appends the time of each run).
const CreditExpiryWorkflowID = "store-credit-expiry"

// CreditExpiryCron is when store credit past its date expires: daily, a
// little after midnight UTC.
const CreditExpiryCron = "15 0 * * *"

// CreditExpiryInput starts an expiry run; it needs nothing.
type CreditExpiryInput struct{}

// CreditExpiryResult counts the credits a run expired.
type CreditExpiryResult struct {
	Expired int `json:"expired"`
}
