package finance

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/rebound-returns/rebound/app/apperr"
	"github.com/rebound-returns/rebound/db"
	"github.com/rebound-returns/rebound/settlement"
)

// upload is an open that hands over a file and counts its calls.
func upload(source, body string, opened *int) func() (Upload, error) {
	return func() (Upload, error) {
		*opened++
		return Upload{Source: source, Filename: "s.csv", Body: strings.NewReader(body)}, nil
	}
}

func lineErrs(n int) []db.SettlementError {
	out := make([]db.SettlementError, n)
	for i := range out {
		out[i] = db.SettlementError{FileID: fileID, Line: int64(i + 2), Message: "no amount"}
	}
	return out
}

// Every way an import is refused: a caller of no merchant before the
// upload is opened, the upload's own refusals as they are, a source of
// another kind, a file not of its source's kind naming its first 20 lines.
func TestImportSettlementRefusals(t *testing.T) {
	edge := errors.New("send multipart/form-data")
	cases := []struct {
		name   string
		caller Caller
		open   func() (Upload, error)
		fail   string
		want   func(t *testing.T, err error)
		opened int
	}{
		{name: "an operator", caller: operator, want: func(t *testing.T, err error) {
			refusal{kind: apperr.ErrForbidden, detail: "settlement files belong to a merchant: log in as its finance or admin"}.check(t, err)
		}},
		{name: "the merchant cannot be read", fail: "MerchantByID", want: is(errStore)},
		{name: "the upload is refused", open: func() (Upload, error) { return Upload{}, edge }, want: is(edge), opened: -1},
		{name: "no source", open: upload("", "x", new(int)), want: func(t *testing.T, err error) {
			invalid("source: must be acquirer or gateway, before the file").check(t, err)
		}, opened: -1},
		{name: "not a settlement file", open: upload(db.SourceGateway, "bad", new(int)), want: func(t *testing.T, err error) {
			e := apperr.As(err)
			if e == nil || !errors.Is(err, apperr.ErrInvalid) || e.Code != "malformed-file" || len(e.Fields) != 20 ||
				e.Fields[19] != (apperr.Field{Name: "file:line 20", Reason: "not a row"}) ||
				!strings.HasPrefix(e.Detail, "the file is not a settlement file of this kind; line 1: not a row") {
				t.Fatalf("got %#v", err)
			}
		}, opened: -1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld()
			w.store.fail[tc.fail] = true
			if tc.caller.Staff.Role == "" {
				tc.caller = finStaff
			}
			opened := 0
			open := tc.open
			if open == nil {
				open = upload(db.SourceAcquirer, "x", &opened)
			}
			_, err := w.svc.ImportSettlement(context.Background(), tc.caller, open)
			tc.want(t, err)
			if tc.opened == 0 && opened != 0 {
				t.Fatal("the upload was opened")
			}
			if len(w.workflow.started) != 0 {
				t.Fatalf("started %v", w.workflow.started)
			}
		})
	}
}

func is(want error) func(t *testing.T, err error) {
	return func(t *testing.T, err error) {
		t.Helper()
		if !errors.Is(err, want) {
			t.Fatalf("got %v, want %v", err, want)
		}
	}
}

