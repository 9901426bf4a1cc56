package db

import "time"

// Refund statuses.
const (
	RefundPending   = "pending"
	RefundSucceeded = "succeeded"
	RefundFailed    = "failed"
)

// Refund is money going back to a shopper for one inspected return.
type Refund struct {
	ID             string
	ReturnID       string
	OrderID        string
	MerchantID     string
	Channel        string
	Amount         int64
	ShippingAmount int64
	Currency       string
	Status         string
	FailureCode    string
	Quote          JSON
	CreatedAt      time.Time
	UpdatedAt      time.Time
	FinishedAt     *time.Time
}

func (Refund) TableName() string { return "refunds" }

// RefundAttempt is one try at paying a refund.
type RefundAttempt struct {
	ID              string
	RefundID        string
	State           string
	GatewayRefundID string
	FailureCode     string
	CreatedAt       time.Time
	UpdatedAt       time.Time
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
	SessionStaff   = "staff"
	SessionShopper = "shopper"
)

// Session is a bearer token, kept as its hash: a staff member's log-in, or
// a shopper's access to one return.
type Session struct {
	TokenHash   string `gorm:"primaryKey"`
	Kind        string
	StaffUserID *string
	ReturnID    *string
	MerchantID  *string
	Role        string
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
