package finance

import (
	"context"
	"errors"
	"io"
	"strings"
	"time"

	"github.com/rebound-returns/rebound/contract"
	"github.com/rebound-returns/rebound/db"
	"github.com/rebound-returns/rebound/returns"
	"github.com/rebound-returns/rebound/settlement"
)

// Ids of the fakes' world: merchant m1 (slug "shop") with a return whose
// refund has one attempt in doubt, a work item about it and a settlement
// file; merchant m2 (slug "other") has nothing.
const (
	returnID  = "0b7c6f3e-4f1a-4d2b-9c3e-1a2b3c4d5e60"
	refundID  = "0b7c6f3e-4f1a-4d2b-9c3e-1a2b3c4d5e61"
	attemptID = "0b7c6f3e-4f1a-4d2b-9c3e-1a2b3c4d5e62"
	itemID    = "0b7c6f3e-4f1a-4d2b-9c3e-1a2b3c4d5e63"
	fileID    = "0b7c6f3e-4f1a-4d2b-9c3e-1a2b3c4d5e64"
	otherID   = "0b7c6f3e-4f1a-4d2b-9c3e-1a2b3c4d5e6f" // valid, but of nothing
)

var (
	t0       = time.Date(2026, 12, 3, 7, 0, 0, 0, time.UTC)
	errStore = errors.New("store down")
)

var (
	finStaff = Caller{MerchantID: "m1", Staff: returns.Actor{Kind: returns.ActorStaff, Name: "fin", Role: "finance"}}
	operator = Caller{Staff: returns.Actor{Kind: returns.ActorStaff, Name: "op", Role: "operator"}}
	stranger = Caller{MerchantID: "m2", Staff: returns.Actor{Kind: returns.ActorStaff, Name: "x", Role: "finance"}}
)

// fakeStore is finance's world in memory. calls records every call by
// name, in order; fail makes the named call fail with errStore.
type fakeStore struct {
	calls []string
	fail  map[string]bool

	merchants map[string]*db.Merchant // by id
	ret       *db.Return
	refund    *db.Refund
	attempt   *db.RefundAttempt
	item      *db.WorkItem
	file      *db.SettlementFile

	rows      []db.RefundRow // what ListRefunds and CountRefunds select from
	filters   []db.RefundFilter
	summary   []db.SummaryRow
	sumArgs   []any
	workPage  *db.WorkItemPage
	workAsked []db.WorkItemFilter
	items     []db.SettlementItem
	itemArgs  []any
	findings  []db.SettlementFinding
	missing   int64
	lineErrs  []db.SettlementError
	filePage  *db.Paged[db.SettlementFile]
	fileAsked []db.SettlementFileFilter

	// moved is what ResolveAttempt answers; resolved what ResolveWorkItem
	// answers; evidence what ResolveAttempt was given.
	moved, resolved bool
	evidence        []db.Evidence
	itemsOf         []string
}

func newFakeStore() *fakeStore {
	rid, fid, aid, line := refundID, fileID, attemptID, int64(7)
	return &fakeStore{
		fail: map[string]bool{},
		merchants: map[string]*db.Merchant{"m1": {ID: "m1", Slug: "shop", AcquirerMerchantID: "ACQ1"},
			"m2": {ID: "m2", Slug: "other"}},
		ret:    &db.Return{ID: returnID, MerchantID: "m1", Status: string(returns.RefundFailed)},
		refund: &db.Refund{ID: refundID, ReturnID: returnID, MerchantID: "m1", Channel: "card_present", Amount: 4000, Currency: "EUR", Status: "failed"},
		attempt: &db.RefundAttempt{ID: attemptID, RefundID: refundID, N: 2, Kind: "refund", State: returns.AttemptUnknown, Amount: 4000,
			AnswerFields: db.JSON(`{"de44":"x"}`)},
		item: &db.WorkItem{ID: itemID, MerchantID: "m1", Kind: "attempt_unknown", Status: "open", AttemptID: &aid, RefundID: &rid,
			FileID: &fid, ItemLine: &line},
		file:     &db.SettlementFile{ID: fileID, MerchantID: "m1", Source: db.SourceAcquirer, Filename: "s.csv", RowsRead: 3},
		workPage: &db.WorkItemPage{},
		moved:    true,
		resolved: true,
	}
}

