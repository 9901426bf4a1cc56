package finance

import (
	"context"
	"errors"
	"io"
	"strconv"

	"github.com/rebound-returns/rebound/app/apperr"
	"github.com/rebound-returns/rebound/db"
	"github.com/rebound-returns/rebound/ids"
	"github.com/rebound-returns/rebound/settlement"
)

// shownLines is how many of a file's unreadable lines an answer names.
const shownLines = 20

// File is an imported settlement file and what reconciliation made of it.
type File struct {
	ID             string
	Source         string
	Filename       string
	Status         string
	Rows           int64
	BadRows        int64
	SizeBytes      int64
	FirstDay       string
	LastDay        string
	Matched        int64
	AlreadyMatched int64
	Unexpected     int64
	AmountMismatch int64
	Missing        int64
	Ignored        int64
	Error          string
}

func fileOf(f *db.SettlementFile) File {
	return File{ID: f.ID, Source: f.Source, Filename: f.Filename, Status: f.Status, Rows: f.RowsRead, BadRows: f.BadRows,
		SizeBytes: f.SizeBytes, FirstDay: f.FirstDay, LastDay: f.LastDay, Matched: f.Matched, AlreadyMatched: f.AlreadyMatched, Unexpected: f.Unexpected,
		AmountMismatch: f.AmountMismatch, Missing: f.Missing, Ignored: f.Ignored, Error: f.Error}
}

// LineError is a line of a file that could not be read, and why.
type LineError struct {
	Line    int64
	Message string
}

func lineErrorsOf(es []db.SettlementError, most int) []LineError {
	out := make([]LineError, 0, min(len(es), most))
	for i, e := range es {
		if i == most {
			break
		}
		out = append(out, LineError{Line: e.Line, Message: e.Message})
	}
	return out
}

// Upload is a settlement file as it arrives: its source (acquirer or
// gateway), its name and its content, read once.
type Upload struct {
	Source   string
	Filename string
	Body     io.Reader
}

// Import is what importing a file did: File is the file (the earlier one
// when Duplicate: the same content was imported before and nothing
// changed), BadRows the first lines that could not be read.
type Import struct {
	File      File
	Duplicate bool
	BadRows   []LineError
}

// ImportSettlement imports a file of the caller's merchant and starts its
// reconciliation. open reads the request up to the file (the API's
// multipart); it runs only once the caller may import, and its refusals
// are returned as they are. A file not of its source's kind is refused
// naming its first unreadable lines; a file whose content was imported
// before is that file again, reconciled once.
func (s *Service) ImportSettlement(ctx context.Context, c Caller, open func() (Upload, error)) (Import, error) {
	if c.MerchantID == "" {
		return Import{}, apperr.Forbidden("", "settlement files belong to a merchant: log in as its finance or admin")
	}
	m, err := s.d.Store.MerchantByID(ctx, c.MerchantID)
	if err != nil {
		return Import{}, err
	}
	up, err := open()
	if err != nil {
		return Import{}, err
	}
	if up.Source != db.SourceAcquirer && up.Source != db.SourceGateway {
		return Import{}, apperr.Invalid("source", "must be acquirer or gateway, before the file")
	}
	res, err := s.d.Importer.Import(ctx, m, up.Source, up.Filename, c.Staff.Name, up.Body)
	var refused *settlement.RefusedError
	if errors.As(err, &refused) {
		e := &apperr.Error{Kind: apperr.ErrInvalid, Code: "malformed-file", Detail: refused.Error()}
		for _, l := range lineErrorsOf(refused.Lines, shownLines) {
			e.Fields = append(e.Fields, apperr.Field{Name: "file:line " + strconv.FormatInt(l.Line, 10), Reason: l.Message})
		}
		return Import{}, e
	}
	if err != nil {
		return Import{}, err
	}
	if res.Duplicate {
		return Import{File: fileOf(res.File), Duplicate: true}, nil
	}
	if err := s.d.Workflow.StartReconcile(ctx, res.File.ID); err != nil {
		return Import{}, err
	}
	return Import{File: fileOf(res.File), BadRows: lineErrorsOf(res.BadRows, shownLines)}, nil
}

