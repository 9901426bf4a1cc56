package finance

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/rebound-returns/rebound/app/apperr"
	"github.com/rebound-returns/rebound/contract"
	"github.com/rebound-returns/rebound/db"
)

func openItems() WorkItemQuery {
	return WorkItemQuery{Status: OpenItems, Page: Page[WorkItemCursor]{Limit: 50}}
}

// Every way a work-item list is refused, in the order of the checks: the
// scope, the merchant an operator must name, the status, the file, then
// the page's fields as the API found them.
func TestWorkItemsRefusals(t *testing.T) {
	cases := []struct {
		name   string
		caller Caller
		q      func(q *WorkItemQuery)
		want   refusal
	}{
		{"staff choose no merchant", finStaff, func(q *WorkItemQuery) { q.Merchant, q.Status = "shop", "x" },
			invalid("merchant: only operators choose a merchant")},
		{"operators name the merchant", operator, func(q *WorkItemQuery) { q.Status = "x" }, invalid("merchant: operators name the merchant")},
		{"no such merchant", operator, func(q *WorkItemQuery) { q.Merchant = "nope" }, invalid("merchant: no such merchant")},
		{"status", finStaff, func(q *WorkItemQuery) { q.Status, q.File = "closed", "x" }, invalid("status: must be open or all")},
		{"empty status", finStaff, func(q *WorkItemQuery) { q.Status = "" }, invalid("status: must be open or all")},
		{"file", finStaff, func(q *WorkItemQuery) {
			q.File = strings.ToUpper(fileID)
			q.Page.Bad = []apperr.Field{{Name: "limit", Reason: "l"}}
		}, invalid("file: must be a settlement file id")},
		{"page, as found", finStaff, func(q *WorkItemQuery) {
			q.Page.Bad = []apperr.Field{{Name: "limit", Reason: "l"}, {Name: "cursor", Reason: "c"}}
		}, invalid("limit: l", "cursor: c")},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld()
			q := openItems()
			tc.q(&q)
			_, err := w.svc.WorkItems(context.Background(), tc.caller, q)
			tc.want.check(t, err)
			for _, c := range w.store.calls {
				if c != "MerchantBySlug" {
					t.Fatalf("refused after %v", w.store.calls)
				}
			}
		})
	}
}

// A page of work items: the filter the query makes, the items, and where
// the next page starts when there is one.
func TestWorkItemsArePaged(t *testing.T) {
	w := newWorld()
	w.store.workPage = &db.WorkItemPage{Items: []db.WorkItem{*w.store.item, {ID: otherID, MerchantID: "m1", CreatedAt: t0}}, More: true, Total: 9}
	after := &WorkItemCursor{CreatedAt: t0, ID: itemID}
	page, err := w.svc.WorkItems(context.Background(), operator, WorkItemQuery{Merchant: "shop", Status: AllItems, File: fileID,
		Page: Page[WorkItemCursor]{Limit: 2, After: after}})
	if err != nil {
		t.Fatal(err)
	}
	want := db.WorkItemFilter{MerchantID: "m1", OnlyOpen: false, FileID: fileID, Limit: 2, After: &db.WorkItemCursor{CreatedAt: t0, ID: itemID}}
	if !reflect.DeepEqual(w.store.workAsked, []db.WorkItemFilter{want}) {
		t.Fatalf("asked %+v", w.store.workAsked)
	}
	if len(page.Items) != 2 || page.Total != 9 || page.Next == nil || *page.Next != (WorkItemCursor{CreatedAt: t0, ID: otherID}) {
		t.Fatalf("page %+v", page)
	}
	it := page.Items[0]
	if it.ID != itemID || it.Kind != "attempt_unknown" || *it.AttemptID != attemptID || *it.FileID != fileID || *it.Line != 7 {
		t.Fatalf("item %+v", it)
	}

	w.store.workPage = &db.WorkItemPage{Items: []db.WorkItem{*w.store.item}, Total: 1}
	page, err = w.svc.WorkItems(context.Background(), finStaff, openItems())
	if err != nil || page.Next != nil || len(page.Items) != 1 || !w.store.workAsked[1].OnlyOpen || w.store.workAsked[1].After != nil {
		t.Fatalf("the last page %+v %v (asked %+v)", page, err, w.store.workAsked[1])
	}
	w.store.workPage = &db.WorkItemPage{More: true}
	if page, _ = w.svc.WorkItems(context.Background(), finStaff, openItems()); page.Items == nil || page.Next != nil {
		t.Fatalf("an empty page %+v", page)
	}
	w.store.fail["WorkItems"] = true
	if _, err := w.svc.WorkItems(context.Background(), finStaff, openItems()); !errors.Is(err, errStore) {
		t.Fatalf("got %v", err)
	}
}

