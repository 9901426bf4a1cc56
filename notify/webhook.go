package notify

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/rebound-returns/rebound/signature"
)

// Headers of a webhook request. The signature is over the body alone.
const (
	HeaderEventID   = "X-Rebound-Event-Id"
	HeaderTimestamp = "X-Rebound-Timestamp"
	HeaderSignature = "X-Rebound-Signature"
)

// WebhookSender posts merchant webhooks: Message.Text as the JSON body to the
// URL in Message.To, signed with Message.Secret.
type WebhookSender struct {
	// Client makes the calls; nil means a client with a 15-second timeout.
	// Redirects are not followed unless Client sets its own CheckRedirect.
	Client *http.Client
}

// NewWebhook returns a WebhookSender that uses client (nil for the default).
func NewWebhook(client *http.Client) *WebhookSender {
	return &WebhookSender{Client: client}
}

// Send posts m.Text to m.To with the headers X-Rebound-Event-Id (m.ID),
// X-Rebound-Timestamp (Unix seconds) and X-Rebound-Signature
// (Sign(m.Secret, body)). Only http and https URLs are accepted. A 2xx status
// is success; 4xx other than 408 and 429 is permanent; anything else,
// including a redirect, is transient.
func (s *WebhookSender) Send(ctx context.Context, m Message) error {
	if err := checkID(m); err != nil {
		return err
	}
	target, err := url.Parse(m.To)
	if err != nil || (target.Scheme != "https" && target.Scheme != "http") || target.Host == "" {
		return Permanent(fmt.Errorf("webhook %s: target is not an absolute http(s) URL", m.ID))
	}
	if m.Secret == "" {
		return Permanent(fmt.Errorf("webhook %s: no signing secret", m.ID))
	}
	body := []byte(m.Text)
	if !json.Valid(body) {
		return Permanent(fmt.Errorf("webhook %s: payload is not valid JSON", m.ID))
	}

	header := http.Header{}
	header.Set("Content-Type", "application/json")
	header.Set(HeaderEventID, m.ID)
	header.Set(HeaderTimestamp, strconv.FormatInt(time.Now().Unix(), 10))
	header.Set(HeaderSignature, Sign(m.Secret, body))

	status, _, err := post(ctx, s.Client, target, header, body)
	if errors.Is(err, ErrRefusedAddress) {
		// The endpoint resolves into a network webhooks may not reach.
		return Permanent(fmt.Errorf("webhook %s: %w", m.ID, err))
	}
	if err != nil {
		return fmt.Errorf("webhook %s: %w", m.ID, err)
	}
	if status/100 == 2 {
		return nil
	}
	return classifyStatus(fmt.Sprintf("webhook %s to %s", m.ID, target.Host), status, "")
}

// Sign returns the hex-encoded HMAC-SHA256 of body keyed with secret, the
// value of the X-Rebound-Signature header.
func Sign(secret string, body []byte) string { return signature.Sign(secret, body) }

// Verify reports whether sig is Sign(secret, body), in constant time; an
// empty secret verifies nothing.
func Verify(secret string, body []byte, sig string) bool { return signature.Verify(secret, body, sig) }