func (f *fakeStore) call(name string) error {
	f.calls = append(f.calls, name)
	if f.fail[name] {
		return errStore
	}
	return nil
}

func (f *fakeStore) MerchantBySlug(_ context.Context, slug string) (*db.Merchant, error) {
	if err := f.call("MerchantBySlug"); err != nil {
		return nil, err
	}
	for _, m := range f.merchants {
		if m.Slug == slug {
			return m, nil
		}
	}
	return nil, db.ErrNotFound
}

func (f *fakeStore) MerchantByID(_ context.Context, id string) (*db.Merchant, error) {
	if err := f.call("MerchantByID"); err != nil {
		return nil, err
	}
	if m, ok := f.merchants[id]; ok {
		return m, nil
	}
	return nil, db.ErrNotFound
}

func (f *fakeStore) CountRefunds(_ context.Context, fl db.RefundFilter) (int64, error) {
	if err := f.call("CountRefunds"); err != nil {
		return 0, err
	}
	return int64(len(f.rows)), nil
}

// ListRefunds pages f.rows by position: After.ID is the last row shown.
func (f *fakeStore) ListRefunds(_ context.Context, fl db.RefundFilter) ([]db.RefundRow, error) {
	f.filters = append(f.filters, fl)
	if err := f.call("ListRefunds"); err != nil {
		return nil, err
	}
	start := 0
	if fl.After != nil {
		for i, r := range f.rows {
			if r.ID == fl.After.ID {
				start = i + 1
			}
		}
	}
	end := min(start+fl.Limit, len(f.rows))
	return append([]db.RefundRow(nil), f.rows[start:end]...), nil
}

func (f *fakeStore) RefundSummary(_ context.Context, merchantID string, from, to time.Time) ([]db.SummaryRow, error) {
	f.sumArgs = []any{merchantID, from, to}
	if err := f.call("RefundSummary"); err != nil {
		return nil, err
	}
	return f.summary, nil
}

func (f *fakeStore) RefundByID(_ context.Context, id string) (*db.Refund, error) {
	if err := f.call("RefundByID"); err != nil {
		return nil, err
	}
	if f.refund == nil || f.refund.ID != id {
		return nil, db.ErrNotFound
	}
	r := *f.refund
	return &r, nil
}

func (f *fakeStore) AttemptsOfRefund(_ context.Context, id string) ([]db.RefundAttempt, error) {
	if err := f.call("AttemptsOfRefund"); err != nil {
		return nil, err
	}
	if f.attempt == nil || f.attempt.RefundID != id {
		return nil, nil
	}
	return []db.RefundAttempt{*f.attempt}, nil
}

func (f *fakeStore) AttemptByID(_ context.Context, id string) (*db.RefundAttempt, error) {
	if err := f.call("AttemptByID"); err != nil {
		return nil, err
	}
	if f.attempt == nil || f.attempt.ID != id {
		return nil, db.ErrNotFound
	}
	a := *f.attempt
	return &a, nil
}

func (f *fakeStore) ResolveAttempt(_ context.Context, id string, ev db.Evidence) (bool, error) {
	f.evidence = append(f.evidence, ev)
	if err := f.call("ResolveAttempt"); err != nil {
		return false, err
	}
	if f.moved {
		f.attempt.State, f.attempt.Resolution, f.attempt.ResolutionNote, f.attempt.ResolvedBy = ev.State, ev.State, ev.Note, ev.By
		f.refund.Status = "succeeded" // what the resolution did, for the re-read
	}
	return f.moved, nil
}

func (f *fakeStore) ReturnByID(_ context.Context, id string) (*db.Return, error) {
	if err := f.call("ReturnByID"); err != nil {
		return nil, err
	}
	if f.ret == nil || f.ret.ID != id {
		return nil, db.ErrNotFound
	}
	r := *f.ret
	return &r, nil
}

func (f *fakeStore) WorkItems(_ context.Context, fl db.WorkItemFilter) (*db.WorkItemPage, error) {
	f.workAsked = append(f.workAsked, fl)
	if err := f.call("WorkItems"); err != nil {
		return nil, err
	}
	return f.workPage, nil
}

func (f *fakeStore) WorkItemByID(_ context.Context, id string) (*db.WorkItem, error) {
	if err := f.call("WorkItemByID"); err != nil {
		return nil, err
	}
	if f.item == nil || f.item.ID != id {
		return nil, db.ErrNotFound
	}
	w := *f.item
	return &w, nil
}

