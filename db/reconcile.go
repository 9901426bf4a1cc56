package db

import (
	"context"
	"fmt"
	"time"
)

// Keys reconciliation matches on, recorded with each result.
const (
	KeyAcquirer = "rrn+stan+terminal+date"
	KeyGateway  = "refund_id"
)

// newUUID is the dialect's expression for a fresh id in set-wise inserts.
func (d *DB) newUUID() string {
	if d.dialect == Postgres {
		return "gen_random_uuid()"
	}
	return "lower(hex(randomblob(16)))"
}

// MatchSettlementFile gives every row of a file its result, set-wise in SQL:
// a void or refund row (acquirer) or a succeeded refund (gateway) is matched
// to an approved attempt of the merchant on the file's key and then its
// amount; a key without the amount is an amount mismatch; a row nothing
// explains (or a second row for one attempt) is unexpected; other rows are
// ignored. Matched attempts are marked settled. It can run again: it only
// looks at rows without a result.
func (d *DB) MatchSettlementFile(ctx context.Context, f *SettlementFile) error {
	join := "a.rrn = i.rrn AND a.stan = i.stan AND a.terminal_id = i.terminal_id AND a.transmitted_day = i.transaction_day"
	kinds := "('void', 'refund')"
	key := KeyAcquirer
	ignore := "processing_code NOT IN ('020000', '200000')"
	if f.Source == SourceGateway {
		join = "a.gateway_refund_id = i.gateway_refund"
		kinds = "('online')"
		key = KeyGateway
		ignore = "item_status <> 'succeeded'"
	}
	attempts := "FROM refund_attempts AS a JOIN refunds AS r ON r.id = a.refund_id"
	// The set-wise updates below join the file's rows (i) to the attempts.
	live := "a.state = 'approved' AND a.kind IN " + kinds + " AND r.merchant_id = ? AND (a.settled_file_id IS NULL OR a.settled_file_id = ?)"
	steps := []struct {
		sql  string
		args []any
	}{
		{"UPDATE settlement_items SET result = 'ignored' WHERE file_id = ? AND result = '' AND " + ignore, []any{f.ID}},
		{"UPDATE settlement_items SET result = 'matched', match_key = ?, attempt_id = a.id " + attempts +
			" WHERE i.file_id = ? AND i.result = '' AND " + live + " AND " + join + " AND a.amount = i.amount",
			[]any{key, f.ID, f.MerchantID, f.ID}},
		// One row per attempt: a second row for it is unexpected.
		{"UPDATE settlement_items SET result = 'unexpected_at_acquirer', match_key = 'duplicate', attempt_id = NULL WHERE file_id = ? AND result = 'matched' AND line NOT IN " +
			"(SELECT MIN(line) FROM settlement_items WHERE file_id = ? AND result = 'matched' GROUP BY attempt_id)", []any{f.ID, f.ID}},
		{"UPDATE settlement_items SET result = 'amount_mismatch', match_key = ?, attempt_id = a.id " + attempts +
			" WHERE i.file_id = ? AND i.result = '' AND " + live + " AND " + join,
			[]any{key, f.ID, f.MerchantID, f.ID}},
		{"UPDATE settlement_items SET result = 'unexpected_at_acquirer' WHERE file_id = ? AND result = ''", []any{f.ID}},
		{"UPDATE refund_attempts SET settled_file_id = ? WHERE settled_file_id IS NULL AND id IN " +
			"(SELECT attempt_id FROM settlement_items WHERE file_id = ? AND result = 'matched')", []any{f.ID, f.ID}},
	}
	for _, st := range steps {
		q := st.sql
		if len(q) > 24 && q[:24] == "UPDATE settlement_items " {
			q = "UPDATE settlement_items AS i " + q[24:]
		}
		if err := d.with(ctx).Exec(q, st.args...).Error; err != nil {
			return fmt.Errorf("match file %s: %w", f.ID, err)
		}
	}
	return nil
}

// RecordMissing files a finding for every approved attempt of the
// merchant's source that no file has matched although it was sent on or
// before lastDueDay (the overdue window has passed). Findings are made once
// per attempt. It answers how many this file found.
func (d *DB) RecordMissing(ctx context.Context, f *SettlementFile, lastDueDay string) (int64, error) {
	kinds, key := "('void', 'refund')", KeyAcquirer
	if f.Source == SourceGateway {
		kinds, key = "('online')", KeyGateway
	}
	day := "a.transmitted_day"
	if f.Source == SourceGateway {
		day = "substr(CAST(a.updated_at AS TEXT), 1, 10)"
	}
	q := "INSERT INTO settlement_findings (id, file_id, merchant_id, kind, attempt_id, match_key, amount, created_at) " +
		"SELECT " + d.newUUID() + ", ?, r.merchant_id, 'missing_at_acquirer', a.id, ?, a.amount, ? " +
		"FROM refund_attempts AS a JOIN refunds AS r ON r.id = a.refund_id " +
		"WHERE r.merchant_id = ? AND a.state = 'approved' AND a.kind IN " + kinds + " AND a.settled_file_id IS NULL " +
		"AND " + day + " <> '' AND " + day + " <= ? " +
		"AND NOT EXISTS (SELECT 1 FROM settlement_findings AS s WHERE s.kind = 'missing_at_acquirer' AND s.attempt_id = a.id)"
	res := d.with(ctx).Exec(q, f.ID, key, time.Now().UTC(), f.MerchantID, lastDueDay)
	if res.Error != nil {
		return 0, fmt.Errorf("missing refunds of %s: %w", f.ID, res.Error)
	}
	return res.RowsAffected, nil
}

