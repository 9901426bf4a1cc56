package views

import (
	"time"

	"github.com/rebound-returns/rebound/returns"
)

// AuditEntry is an audit log entry as GET /v1/admin/audit lists it (the
// console's audit page decodes the same type).
type AuditEntry struct {
	ID           int64          `json:"id"`
	At           time.Time      `json:"at"`
	MerchantID   string         `json:"merchant_id,omitempty"`
	Actor        string         `json:"actor"`
	ActorRole    returns.Role   `json:"actor_role"`
	Action       string         `json:"action"`
	ResourceType string         `json:"resource_type"`
	ResourceID   string         `json:"resource_id"`
	Outcome      string         `json:"outcome"`
	Origin       string         `json:"origin"`
	RequestID    string         `json:"request_id"`
	Detail       map[string]any `json:"detail,omitempty"`
}
