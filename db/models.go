package db

import (
	"database/sql/driver"
	"encoding/json"
	"fmt"
	"github.com/rebound-returns/rebound/returns"
	"time"

	"github.com/google/uuid"
)

// NewID returns a new time-ordered identifier (UUIDv7), so that ids sort in
// the order rows were created and serve as pagination cursors.
func NewID() string { return uuid.Must(uuid.NewV7()).String() }

// JSON is a JSON document stored in a jsonb (Postgres) or TEXT (SQLite) column.
type JSON []byte

// Value implements driver.Valuer.
func (j JSON) Value() (driver.Value, error) {
	if len(j) == 0 {
		return "null", nil
	}
	return string(j), nil
}

// Scan implements sql.Scanner.
func (j *JSON) Scan(src any) error {
	switch v := src.(type) {
	case nil:
		*j = nil
	case []byte:
		*j = append((*j)[:0], v...)
	case string:
		*j = JSON(v)
	default:
		return fmt.Errorf("db.JSON: cannot scan %T", src)
	}
	return nil
}

// MarshalJSON keeps the document as it is.
func (j JSON) MarshalJSON() ([]byte, error) {
	if len(j) == 0 {
		return []byte("null"), nil
	}
	return j, nil
}

// ToJSON encodes v for a JSON column.
func ToJSON(v any) (JSON, error) {
	b, err := json.Marshal(v)
	return JSON(b), err
}

// Merchant sells goods and takes returns.
type Merchant struct {
	ID                 string
	Slug               string
	Name               string
	AcquirerMerchantID string
	// GatewayAccount is the merchant's account at the payment gateway (""
	// = its slug); every gateway refund names it.
	GatewayAccount string
	Currency       string
	TimeZone       string
	Policy         JSON
	Status         string
	CreatedAt      time.Time
	UpdatedAt      time.Time
}

func (Merchant) TableName() string { return "merchants" }

// GatewayAccountName is the merchant's account at the payment gateway: its
// own when set, else its slug.
func (m *Merchant) GatewayAccountName() string {
	if m.GatewayAccount != "" {
		return m.GatewayAccount
	}
	return m.Slug
}

// Store is one of a merchant's shops.
type Store struct {
	ID         string
	MerchantID string
	Code       string
	Name       string
	Address    string
	CreatedAt  time.Time
}

func (Store) TableName() string { return "stores" }

// Terminal kinds.
const (
	TerminalPhysical = "physical"
	TerminalVirtual  = "virtual"
)

// Terminal is a card terminal of a store: a physical device, or the virtual
// terminal Rebound sends its own messages from.
type Terminal struct {
	ID         string
	MerchantID string
	StoreID    string
	TerminalID string
	Kind       string
	NextSTAN   int `gorm:"column:next_stan"`
	CreatedAt  time.Time
}

func (Terminal) TableName() string { return "terminals" }

// StaffUser is a merchant's employee, or a platform operator (no merchant).
type StaffUser struct {
	ID           string
	MerchantID   *string
	Username     string
	DisplayName  string
	Email        string
	Role         returns.Role
	PasswordHash string
	FailedLogins int
	LockedUntil  *time.Time
	Disabled     bool
	// MustChangePassword holds a one-time password: the member may do
	// nothing but change it.
	MustChangePassword bool
	CreatedAt          time.Time
	UpdatedAt          time.Time
}

func (StaffUser) TableName() string { return "staff_users" }

// Order is a paid order registered by the merchant's systems.
type Order struct {
	ID             string
	MerchantID     string
	OrderNumber    string
	Currency       string
	PlacedAt       time.Time
	DeliveredAt    *time.Time
	ShippingAmount int64
	CustomerName   string
	CustomerEmail  string
	CustomerPhone  string
	RequestHash    string
	CreatedAt      time.Time

	Lines   []OrderLine `gorm:"foreignKey:OrderID"`
	Payment *Payment    `gorm:"foreignKey:OrderID"`
}

