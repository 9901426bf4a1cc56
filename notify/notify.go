// Package notify delivers Rebound's outgoing notifications: e-mail over SMTP,
// SMS through an HTTP provider API and signed webhooks to merchants, all behind
// one Sender interface. Senders report whether a failure is worth retrying
// (see IsPermanent) and never put message bodies or credentials in errors.
package notify

import (
	"context"
	"errors"
	"fmt"
	"strings"
)

// Channel names the medium a Message is sent through.
type Channel string

// The channels Rebound sends notifications through.
const (
	Email   Channel = "email"
	SMS     Channel = "sms"
	Webhook Channel = "webhook"
)

// Message is one notification ready to send. ID is the outbox row id: stable
// across retries, used as the e-mail Message-ID local part, the SMS provider's
// "reference" and the webhook's X-Rebound-Event-Id, so receivers can drop
// duplicates. It may hold letters, digits and the RFC 5322 atext symbols
// (for example "-", "_", "."), which covers integers, UUIDs and ULIDs.
type Message struct {
	ID      string
	Channel Channel
	To      string // e-mail address, phone number (E.164), or webhook URL
	Subject string // e-mail only
	Text    string // e-mail plain-text body; SMS body; webhook JSON payload
	HTML    string // e-mail HTML body (optional)
	Secret  string // webhook only: HMAC-SHA256 signing secret
}

// Sender delivers one message. An error for which IsPermanent reports true
// will fail the same way on every retry.
type Sender interface {
	Send(ctx context.Context, m Message) error
}

// Discard accepts every message and sends nothing. It is for `rebound dev`
// without an SMTP server or SMS provider configured: the messages stay
// readable in the dev outbox.
type Discard struct{}

// Send returns nil without sending m.
func (Discard) Send(context.Context, Message) error { return nil }

// validID reports whether id can be used unchanged as a Message-ID local part
// (RFC 5322 dot-atom-text) and as an HTTP header value.
func validID(id string) bool {
	if id == "" || len(id) > 200 {
		return false
	}
	for _, c := range []byte(id) {
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		case strings.IndexByte("!#$%&'*+-/=?^_`{|}~.", c) >= 0:
		default:
			return false
		}
	}
	return true
}

// checkID returns a permanent error when m.ID cannot identify m to receivers.
// The ID itself is not echoed: it failed validation and may be anything.
func checkID(m Message) error {
	if !validID(m.ID) {
		return Permanent(fmt.Errorf("%s message: %w", m.Channel, errBadID))
	}
	return nil
}

var errBadID = errors.New("message ID is empty or has characters other than letters, digits and RFC 5322 atext symbols")