// Every way a work item's resolution is refused.
func TestResolveWorkItemRefusals(t *testing.T) {
	cases := []struct {
		name   string
		setup  func(w *world)
		caller Caller
		id     string
		r      Resolution
		want   refusal
		calls  string // the store's calls, comma-separated
	}{
		{name: "unknown resolution", r: Resolution{"shrug", "x"}, want: invalid("resolution: must be one of acquirer_corrected, refunded_again, " +
			"written_off, not_ours, other, confirmed_reversed, confirmed_approved, confirmed_not_received")},
		{name: "no note", r: Resolution{"other", "  "}, want: invalid("note: is required (at most 500 characters)")},
		{name: "a long note", r: Resolution{"other", strings.Repeat("n", 501)}, want: invalid("note: is required (at most 500 characters)")},
		{name: "not an id", id: "item", r: Resolution{"other", "x"}, want: notFound("no such work item")},
		{name: "no such item", id: otherID, r: Resolution{"other", "x"}, want: notFound("no such work item"), calls: "WorkItemByID"},
		{name: "another merchant's", caller: stranger, r: Resolution{"other", "x"}, want: notFound("no such work item"), calls: "WorkItemByID"},
		{name: "evidence about no attempt", setup: func(w *world) { w.store.item.AttemptID = nil }, r: Resolution{"confirmed_reversed", "x"},
			want: invalid("resolution: is for work items about a refund attempt"), calls: "WorkItemByID"},
		{name: "the attempt is not in doubt", setup: func(w *world) { w.store.moved = false; w.store.attempt.State = "approved" },
			r:    Resolution{"confirmed_approved", "x"},
			want: refusal{kind: apperr.ErrState, detail: "attempt 2 is approved: it is not in doubt"}, calls: "WorkItemByID,AttemptByID,RefundByID,ResolveAttempt"},
		{name: "resolved already", setup: func(w *world) { w.store.resolved = false }, r: Resolution{"written_off", "x"},
			want: refusal{kind: apperr.ErrConflict, code: "resolved", detail: "the work item is resolved already"}, calls: "WorkItemByID,ResolveWorkItem"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld()
			if tc.setup != nil {
				tc.setup(w)
			}
			if tc.caller.Staff.Role == "" {
				tc.caller = finStaff
			}
			if tc.id == "" {
				tc.id = itemID
			}
			_, err := w.svc.ResolveWorkItem(context.Background(), tc.caller, tc.id, tc.r)
			tc.want.check(t, err)
			if got := strings.Join(w.store.calls, ","); got != tc.calls {
				t.Fatalf("calls %s, want %s", got, tc.calls)
			}
			if len(w.workflow.resolutions) != 0 {
				t.Fatalf("sent %+v", w.workflow.resolutions)
			}
		})
	}
}

// Each store failure on the way is returned as it is.
func TestResolveWorkItemStoreFailures(t *testing.T) {
	for _, call := range []string{"WorkItemByID", "AttemptByID", "RefundByID", "ResolveAttempt", "ResolveWorkItemsOf", "ReturnByID", "ResolveWorkItem"} {
		w := newWorld()
		w.store.fail[call] = true
		if _, err := w.svc.ResolveWorkItem(context.Background(), finStaff, itemID, Resolution{"confirmed_approved", "x"}); !errors.Is(err, errStore) {
			t.Fatalf("%s: %v", call, err)
		}
	}
}

// A plain resolution resolves the item; evidence settles its attempt first
// (closing the attempt's items), and an item it closed is no conflict.
func TestResolveWorkItem(t *testing.T) {
	w := newWorld()
	op := operator
	got, err := w.svc.ResolveWorkItem(context.Background(), op, itemID, Resolution{"not_ours", "another merchant's terminal"})
	if err != nil {
		t.Fatal(err)
	}
	if got.ID != itemID || got.Status != "resolved" || got.Resolution != "not_ours" || got.ResolvedBy != "op" || got.Note != "another merchant's terminal" {
		t.Fatalf("item %+v", got)
	}
	if strings.Join(w.store.calls, ",") != "WorkItemByID,ResolveWorkItem,WorkItemByID" {
		t.Fatalf("calls %v", w.store.calls)
	}

	w = newWorld()
	w.store.ret.Status = "refunding"
	w.store.resolved = false // settling the attempt closed the item already
	if _, err := w.svc.ResolveWorkItem(context.Background(), finStaff, itemID, Resolution{"confirmed_approved", "the acquirer's statement"}); err != nil {
		t.Fatal(err)
	}
	want := "WorkItemByID,AttemptByID,RefundByID,ResolveAttempt,ResolveWorkItemsOf,ReturnByID,ResolveWorkItem,WorkItemByID"
	if got := strings.Join(w.store.calls, ","); got != want {
		t.Fatalf("calls %s", got)
	}
	if ev := w.store.evidence; len(ev) != 1 || ev[0] != (db.Evidence{State: "confirmed_approved", By: "fin", Note: "the acquirer's statement", At: t0}) {
		t.Fatalf("evidence %+v", ev)
	}
	if w.store.itemsOf[0] != attemptID+"||confirmed_approved|the acquirer's statement|fin" || len(w.workflow.resolutions) != 0 {
		t.Fatalf("items of %v, sent %v", w.store.itemsOf, w.workflow.resolutions)
	}
}

