package db

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/rebound-returns/rebound/returns"
)

// Keys reconciliation matches on, recorded with each result.
const (
	KeyAcquirer = "rrn+stan+terminal+date"
	KeyGateway  = "refund_id"
)

// newUUID is the dialect's expression for a fresh id in set-wise inserts.
func (d *conn) newUUID() string {
	if d.dialect == Postgres {
		return "gen_random_uuid()"
	}
	// A version-4 UUID in its canonical form, as ids.Valid takes it:
	// random hex in 8-4-4-4-12 groups, '4' for the version and one of
	// 8, 9, a, b for the variant.
	return "lower(hex(randomblob(4)) || '-' || hex(randomblob(2)) || '-4' || substr(hex(randomblob(2)), 2) || '-' || " +
		"substr('89ab', 1 + (random() & 3), 1) || substr(hex(randomblob(2)), 2) || '-' || hex(randomblob(6)))"
}

// MatchSettlementFile gives every staged row of a file its result in one
// set-wise statement: a row (the acquirer's refunds and voids, the
// gateway's succeeded refunds; the import stages no other) is matched to
// an approved attempt of the merchant on the file's key and then its
// amount; a key without the amount is an amount mismatch; a row nothing
// explains, or a second row for one attempt, is unexpected. A matched row
// settles its attempt: no row of another file may match it again. A row
// another file of the same batch and settlement day matched already (the
// day's file after a second cut-off holds the first batch again) is
// already_matched: a repeat, not a discrepancy; the attempt settled by a
// file of another batch is unexpected (the acquirer settled it twice). The
// results are written once, all together: running it again changes
// nothing (and two runs at once cannot both write them: the second breaks
// the results' key and, retried, finds them written).
func (d Settlement) MatchSettlementFile(ctx context.Context, f *SettlementFile) error {
	var done int64
	if err := d.with(ctx).Raw("SELECT COUNT(*) FROM (SELECT 1 FROM settlement_results WHERE file_id = ? LIMIT 1) AS x", f.ID).Scan(&done).Error; err != nil {
		return fmt.Errorf("match file %s: %w", f.ID, err)
	}
	if done > 0 {
		return nil
	}
	join := "a.rrn = i.rrn AND a.stan = i.stan AND a.terminal_id = i.terminal_id AND a.transmitted_day = i.transaction_day"
	cols := "a.id, a.amount, a.rrn, a.stan, a.terminal_id, a.transmitted_day"
	kinds := "('void', 'refund')"
	key := KeyAcquirer
	if f.Source == SourceGateway {
		join = "a.gateway_refund_id = i.gateway_refund"
		cols = "a.id, a.amount, a.gateway_refund_id"
		kinds = "('online')"
		key = KeyGateway
	}
	// The attempts a row may match: approved, or in doubt (a row is then
	// the evidence it paid), the merchant's.
	live := "SELECT " + cols + " FROM refund_attempts AS a JOIN refunds AS r ON r.id = a.refund_id " +
		"WHERE a.state IN " + matchable + " AND a.kind IN " + kinds + " AND r.merchant_id = ?"
	// m pairs each row with the attempt its key names (if any), tells
	// whether another file settled that attempt (settled: 0 none, 1 a file
	// of another batch or day, 2 one of this row's batch and day: the
	// settling row is read by its file and line, and only for the rows
	// whose attempt another file settled; a scalar subquery, because
	// Postgres would hash the whole staging table for an EXISTS) and
	// numbers the rows that pay one attempt its amount: the first is the
	// match.
	m := "SELECT i.line, a.id AS attempt_id, CASE WHEN a.amount = i.amount THEN 1 ELSE 0 END AS paid, " +
		"CASE WHEN s.file_id IS NULL THEN 0 WHEN (SELECT 1 FROM settlement_items AS p WHERE p.file_id = s.file_id AND p.line = s.line " +
		"AND p.batch = i.batch AND p.settlement_day = i.settlement_day LIMIT 1) = 1 THEN 2 ELSE 1 END AS settled, " +
		"row_number() OVER (PARTITION BY a.id, a.amount = i.amount ORDER BY i.line) AS nth " +
		"FROM settlement_items AS i LEFT JOIN (" + live + ") AS a ON " + join + " " +
		"LEFT JOIN settlement_results AS s ON s.merchant_id = ? AND s.attempt_id = a.id AND s.result = '" + ResultMatched + "' AND s.file_id <> ? " +
		"WHERE i.file_id = ?"
	again := "m.settled = 2 AND m.paid = 1 AND m.nth = 1"
	dup := "m.nth > 1 AND m.paid = 1"
	q := "INSERT INTO settlement_results (file_id, merchant_id, line, result, match_key, attempt_id) SELECT ?, ?, m.line, " +
		"CASE WHEN m.attempt_id IS NULL THEN '" + ResultUnexpected + "' WHEN " + again + " THEN '" + ResultAlreadyMatched + "' " +
		"WHEN m.settled > 0 OR " + dup + " THEN '" + ResultUnexpected + "' WHEN m.paid = 1 THEN '" + ResultMatched + "' ELSE '" + ResultAmountMismatch + "' END, " +
		"CASE WHEN m.attempt_id IS NULL THEN '' WHEN " + again + " THEN ? WHEN " + dup + " THEN 'duplicate' WHEN m.settled > 0 THEN '' ELSE ? END, " +
		"CASE WHEN " + again + " THEN m.attempt_id WHEN m.settled > 0 OR " + dup + " THEN NULL ELSE m.attempt_id END " +
		"FROM (" + m + ") AS m"
	err := d.setWise(ctx, func(tx *DB) error {
		return tx.with(ctx).Exec(q, f.ID, f.MerchantID, key, key, f.MerchantID, f.MerchantID, f.ID, f.ID).Error
	})
	if err != nil {
		return fmt.Errorf("match file %s: %w", f.ID, err)
	}
	return nil
}