// A new file is imported for the caller's merchant and reconciled; its
// first 20 unreadable lines are named. A file imported before is that file
// again, and is not reconciled twice.
func TestImportSettlement(t *testing.T) {
	w := newWorld()
	file := &db.SettlementFile{ID: fileID, MerchantID: "m1", Source: db.SourceAcquirer, Filename: "s.csv", Status: "importing",
		RowsRead: 30, BadRows: 25, SizeBytes: 999, FirstDay: "2026-11-01", LastDay: "2026-11-02"}
	w.importer.res = &settlement.Result{File: file, BadRows: lineErrs(25)}
	opened := 0
	im, err := w.svc.ImportSettlement(context.Background(), finStaff, upload(db.SourceAcquirer, "rows", &opened))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(w.importer.got, []string{"m1", db.SourceAcquirer, "s.csv", "fin", "rows"}) || opened != 1 {
		t.Fatalf("imported %v", w.importer.got)
	}
	wantFile := File{ID: fileID, Source: db.SourceAcquirer, Filename: "s.csv", Status: "importing", Rows: 30, BadRows: 25, SizeBytes: 999,
		FirstDay: "2026-11-01", LastDay: "2026-11-02"}
	if im.Duplicate || im.File != wantFile || len(im.BadRows) != 20 || im.BadRows[0] != (LineError{2, "no amount"}) {
		t.Fatalf("import %+v", im)
	}
	if !reflect.DeepEqual(w.workflow.started, []string{fileID}) || strings.Join(w.store.calls, ",") != "MerchantByID" {
		t.Fatalf("started %v after %v", w.workflow.started, w.store.calls)
	}

	w.importer.res = &settlement.Result{File: file, Duplicate: true}
	im, err = w.svc.ImportSettlement(context.Background(), finStaff, upload(db.SourceAcquirer, "rows", &opened))
	if err != nil || !im.Duplicate || im.File.ID != fileID || len(w.workflow.started) != 1 {
		t.Fatalf("duplicate %+v %v, started %v", im, err, w.workflow.started)
	}

	w.importer.res = &settlement.Result{File: file}
	im, err = w.svc.ImportSettlement(context.Background(), finStaff, upload(db.SourceGateway, "rows", &opened))
	if err != nil || im.BadRows == nil || len(im.BadRows) != 0 {
		t.Fatalf("no bad rows is an empty list: %+v %v", im, err)
	}
}

func TestImportSettlementFailures(t *testing.T) {
	w := newWorld()
	w.importer.err = errStore
	if _, err := w.svc.ImportSettlement(context.Background(), finStaff, upload(db.SourceAcquirer, "x", new(int))); !errors.Is(err, errStore) {
		t.Fatalf("import: %v", err)
	}
	w.importer.err = nil
	w.importer.res = &settlement.Result{File: &db.SettlementFile{ID: fileID}}
	w.workflow.err = errors.New("temporal down")
	if _, err := w.svc.ImportSettlement(context.Background(), finStaff, upload(db.SourceAcquirer, "x", new(int))); err != w.workflow.err {
		t.Fatalf("start: %v", err)
	}
}

// Every way a reconciliation is refused: not the caller's (or no such
// file) before any field, then the fields the API found at fault.
func TestReconciliationRefusals(t *testing.T) {
	bad := []apperr.Field{{Name: "after_line", Reason: "must be a line number"}}
	cases := []struct {
		name   string
		caller Caller
		q      ReconciliationQuery
		want   refusal
		calls  string
	}{
		{"not an id", finStaff, ReconciliationQuery{FileID: "f1", Bad: bad}, notFound("no such reconciliation"), ""},
		{"no such file", finStaff, ReconciliationQuery{FileID: otherID, Bad: bad}, notFound("no such reconciliation"), "SettlementFileByID"},
		{"another merchant's", stranger, ReconciliationQuery{FileID: fileID, Bad: bad}, notFound("no such reconciliation"), "SettlementFileByID"},
		{"a field", finStaff, ReconciliationQuery{FileID: fileID, Bad: bad}, invalid("after_line: must be a line number"), "SettlementFileByID"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld()
			_, err := w.svc.Reconciliation(context.Background(), tc.caller, tc.q)
			tc.want.check(t, err)
			if got := strings.Join(w.store.calls, ","); got != tc.calls {
				t.Fatalf("calls %s", got)
			}
		})
	}
}

func TestReconciliationStoreFailures(t *testing.T) {
	for _, call := range []string{"SettlementFileByID", "SettlementItems", "FirstFindings", "WorkItems", "SettlementErrors"} {
		w := newWorld()
		w.store.fail[call] = true
		if _, err := w.svc.Reconciliation(context.Background(), finStaff, ReconciliationQuery{FileID: fileID, Limit: 5}); !errors.Is(err, errStore) {
			t.Fatalf("%s: %v", call, err)
		}
	}
}

