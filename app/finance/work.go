package finance

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/rebound-returns/rebound/app/apperr"
	"github.com/rebound-returns/rebound/contract"
	"github.com/rebound-returns/rebound/db"
	"github.com/rebound-returns/rebound/ids"
	"github.com/rebound-returns/rebound/returns"
)

// The work items a list shows: the open ones (OpenItems, when the query
// names none) or every one.
const (
	OpenItems = "open"
	AllItems  = "all"
)

// EvidenceStates are the resolutions of an attempt in doubt (its outcome
// unknown, its reversal unacknowledged or escalated): what the acquirer
// holds.
var EvidenceStates = []string{string(db.AttemptConfirmedReversed), string(db.AttemptConfirmedApproved), string(db.AttemptConfirmedNotReceived)}

// Resolutions are what finance gives a work item; an item about an attempt
// in doubt also takes the attempt's evidence (EvidenceStates), which
// settles it.
var Resolutions = []string{"acquirer_corrected", "refunded_again", "written_off", "not_ours", "other"}

// WorkItem is something reconciliation (or a refund) left for finance.
type WorkItem struct {
	ID         string
	Kind       string
	Status     string
	Summary    string
	ReturnID   *string
	RefundID   *string
	AttemptID  *string
	FileID     *string
	Line       *int64
	Resolution string
	Note       string
	ResolvedBy string
	CreatedAt  time.Time
	ResolvedAt *time.Time
}

func workItemOf(w db.WorkItem) WorkItem {
	return WorkItem{ID: w.ID, Kind: w.Kind, Status: w.Status, Summary: w.Summary, ReturnID: w.ReturnID, RefundID: w.RefundID,
		AttemptID: w.AttemptID, FileID: w.FileID, Line: w.ItemLine, Resolution: w.Resolution, Note: w.Note, ResolvedBy: w.ResolvedBy,
		CreatedAt: w.CreatedAt, ResolvedAt: w.ResolvedAt}
}

func workItemsOf(ws []db.WorkItem) []WorkItem {
	out := make([]WorkItem, 0, len(ws))
	for _, w := range ws {
		out = append(out, workItemOf(w))
	}
	return out
}

// WorkItemCursor is where a page of work items ended.
type WorkItemCursor struct {
	CreatedAt time.Time
	ID        string
}

// WorkItemQuery is a work-item list's query as sent.
type WorkItemQuery struct {
	// Merchant is an operator's choice of merchant (a slug); operators
	// must name one.
	Merchant string
	// Status is OpenItems or AllItems.
	Status string
	// File keeps the items one settlement file opened (its id).
	File string
	Page Page[WorkItemCursor]
}

// WorkItemPage is a page of work items: Next is where the next page starts
// (nil on the last), Total how many the query selects, counted up to
// db.CountCap+1.
type WorkItemPage struct {
	Items []WorkItem
	Next  *WorkItemCursor
	Total int64
}

// WorkItems is a page of a merchant's work items, newest first.
func (s *Service) WorkItems(ctx context.Context, c Caller, q WorkItemQuery) (WorkItemPage, error) {
	merchantID, err := s.scope(ctx, c, q.Merchant)
	if err != nil {
		return WorkItemPage{}, err
	}
	if merchantID == "" {
		return WorkItemPage{}, apperr.Invalid("merchant", "operators name the merchant")
	}
	if q.Status != OpenItems && q.Status != AllItems {
		return WorkItemPage{}, apperr.Invalid("status", "must be open or all")
	}
	if q.File != "" && !ids.Valid(q.File) {
		return WorkItemPage{}, apperr.Invalid("file", "must be a settlement file id")
	}
	if len(q.Page.Bad) > 0 {
		return WorkItemPage{}, apperr.InvalidFields(q.Page.Bad...)
	}
	f := db.WorkItemFilter{MerchantID: merchantID, OnlyOpen: q.Status == OpenItems, FileID: q.File, Limit: q.Page.Limit,
		After: (*db.WorkItemCursor)(q.Page.After)}
	page, err := s.d.Store.WorkItems(ctx, f)
	if err != nil {
		return WorkItemPage{}, err
	}
	out := WorkItemPage{Items: workItemsOf(page.Items), Total: page.Total}
	if n := len(page.Items); n > 0 && page.More {
		out.Next = &WorkItemCursor{CreatedAt: page.Items[n-1].CreatedAt, ID: page.Items[n-1].ID}
	}
	return out, nil
}

// Resolution is finance's word on a work item or an attempt in doubt: one
// of Resolutions or EvidenceStates, and a note (for an attempt, the
// evidence).
type Resolution struct {
	Resolution string
	Note       string
}

