package db

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm/clause"
)

// MaxSTAN is the largest system trace audit number; allocation wraps.
const MaxSTAN = 999999

// AttemptsOfRefund lists a refund's attempts in order.
func (d Refunds) AttemptsOfRefund(ctx context.Context, refundID string) ([]RefundAttempt, error) {
	var as []RefundAttempt
	if err := d.with(ctx).Where("refund_id = ?", refundID).Order("n, created_at").Find(&as).Error; err != nil {
		return nil, fmt.Errorf("attempts of %s: %w", refundID, err)
	}
	var settled []struct{ AttemptID, FileID string }
	err := d.with(ctx).Table("settlement_results AS i").Select("i.attempt_id, i.file_id").
		Joins("JOIN refund_attempts AS a ON a.id = i.attempt_id").Where("a.refund_id = ? AND i.result = ?", refundID, ResultMatched).Scan(&settled).Error
	if err != nil {
		return nil, fmt.Errorf("attempts of %s: %w", refundID, err)
	}
	for i := range as {
		for _, s := range settled {
			if s.AttemptID == as[i].ID {
				as[i].SettledFileID = &s.FileID
			}
		}
	}
	return as, nil
}

// RecordLateResponse notes an answer that came after its message gave up
// waiting: on the newest attempt whose request (a 0210) or reversal (a
// 0410) went with that terminal and STAN. The state is left alone: a late
// answer never reopens an attempt. It answers the attempt as it was.
func (d Refunds) RecordLateResponse(ctx context.Context, mti, terminalID, stan, code string, at time.Time) (*RefundAttempt, error) {
	var a RefundAttempt
	column := "stan"
	if len(mti) == 4 && mti[1] == '4' {
		column = "reversal_stan"
	}
	q := d.with(ctx).Where(column+" = ?", stan)
	if terminalID != "" {
		q = q.Where("terminal_id = ?", terminalID)
	}
	err := q.Order("created_at DESC").Limit(1).Take(&a).Error
	if err != nil {
		return nil, fmt.Errorf("late response %s/%s: %w", terminalID, stan, translate(err))
	}
	err = d.with(ctx).Model(&RefundAttempt{}).Where("id = ?", a.ID).
		Updates(map[string]any{"late_mti": mti, "late_response_code": code, "late_at": at.UTC(), "updated_at": time.Now().UTC()}).Error
	if err != nil {
		return nil, fmt.Errorf("late response %s: %w", a.ID, err)
	}
	return &a, nil
}

// OpenWorkItem files a work item once (by its dedupe key).
func (d Finance) OpenWorkItem(ctx context.Context, w *WorkItem) error {
	w.ID = NewID()
	w.Status = WorkOpen
	w.CreatedAt = time.Now().UTC()
	err := d.with(ctx).Clauses(clause.OnConflict{Columns: []clause.Column{{Name: "dedupe_key"}}, DoNothing: true}).Create(w).Error
	if err != nil {
		return fmt.Errorf("work item %s: %w", w.Kind, err)
	}
	return nil
}

// ResolveWorkItemsOf closes the open work items of an attempt of a kind
// ("" every kind), saying how, and answers how many it closed.
func (d Finance) ResolveWorkItemsOf(ctx context.Context, attemptID, kind, resolution, note, by string) (int64, error) {
	q := d.with(ctx).Model(&WorkItem{}).Where("attempt_id = ? AND status = ?", attemptID, WorkOpen)
	if kind != "" {
		q = q.Where("kind = ?", kind)
	}
	res := q.Updates(map[string]any{"status": WorkResolved, "resolution": resolution, "note": note, "resolved_by": by, "resolved_at": time.Now().UTC()})
	if res.Error != nil {
		return 0, fmt.Errorf("work items of attempt %s: %w", attemptID, res.Error)
	}
	return res.RowsAffected, nil
}

// SetRefund changes columns of a refund.
func (d Refunds) SetRefund(ctx context.Context, id string, set map[string]any) error {
	set["updated_at"] = time.Now().UTC()
	if err := d.with(ctx).Model(&Refund{}).Where("id = ?", id).Updates(set).Error; err != nil {
		return fmt.Errorf("refund %s: %w", id, err)
	}
	return nil
}

// TerminalByID reads a terminal by its terminal id.
func (d Merchants) TerminalByID(ctx context.Context, terminalID string) (*Terminal, error) {
	var t Terminal
	if err := d.with(ctx).Where("terminal_id = ?", terminalID).Take(&t).Error; err != nil {
		return nil, fmt.Errorf("terminal %s: %w", terminalID, translate(err))
	}
	return &t, nil
}

// VirtualTerminal is the terminal Rebound sends a store's messages from.
func (d Merchants) VirtualTerminal(ctx context.Context, storeID string) (*Terminal, error) {
	var t Terminal
	err := d.with(ctx).Where("store_id = ? AND kind = ?", storeID, TerminalVirtual).Order("terminal_id").Limit(1).Take(&t).Error
	if err != nil {
		return nil, fmt.Errorf("virtual terminal of store %s: %w", storeID, translate(err))
	}
	return &t, nil
}
