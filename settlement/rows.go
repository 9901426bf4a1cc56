package settlement

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/rebound-returns/rebound/db"
	"github.com/rebound-returns/rebound/payments"
	"github.com/rebound-returns/rebound/pos"
)

// rows turns a file into staged rows one at a time, setting bad rows
// aside; it is the db.ItemSource of an import. Only the rows
// reconciliation looks at are staged: the acquirer's refunds and voids,
// the gateway's succeeded refunds. The others (sales, failed refunds) are
// read, checked and counted as ignored.
type rows struct {
	next     func() (*db.SettlementItem, error)
	rows     int64
	bad      int64
	ignored  int64
	skip     func(*db.SettlementItem) bool
	cur      db.SettlementItem // the row Next answers, until it is called again
	errs     []db.SettlementError
	firstDay string
	lastDay  string
	fileID   string
}

// day is t's UTC date, YYYY-MM-DD (by hand: every row has two).
func day(t time.Time) string {
	y, m, d := t.UTC().Date()
	if y < 0 || y > 9999 {
		return t.UTC().Format(time.DateOnly)
	}
	b := [10]byte{byte('0' + y/1000), byte('0' + y/100%10), byte('0' + y/10%10), byte('0' + y%10), '-',
		byte('0' + m/10), byte('0' + m%10), '-', byte('0' + d/10), byte('0' + d%10)}
	return string(b[:])
}

func newRows(source Source, r io.Reader, fileID, acquirerMID string) (*rows, error) {
	out := &rows{fileID: fileID}
	switch source {
	case db.SourceAcquirer:
		sr, err := pos.NewSettlementReader(r)
		if err != nil {
			return nil, &RefusedError{Lines: []db.SettlementError{{FileID: fileID, Line: 1, Message: err.Error()}}}
		}
		out.next = func() (*db.SettlementItem, error) {
			it, err := sr.Next()
			if err != nil {
				return nil, err
			}
			if acquirerMID != "" && it.MerchantID != acquirerMID {
				return nil, &pos.RowError{Line: out.line(), Column: "merchant_id", Err: errors.New("is another merchant's")}
			}
			out.cur = db.SettlementItem{SettlementDay: day(it.SettlementDate), TransactionDay: day(it.TransactionDate),
				AcquirerMID: it.MerchantID, TerminalID: it.TerminalID, STAN: it.STAN, RRN: it.RRN, ApprovalCode: it.ApprovalCode,
				ProcessingCode: it.ProcessingCode, Amount: it.Amount, Currency: it.Currency, MaskedPAN: it.MaskedPAN, Batch: it.Batch}
			return &out.cur, nil
		}
		out.skip = func(it *db.SettlementItem) bool {
			return it.ProcessingCode != pos.ProcessingRefund && it.ProcessingCode != pos.ProcessingVoid
		}
	case db.SourceGateway:
		rr, err := payments.NewReportReader(r)
		if err != nil {
			return nil, &RefusedError{Lines: []db.SettlementError{{FileID: fileID, Line: 1, Message: err.Error()}}}
		}
		out.next = func() (*db.SettlementItem, error) {
			it, err := rr.Next()
			if err != nil {
				return nil, err
			}
			d := day(it.Date)
			out.cur = db.SettlementItem{SettlementDay: d, TransactionDay: d, GatewayRefund: it.RefundID, Reference: it.Reference,
				ItemStatus: it.Status, Amount: it.Amount, Currency: it.Currency}
			return &out.cur, nil
		}
		out.skip = func(it *db.SettlementItem) bool { return it.ItemStatus != payments.StatusSucceeded }
	}
	return out, nil
}

// line is the file line of the row being read (the header is line 1).
func (r *rows) line() int { return int(r.rows+r.bad) + 2 }

// Next implements db.ItemSource: bad rows are recorded and skipped; a file
// whose first rows are mostly bad is refused.
func (r *rows) Next() (*db.SettlementItem, error) {
	for {
		it, err := r.next()
		if errors.Is(err, io.EOF) {
			return nil, io.EOF
		}
		line, msg, ok := rowError(err)
		if err == nil {
			if column := badText(it); column != "" {
				line, msg, ok = r.line(), column+": must be valid UTF-8 without NUL", true
			}
		}
		if ok {
			r.bad++
			if len(r.errs) < keptErrors {
				r.errs = append(r.errs, db.SettlementError{FileID: r.fileID, Line: int64(line), Message: msg})
			}
			if seen := r.rows + r.bad; seen <= probe && r.bad*2 > probe || seen == r.bad && r.bad >= 10 {
				return nil, &RefusedError{Lines: r.errs}
			}
			continue
		}
		if err != nil {
			return nil, err
		}
		r.rows++
		if r.firstDay == "" || it.SettlementDay < r.firstDay {
			r.firstDay = it.SettlementDay
		}
		if it.SettlementDay > r.lastDay {
			r.lastDay = it.SettlementDay
		}
		if r.skip(it) {
			r.ignored++
			continue
		}
		it.FileID, it.Line = r.fileID, int64(r.line()-1)
		return it, nil
	}
}

// rowError reads the line and message of a bad row of either format.
func rowError(err error) (int, string, bool) {
	var pe *pos.RowError
	if errors.As(err, &pe) {
		return pe.Line, message(pe.Column, pe.Err), true
	}
	var ge *payments.ReportRowError
	if errors.As(err, &ge) {
		return ge.Line, message(ge.Column, ge.Err), true
	}
	return 0, "", false
}

func message(column string, err error) string {
	if column == "" {
		return err.Error()
	}
	return fmt.Sprintf("%s: %v", column, err)
}

// badText names the first text column of a row that the store cannot keep
// (invalid UTF-8, NUL), or "". Such a row is a bad row: it would otherwise
// make PostgreSQL refuse the whole file.
func badText(it *db.SettlementItem) string {
	for _, f := range []struct{ column, v string }{
		{"merchant_id", it.AcquirerMID}, {"terminal_id", it.TerminalID}, {"stan", it.STAN}, {"rrn", it.RRN},
		{"approval_code", it.ApprovalCode}, {"processing_code", it.ProcessingCode}, {"currency", it.Currency},
		{"masked_pan", it.MaskedPAN}, {"batch", it.Batch}, {"refund_id", it.GatewayRefund}, {"reference", it.Reference},
		{"status", it.ItemStatus},
	} {
		if !utf8.ValidString(f.v) || strings.IndexByte(f.v, 0) >= 0 {
			return f.column
		}
	}
	return ""
}