// matchable are the states of attempts a settlement row may match: those
// that paid, and those in doubt, whose row is the evidence that they did.
const matchable = "('approved', 'confirmed_approved', 'unknown', 'reversal_pending', 'escalated')"

// SettleDoubts ends with a file's evidence the merchant's card attempts in
// doubt: one a row of the file matched paid (confirmed_approved); an
// escalated one sent on or before lastDueDay that no file matched never
// reached the acquirer or was reversed (confirmed_not_received). It answers
// the attempts it moved, as they were before.
func (d Settlement) SettleDoubts(ctx context.Context, f *SettlementFile, lastDueDay string, at time.Time) ([]RefundAttempt, error) {
	if f.Source != SourceAcquirer {
		return nil, nil
	}
	var matched []struct {
		RefundAttempt
		Line int64
	}
	err := d.with(ctx).Table("settlement_results AS s").Select("a.*, s.line").
		Joins("JOIN refund_attempts AS a ON a.id = s.attempt_id").
		Where("s.file_id = ? AND s.result = ? AND a.state IN ?", f.ID, ResultMatched, doubt).Scan(&matched).Error
	if err != nil {
		return nil, fmt.Errorf("doubts settled by %s: %w", f.ID, err)
	}
	var moved []RefundAttempt
	for _, m := range matched {
		ok, err := d.db.Refunds.ResolveAttempt(ctx, m.ID, Evidence{State: AttemptConfirmedApproved, By: "reconciliation",
			Note: fmt.Sprintf("settled by the acquirer: %s, line %d", f.Filename, m.Line), At: at})
		if err != nil {
			return moved, err
		}
		if ok {
			moved = append(moved, m.RefundAttempt)
		}
	}
	var absent []RefundAttempt
	err = d.with(ctx).Table("refund_attempts AS a").Select("a.*").Joins("JOIN refunds AS r ON r.id = a.refund_id").
		Where("r.merchant_id = ? AND a.state = ? AND a.kind IN ? AND a.transmitted_day <> '' AND a.transmitted_day <= ?",
			f.MerchantID, returns.AttemptEscalated, []returns.AttemptKind{returns.AttemptVoid, returns.AttemptRefund}, lastDueDay).
		Where("NOT EXISTS (SELECT 1 FROM settlement_results AS s WHERE s.attempt_id = a.id AND s.result = ?)", ResultMatched).
		Scan(&absent).Error
	if err != nil {
		return moved, fmt.Errorf("doubts settled by %s: %w", f.ID, err)
	}
	for _, a := range absent {
		ok, err := d.db.Refunds.ResolveAttempt(ctx, a.ID, Evidence{State: AttemptConfirmedNotReceived, By: "reconciliation",
			Note: fmt.Sprintf("in no settlement file of the acquirer up to %s (%s)", lastDueDay, f.Filename), At: at})
		if err != nil {
			return moved, err
		}
		if ok {
			moved = append(moved, a)
		}
	}
	return moved, nil
}

