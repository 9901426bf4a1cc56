package db

import (
	"context"
	"fmt"
	"github.com/rebound-returns/rebound/returns"
	"strings"
	"time"
)

// Transition is one step of a return as the projection records it.
type Transition struct {
	ReturnID  string
	Seq       int64
	Status    string
	Actor     string
	ActorRole returns.Role
	Note      string
	At        time.Time

	// Optional changes to the return; nil leaves a column as it is.
	StatusReason   *string
	ReasonCodes    JSON
	TrackingNumber *string
	LabelURL       *string
	RefundAmount   *int64
	Attention      *string
	Lines          []LineVerdict
}

// LineVerdict is the inspection result of a return line.
type LineVerdict struct {
	LineID       string
	Accepted     int
	Rejected     int
	Condition    *string
	RejectReason string
	Note         string
	RefundAmount *int64
}

// ApplyTransition writes a step of a return in one transaction: the read
// model, the timeline event and the notifications it queues. It is
// idempotent and ordered: a step whose sequence number is not newer than the
// row's changes nothing, so a retried or late write never overwrites a newer
// one. Either way it returns the ids of the step's outbox messages that are
// still to be sent, so that a retry after a crash still sends them.
func (d Returns) ApplyTransition(ctx context.Context, t Transition, outbox []OutboxMessage) (applied bool, pending []string, err error) {
	err = d.tx(ctx, func(tx *DB) error {
		set := map[string]any{"status": t.Status, "seq": t.Seq, "updated_at": t.At.UTC()}
		if t.StatusReason != nil {
			set["status_reason"] = *t.StatusReason
		}
		if len(t.ReasonCodes) > 0 {
			set["reason_codes"] = t.ReasonCodes
		}
		if t.TrackingNumber != nil {
			set["tracking_number"] = *t.TrackingNumber
		}
		if t.LabelURL != nil {
			set["label_url"] = *t.LabelURL
		}
		if t.RefundAmount != nil {
			set["refund_amount"] = *t.RefundAmount
		}
		if t.Attention != nil {
			set["attention"] = *t.Attention
			if *t.Attention == "" {
				set["attention_at"] = nil
			} else {
				set["attention_at"] = t.At.UTC()
			}
		}
		res := tx.with(ctx).Model(&Return{}).Where("id = ? AND seq < ?", t.ReturnID, t.Seq).Updates(set)
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return tx.with(ctx).Model(&OutboxMessage{}).
				Where("dedupe_key LIKE ? AND status = ?", outboxPrefix(t.ReturnID, t.Seq)+"%", OutboxPending).
				Order("id").Pluck("id", &pending).Error
		}
		applied = true
		if t.TrackingNumber != nil {
			if err := tx.writeTrackingTerm(ctx, t.ReturnID, *t.TrackingNumber); err != nil {
				return err
			}
		}
		for _, l := range t.Lines {
			err := tx.with(ctx).Model(&ReturnLine{}).Where("return_id = ? AND line_id = ?", t.ReturnID, l.LineID).
				Updates(map[string]any{
					"accepted_quantity": l.Accepted, "rejected_quantity": l.Rejected, "condition": l.Condition,
					"reject_reason": l.RejectReason, "inspection_note": l.Note, "refund_amount": l.RefundAmount,
				}).Error
			if err != nil {
				return err
			}
		}
		err := tx.with(ctx).Create(&TimelineEvent{
			ReturnID: t.ReturnID, Seq: t.Seq, Status: t.Status,
			Actor: t.Actor, ActorRole: t.ActorRole, Note: t.Note, At: t.At.UTC(),
		}).Error
		if err != nil {
			return err
		}
		for i := range outbox {
			m := &outbox[i]
			m.ID = NewID()
			// The message's place in the step keeps two messages to one
			// recipient (two supervisors sharing an address) apart.
			m.DedupeKey = fmt.Sprintf("%s%d/%s", outboxPrefix(t.ReturnID, t.Seq), i, m.Channel)
			m.ReturnID = &t.ReturnID
			m.Status = OutboxPending
			m.CreatedAt = t.At.UTC()
			if err := tx.with(ctx).Create(m).Error; err != nil {
				return err
			}
			pending = append(pending, m.ID)
		}
		return nil
	})
	if err != nil {
		return false, nil, fmt.Errorf("return %s: apply step %d (%s): %w", t.ReturnID, t.Seq, t.Status, translate(err))
	}
	return applied, pending, nil
}

func outboxPrefix(returnID string, seq int64) string {
	return fmt.Sprintf("%s/%d/", strings.ReplaceAll(returnID, "%", ""), seq)
}
