package pos

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
)

// SettlementItem is one line of the acquirer's daily settlement file.
type SettlementItem struct {
	SettlementDate  time.Time `json:"settlement_date"`  // UTC date
	TransactionDate time.Time `json:"transaction_date"` // UTC date
	MerchantID      string    `json:"merchant_id"`
	TerminalID      string    `json:"terminal_id"`
	STAN            string    `json:"stan"`
	RRN             string    `json:"rrn"`
	ApprovalCode    string    `json:"approval_code"`
	ProcessingCode  string    `json:"processing_code"`
	Amount          int64     `json:"amount"` // minor units, never negative: the processing code says which way
	Currency        string    `json:"currency"`
	MaskedPAN       string    `json:"masked_pan"`
	Batch           string    `json:"batch"`
}

// SettlementColumns is the header row of the settlement file, in order.
var SettlementColumns = []string{
	"settlement_date", "transaction_date", "merchant_id", "terminal_id", "stan", "rrn",
	"approval_code", "processing_code", "amount", "currency", "masked_pan", "batch",
}

// RowError is a settlement line that cannot be read; reading can go on
// after it.
type RowError struct {
	Line   int    // 1-based line in the file (the header is line 1)
	Column string // the column at fault, empty when the row itself is malformed
	Err    error
}

func (e *RowError) Error() string {
	if e.Column == "" {
		return fmt.Sprintf("settlement line %d: %v", e.Line, e.Err)
	}
	return fmt.Sprintf("settlement line %d: column %s: %v", e.Line, e.Column, e.Err)
}

func (e *RowError) Unwrap() error { return e.Err }

// columnError is a value that does not fit its column.
type columnError struct {
	column string
	err    error
}

func (e *columnError) Error() string { return e.column + ": " + e.err.Error() }

func colErr(column, reason string) *columnError {
	return &columnError{column: column, err: errors.New(reason)}
}

// WriteSettlement writes the header and one row per item. An item that would
// not read back the same (a missing field, a value outside its column's
// format) is refused, naming the item and column.
func WriteSettlement(w io.Writer, items []SettlementItem) error {
	sw, err := NewSettlementWriter(w)
	if err != nil {
		return err
	}
	for _, it := range items {
		if err := sw.Write(it); err != nil {
			return err
		}
	}
	return sw.Flush()
}

func (it SettlementItem) record() []string {
	return []string{
		it.SettlementDate.UTC().Format(time.DateOnly), it.TransactionDate.UTC().Format(time.DateOnly),
		it.MerchantID, it.TerminalID, it.STAN, it.RRN, it.ApprovalCode, it.ProcessingCode,
		strconv.FormatInt(it.Amount, 10), it.Currency, it.MaskedPAN, it.Batch,
	}
}

func (it SettlementItem) validate() *columnError {
	if !validDate(it.SettlementDate) {
		return colErr("settlement_date", "must be a UTC date at midnight, years 1900 to 9999")
	}
	if !validDate(it.TransactionDate) {
		return colErr("transaction_date", "must be a UTC date at midnight, years 1900 to 9999")
	}
	for i, v := range it.record()[2:] {
		if err := checkColumn(SettlementColumns[i+2], v); err != nil {
			return err
		}
	}
	return nil
}

// parseDate reads a YYYY-MM-DD date of the years validDate allows, at
// UTC midnight (as time.Parse would, at a fraction of its cost: every row
// has two).
func parseDate(v string) (time.Time, bool) {
	if len(v) != 10 || v[4] != '-' || v[7] != '-' {
		return time.Time{}, false
	}
	num := func(s string) int {
		n := 0
		for i := 0; i < len(s); i++ {
			if s[i] < '0' || s[i] > '9' {
				return -1
			}
			n = n*10 + int(s[i]-'0')
		}
		return n
	}
	y, m, d := num(v[:4]), num(v[5:7]), num(v[8:])
	if y < 1900 || m < 1 || m > 12 || d < 1 || d > 31 {
		return time.Time{}, false
	}
	t := time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC)
	if t.Day() != d { // 31 November, 29 February of a common year
		return time.Time{}, false
	}
	return t, true
}

func validDate(t time.Time) bool {
	y := t.UTC().Year()
	return y >= 1900 && y <= 9999 && SettlementDate(t).Equal(t)
}

