package payments

import (
	"github.com/rebound-returns/rebound/signature"
)

// The gateway POSTs a WebhookEvent each time a refund reaches its final status.
const (
	EventRefundSucceeded = "refund.succeeded"
	EventRefundFailed    = "refund.failed"

	// SignatureHeader carries SignWebhook(secret, body) of a webhook request.
	SignatureHeader = "X-Gateway-Signature"
)

// WebhookEvent is the body of a webhook: the refund as it settled.
type WebhookEvent struct {
	ID     string `json:"id"`   // unique per event; the same on every delivery attempt
	Type   string `json:"type"` // EventRefundSucceeded or EventRefundFailed
	Refund Refund `json:"refund"`
}

// SignWebhook is the hex HMAC-SHA256 of body under secret.
func SignWebhook(secret string, body []byte) string { return signature.Sign(secret, body) }

// VerifyWebhook reports whether sig is SignWebhook(secret, body), in
// constant time; an empty secret verifies nothing.
func VerifyWebhook(secret string, body []byte, sig string) bool {
	return signature.Verify(secret, body, sig)
}