// ReconciliationQuery asks for a file's reconciliation: its discrepancies
// (every row when All) after a line, a page at a time.
type ReconciliationQuery struct {
	FileID    string
	AfterLine int64
	Limit     int
	All       bool
	// Bad are the fields the API refused (after_line, limit), refused once
	// the file is known to be the caller's.
	Bad []apperr.Field
}

// Discrepancy is a row of a file and what reconciliation made of it.
type Discrepancy struct {
	Line           int64
	Result         string
	MatchKey       string
	TerminalID     string
	STAN           string
	RRN            string
	GatewayRefund  string
	TransactionDay string
	Amount         int64
	Currency       string
	AttemptID      *string
}

// Missing is a refund the acquirer's file does not show.
type Missing struct {
	AttemptID string
	MatchKey  string
	Amount    int64
}

// Reconciliation is a file's reconciliation: its discrepancies (More: the
// page goes on after the last), the first refunds it found missing, the
// first page of its work items, its unreadable lines, and the totals,
// capped at db.CountCap.
type Reconciliation struct {
	File              File
	Discrepancies     []Discrepancy
	MoreDiscrepancies bool
	Missing           []Missing
	MissingTotal      int64
	WorkItems         []WorkItem
	WorkItemsTotal    int64
	MoreWorkItems     bool
	BadRows           []LineError
}

// Reconciliation shows a file's reconciliation to a caller who may see it.
func (s *Service) Reconciliation(ctx context.Context, c Caller, q ReconciliationQuery) (Reconciliation, error) {
	notFound := apperr.NotFound("", "no such reconciliation")
	if !ids.Valid(q.FileID) {
		return Reconciliation{}, notFound
	}
	f, err := s.d.Store.SettlementFileByID(ctx, q.FileID)
	if errors.Is(err, db.ErrNotFound) || (err == nil && !c.sees(f.MerchantID)) {
		return Reconciliation{}, notFound
	}
	if err != nil {
		return Reconciliation{}, err
	}
	if len(q.Bad) > 0 {
		return Reconciliation{}, apperr.InvalidFields(q.Bad...)
	}
	results := []string{db.ResultUnexpected, db.ResultAmountMismatch}
	if q.All {
		results = nil
	}
	items, err := s.d.Store.SettlementItems(ctx, f.ID, results, q.AfterLine, q.Limit+1)
	if err != nil {
		return Reconciliation{}, err
	}
	out := Reconciliation{File: fileOf(f), MoreDiscrepancies: len(items) > q.Limit}
	if out.MoreDiscrepancies {
		items = items[:q.Limit]
	}
	out.Discrepancies = make([]Discrepancy, 0, len(items))
	for _, it := range items {
		out.Discrepancies = append(out.Discrepancies, Discrepancy{Line: it.Line, Result: it.Result, MatchKey: it.MatchKey,
			TerminalID: it.TerminalID, STAN: it.STAN, RRN: it.RRN, GatewayRefund: it.GatewayRefund,
			TransactionDay: it.TransactionDay, Amount: it.Amount, Currency: it.Currency, AttemptID: it.AttemptID})
	}
	// The file's counts say how many are missing; the answer shows the first.
	findings, missingTotal, err := s.d.Store.FirstFindings(ctx, f.ID, s.d.PageMax)
	if err != nil {
		return Reconciliation{}, err
	}
	// The first page of the file's work items; the API links the rest.
	work, err := s.d.Store.WorkItems(ctx, db.WorkItemFilter{MerchantID: f.MerchantID, FileID: f.ID, Limit: s.d.PageSize})
	if err != nil {
		return Reconciliation{}, err
	}
	errs, err := s.d.Store.SettlementErrors(ctx, f.ID, 100)
	if err != nil {
		return Reconciliation{}, err
	}
	out.Missing = make([]Missing, 0, len(findings))
	for _, fd := range findings {
		out.Missing = append(out.Missing, Missing{AttemptID: fd.AttemptID, MatchKey: fd.MatchKey, Amount: fd.Amount})
	}
	out.MissingTotal = min(missingTotal, db.CountCap)
	out.WorkItems, out.WorkItemsTotal, out.MoreWorkItems = workItemsOf(work.Items), min(work.Total, db.CountCap), work.More
	out.BadRows = lineErrorsOf(errs, len(errs))
	return out, nil
}