// checkColumn checks one text value of a row.
func checkColumn(column, v string) *columnError {
	switch column {
	case "merchant_id":
		if v == "" || len(v) > 15 || !allOf(v, isPrintable) || strings.TrimSpace(v) != v {
			return colErr(column, "must be 1 to 15 printable characters")
		}
	case "terminal_id":
		if !ValidTerminalID(v) || strings.TrimSpace(v) != v {
			return colErr(column, "must be 8 printable characters")
		}
	case "stan":
		if !ValidSTAN(v) {
			return colErr(column, "must be 6 digits, not 000000")
		}
	case "rrn":
		if !ValidRRN(v) {
			return colErr(column, "must be 12 letters or digits")
		}
	case "approval_code":
		if len(v) > 6 || !allOf(v, isAlphanumeric) {
			return colErr(column, "must be up to 6 letters or digits")
		}
	case "processing_code":
		if len(v) != 6 || !allOf(v, isDigit) {
			return colErr(column, "must be 6 digits")
		}
	case "amount":
		if n, err := strconv.ParseInt(v, 10, 64); err != nil || n < 0 || strconv.FormatInt(n, 10) != v {
			return colErr(column, "must be a whole number of minor units, not negative")
		}
	case "currency":
		if len(v) != 3 || !allOf(v, func(c byte) bool { return c >= 'A' && c <= 'Z' }) {
			return colErr(column, "must be an ISO 4217 alphabetic code")
		}
	case "masked_pan":
		if v != "" && !ValidMaskedPAN(v) {
			return colErr(column, "must show only the first 6 and last 4 digits")
		}
	case "batch":
		if v == "" || len(v) > 32 || !allOf(v, isPrintable) || strings.TrimSpace(v) != v {
			return colErr(column, "must be 1 to 32 printable characters")
		}
	}
	return nil
}

// SettlementReader reads a settlement file row by row, never holding more
// than one row in memory.
type SettlementReader struct {
	r    *csv.Reader
	done bool
}

// NewSettlementReader reads and checks the header row.
func NewSettlementReader(r io.Reader) (*SettlementReader, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	header, err := cr.Read()
	if err == io.EOF {
		return nil, errors.New("pos: settlement file is empty: no header row")
	}
	if err != nil {
		return nil, fmt.Errorf("pos: settlement header: %w", err)
	}
	if len(header) > 0 {
		header[0] = strings.TrimPrefix(header[0], "\ufeff") // a spreadsheet's byte-order mark
	}
	if len(header) != len(SettlementColumns) {
		return nil, fmt.Errorf("pos: settlement header: %d columns, want %d (%s)", len(header), len(SettlementColumns), strings.Join(SettlementColumns, ","))
	}
	for i, h := range header {
		if strings.TrimSpace(h) != SettlementColumns[i] {
			return nil, fmt.Errorf("pos: settlement header: column %d is %q, want %q", i+1, h, SettlementColumns[i])
		}
	}
	return &SettlementReader{r: cr}, nil
}

// Next returns the next item; io.EOF after the last. A row that cannot be
// read gives a *RowError, and the next call reads on from the row after it.
func (sr *SettlementReader) Next() (SettlementItem, error) {
	for {
		if sr.done {
			return SettlementItem{}, io.EOF
		}
		rec, err := sr.r.Read()
		if err == io.EOF {
			sr.done = true
			return SettlementItem{}, io.EOF
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				return SettlementItem{}, &RowError{Line: pe.StartLine, Err: pe.Err}
			}
			sr.done = true
			return SettlementItem{}, fmt.Errorf("pos: settlement: %w", err)
		}
		line, _ := sr.r.FieldPos(0)
		if len(rec) == 1 && rec[0] == "" {
			continue // a blank line
		}
		if len(rec) != len(SettlementColumns) {
			return SettlementItem{}, &RowError{Line: line, Err: fmt.Errorf("%d columns, want %d", len(rec), len(SettlementColumns))}
		}
		it, cerr := parseItem(rec)
		if cerr != nil {
			return SettlementItem{}, &RowError{Line: line, Column: cerr.column, Err: cerr.err}
		}
		return it, nil
	}
}

func parseItem(rec []string) (SettlementItem, *columnError) {
	for i, v := range rec {
		if err := checkColumn(SettlementColumns[i], v); err != nil {
			return SettlementItem{}, err
		}
	}
	sd, ok := parseDate(rec[0])
	if !ok {
		return SettlementItem{}, colErr("settlement_date", "must be a date YYYY-MM-DD")
	}
	td, ok := parseDate(rec[1])
	if !ok {
		return SettlementItem{}, colErr("transaction_date", "must be a date YYYY-MM-DD")
	}
	amount, _ := strconv.ParseInt(rec[8], 10, 64) // checked above
	return SettlementItem{
		SettlementDate: sd, TransactionDate: td, MerchantID: rec[2], TerminalID: rec[3], STAN: rec[4], RRN: rec[5],
		ApprovalCode: rec[6], ProcessingCode: rec[7], Amount: amount, Currency: rec[9], MaskedPAN: rec[10], Batch: rec[11],
	}, nil
}

// SettlementDate is t's UTC date at midnight.
func SettlementDate(t time.Time) time.Time {
	t = t.UTC()
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
}