// ResolveWorkItem resolves a work item the caller may see. Evidence about
// an attempt in doubt settles the attempt first (and so its work items);
// any other resolution of an item resolved already is refused.
func (s *Service) ResolveWorkItem(ctx context.Context, c Caller, id string, r Resolution) (WorkItem, error) {
	evidence := slices.Contains(EvidenceStates, r.Resolution)
	if !slices.Contains(Resolutions, r.Resolution) && !evidence {
		return WorkItem{}, apperr.Invalid("resolution", "must be one of "+strings.Join(slices.Concat(Resolutions, EvidenceStates), ", "))
	}
	if strings.TrimSpace(r.Note) == "" || len(r.Note) > 500 {
		return WorkItem{}, apperr.Invalid("note", "is required (at most 500 characters)")
	}
	notFound := apperr.NotFound("", "no such work item")
	if !ids.Valid(id) {
		return WorkItem{}, notFound
	}
	w, err := s.d.Store.WorkItemByID(ctx, id)
	if errors.Is(err, db.ErrNotFound) || (err == nil && !c.sees(w.MerchantID)) {
		return WorkItem{}, notFound
	}
	if err != nil {
		return WorkItem{}, err
	}
	if evidence {
		if w.AttemptID == nil {
			return WorkItem{}, apperr.Invalid("resolution", "is for work items about a refund attempt")
		}
		att, err := s.d.Store.AttemptByID(ctx, *w.AttemptID)
		if err != nil {
			return WorkItem{}, err
		}
		ref, err := s.d.Store.RefundByID(ctx, att.RefundID)
		if err != nil {
			return WorkItem{}, err
		}
		if err := s.settle(ctx, c, att, ref, r); err != nil {
			return WorkItem{}, err
		}
	}
	ok, err := s.d.Store.ResolveWorkItem(ctx, id, r.Resolution, r.Note, c.Staff.Name)
	if err != nil {
		return WorkItem{}, err
	}
	if !ok && !evidence {
		return WorkItem{}, apperr.Conflict("resolved", "the work item is resolved already")
	}
	if w, err = s.d.Store.WorkItemByID(ctx, id); err != nil {
		return WorkItem{}, err
	}
	return workItemOf(*w), nil
}

// ResolveAttempt ends an attempt in doubt the caller may see with the
// evidence of what the acquirer holds, and shows its refund.
func (s *Service) ResolveAttempt(ctx context.Context, c Caller, id string, r Resolution) (RefundDetail, error) {
	if !slices.Contains(EvidenceStates, r.Resolution) {
		return RefundDetail{}, apperr.Invalid("resolution", "must be one of "+strings.Join(EvidenceStates, ", "))
	}
	if strings.TrimSpace(r.Note) == "" || len(r.Note) > 500 {
		return RefundDetail{}, apperr.Invalid("note", "is required (at most 500 characters): the evidence")
	}
	notFound := apperr.NotFound("", "no such attempt")
	if !ids.Valid(id) {
		return RefundDetail{}, notFound
	}
	att, err := s.d.Store.AttemptByID(ctx, id)
	if errors.Is(err, db.ErrNotFound) {
		return RefundDetail{}, notFound
	}
	if err != nil {
		return RefundDetail{}, err
	}
	ref, err := s.d.Store.RefundByID(ctx, att.RefundID)
	if err != nil {
		return RefundDetail{}, err
	}
	if !c.sees(ref.MerchantID) {
		return RefundDetail{}, notFound
	}
	if err := s.settle(ctx, c, att, ref, r); err != nil {
		return RefundDetail{}, err
	}
	// The refund as the resolution left it.
	if ref, err = s.d.Store.RefundByID(ctx, ref.ID); err != nil {
		return RefundDetail{}, err
	}
	return s.detail(ctx, ref)
}

// settle ends an attempt in doubt with finance's evidence, closes its work
// items, and when it paid a refund whose return waits on finance
// (refund_failed) records it as the refund: nothing is sent again, the
// return goes on to settlement.
func (s *Service) settle(ctx context.Context, c Caller, att *db.RefundAttempt, ref *db.Refund, r Resolution) error {
	moved, err := s.d.Store.ResolveAttempt(ctx, att.ID, db.Evidence{State: returns.AttemptState(r.Resolution), By: c.Staff.Name, Note: r.Note, At: s.now()})
	if err != nil {
		return err
	}
	if !moved {
		return apperr.State(fmt.Sprintf("attempt %d is %s: it is not in doubt", att.N, att.State))
	}
	if _, err := s.d.Store.ResolveWorkItemsOf(ctx, att.ID, "", r.Resolution, r.Note, c.Staff.Name); err != nil {
		return err
	}
	if r.Resolution != string(db.AttemptConfirmedApproved) {
		return nil
	}
	ret, err := s.d.Store.ReturnByID(ctx, ref.ReturnID)
	if err != nil || ret.Status != string(returns.RefundFailed) {
		return err // still refunding: the refund's workflow reads the attempt
	}
	return s.d.Workflow.RefundResolution(ctx, ret.ID, contract.RefundResolutionRequest{Action: contract.ResolveRetry,
		Note: fmt.Sprintf("attempt %d confirmed approved: %s", att.N, r.Note), Actor: c.Staff})
}
