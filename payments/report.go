package payments

import (
	"bufio"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/rebound-returns/rebound/returns"
)

// ReportItem is one line of the gateway's daily report: a refund that reached its final status
// (succeeded or failed) on Date.
type ReportItem struct {
	Date        time.Time // the UTC day the refund reached its final status, at midnight UTC
	RefundID    string    // the gateway's id, "re_…"
	PaymentID   string
	Reference   string // what Rebound sent as the refund's reference (the attempt ID); may be empty
	Amount      int64  // minor units of Currency, above 0
	Currency    string // ISO 4217, 3 upper-case letters
	Status      string // StatusSucceeded or StatusFailed
	FailureCode string // set exactly when Status is StatusFailed
}

// Report columns, in file order.
const (
	colDate        = "date"
	colRefundID    = "refund_id"
	colPaymentID   = "payment_id"
	colReference   = "reference"
	colAmount      = "amount"
	colCurrency    = "currency"
	colStatus      = "status"
	colFailureCode = "failure_code"
)

// reportColumns is the header the reader checks; ReportColumns is a copy callers may keep.
var reportColumns = [...]string{colDate, colRefundID, colPaymentID, colReference, colAmount, colCurrency, colStatus, colFailureCode}

// ReportColumns is the header row of the daily report, in order.
var ReportColumns = []string{colDate, colRefundID, colPaymentID, colReference, colAmount, colCurrency, colStatus, colFailureCode}

// Limits of the report's text values. A row therefore always fits well within maxReportLine.
const (
	maxReportText      = 255 // bytes of an id or a reference, as the gateway's idempotency keys
	maxFailureCodeText = 64
	maxReportLine      = 64 << 10 // bytes of one physical line the reader accepts
)

// ReportRowError is a report row that cannot be read; reading can go on after it.
type ReportRowError struct {
	Line   int    // 1-based line where the row starts (the header is line 1)
	Column string // the column at fault, one of ReportColumns; empty when the row itself is malformed
	Err    error
}

func (e *ReportRowError) Error() string {
	if e.Column == "" {
		return fmt.Sprintf("gateway report line %d: %v", e.Line, e.Err)
	}
	return fmt.Sprintf("gateway report line %d: column %s: %v", e.Line, e.Column, e.Err)
}

func (e *ReportRowError) Unwrap() error { return e.Err }

// reportColumnError is a value that does not fit its column.
type reportColumnError struct {
	column string
	err    error
}

func (e *reportColumnError) Error() string { return e.column + ": " + e.err.Error() }

func reportColErr(column, reason string) *reportColumnError {
	return &reportColumnError{column: column, err: errors.New(reason)}
}