func (f *fakeStore) ResolveWorkItem(_ context.Context, id, resolution, note, by string) (bool, error) {
	if err := f.call("ResolveWorkItem"); err != nil {
		return false, err
	}
	if f.resolved {
		f.item.Status, f.item.Resolution, f.item.Note, f.item.ResolvedBy = "resolved", resolution, note, by
	}
	return f.resolved, nil
}

func (f *fakeStore) ResolveWorkItemsOf(_ context.Context, attemptID, kind, resolution, note, by string) (int64, error) {
	f.itemsOf = append(f.itemsOf, strings.Join([]string{attemptID, kind, resolution, note, by}, "|"))
	if err := f.call("ResolveWorkItemsOf"); err != nil {
		return 0, err
	}
	return 1, nil
}

func (f *fakeStore) SettlementFileByID(_ context.Context, id string) (*db.SettlementFile, error) {
	if err := f.call("SettlementFileByID"); err != nil {
		return nil, err
	}
	if f.file == nil || f.file.ID != id {
		return nil, db.ErrNotFound
	}
	return f.file, nil
}

func (f *fakeStore) SettlementFiles(_ context.Context, fl db.SettlementFileFilter) (*db.Paged[db.SettlementFile], error) {
	f.fileAsked = append(f.fileAsked, fl)
	if err := f.call("SettlementFiles"); err != nil {
		return nil, err
	}
	if f.filePage == nil {
		return &db.Paged[db.SettlementFile]{}, nil
	}
	return f.filePage, nil
}

func (f *fakeStore) SettlementItems(_ context.Context, fileID string, results []string, after int64, limit int) ([]db.SettlementItem, error) {
	f.itemArgs = []any{fileID, results, after, limit}
	if err := f.call("SettlementItems"); err != nil {
		return nil, err
	}
	return f.items[:min(limit, len(f.items))], nil
}

func (f *fakeStore) FirstFindings(_ context.Context, _ string, limit int) ([]db.SettlementFinding, int64, error) {
	if err := f.call("FirstFindings"); err != nil {
		return nil, 0, err
	}
	return f.findings[:min(limit, len(f.findings))], f.missing, nil
}

func (f *fakeStore) SettlementErrors(_ context.Context, _ string, limit int) ([]db.SettlementError, error) {
	if err := f.call("SettlementErrors"); err != nil {
		return nil, err
	}
	return f.lineErrs[:min(limit, len(f.lineErrs))], nil
}

// fakeImporter reads the file it is given and answers res (or err); a
// body of "bad" is refused as not a settlement file.
type fakeImporter struct {
	res  *settlement.Result
	err  error
	got  []string // merchant, source, filename, by, body
	read bool
}

func (im *fakeImporter) Import(_ context.Context, m *db.Merchant, source, filename, by string, r io.Reader) (*settlement.Result, error) {
	b, _ := io.ReadAll(r)
	im.read = true
	im.got = []string{m.ID, source, filename, by, string(b)}
	if string(b) == "bad" {
		lines := make([]db.SettlementError, 25)
		for i := range lines {
			lines[i] = db.SettlementError{Line: int64(i + 1), Message: "not a row"}
		}
		return nil, &settlement.RefusedError{Lines: lines}
	}
	return im.res, im.err
}

// fakeWorkflow records the reconciliations started and the resolutions
// sent.
type fakeWorkflow struct {
	err         error
	started     []string
	resolutions []contract.RefundResolutionRequest
	to          []string
}

func (w *fakeWorkflow) StartReconcile(_ context.Context, fileID string) error {
	w.started = append(w.started, fileID)
	return w.err
}

func (w *fakeWorkflow) RefundResolution(_ context.Context, returnID string, req contract.RefundResolutionRequest) error {
	w.to = append(w.to, returnID)
	w.resolutions = append(w.resolutions, req)
	return w.err
}

// world is a Service over fakes, with the fakes at hand.
type world struct {
	store    *fakeStore
	importer *fakeImporter
	workflow *fakeWorkflow
	svc      *Service
}

func newWorld() *world {
	w := &world{store: newFakeStore(), importer: &fakeImporter{}, workflow: &fakeWorkflow{}}
	w.svc = New(Deps{Store: w.store, Importer: w.importer, Workflow: w.workflow, Now: func() time.Time { return t0 }})
	return w
}