func (Order) TableName() string { return "orders" }

// OrderLine is one line of an order; Discount applies to the whole line.
type OrderLine struct {
	OrderID   string `gorm:"primaryKey"`
	LineID    string `gorm:"primaryKey"`
	Position  int
	SKU       string `gorm:"column:sku"`
	Name      string
	Category  string
	Quantity  int
	UnitPrice int64
	Discount  int64
}

func (OrderLine) TableName() string { return "order_lines" }

// Payment is how an order was paid: on a card terminal or online.
type Payment struct {
	ID               string
	OrderID          string
	Channel          returns.Channel
	Amount           int64
	Currency         string
	TerminalID       string
	STAN             string `gorm:"column:stan"`
	RRN              string `gorm:"column:rrn"`
	ApprovalCode     string
	MaskedPAN        string `gorm:"column:masked_pan"`
	CardFingerprint  string
	GatewayPaymentID string
	// SaleAt is the card sale's own transmission time (its DE7) and Batch
	// its batch number, as registered (registration requires SaleAt of a
	// card sale); SaleDay the UTC day of the sale, part of the sale's
	// identity. Only rows stored before SaleAt was required lack it: for
	// them the order's placed_at stands for it.
	SaleAt    *time.Time
	Batch     string
	SaleDay   string
	CreatedAt time.Time
}

func (Payment) TableName() string { return "payments" }

// Return is the read model of one return, written by the workflow's
// projection activity.
type Return struct {
	ID             string
	MerchantID     string
	OrderID        string
	Status         string
	Method         returns.Method
	Contact        string
	ContactKind    string
	Seq            int64
	Currency       string
	Policy         JSON
	StatusReason   string
	ReasonCodes    JSON
	TrackingNumber string
	LabelURL       string
	RefundAmount   *int64
	VerifiedAt     *time.Time
	Channel        returns.Channel
	ReservedAt     *time.Time
	Attention      string
	AttentionAt    *time.Time
	CreatedAt      time.Time
	UpdatedAt      time.Time

	Lines []ReturnLine `gorm:"foreignKey:ReturnID"`
}

func (Return) TableName() string { return "returns" }

// ReturnLine is a line of a return, with its inspection result once known.
type ReturnLine struct {
	ReturnID         string `gorm:"primaryKey"`
	LineID           string `gorm:"primaryKey"`
	Quantity         int
	Reason           string
	Note             string
	AcceptedQuantity *int
	RejectedQuantity *int
	Condition        *string
	RejectReason     string
	InspectionNote   string
	RefundAmount     *int64
	// Resolution is what the shopper chose for the line (refund for lines
	// filed before resolutions); VariantSKU the variant wanted for an
	// exchange.
	Resolution returns.Resolution `gorm:"default:refund"`
	VariantSKU string             `gorm:"column:variant_sku"`
}

func (ReturnLine) TableName() string { return "return_lines" }

// TimelineEvent is one step of a return's history, as the shopper sees it.
type TimelineEvent struct {
	ID        int64 `gorm:"primaryKey;autoIncrement"`
	ReturnID  string
	Seq       int64
	Status    string
	Actor     string
	ActorRole returns.Role
	Note      string
	At        time.Time
}

func (TimelineEvent) TableName() string { return "timeline_events" }

// Audit outcomes.
const (
	OutcomeSuccess = "success"
	OutcomeDenied  = "denied"
	OutcomeFailed  = "failed"
)

// AuditEntry records who did what to which resource, and how it ended.
type AuditEntry struct {
	ID           int64 `gorm:"primaryKey;autoIncrement"`
	At           time.Time
	MerchantID   *string
	Actor        string
	ActorRole    returns.Role
	Action       string
	ResourceType string
	ResourceID   string
	Outcome      string
	Origin       string
	RequestID    string
	Detail       JSON
}

func (AuditEntry) TableName() string { return "audit_log" }
