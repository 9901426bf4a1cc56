package payments

import (
	"github.com/rebound-returns/rebound/signature"
)

// The gateway POSTs a WebhookEvent each time a refund, a hold or a charge
// reaches a status it will not leave by itself.
const (
	EventRefundSucceeded = "refund.succeeded"
	EventRefundFailed    = "refund.failed"

	// A hold was authorised or refused; an authorised hold was captured
	// (or its capture failed) or voided; a charge was taken or refused.
	EventAuthorizationSucceeded = "authorization.succeeded"
	EventAuthorizationFailed    = "authorization.failed"
	EventAuthorizationCaptured  = "authorization.captured"
	EventAuthorizationVoided    = "authorization.voided"
	EventChargeSucceeded        = "charge.succeeded"
	EventChargeFailed           = "charge.failed"

	// SignatureHeader carries SignWebhook(secret, body) of a webhook request.
	SignatureHeader = "X-Gateway-Signature"
)

// WebhookEvent is the body of a webhook: the refund as it settled (refund.*
// events), or the hold or charge as it stands (authorization.* and charge.*
// events, in Authorization).
type WebhookEvent struct {
	ID            string         `json:"id"`   // unique per event; the same on every delivery attempt
	Type          string         `json:"type"` // one of the Event… constants
	Refund        Refund         `json:"refund"`
	Authorization *Authorization `json:"authorization,omitempty"`
}

// IsAuthorizationEvent reports whether typ is an event of a hold or a
// charge (its Authorization is set) rather than of a refund.
func IsAuthorizationEvent(typ string) bool {
	switch typ {
	case EventAuthorizationSucceeded, EventAuthorizationFailed, EventAuthorizationCaptured,
		EventAuthorizationVoided, EventChargeSucceeded, EventChargeFailed:
		return true
	}
	return false
}

// SignWebhook is the hex HMAC-SHA256 of body under secret.
func SignWebhook(secret string, body []byte) string { return signature.Sign(secret, body) }

// VerifyWebhook reports whether sig is SignWebhook(secret, body), in
// constant time; an empty secret verifies nothing.
func VerifyWebhook(secret string, body []byte, sig string) bool {
	return signature.Verify(secret, body, sig)
}
