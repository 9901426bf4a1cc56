package db

import (
	"context"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm/clause"
)

// MaxSTAN is the largest system trace audit number; allocation wraps to 1.
const MaxSTAN = 999999

// inFlight are attempt states whose STAN may still meet an answer.
var inFlight = []string{AttemptPrepared, AttemptSent, AttemptUnknown, AttemptReversalPending}

// CreateCardAttempt allocates the next STAN of terminalID and stores the
// attempt with it, in one transaction under the terminal's row lock, before
// any message leaves. A STAN is unique per terminal per UTC day; allocation
// wraps at MaxSTAN and skips any STAN still in flight on that terminal. An
// attempt that exists already (a retried activity) is returned unchanged.
func (d *DB) CreateCardAttempt(ctx context.Context, a *RefundAttempt, now time.Time) (*RefundAttempt, error) {
	if existing, err := d.AttemptByID(ctx, a.ID); err == nil {
		return existing, nil
	} else if !errors.Is(err, ErrNotFound) {
		return nil, err
	}
	day := now.UTC().Format("2006-01-02")
	err := d.Tx(ctx, func(tx *DB) error {
		var t Terminal
		q := tx.with(ctx).Where("terminal_id = ?", a.TerminalID)
		if d.dialect == Postgres {
			q = q.Clauses(clause.Locking{Strength: "UPDATE"})
		}
		if err := q.Take(&t).Error; err != nil {
			return fmt.Errorf("terminal %s: %w", a.TerminalID, translate(err))
		}
		stan := t.NextSTAN
		for tries := 0; ; tries++ {
			if tries == MaxSTAN {
				return fmt.Errorf("terminal %s: no free STAN", a.TerminalID)
			}
			var n int64
			err := tx.with(ctx).Model(&RefundAttempt{}).
				Where("terminal_id = ? AND stan = ? AND (stan_day = ? OR state IN ?)", a.TerminalID, fmt.Sprintf("%06d", stan), day, inFlight).
				Count(&n).Error
			if err != nil {
				return err
			}
			if n == 0 {
				break
			}
			stan = stan%MaxSTAN + 1
		}
		if err := tx.with(ctx).Model(&Terminal{}).Where("id = ?", t.ID).Update("next_stan", stan%MaxSTAN+1).Error; err != nil {
			return err
		}
		a.STAN, a.STANDay, a.State = fmt.Sprintf("%06d", stan), day, AttemptPrepared
		a.CreatedAt, a.UpdatedAt = now.UTC(), now.UTC()
		return tx.with(ctx).Create(a).Error
	})
	if err != nil {
		return nil, fmt.Errorf("prepare attempt %s: %w", a.ID, translate(err))
	}
	return a, nil
}

