package db

import (
	"context"
	"fmt"
	"github.com/rebound-returns/rebound/returns"
	"time"
)

// QueueOutbox adds a message outside any return step (a one-time code).
func (d Outbox) QueueOutbox(ctx context.Context, m *OutboxMessage) error {
	if m.ID == "" {
		m.ID = NewID()
	}
	if m.DedupeKey == "" {
		m.DedupeKey = "msg/" + m.ID
	}
	m.Status = OutboxPending
	m.CreatedAt = time.Now().UTC()
	if err := d.with(ctx).Create(m).Error; err != nil {
		return fmt.Errorf("queue %s message: %w", m.Channel, translate(err))
	}
	return nil
}

// OutboxByIDs reads messages, in id order.
func (d Outbox) OutboxByIDs(ctx context.Context, ids []string) ([]OutboxMessage, error) {
	var ms []OutboxMessage
	if err := d.with(ctx).Where("id IN ?", ids).Order("id").Find(&ms).Error; err != nil {
		return nil, fmt.Errorf("outbox: %w", err)
	}
	return ms, nil
}

// MarkOutboxSent records a sent message; a sensitive body is blanked unless
// keepBody (dev only, where the outbox is how people read their codes).
func (d Outbox) MarkOutboxSent(ctx context.Context, id string, keepBody bool) error {
	set := map[string]any{"status": OutboxSent, "sent_at": time.Now().UTC(), "last_error": "", "attempts": gormExpr("attempts + 1")}
	q := d.with(ctx).Model(&OutboxMessage{}).Where("id = ?", id)
	if !keepBody {
		// Only sensitive messages lose their body.
		if err := d.with(ctx).Model(&OutboxMessage{}).Where("id = ? AND sensitive", id).
			Updates(map[string]any{"body_text": "", "body_html": ""}).Error; err != nil {
			return fmt.Errorf("outbox %s: %w", id, err)
		}
	}
	if err := q.Updates(set).Error; err != nil {
		return fmt.Errorf("outbox %s: %w", id, err)
	}
	return nil
}

// MarkOutboxAttempt records a failed try; a permanent failure ends the
// message's life as failed.
func (d Outbox) MarkOutboxAttempt(ctx context.Context, id, errText string, permanent bool) error {
	set := map[string]any{"last_error": errText, "attempts": gormExpr("attempts + 1")}
	if permanent {
		set["status"] = OutboxFailed
		// A message that will never be sent keeps no sensitive body.
		if err := d.with(ctx).Model(&OutboxMessage{}).Where("id = ? AND sensitive", id).
			Updates(map[string]any{"body_text": "", "body_html": ""}).Error; err != nil {
			return fmt.Errorf("outbox %s: %w", id, err)
		}
	}
	if err := d.with(ctx).Model(&OutboxMessage{}).Where("id = ?", id).Updates(set).Error; err != nil {
		return fmt.Errorf("outbox %s: %w", id, err)
	}
	return nil
}

// OutboxTo lists the newest messages to a recipient (the dev outbox).
func (d Outbox) OutboxTo(ctx context.Context, recipient string, limit int) ([]OutboxMessage, error) {
	var ms []OutboxMessage
	q := d.with(ctx).Order("created_at DESC, id DESC").Limit(limit)
	if recipient != "" {
		q = q.Where("recipient = ?", recipient)
	}
	if err := q.Find(&ms).Error; err != nil {
		return nil, fmt.Errorf("outbox: %w", err)
	}
	return ms, nil
}

// StaffEmails lists the e-mail addresses of a merchant's active staff in a role.
func (d Outbox) StaffEmails(ctx context.Context, merchantID string, role returns.Role) ([]string, error) {
	var out []string
	err := d.with(ctx).Model(&StaffUser{}).
		Where("merchant_id = ? AND role = ? AND NOT disabled AND email <> ''", merchantID, role).
		Distinct("email").Order("email").Pluck("email", &out).Error
	if err != nil {
		return nil, fmt.Errorf("%s staff of %s: %w", role, merchantID, err)
	}
	return out, nil
}

// WebhookEndpoints lists a merchant's enabled webhook endpoints.
func (d Outbox) WebhookEndpoints(ctx context.Context, merchantID string) ([]WebhookEndpoint, error) {
	var out []WebhookEndpoint
	err := d.with(ctx).Where("merchant_id = ? AND NOT disabled", merchantID).Order("id").Find(&out).Error
	if err != nil {
		return nil, fmt.Errorf("webhooks of %s: %w", merchantID, err)
	}
	return out, nil
}

// WebhookEndpointsPage lists a merchant's enabled webhook endpoints a page
// at a time, for its admin.
func (d Outbox) WebhookEndpointsPage(ctx context.Context, merchantID string, p Page) (*Paged[WebhookEndpoint], error) {
	q := d.with(ctx).Model(&WebhookEndpoint{}).Where("merchant_id = ? AND NOT disabled", merchantID)
	out, err := pageOf[WebhookEndpoint](ctx, d.conn, q, "id", p)
	if err != nil {
		return nil, fmt.Errorf("webhooks of %s: %w", merchantID, err)
	}
	return out, nil
}

// WebhookEndpoint reads one endpoint.
func (d Outbox) WebhookEndpoint(ctx context.Context, id string) (*WebhookEndpoint, error) {
	var w WebhookEndpoint
	if err := d.with(ctx).Where("id = ?", id).Take(&w).Error; err != nil {
		return nil, fmt.Errorf("webhook %s: %w", id, translate(err))
	}
	return &w, nil
}

// CreateWebhookEndpoint adds an endpoint.
func (d Outbox) CreateWebhookEndpoint(ctx context.Context, w *WebhookEndpoint) error {
	w.ID = NewID()
	w.CreatedAt = time.Now().UTC()
	if err := d.with(ctx).Create(w).Error; err != nil {
		return fmt.Errorf("create webhook: %w", translate(err))
	}
	return nil
}

// OutboxByDedupe reads the message queued under a dedupe key.
func (d Outbox) OutboxByDedupe(ctx context.Context, key string) (*OutboxMessage, error) {
	var m OutboxMessage
	if err := d.with(ctx).Where("dedupe_key = ?", key).Take(&m).Error; err != nil {
		return nil, fmt.Errorf("outbox %s: %w", key, translate(err))
	}
	return &m, nil
}