// Every way an attempt's resolution is refused.
func TestResolveAttemptRefusals(t *testing.T) {
	cases := []struct {
		name   string
		setup  func(w *world)
		caller Caller
		id     string
		r      Resolution
		want   refusal
		calls  string
	}{
		{name: "not evidence", r: Resolution{"written_off", "x"},
			want: invalid("resolution: must be one of confirmed_reversed, confirmed_approved, confirmed_not_received")},
		{name: "no note", r: Resolution{"confirmed_reversed", ""}, want: invalid("note: is required (at most 500 characters): the evidence")},
		{name: "a long note", r: Resolution{"confirmed_reversed", strings.Repeat("é", 251)},
			want: invalid("note: is required (at most 500 characters): the evidence")},
		{name: "not an id", id: "a", r: Resolution{"confirmed_reversed", "x"}, want: notFound("no such attempt")},
		{name: "no such attempt", id: otherID, r: Resolution{"confirmed_reversed", "x"}, want: notFound("no such attempt"), calls: "AttemptByID"},
		{name: "another merchant's", caller: stranger, r: Resolution{"confirmed_reversed", "x"}, want: notFound("no such attempt"),
			calls: "AttemptByID,RefundByID"},
		{name: "not in doubt", setup: func(w *world) { w.store.moved = false; w.store.attempt.State = "declined" },
			r: Resolution{"confirmed_not_received", "x"}, want: refusal{kind: apperr.ErrState, detail: "attempt 2 is declined: it is not in doubt"},
			calls: "AttemptByID,RefundByID,ResolveAttempt"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld()
			if tc.setup != nil {
				tc.setup(w)
			}
			if tc.caller.Staff.Role == "" {
				tc.caller = finStaff
			}
			if tc.id == "" {
				tc.id = attemptID
			}
			_, err := w.svc.ResolveAttempt(context.Background(), tc.caller, tc.id, tc.r)
			tc.want.check(t, err)
			if got := strings.Join(w.store.calls, ","); got != tc.calls {
				t.Fatalf("calls %s, want %s", got, tc.calls)
			}
		})
	}
}

func TestResolveAttemptStoreFailures(t *testing.T) {
	for _, call := range []string{"AttemptByID", "RefundByID", "ResolveAttempt", "ResolveWorkItemsOf", "ReturnByID", "AttemptsOfRefund"} {
		w := newWorld()
		w.store.fail[call] = true
		if _, err := w.svc.ResolveAttempt(context.Background(), finStaff, attemptID, Resolution{"confirmed_approved", "x"}); !errors.Is(err, errStore) {
			t.Fatalf("%s: %v", call, err)
		}
	}
}

// Evidence settles the attempt and closes its work items; a confirmed
// approval of the refund of a return waiting on finance (refund_failed) is
// sent to the return's workflow as the refund, and nothing else is. The
// answer is the refund as the resolution left it.
func TestResolveAttempt(t *testing.T) {
	cases := []struct {
		resolution, status string
		sent               bool
	}{
		{"confirmed_approved", "refund_failed", true},
		{"confirmed_approved", "refunding", false},
		{"confirmed_reversed", "refund_failed", false},
		{"confirmed_not_received", "refund_failed", false},
	}
	for _, tc := range cases {
		t.Run(tc.resolution+" "+tc.status, func(t *testing.T) {
			w := newWorld()
			w.store.ret.Status = tc.status
			d, err := w.svc.ResolveAttempt(context.Background(), operator, attemptID, Resolution{tc.resolution, "statement 12"})
			if err != nil {
				t.Fatal(err)
			}
			if d.Status != "succeeded" || string(d.Attempts[0].Resolution) != tc.resolution || d.Attempts[0].ResolvedBy != "op" {
				t.Fatalf("detail %+v", d)
			}
			want := "AttemptByID,RefundByID,ResolveAttempt,ResolveWorkItemsOf,RefundByID,AttemptsOfRefund"
			if tc.resolution == "confirmed_approved" {
				want = "AttemptByID,RefundByID,ResolveAttempt,ResolveWorkItemsOf,ReturnByID,RefundByID,AttemptsOfRefund"
			}
			if got := strings.Join(w.store.calls, ","); got != want {
				t.Fatalf("calls %s", got)
			}
			if !tc.sent {
				if len(w.workflow.resolutions) != 0 {
					t.Fatalf("sent %+v", w.workflow.resolutions)
				}
				return
			}
			sent := contract.RefundResolutionRequest{Action: contract.ResolveRetry, Note: "attempt 2 confirmed approved: statement 12", Actor: operator.Staff}
			if !reflect.DeepEqual(w.workflow.resolutions, []contract.RefundResolutionRequest{sent}) || w.workflow.to[0] != returnID {
				t.Fatalf("sent %+v to %v", w.workflow.resolutions, w.workflow.to)
			}
		})
	}
}

// The workflow's refusal of the resolution is the answer, as it is.
func TestResolveAttemptWorkflowRefusal(t *testing.T) {
	w := newWorld()
	refused := errors.New("the return has ended")
	w.workflow.err = refused
	if _, err := w.svc.ResolveAttempt(context.Background(), finStaff, attemptID, Resolution{"confirmed_approved", "x"}); err != refused {
		t.Fatalf("got %v", err)
	}
}