// PaidButFailed lists the returns still waiting on finance (refund_failed)
// whose refund a file shows paid by one of its attempts.
func (d Settlement) PaidButFailed(ctx context.Context, fileID string) ([]string, error) {
	var ids []string
	err := d.with(ctx).Table("settlement_results AS s").
		Joins("JOIN refund_attempts AS a ON a.id = s.attempt_id").
		Joins("JOIN refunds AS r ON r.id = a.refund_id").
		Joins("JOIN returns AS t ON t.id = r.return_id").
		Where("s.file_id = ? AND s.result = ? AND a.state IN ? AND t.status = 'refund_failed'", fileID, ResultMatched, paying).
		Distinct("r.return_id").Order("r.return_id").Pluck("r.return_id", &ids).Error
	if err != nil {
		return nil, fmt.Errorf("paid refunds of %s waiting on finance: %w", fileID, err)
	}
	return ids, nil
}

// doubt are the states of attempts whose outcome is not known.
var doubt = []returns.AttemptState{returns.AttemptUnknown, returns.AttemptReversalPending, returns.AttemptEscalated}

// setWise runs fn in a transaction whose statements join whole files to
// whole histories: on Postgres they hash (statistics of a table loaded a
// moment ago would otherwise invite nested loops over it), get the memory
// to do so, and skip JIT compilation, which costs more than it saves here.
func (d *conn) setWise(ctx context.Context, fn func(tx *DB) error) error {
	return d.tx(ctx, func(tx *DB) error {
		if d.dialect == Postgres {
			for _, set := range []string{"SET LOCAL jit = off", "SET LOCAL work_mem = '64MB'"} {
				if err := tx.with(ctx).Exec(set).Error; err != nil {
					return err
				}
			}
		}
		return fn(tx)
	})
}

// RecordMissing files a finding for every approved attempt of the
// merchant's source that no file has matched although it was sent on or
// before lastDueDay (the overdue window has passed). Findings are made once
// per attempt. It answers how many this file found.
func (d Settlement) RecordMissing(ctx context.Context, f *SettlementFile, lastDueDay string) (int64, error) {
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
		"WHERE r.merchant_id = ? AND a.state IN ('approved', 'confirmed_approved') AND a.kind IN " + kinds + " " +
		"AND NOT EXISTS (SELECT 1 FROM settlement_results AS s WHERE s.merchant_id = r.merchant_id AND s.attempt_id = a.id AND s.result = 'matched') " +
		"AND " + day + " <> '' AND " + day + " <= ? " +
		"AND NOT EXISTS (SELECT 1 FROM settlement_findings AS s WHERE s.kind = 'missing_at_acquirer' AND s.attempt_id = a.id)"
	var n int64
	err := d.setWise(ctx, func(tx *DB) error {
		res := tx.with(ctx).Exec(q, f.ID, key, time.Now().UTC(), f.MerchantID, lastDueDay)
		n = res.RowsAffected
		return res.Error
	})
	if err != nil {
		return 0, fmt.Errorf("missing refunds of %s: %w", f.ID, err)
	}
	return n, nil
}