// AttemptsOfRefund lists a refund's attempts in order.
func (d *DB) AttemptsOfRefund(ctx context.Context, refundID string) ([]RefundAttempt, error) {
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

// MoveAttempt changes an attempt's state only from one of the states from,
// so that a late or repeated write can never reopen a settled attempt. It
// reports whether it moved.
func (d *DB) MoveAttempt(ctx context.Context, id string, from []string, set map[string]any) (bool, error) {
	set["updated_at"] = time.Now().UTC()
	res := d.with(ctx).Model(&RefundAttempt{}).Where("id = ? AND state IN ?", id, from).Updates(set)
	if res.Error != nil {
		return false, fmt.Errorf("attempt %s: %w", id, res.Error)
	}
	return res.RowsAffected == 1, nil
}

// RecordLateResponse notes an answer that came after its attempt gave up
// waiting: on the newest attempt with that terminal and STAN. The state is
// left alone: a late answer never reopens an attempt.
func (d *DB) RecordLateResponse(ctx context.Context, terminalID, stan, code string, at time.Time) (bool, error) {
	var a RefundAttempt
	err := d.with(ctx).Where("terminal_id = ? AND stan = ?", terminalID, stan).Order("created_at DESC").Limit(1).Take(&a).Error
	if err != nil {
		return false, fmt.Errorf("late response %s/%s: %w", terminalID, stan, translate(err))
	}
	err = d.with(ctx).Model(&RefundAttempt{}).Where("id = ?", a.ID).
		Updates(map[string]any{"late_response_code": code, "late_at": at.UTC(), "updated_at": time.Now().UTC()}).Error
	if err != nil {
		return false, fmt.Errorf("late response %s: %w", a.ID, err)
	}
	return true, nil
}

// OpenWorkItem files a work item once (by its dedupe key).
func (d *DB) OpenWorkItem(ctx context.Context, w *WorkItem) error {
	w.ID = NewID()
	w.Status = WorkOpen
	w.CreatedAt = time.Now().UTC()
	err := d.with(ctx).Clauses(clause.OnConflict{Columns: []clause.Column{{Name: "dedupe_key"}}, DoNothing: true}).Create(w).Error
	if err != nil {
		return fmt.Errorf("work item %s: %w", w.Kind, err)
	}
	return nil
}

// WorkItems lists a merchant's work items, open first then newest.
func (d *DB) WorkItems(ctx context.Context, merchantID string, onlyOpen bool) ([]WorkItem, error) {
	q := d.with(ctx).Where("merchant_id = ?", merchantID)
	if onlyOpen {
		q = q.Where("status = ?", WorkOpen)
	}
	var ws []WorkItem
	if err := q.Order("created_at DESC").Find(&ws).Error; err != nil {
		return nil, fmt.Errorf("work items: %w", err)
	}
	return ws, nil
}

// SetRefund changes columns of a refund.
func (d *DB) SetRefund(ctx context.Context, id string, set map[string]any) error {
	set["updated_at"] = time.Now().UTC()
	if err := d.with(ctx).Model(&Refund{}).Where("id = ?", id).Updates(set).Error; err != nil {
		return fmt.Errorf("refund %s: %w", id, err)
	}
	return nil
}

// TerminalByID reads a terminal by its terminal id.
func (d *DB) TerminalByID(ctx context.Context, terminalID string) (*Terminal, error) {
	var t Terminal
	if err := d.with(ctx).Where("terminal_id = ?", terminalID).Take(&t).Error; err != nil {
		return nil, fmt.Errorf("terminal %s: %w", terminalID, translate(err))
	}
	return &t, nil
}

// VirtualTerminal is the terminal Rebound sends a store's messages from.
func (d *DB) VirtualTerminal(ctx context.Context, storeID string) (*Terminal, error) {
	var t Terminal
	err := d.with(ctx).Where("store_id = ? AND kind = ?", storeID, TerminalVirtual).Order("terminal_id").Limit(1).Take(&t).Error
	if err != nil {
		return nil, fmt.Errorf("virtual terminal of store %s: %w", storeID, translate(err))
	}
	return &t, nil
}

// AddStoreCredit books a credit in the customer's ledger, once per return.
func (d *DB) AddStoreCredit(ctx context.Context, c *StoreCredit) (bool, error) {
	c.ID = NewID()
	c.CreatedAt = time.Now().UTC()
	res := d.with(ctx).Clauses(clause.OnConflict{Columns: []clause.Column{{Name: "return_id"}}, DoNothing: true}).Create(c)
	if res.Error != nil {
		return false, fmt.Errorf("store credit: %w", res.Error)
	}
	return res.RowsAffected == 1, nil
}

// StoreCreditBalance sums a customer's credit at a merchant.
func (d *DB) StoreCreditBalance(ctx context.Context, merchantID, customer string) (int64, error) {
	var sum int64
	err := d.with(ctx).Model(&StoreCredit{}).Select("COALESCE(SUM(amount), 0)").
		Where("merchant_id = ? AND customer = ?", merchantID, customer).Scan(&sum).Error
	if err != nil {
		return 0, fmt.Errorf("store credit balance: %w", err)
	}
	return sum, nil
}