// CountResults counts a file's rows by result.
func (d *DB) CountResults(ctx context.Context, fileID string) (map[string]int64, error) {
	var rows []struct {
		Result string
		N      int64
	}
	err := d.with(ctx).Model(&SettlementItem{}).Select("result, COUNT(*) AS n").Where("file_id = ?", fileID).Group("result").Scan(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("count results: %w", err)
	}
	out := map[string]int64{}
	for _, r := range rows {
		out[r.Result] = r.N
	}
	return out, nil
}

// MatchedReturns pages through the returns a file settled, by return id.
func (d *DB) MatchedReturns(ctx context.Context, fileID, after string, limit int) ([]string, error) {
	var ids []string
	q := d.with(ctx).Table("settlement_items AS i").
		Joins("JOIN refund_attempts AS a ON a.id = i.attempt_id").
		Joins("JOIN refunds AS r ON r.id = a.refund_id").
		Where("i.file_id = ? AND i.result = ?", fileID, ResultMatched)
	if after != "" {
		q = q.Where("r.return_id > ?", after)
	}
	err := q.Distinct("r.return_id").Order("r.return_id").Limit(limit).Pluck("r.return_id", &ids).Error
	if err != nil {
		return nil, fmt.Errorf("matched returns of %s: %w", fileID, err)
	}
	return ids, nil
}

// OpenSettlementWorkItems files a work item for every discrepancy of a
// file: each unexpected or mismatched row and each missing refund it found.
func (d *DB) OpenSettlementWorkItems(ctx context.Context, f *SettlementFile) error {
	now := time.Now().UTC()
	rows := "INSERT INTO work_items (id, dedupe_key, merchant_id, kind, file_id, item_line, attempt_id, summary, status, resolution, note, resolved_by, created_at) " +
		"SELECT " + d.newUUID() + ", 'settle/' || i.file_id || '/' || CAST(i.line AS TEXT), ?, i.result, i.file_id, i.line, i.attempt_id, " +
		"i.result || ' on line ' || CAST(i.line AS TEXT) || ': terminal ' || i.terminal_id || ' STAN ' || i.stan || ' RRN ' || i.rrn || i.gateway_refund || ' amount ' || CAST(i.amount AS TEXT) || ' ' || i.currency, " +
		"'open', '', '', '', ? FROM settlement_items AS i WHERE i.file_id = ? AND i.result IN ('unexpected_at_acquirer', 'amount_mismatch') " +
		"ON CONFLICT (dedupe_key) DO NOTHING"
	if err := d.with(ctx).Exec(rows, f.MerchantID, now, f.ID).Error; err != nil {
		return fmt.Errorf("work items of %s: %w", f.ID, err)
	}
	missing := "INSERT INTO work_items (id, dedupe_key, merchant_id, kind, file_id, attempt_id, refund_id, return_id, summary, status, resolution, note, resolved_by, created_at) " +
		"SELECT " + d.newUUID() + ", 'missing/' || s.attempt_id, s.merchant_id, s.kind, s.file_id, s.attempt_id, r.id, r.return_id, " +
		"'missing_at_acquirer: the refund of ' || CAST(s.amount AS TEXT) || ' ' || r.currency || ' (terminal ' || a.terminal_id || ' STAN ' || a.stan || ') is in no settlement file although it is overdue', " +
		"'open', '', '', '', ? FROM settlement_findings AS s JOIN refund_attempts AS a ON a.id = s.attempt_id JOIN refunds AS r ON r.id = a.refund_id " +
		"WHERE s.file_id = ? ON CONFLICT (dedupe_key) DO NOTHING"
	if err := d.with(ctx).Exec(missing, now, f.ID).Error; err != nil {
		return fmt.Errorf("work items of %s: %w", f.ID, err)
	}
	return nil
}

// SettlementItems pages through a file's rows with a result among results
// (all when none), by line.
func (d *DB) SettlementItems(ctx context.Context, fileID string, results []string, afterLine int64, limit int) ([]SettlementItem, error) {
	q := d.with(ctx).Where("file_id = ? AND line > ?", fileID, afterLine)
	if len(results) > 0 {
		q = q.Where("result IN ?", results)
	}
	var items []SettlementItem
	if err := q.Order("line").Limit(limit).Find(&items).Error; err != nil {
		return nil, fmt.Errorf("settlement rows of %s: %w", fileID, err)
	}
	return items, nil
}

// Findings lists the findings a file made.
func (d *DB) Findings(ctx context.Context, fileID string) ([]SettlementFinding, error) {
	var fs []SettlementFinding
	if err := d.with(ctx).Where("file_id = ?", fileID).Order("created_at, id").Find(&fs).Error; err != nil {
		return nil, fmt.Errorf("findings of %s: %w", fileID, err)
	}
	return fs, nil
}
