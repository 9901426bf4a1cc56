package db

import (
	"github.com/rebound-returns/rebound/returns"
	"time"
)

// Refund is money going back to a shopper for one inspected return.
type Refund struct {
	ID             string
	ReturnID       string
	OrderID        string
	MerchantID     string
	Channel        returns.Channel
	Amount         int64
	ShippingAmount int64
	// CreditAmount is the part of the return's refund issued as store
	// credit instead (not paid to the payment; Amount is), CreditBonus the
	// merchant's bonus issued on top.
	CreditAmount int64
	CreditBonus  int64
	Currency     string
	Status       returns.RefundStatus
	FailureCode  string
	Quote        JSON
	AuthorisedBy string
	WorkflowID   string
	// FrozenBy is the freeze a waiting refund is held by.
	FrozenBy   *string
	CreatedAt  time.Time
	UpdatedAt  time.Time
	FinishedAt *time.Time
}

func (Refund) TableName() string { return "refunds" }

// RefundAttempt is one try at paying a refund: an online gateway call, or
// an ISO 8583 void or refund from a store's virtual terminal.
type RefundAttempt struct {
	ID               string
	RefundID         string
	N                int
	Kind             returns.AttemptKind
	Amount           int64
	State            returns.AttemptState
	GatewayRefundID  string
	FailureCode      string
	TerminalID       string
	STAN             string `gorm:"column:stan"`
	STANDay          string `gorm:"column:stan_day"`
	TransmittedAt    *time.Time
	ResponseCode     string
	ApprovalCode     string
	RRN              string `gorm:"column:rrn"`
	UnknownReason    string
	ReversalTries    int
	ReversalCode     string
	LateResponseCode string
	LateMTI          string `gorm:"column:late_mti"`
	LateAt           *time.Time
	TransmittedDay   string
	// ReversalSTAN is the reversal's own STAN (with the UTC day it was
	// allocated on); ReversalAt the DE7 of its first 0400.
	ReversalSTAN    string `gorm:"column:reversal_stan"`
	ReversalSTANDay string `gorm:"column:reversal_stan_day"`
	ReversalReason  string
	ReversalAt      *time.Time
	// AnswerFields are the fields of the acquirer's answer Rebound does not
	// use, kept for finance.
	AnswerFields JSON
	// UnreachableSince is when a reversal first could not be sent.
	UnreachableSince *time.Time
	// Resolution, with its note, author and time, is how an attempt in
	// doubt was settled with evidence (finance or a settlement file).
	Resolution     returns.AttemptState
	ResolutionNote string
	ResolvedBy     string
	ResolvedAt     *time.Time
	// SettledFileID is the file whose row matched the attempt (read with
	// the attempts of a refund; no column of its own).
	SettledFileID *string `gorm:"-"`
	CreatedAt     time.Time
	UpdatedAt     time.Time
}

func (RefundAttempt) TableName() string { return "refund_attempts" }

// OTPChallenge is one one-time code sent for a return; only its HMAC is kept.
type OTPChallenge struct {
	ID         string
	ReturnID   string
	Contact    string
	ClientIP   string
	CodeHMAC   string `gorm:"column:code_hmac"`
	Attempts   int
	ExpiresAt  time.Time
	ConsumedAt *time.Time
	CreatedAt  time.Time
}

func (OTPChallenge) TableName() string { return "otp_challenges" }

// Session kinds.
const (
	SessionStaff   = string(returns.ActorStaff)
	SessionShopper = string(returns.ActorShopper)
)

// Session is a bearer token, kept as its hash: a staff member's log-in, or
// a shopper's access to one return.
type Session struct {
	TokenHash   string `gorm:"primaryKey"`
	Kind        string
	StaffUserID *string
	ReturnID    *string
	MerchantID  *string
	Role        returns.Role
	ExpiresAt   time.Time
	CreatedAt   time.Time
}

func (Session) TableName() string { return "sessions" }

// APIKey lets a merchant's systems call Rebound; only its hash is kept.
type APIKey struct {
	ID         string
	MerchantID string
	Name       string
	Prefix     string
	KeyHash    string
	CreatedBy  string
	CreatedAt  time.Time
	RevokedAt  *time.Time
}

func (APIKey) TableName() string { return "api_keys" }

// WebhookEndpoint receives a merchant's return events, signed with Secret.
type WebhookEndpoint struct {
	ID         string
	MerchantID string
	URL        string `gorm:"column:url"`
	Secret     string
	Disabled   bool
	CreatedAt  time.Time
}

func (WebhookEndpoint) TableName() string { return "webhook_endpoints" }

// Outbox statuses.
const (
	OutboxPending = "pending"
	OutboxSent    = "sent"
	OutboxFailed  = "failed"
)

// OutboxMessage is a notification queued in the same transaction as the step
// that caused it, then sent by an activity.
type OutboxMessage struct {
	ID         string
	DedupeKey  string
	MerchantID *string
	ReturnID   *string
	Channel    string
	Recipient  string
	WebhookID  *string
	Subject    string
	BodyText   string
	BodyHTML   string `gorm:"column:body_html"`
	Sensitive  bool
	Status     string
	Attempts   int
	LastError  string
	CreatedAt  time.Time
	SentAt     *time.Time
}

func (OutboxMessage) TableName() string { return "outbox" }

// CarrierEvent is a tracking event as the carrier sent it.
type CarrierEvent struct {
	EventID        string `gorm:"primaryKey"`
	TrackingNumber string
	Event          string
	OccurredAt     time.Time
	ReturnID       *string
	ReceivedAt     time.Time
}

func (CarrierEvent) TableName() string { return "carrier_events" }

// Work item statuses.
const (
	WorkOpen     = "open"
	WorkResolved = "resolved"
)

// WorkItem is something finance must look at: a failed refund, a reversal
// never acknowledged, a settlement discrepancy.
type WorkItem struct {
	ID         string
	DedupeKey  string
	MerchantID string
	Kind       string
	ReturnID   *string
	RefundID   *string
	AttemptID  *string
	FileID     *string
	ItemLine   *int64
	Summary    string
	Status     string
	Resolution string
	Note       string
	ResolvedBy string
	CreatedAt  time.Time
	ResolvedAt *time.Time
}

func (WorkItem) TableName() string { return "work_items" }

// StoreCredit is one credit of a customer at a merchant: what it was
// issued for (Amount), what is left (Balance, the sum of its ledger's
// entries: see credits.go), its code's hash and when it expires (never when
// nil).
type StoreCredit struct {
	ID         string
	MerchantID string
	Customer   string
	ReturnID   *string
	Amount     int64
	Balance    int64
	Currency   string
	CodeHash   string
	CodeLast4  string `gorm:"column:code_last4"`
	Note       string
	CreatedBy  string
	CreatedAt  time.Time
	ExpiresAt  *time.Time
}

func (StoreCredit) TableName() string { return "store_credits" }
