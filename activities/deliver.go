package activities

import (
	"context"
	"errors"
	"fmt"
	"html/template"
	"strings"

	"github.com/rebound-returns/rebound/db"
	"github.com/rebound-returns/rebound/notify"
)

var mailTemplate = template.Must(template.New("mail").Parse(`<!doctype html>
<html><body style="font-family:sans-serif;max-width:36em">
<h2>{{.Subject}}</h2>
<p>{{.Text}}</p>
<p style="color:#666;font-size:small">Sent by Rebound on behalf of the merchant.</p>
</body></html>`))

func html(subject, text string) string {
	var b strings.Builder
	_ = mailTemplate.Execute(&b, struct{ Subject, Text string }{subject, text})
	return b.String()
}

// Messages are the activities that send: one-time codes (a return's, an
// order lookup's) and the notifications queued in the outbox.
type Messages struct {
	Base
	Sender notify.Sender
	// OTPSecret keys the HMAC under which codes are stored.
	OTPSecret []byte
	// KeepSensitive keeps a sent code's message body (dev only, where the
	// outbox is how people read their codes).
	KeepSensitive bool
}

// Deliver sends queued notifications. Messages already sent are skipped, so
// a retry sends only what is left; a message the provider refuses for good
// is marked failed and not retried.
func (a *Messages) Deliver(ctx context.Context, in DeliverInput) error {
	msgs, err := a.DB.Outbox.OutboxByIDs(ctx, in.OutboxIDs)
	if err != nil {
		return err
	}
	var failed []error
	for _, m := range msgs {
		if m.Status != db.OutboxPending {
			continue
		}
		if err := a.send(ctx, m); err != nil {
			failed = append(failed, fmt.Errorf("%s message %s: %w", m.Channel, m.ID, err))
		}
	}
	return errors.Join(failed...)
}

// send delivers one message and records the outcome; its error is nil when
// there is nothing left to retry.
func (a *Messages) send(ctx context.Context, m db.OutboxMessage) error {
	msg := notify.Message{ID: m.ID, Channel: notify.Channel(m.Channel), To: m.Recipient,
		Subject: m.Subject, Text: m.BodyText, HTML: m.BodyHTML}
	if m.WebhookID != nil {
		hook, err := a.DB.Outbox.WebhookEndpoint(ctx, *m.WebhookID)
		if err != nil {
			return err
		}
		msg.Secret = hook.Secret
	}
	err := a.Sender.Send(ctx, msg)
	switch {
	case err == nil:
		return a.DB.Outbox.MarkOutboxSent(ctx, m.ID, a.KeepSensitive)
	case notify.IsPermanent(err):
		a.log().Warn("notification refused for good", "outbox_id", m.ID, "channel", m.Channel, "err", err)
		return a.DB.Outbox.MarkOutboxAttempt(ctx, m.ID, err.Error(), true)
	default:
		if merr := a.DB.Outbox.MarkOutboxAttempt(ctx, m.ID, err.Error(), false); merr != nil {
			return merr
		}
		return err
	}
}