// WriteReport writes the header and one row per item. An item that would not read back the same
// (a date with a time of day, an amount of 0 or less, a currency that is not 3 upper-case letters,
// a status other than succeeded or failed, a failure code on a succeeded refund or none on a failed
// one, an id that is empty or too long, a carriage return in a value) is refused, naming the item
// and column, before anything is written. Commas, quotes and line breaks in values are quoted.
func WriteReport(w io.Writer, items []ReportItem) error {
	for i, it := range items {
		if err := it.validate(); err != nil {
			return fmt.Errorf("payments: report item %d (refund %q): %w", i+1, it.RefundID, err)
		}
	}
	cw := csv.NewWriter(w)
	if err := cw.Write(ReportColumns); err != nil {
		return fmt.Errorf("payments: write report header: %w", err)
	}
	for _, it := range items {
		if err := cw.Write(it.record()); err != nil {
			return fmt.Errorf("payments: write report: %w", err)
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("payments: write report: %w", err)
	}
	return nil
}

func (it ReportItem) record() []string {
	return []string{
		it.Date.UTC().Format(time.DateOnly), it.RefundID, it.PaymentID, it.Reference,
		strconv.FormatInt(it.Amount, 10), it.Currency, it.Status, it.FailureCode,
	}
}

// validate checks an item against the report's rules; the reader applies the same ones.
func (it ReportItem) validate() *reportColumnError {
	if !validReportDate(it.Date) {
		return reportColErr(colDate, "must be a UTC day at midnight, years 1900 to 9999")
	}
	if !strings.HasPrefix(it.RefundID, "re_") || !ValidReportID(it.RefundID) {
		return reportColErr(colRefundID, "must be the gateway's re_… id, up to 255 characters without control characters")
	}
	if !ValidReportID(it.PaymentID) {
		return reportColErr(colPaymentID, "must be 1 to 255 characters without control characters")
	}
	if !ValidReference(it.Reference) {
		return reportColErr(colReference, "must be up to 255 bytes without a carriage return")
	}
	if it.Amount <= 0 {
		return reportColErr(colAmount, "must be a whole number of minor units above 0")
	}
	if !returns.ValidCurrency(it.Currency) {
		return reportColErr(colCurrency, "must be 3 upper-case letters (ISO 4217)")
	}
	switch it.Status {
	case StatusSucceeded:
		if it.FailureCode != "" {
			return reportColErr(colFailureCode, "must be empty for a succeeded refund")
		}
	case StatusFailed:
		if !validFailureCode(it.FailureCode) {
			return reportColErr(colFailureCode, "must be 1 to 64 lower-case letters, digits or _ for a failed refund")
		}
	default:
		return reportColErr(colStatus, "must be succeeded or failed")
	}
	return nil
}

// ReportDay is the UTC day of t, at midnight UTC.
func ReportDay(t time.Time) time.Time {
	y, m, d := t.UTC().Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

func validReportDate(t time.Time) bool {
	y := t.UTC().Year()
	return y >= 1900 && y <= 9999 && ReportDay(t).Equal(t)
}

// ValidReportID reports whether s is 1 to maxReportText bytes without ASCII control characters.
func ValidReportID(s string) bool {
	if s == "" || len(s) > maxReportText {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] == 0x7f {
			return false
		}
	}
	return true
}

// ValidReference reports whether s fits the reference column: encoding/csv turns a quoted "\r\n"
// into "\n", so a carriage return would not read back.
func ValidReference(s string) bool {
	return len(s) <= maxReportText && !strings.ContainsRune(s, '\r')
}

func validFailureCode(s string) bool {
	if s == "" || len(s) > maxFailureCodeText {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}

// ReportReader reads a daily report row by row, holding one row in memory at a time.
type ReportReader struct {
	r   *csv.Reader
	err error // io.EOF or the error that stopped reading; returned by every later Next
}

// NewReportReader reads the header row and checks that it is exactly ReportColumns (a leading
// UTF-8 byte-order mark aside); otherwise the error says which header was expected.
func NewReportReader(r io.Reader) (*ReportReader, error) {
	br := bufio.NewReader(&lineLimitReader{r: r, max: maxReportLine})
	if bom, err := br.Peek(3); err == nil && string(bom) == "\ufeff" {
		_, _ = br.Discard(3) // a spreadsheet's byte-order mark
	}
	cr := csv.NewReader(br)
	cr.FieldsPerRecord = -1 // checked per row, so that a short row is a row error
	cr.ReuseRecord = true
	want := strings.Join(ReportColumns, ",")
	header, err := cr.Read()
	if err == io.EOF {
		return nil, fmt.Errorf("payments: report is empty: want the header %s", want)
	}
	if err != nil {
		return nil, fmt.Errorf("payments: report header (want %s): %w", want, err)
	}
	if len(header) != len(reportColumns) {
		return nil, fmt.Errorf("payments: report header has %d columns (%s), want %d: %s",
			len(header), strings.Join(header, ","), len(reportColumns), want)
	}
	for i, h := range header {
		if h != reportColumns[i] {
			return nil, fmt.Errorf("payments: report header column %d is %q, want %q (header %s)", i+1, h, reportColumns[i], want)
		}
	}
	return &ReportReader{r: cr}, nil
}

// Next returns the next item; io.EOF after the last. A row that cannot be read gives a
// *ReportRowError, and the next call reads on from the row after it. Any other error (reading r
// failed, a line longer than 64 KiB) ends the report and is returned again by every later call.
func (rr *ReportReader) Next() (ReportItem, error) {
	for rr.err == nil {
		rec, err := rr.r.Read()
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				// The partial record holds the fields before the one that could not be parsed.
				column := ""
				if len(rec) < len(reportColumns) {
					column = reportColumns[len(rec)]
				}
				return ReportItem{}, &ReportRowError{Line: pe.StartLine, Column: column, Err: pe.Err}
			}
			if err != io.EOF {
				err = fmt.Errorf("payments: read report: %w", err)
			}
			rr.err = err
			break
		}
		if len(rec) == 1 && rec[0] == "" {
			continue // a blank line
		}
		line, _ := rr.r.FieldPos(0)
		it, rowErr := parseReportRecord(rec)
		if rowErr != nil {
			rowErr.Line = line
			return ReportItem{}, rowErr
		}
		return it, nil
	}
	return ReportItem{}, rr.err
}

// parseReportRecord turns one row into an item; the error's Line is left for the caller.
func parseReportRecord(rec []string) (ReportItem, *ReportRowError) {
	if len(rec) < len(reportColumns) {
		return ReportItem{}, &ReportRowError{Column: reportColumns[len(rec)],
			Err: fmt.Errorf("missing: the row has %d fields, want %d", len(rec), len(reportColumns))}
	}
	if len(rec) > len(reportColumns) {
		return ReportItem{}, &ReportRowError{Err: fmt.Errorf("the row has %d fields, want %d", len(rec), len(reportColumns))}
	}
	date, err := time.Parse(time.DateOnly, rec[0])
	if err != nil {
		return ReportItem{}, &ReportRowError{Column: colDate, Err: errors.New("must be a date YYYY-MM-DD")}
	}
	if !allDigits(rec[4]) {
		return ReportItem{}, &ReportRowError{Column: colAmount, Err: errors.New("must be a whole number of minor units above 0")}
	}
	amount, err := strconv.ParseInt(rec[4], 10, 64)
	if err != nil {
		return ReportItem{}, &ReportRowError{Column: colAmount, Err: errors.New("is out of range")}
	}
	it := ReportItem{
		Date: date, RefundID: rec[1], PaymentID: rec[2], Reference: rec[3],
		Amount: amount, Currency: rec[5], Status: rec[6], FailureCode: rec[7],
	}
	if cerr := it.validate(); cerr != nil {
		return ReportItem{}, &ReportRowError{Column: cerr.column, Err: cerr.err}
	}
	return it, nil
}

func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// lineLimitReader fails once a physical line grows longer than max bytes, so that a file without
// line breaks cannot make the CSV reader buffer all of it.
type lineLimitReader struct {
	r    io.Reader
	max  int
	line int // 0-based number of the current line
	run  int // bytes of the current line seen so far
	err  error
}

func (l *lineLimitReader) Read(p []byte) (int, error) {
	if l.err != nil {
		return 0, l.err
	}
	n, err := l.r.Read(p)
	for i := 0; i < n; i++ {
		if p[i] == '\n' {
			l.line++
			l.run = 0
			continue
		}
		if l.run++; l.run > l.max {
			l.err = fmt.Errorf("line %d is longer than %d bytes", l.line+1, l.max)
			return i, l.err
		}
	}
	return n, err
}
