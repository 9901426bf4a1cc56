package views

import (
	"time"

	"github.com/rebound-returns/rebound/returns"
)

// The answers of the merchant's people and keys (GET /v1/merchant/staff,
// GET /v1/merchant/api-keys and the steps that answer one of them), which
// the console's staff page decodes.

// StaffMember is a member of a merchant's staff.
type StaffMember struct {
	ID                 string       `json:"id"`
	Username           string       `json:"username"`
	DisplayName        string       `json:"display_name,omitempty"`
	Email              string       `json:"email,omitempty"`
	Role               returns.Role `json:"role"`
	Disabled           bool         `json:"disabled"`
	MustChangePassword bool         `json:"must_change_password"`
	LockedUntil        *time.Time   `json:"locked_until,omitempty"`
	CreatedAt          time.Time    `json:"created_at"`
}

// APIKey is one of a merchant's API keys; Key is the key itself, only in
// the answer that creates it.
type APIKey struct {
	ID        string     `json:"id"`
	Name      string     `json:"name"`
	Prefix    string     `json:"prefix"`
	Key       string     `json:"key,omitempty"`
	CreatedBy string     `json:"created_by,omitempty"`
	CreatedAt time.Time  `json:"created_at"`
	RevokedAt *time.Time `json:"revoked_at,omitempty"`
}
