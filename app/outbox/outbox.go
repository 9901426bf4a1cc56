// Package outbox is the mail the API itself sends: word to a merchant's
// admins (a counter refund held, a freeze), queued in the outbox and handed
// to the delivery workflow; and, in dev, the messages sent to an address,
// so that a person trying Rebound can read the codes sent to them.
package outbox

import (
	"context"
	"github.com/rebound-returns/rebound/returns"
	"log/slog"
	"time"

	"github.com/rebound-returns/rebound/db"
)

// Store reads the admins' addresses and keeps the outbox (*db.DB).
type Store interface {
	StaffEmails(ctx context.Context, merchantID string, role returns.Role) ([]string, error)
	QueueOutbox(ctx context.Context, m *db.OutboxMessage) error
	OutboxTo(ctx context.Context, recipient string, limit int) ([]db.OutboxMessage, error)
}

// Delivery hands queued messages to the workflow that sends them with
// retries.
type Delivery interface {
	Deliver(ctx context.Context, outboxIDs []string) error
}

// Deps is what a Service is built from.
type Deps struct {
	Store    Store
	Delivery Delivery
	Log      *slog.Logger
}

// Service sends the API's own mail and reads the dev outbox.
type Service struct{ d Deps }

// New builds a Service over d.
func New(d Deps) *Service {
	if d.Log == nil {
		d.Log = slog.New(slog.DiscardHandler)
	}
	return &Service{d: d}
}

// TellAdmins e-mails the merchant's admins. It never fails its caller:
// the step that tells them is done whether or not the mail goes, so a
// failure is logged.
func (s *Service) TellAdmins(ctx context.Context, merchantID, subject, text string) {
	emails, err := s.d.Store.StaffEmails(ctx, merchantID, returns.RoleAdmin)
	if err != nil {
		s.d.Log.Error("admins not found", "err", err)
		return
	}
	var ids []string
	for _, e := range emails {
		m := &db.OutboxMessage{MerchantID: &merchantID, Channel: "email", Recipient: e, Subject: subject, BodyText: text}
		if err := s.d.Store.QueueOutbox(ctx, m); err != nil {
			s.d.Log.Error("admin message not queued", "err", err)
			return
		}
		ids = append(ids, m.ID)
	}
	if len(ids) == 0 {
		return
	}
	if err := s.d.Delivery.Deliver(ctx, ids); err != nil {
		s.d.Log.Error("admin message not handed to delivery", "err", err)
	}
}

// Message is one message of the dev outbox.
type Message struct {
	ID        string
	Channel   string
	To        string
	Subject   string
	Text      string
	Status    string
	CreatedAt time.Time
	SentAt    *time.Time
}

// To lists the newest messages sent to recipient (all when empty), at
// most limit.
func (s *Service) To(ctx context.Context, recipient string, limit int) ([]Message, error) {
	msgs, err := s.d.Store.OutboxTo(ctx, recipient, limit)
	if err != nil {
		return nil, err
	}
	out := make([]Message, 0, len(msgs))
	for _, m := range msgs {
		out = append(out, Message{m.ID, m.Channel, m.Recipient, m.Subject, m.BodyText, m.Status, m.CreatedAt, m.SentAt})
	}
	return out, nil
}