// A reconciliation: the discrepancies (by default only the unexpected rows
// and the changed amounts) a page at a time, the first missing refunds,
// the first page of the file's work items, the unreadable lines and the
// totals, capped.
func TestReconciliation(t *testing.T) {
	w := newWorld()
	aid := attemptID
	for i := 0; i < 4; i++ {
		w.store.items = append(w.store.items, db.SettlementItem{FileID: fileID, Line: int64(10 + i), Result: db.ResultUnexpected,
			MatchKey: "k", TerminalID: "T1", STAN: "000001", RRN: "r", GatewayRefund: "g", TransactionDay: "2026-11-01", Amount: 5,
			Currency: "EUR", AttemptID: &aid})
	}
	w.store.findings = []db.SettlementFinding{{AttemptID: attemptID, MatchKey: "T1/000002", Amount: 700}}
	w.store.missing = db.CountCap + 1
	w.store.workPage = &db.WorkItemPage{Items: []db.WorkItem{*w.store.item}, More: true, Total: db.CountCap + 1}
	w.store.lineErrs = lineErrs(150)
	rec, err := w.svc.Reconciliation(context.Background(), operator, ReconciliationQuery{FileID: fileID, AfterLine: 9, Limit: 3})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(w.store.itemArgs, []any{fileID, []string{db.ResultUnexpected, db.ResultAmountMismatch}, int64(9), 4}) {
		t.Fatalf("asked %v", w.store.itemArgs)
	}
	if want := "SettlementFileByID,SettlementItems,FirstFindings,WorkItems,SettlementErrors"; strings.Join(w.store.calls, ",") != want {
		t.Fatalf("calls %v", w.store.calls)
	}
	if wa := w.store.workAsked; len(wa) != 1 || wa[0] != (db.WorkItemFilter{MerchantID: "m1", FileID: fileID, Limit: 50}) {
		t.Fatalf("work items asked %+v", wa)
	}
	wantDisc := Discrepancy{Line: 10, Result: db.ResultUnexpected, MatchKey: "k", TerminalID: "T1", STAN: "000001", RRN: "r",
		GatewayRefund: "g", TransactionDay: "2026-11-01", Amount: 5, Currency: "EUR", AttemptID: &aid}
	if len(rec.Discrepancies) != 3 || !rec.MoreDiscrepancies || !reflect.DeepEqual(rec.Discrepancies[0], wantDisc) {
		t.Fatalf("discrepancies %+v", rec.Discrepancies)
	}
	if rec.File.ID != fileID || rec.File.Rows != 3 || rec.MissingTotal != db.CountCap || rec.Missing[0] != (Missing{attemptID, "T1/000002", 700}) {
		t.Fatalf("file %+v missing %+v of %d", rec.File, rec.Missing, rec.MissingTotal)
	}
	if len(rec.WorkItems) != 1 || rec.WorkItems[0].ID != itemID || rec.WorkItemsTotal != db.CountCap || !rec.MoreWorkItems {
		t.Fatalf("work items %+v of %d", rec.WorkItems, rec.WorkItemsTotal)
	}
	if len(rec.BadRows) != 100 || rec.BadRows[99] != (LineError{101, "no amount"}) {
		t.Fatalf("bad rows %d", len(rec.BadRows))
	}

	// Every row, the last page: nothing follows; empty lists are lists.
	w = newWorld()
	w.store.items = w.store.items[:0]
	rec, err = w.svc.Reconciliation(context.Background(), finStaff, ReconciliationQuery{FileID: fileID, Limit: 3, All: true})
	if err != nil || w.store.itemArgs[1].([]string) != nil || rec.MoreDiscrepancies || rec.MoreWorkItems {
		t.Fatalf("%+v %v (asked %v)", rec, err, w.store.itemArgs)
	}
	if rec.Discrepancies == nil || rec.Missing == nil || rec.WorkItems == nil || rec.BadRows == nil {
		t.Fatalf("nil lists: %+v", rec)
	}
}

// New fills in what it is not given.
func TestNewDefaults(t *testing.T) {
	s := New(Deps{})
	if s.d.Now == nil || s.d.PageSize != 50 || s.d.PageMax != 200 {
		t.Fatalf("%+v", s.d)
	}
	s = New(Deps{PageSize: 5, PageMax: 9})
	if s.d.PageSize != 5 || s.d.PageMax != 9 {
		t.Fatalf("%+v", s.d)
	}
}