// CountResults counts a file's rows by result.
func (d Settlement) CountResults(ctx context.Context, fileID string) (map[string]int64, error) {
	var rows []struct {
		Result string
		N      int64
	}
	err := d.with(ctx).Table("settlement_results").Select("result, COUNT(*) AS n").Where("file_id = ?", fileID).Group("result").Scan(&rows).Error
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
func (d Settlement) MatchedReturns(ctx context.Context, fileID, after string, limit int) ([]string, error) {
	var ids []string
	q := d.with(ctx).Table("settlement_results AS i").
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
func (d Settlement) OpenSettlementWorkItems(ctx context.Context, f *SettlementFile) error {
	now := time.Now().UTC()
	rows := "INSERT INTO work_items (id, dedupe_key, merchant_id, kind, file_id, item_line, attempt_id, summary, status, resolution, note, resolved_by, created_at) " +
		"SELECT " + d.newUUID() + ", 'settle/' || i.file_id || '/' || CAST(i.line AS TEXT), ?, s.result, i.file_id, i.line, s.attempt_id, " +
		"s.result || ' on line ' || CAST(i.line AS TEXT) || ': terminal ' || i.terminal_id || ' STAN ' || i.stan || ' RRN ' || i.rrn || i.gateway_refund || ' amount ' || " + sqlMoney("i.amount", "i.currency") + ", " +
		"'open', '', '', '', ? FROM settlement_results AS s JOIN settlement_items AS i ON i.file_id = s.file_id AND i.line = s.line " +
		"WHERE s.file_id = ? AND s.result IN ('unexpected_at_acquirer', 'amount_mismatch') " +
		"ON CONFLICT (dedupe_key) DO NOTHING"
	if err := d.with(ctx).Exec(rows, f.MerchantID, now, f.ID).Error; err != nil {
		return fmt.Errorf("work items of %s: %w", f.ID, err)
	}
	missing := "INSERT INTO work_items (id, dedupe_key, merchant_id, kind, file_id, attempt_id, refund_id, return_id, summary, status, resolution, note, resolved_by, created_at) " +
		"SELECT " + d.newUUID() + ", 'missing/' || s.attempt_id, s.merchant_id, s.kind, s.file_id, s.attempt_id, r.id, r.return_id, " +
		"'missing_at_acquirer: the refund of ' || " + sqlMoney("s.amount", "r.currency") + " || ' (terminal ' || a.terminal_id || ' STAN ' || a.stan || ') is in no settlement file although it is overdue', " +
		"'open', '', '', '', ? FROM settlement_findings AS s JOIN refund_attempts AS a ON a.id = s.attempt_id JOIN refunds AS r ON r.id = a.refund_id " +
		"WHERE s.file_id = ? ON CONFLICT (dedupe_key) DO NOTHING"
	if err := d.with(ctx).Exec(missing, now, f.ID).Error; err != nil {
		return fmt.Errorf("work items of %s: %w", f.ID, err)
	}
	return nil
}

// sqlMoney is an SQL expression (both engines) saying an amount of minor
// units in a currency as returns.Money does: "80.00 EUR", "1234 JPY",
// "1.234 KWD", "-0.05 EUR" — for texts built in SQL, which people read.
func sqlMoney(amount, currency string) string {
	byExponent := map[int][]string{}
	for c, e := range returns.MinorUnitExponents() {
		byExponent[e] = append(byExponent[e], "'"+c+"'")
	}
	exponents := slices.Sorted(maps.Keys(byExponent))
	digits := func(e int) string {
		if e == 0 {
			return "CAST(ABS(" + amount + ") AS TEXT)"
		}
		unit := "1" + strings.Repeat("0", e)
		return "CAST(ABS(" + amount + ") / " + unit + " AS TEXT) || '.' || SUBSTR(CAST(" + unit + " + ABS(" + amount + ") % " + unit + " AS TEXT), 2)"
	}
	var b strings.Builder
	b.WriteString("(CASE WHEN " + amount + " < 0 THEN '-' ELSE '' END || CASE")
	for _, e := range exponents {
		codes := byExponent[e]
		slices.Sort(codes)
		b.WriteString(" WHEN " + currency + " IN (" + strings.Join(codes, ", ") + ") THEN " + digits(e))
	}
	b.WriteString(" ELSE " + digits(2) + " END || ' ' || " + currency + ")")
	return b.String()
}

// SettlementItems pages through a file's rows with a result among results
// (all when none), by line, each with its result.
func (d Settlement) SettlementItems(ctx context.Context, fileID string, results []string, afterLine int64, limit int) ([]SettlementItem, error) {
	q := d.with(ctx).Table("settlement_items AS i").Select("i.*, COALESCE(s.result, '') AS result, COALESCE(s.match_key, '') AS match_key, s.attempt_id").
		Joins("LEFT JOIN settlement_results AS s ON s.file_id = i.file_id AND s.line = i.line").
		Where("i.file_id = ? AND i.line > ?", fileID, afterLine)
	if len(results) > 0 {
		q = q.Where("s.result IN ?", results)
	}
	var items []SettlementItem
	if err := q.Order("i.line").Limit(limit).Scan(&items).Error; err != nil {
		return nil, fmt.Errorf("settlement rows of %s: %w", fileID, err)
	}
	return items, nil
}

// FirstFindings lists the first limit findings a file made and how many it
// made (counted up to CountCap+1).
func (d Settlement) FirstFindings(ctx context.Context, fileID string, limit int) ([]SettlementFinding, int64, error) {
	q := d.with(ctx).Model(&SettlementFinding{}).Where("file_id = ?", fileID)
	total, err := d.countCapped(ctx, q)
	if err != nil {
		return nil, 0, fmt.Errorf("findings of %s: %w", fileID, err)
	}
	var fs []SettlementFinding
	if err := q.Order("created_at, id").Limit(limit).Find(&fs).Error; err != nil {
		return nil, 0, fmt.Errorf("findings of %s: %w", fileID, err)
	}
	return fs, total, nil
}

// CountFindings counts the findings a file made.
func (d Settlement) CountFindings(ctx context.Context, fileID string) (int64, error) {
	var n int64
	if err := d.with(ctx).Model(&SettlementFinding{}).Where("file_id = ?", fileID).Count(&n).Error; err != nil {
		return 0, fmt.Errorf("findings of %s: %w", fileID, err)
	}
	return n, nil
}
