package finance

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/rebound-returns/rebound/returns"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/rebound-returns/rebound/app/apperr"
	"github.com/rebound-returns/rebound/db"
)

// refusal is what a refusal should be: its kind, code, sentence (when not
// empty) and the fields at fault, "name: reason", in order.
type refusal struct {
	kind   error
	code   string
	detail string
	fields []string
}

func (want refusal) check(t *testing.T, err error) {
	t.Helper()
	e := apperr.As(err)
	if e == nil || !errors.Is(err, want.kind) {
		t.Fatalf("got %v, want a %v refusal", err, want.kind)
	}
	var fields []string
	for _, f := range e.Fields {
		fields = append(fields, f.Name+": "+f.Reason)
	}
	if e.Code != want.code || (want.detail != "" && e.Detail != want.detail) || !reflect.DeepEqual(fields, want.fields) {
		t.Fatalf("got %q %q %q, want %q %q %q", e.Code, e.Detail, fields, want.code, want.detail, want.fields)
	}
}

func invalid(fields ...string) refusal { return refusal{kind: apperr.ErrInvalid, fields: fields} }

func notFound(detail string) refusal { return refusal{kind: apperr.ErrNotFound, detail: detail} }

func newest() RefundQuery { return RefundQuery{Sort: SortNewest, Page: Page[RefundCursor]{Limit: 50}} }

// Every way a refund list's query is refused: the scope first, alone; then
// every other field at once, sorted by name, the page's with them.
func TestRefundFilterRefusals(t *testing.T) {
	cases := []struct {
		name   string
		caller Caller
		q      func(q *RefundQuery)
		want   refusal
	}{
		{"staff choose no merchant", finStaff, func(q *RefundQuery) { q.Merchant, q.Status = "shop", "bogus" },
			invalid("merchant: only operators choose a merchant")},
		{"no such merchant", operator, func(q *RefundQuery) { q.Merchant = "nope" }, invalid("merchant: no such merchant")},
		{"status", finStaff, func(q *RefundQuery) { q.Status = "pending,lost" }, invalid("status: must be pending, succeeded or failed")},
		{"channel", finStaff, func(q *RefundQuery) { q.Channel = "fax" }, invalid("channel: must be card_present or online")},
		{"sort", finStaff, func(q *RefundQuery) { q.Sort = "" }, invalid("sort: must be newest, oldest, amount_desc or amount_asc")},
		{"from", finStaff, func(q *RefundQuery) { q.From = "26/11/2026" }, invalid("from: must be a date such as 2026-11-26")},
		{"to", finStaff, func(q *RefundQuery) { q.To = "2026-13-01" }, invalid("to: must be a date such as 2026-11-26")},
		{"min_amount", finStaff, func(q *RefundQuery) { q.MinAmount = "-1" }, invalid("min_amount: must be a whole number of minor units")},
		{"max_amount", finStaff, func(q *RefundQuery) { q.MaxAmount = "1.50" }, invalid("max_amount: must be a whole number of minor units")},
		{"page", finStaff, func(q *RefundQuery) { q.Page.Bad = []apperr.Field{{Name: "limit", Reason: "must be from 1 to 200"}} },
			invalid("limit: must be from 1 to 200")},
		{"all at once, sorted", finStaff, func(q *RefundQuery) {
			q.To, q.Status, q.Channel, q.MaxAmount, q.From = "x", "x,y", "x", "x", "x"
			q.Page.Bad = []apperr.Field{{Name: "limit", Reason: "l"}, {Name: "cursor", Reason: "c"}}
		}, invalid("channel: must be card_present or online", "cursor: c", "from: must be a date such as 2026-11-26", "limit: l",
			"max_amount: must be a whole number of minor units", "status: must be pending, succeeded or failed",
			"status: must be pending, succeeded or failed", "to: must be a date such as 2026-11-26")},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld()
			q := newest()
			tc.q(&q)
			_, err := w.svc.RefundFilter(context.Background(), tc.caller, q)
			tc.want.check(t, err)
		})
	}
}

func TestRefundFilterScopeFailureIsTheStores(t *testing.T) {
	w := newWorld()
	w.store.fail["MerchantBySlug"] = true
	q := newest()
	q.Merchant = "shop"
	if _, err := w.svc.RefundFilter(context.Background(), operator, q); !errors.Is(err, errStore) {
		t.Fatalf("got %v", err)
	}
}

// A checked query is the store's filter: the caller's merchant (an
// operator's choice, or every merchant), the statuses, to inclusive, the
// amounts and the page.
func TestRefundFilterBuildsTheStoresFilter(t *testing.T) {
	w := newWorld()
	q := RefundQuery{Status: "pending,,failed", Channel: "online", Sort: SortAmountDesc, From: "2026-11-01", To: "2026-11-30",
		MinAmount: "0", MaxAmount: "5000", Page: Page[RefundCursor]{Limit: 10, After: &RefundCursor{CreatedAt: t0, Amount: 7, ID: otherID}}}
	f, err := w.svc.RefundFilter(context.Background(), finStaff, q)
	if err != nil {
		t.Fatal(err)
	}
	lo, hi := int64(0), int64(5000)
	want := db.RefundFilter{MerchantID: "m1", Statuses: []returns.RefundStatus{"pending", "failed"}, Channel: "online", Sort: db.SortAmountDesc,
		From: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC), To: time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC), MinAmount: &lo, MaxAmount: &hi,
		After: &db.RefundCursor{CreatedAt: t0, Amount: 7, ID: otherID}, Limit: 10}
	if !reflect.DeepEqual(f.f, want) {
		t.Fatalf("filter %+v\nwant %+v", f.f, want)
	}
	if len(w.store.calls) != 0 {
		t.Fatalf("a staff member's scope needs no store: %v", w.store.calls)
	}
	for caller, want := range map[string]string{"": "", "other": "m2"} {
		q := newest()
		q.Merchant = caller
		f, err := w.svc.RefundFilter(context.Background(), operator, q)
		if err != nil || f.f.MerchantID != want || f.f.To != (time.Time{}) || f.f.MinAmount != nil || f.f.Statuses != nil {
			t.Fatalf("operator choosing %q: %+v %v", caller, f.f, err)
		}
	}
}

func rows(n int) []db.RefundRow {
	out := make([]db.RefundRow, n)
	for i := range out {
		fin := t0.Add(time.Hour)
		out[i] = db.RefundRow{Refund: db.Refund{ID: fmt.Sprintf("r%04d", i), ReturnID: "ret", Channel: "online", Amount: int64(100 + i),
			ShippingAmount: 5, Currency: "EUR", Status: "succeeded", FailureCode: "f", AuthorisedBy: "sup",
			CreatedAt: t0.Add(-time.Duration(i) * time.Minute), FinishedAt: &fin}, OrderNumber: "S-1", MerchantSlug: "shop", Attempts: 2}
	}
	return out
}

func filter(t *testing.T, w *world, limit int) RefundFilter {
	t.Helper()
	q := newest()
	q.Page.Limit = limit
	f, err := w.svc.RefundFilter(context.Background(), finStaff, q)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// A page reads one row more than it shows, to know whether another
// follows; the next page starts after the last row shown.
func TestRefundsArePaged(t *testing.T) {
	w := newWorld()
	w.store.rows = rows(5)
	page, err := w.svc.Refunds(context.Background(), filter(t, w, 2))
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Items) != 2 || page.Total != 5 || page.Next == nil || *page.Next != (RefundCursor{CreatedAt: w.store.rows[1].CreatedAt, Amount: 101, ID: "r0001"}) {
		t.Fatalf("page %+v next %+v", page, page.Next)
	}
	if w.store.filters[0].Limit != 3 || !reflect.DeepEqual(w.store.calls, []string{"CountRefunds", "ListRefunds"}) {
		t.Fatalf("asked %+v, calls %v", w.store.filters, w.store.calls)
	}
	fin := t0.Add(time.Hour)
	want := Refund{ID: "r0000", ReturnID: "ret", Merchant: "shop", OrderNumber: "S-1", Channel: "online", Amount: 100, Shipping: 5,
		Currency: "EUR", Status: "succeeded", FailureCode: "f", AuthorisedBy: "sup", Attempts: 2, CreatedAt: t0, FinishedAt: &fin}
	if !reflect.DeepEqual(page.Items[0], want) {
		t.Fatalf("item %+v", page.Items[0])
	}
	last, err := w.svc.Refunds(context.Background(), filter(t, w, 5))
	if err != nil || last.Next != nil || len(last.Items) != 5 {
		t.Fatalf("the last page %+v %v", last, err)
	}
	w.store.rows = nil
	empty, err := w.svc.Refunds(context.Background(), filter(t, w, 5))
	if err != nil || empty.Items == nil || len(empty.Items) != 0 || empty.Next != nil {
		t.Fatalf("an empty page %+v %v", empty, err)
	}
}

func TestRefundsStoreFailures(t *testing.T) {
	for _, call := range []string{"CountRefunds", "ListRefunds"} {
		w := newWorld()
		w.store.fail[call] = true
		if _, err := w.svc.Refunds(context.Background(), filter(t, w, 2)); !errors.Is(err, errStore) {
			t.Fatalf("%s: %v", call, err)
		}
	}
}

// An export reads every refund, a thousand at a time from the query's
// cursor, whatever the page's limit; it stops at the first error.
func TestExportRefunds(t *testing.T) {
	w := newWorld()
	w.store.rows = rows(2500)
	var got []Refund
	var batches []int
	err := w.svc.ExportRefunds(context.Background(), filter(t, w, 3), func(b []Refund) error {
		got = append(got, b...)
		batches = append(batches, len(b))
		return nil
	})
	if err != nil || len(got) != 2500 || !reflect.DeepEqual(batches, []int{1000, 1000, 500}) || got[2499].ID != "r2499" {
		t.Fatalf("exported %d in %v: %v", len(got), batches, err)
	}
	if f := w.store.filters; len(f) != 3 || f[0].After != nil || f[1].After.ID != "r0999" || f[2].Limit != 1000 {
		t.Fatalf("asked %+v", f)
	}

	w.store.rows = rows(1000) // a full last batch: one more read says it was the last
	batches = nil
	if err := w.svc.ExportRefunds(context.Background(), filter(t, w, 3), func(b []Refund) error { batches = append(batches, len(b)); return nil }); err != nil ||
		!reflect.DeepEqual(batches, []int{1000, 0}) {
		t.Fatalf("batches %v %v", batches, err)
	}

	stop := errors.New("client gone")
	calls := 0
	if err := w.svc.ExportRefunds(context.Background(), filter(t, w, 3), func([]Refund) error { calls++; return stop }); err != stop || calls != 1 {
		t.Fatalf("a failed write: %v after %d", err, calls)
	}
	w.store.fail["ListRefunds"] = true
	if err := w.svc.ExportRefunds(context.Background(), filter(t, w, 3), func([]Refund) error { t.Fatal("written"); return nil }); !errors.Is(err, errStore) {
		t.Fatalf("a failed read: %v", err)
	}
}

// The export starts after the query's cursor.
func TestExportRefundsFromTheCursor(t *testing.T) {
	w := newWorld()
	w.store.rows = rows(5)
	q := newest()
	q.Page.After = &RefundCursor{ID: "r0002"}
	f, err := w.svc.RefundFilter(context.Background(), finStaff, q)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	_ = w.svc.ExportRefunds(context.Background(), f, func(b []Refund) error {
		for _, r := range b {
			ids = append(ids, r.ID)
		}
		return nil
	})
	if strings.Join(ids, ",") != "r0003,r0004" {
		t.Fatalf("exported %v", ids)
	}
}

func TestSummaryRefusals(t *testing.T) {
	cases := []struct {
		name   string
		caller Caller
		q      SummaryQuery
		want   refusal
	}{
		{"staff choose no merchant", finStaff, SummaryQuery{Merchant: "shop", From: "x"}, invalid("merchant: only operators choose a merchant")},
		{"no such merchant", operator, SummaryQuery{Merchant: "nope"}, invalid("merchant: no such merchant")},
		{"from", finStaff, SummaryQuery{From: "yesterday"}, invalid("from: must be a date such as 2026-11-26")},
		{"from and to, in that order", finStaff, SummaryQuery{From: "a", To: "b"},
			invalid("from: must be a date such as 2026-11-26", "to: must be a date such as 2026-11-26")},
		{"366 days at most", finStaff, SummaryQuery{From: "2025-01-01", To: "2026-01-02"}, invalid("to: must be at most 366 days after from")},
		{"to before from", finStaff, SummaryQuery{From: "2026-01-02", To: "2026-01-01"}, invalid("to: must not be before from")},
		{"from too old for today", finStaff, SummaryQuery{From: "2020-01-01"},
			invalid("from: must be at most 366 days before to (today when to is not given)")},
		{"from after today", finStaff, SummaryQuery{From: "2999-01-01"}, invalid("from: must not be after today when to is not given")},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld()
			_, err := w.svc.Summary(context.Background(), tc.caller, tc.q)
			tc.want.check(t, err)
			if len(w.store.calls) > 1 || len(w.store.calls) == 1 && w.store.calls[0] != "MerchantBySlug" {
				t.Fatalf("calls %v", w.store.calls)
			}
		})
	}
}

// The totals add up by status and currency, in the order the rows first
// show them; to is inclusive.
func TestSummaryTotals(t *testing.T) {
	w := newWorld()
	w.store.summary = []db.SummaryRow{
		{Day: "2026-11-01", Status: "succeeded", Channel: "online", Currency: "EUR", Count: 2, Amount: 300},
		{Day: "2026-11-01", Status: "failed", Channel: "online", Currency: "EUR", Count: 1, Amount: 50},
		{Day: "2026-11-02", Status: "succeeded", Channel: "card_present", Currency: "EUR", Count: 3, Amount: 700},
		{Day: "2026-11-02", Status: "succeeded", Channel: "online", Currency: "GBP", Count: 1, Amount: 10},
	}
	sum, err := w.svc.Summary(context.Background(), finStaff, SummaryQuery{From: "2026-11-01", To: "2026-11-02"})
	if err != nil {
		t.Fatal(err)
	}
	want := []Total{{"succeeded", "EUR", 5, 1000}, {"failed", "EUR", 1, 50}, {"succeeded", "GBP", 1, 10}}
	if !reflect.DeepEqual(sum.Totals, want) || len(sum.Rows) != 4 || sum.Rows[2] != SummaryRow(w.store.summary[2]) {
		t.Fatalf("summary %+v", sum)
	}
	wantArgs := []any{"m1", time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 11, 3, 0, 0, 0, 0, time.UTC)}
	if !reflect.DeepEqual(w.store.sumArgs, wantArgs) {
		t.Fatalf("asked %v", w.store.sumArgs)
	}

	w.store.summary = nil
	sum, err = w.svc.Summary(context.Background(), operator, SummaryQuery{})
	if err != nil || sum.Rows == nil || sum.Totals == nil || len(sum.Rows)+len(sum.Totals) != 0 {
		t.Fatalf("an empty summary is empty lists: %+v %v", sum, err)
	}
	// No days given: the 366 up to today, today included.
	today := t0.UTC().Truncate(24 * time.Hour)
	if !reflect.DeepEqual(w.store.sumArgs, []any{"", today.AddDate(0, 0, -365), today.AddDate(0, 0, 1)}) {
		t.Fatalf("an operator's open summary asked %v", w.store.sumArgs)
	}
	// From alone runs to today; to alone goes back 366 days.
	if _, err := w.svc.Summary(context.Background(), finStaff, SummaryQuery{From: today.AddDate(0, 0, -10).Format(time.DateOnly)}); err != nil ||
		!reflect.DeepEqual(w.store.sumArgs, []any{"m1", today.AddDate(0, 0, -10), today.AddDate(0, 0, 1)}) {
		t.Fatalf("from alone asked %v: %v", w.store.sumArgs, err)
	}
	if _, err := w.svc.Summary(context.Background(), finStaff, SummaryQuery{To: "2026-01-31"}); err != nil ||
		!reflect.DeepEqual(w.store.sumArgs, []any{"m1", time.Date(2025, 1, 31, 0, 0, 0, 0, time.UTC), time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC)}) {
		t.Fatalf("to alone asked %v: %v", w.store.sumArgs, err)
	}
	w.store.fail["RefundSummary"] = true
	if _, err := w.svc.Summary(context.Background(), finStaff, SummaryQuery{}); !errors.Is(err, errStore) {
		t.Fatalf("got %v", err)
	}
}

func TestRefundDetailRefusals(t *testing.T) {
	cases := []struct {
		name   string
		caller Caller
		id     string
		fail   string
		want   error
	}{
		{"not an id", finStaff, strings.ToUpper(refundID), "", apperr.ErrNotFound},
		{"no such refund", finStaff, otherID, "", apperr.ErrNotFound},
		{"another merchant's", stranger, refundID, "", apperr.ErrNotFound},
		{"the store fails", finStaff, refundID, "RefundByID", errStore},
		{"the attempts cannot be read", finStaff, refundID, "AttemptsOfRefund", errStore},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld()
			w.store.fail[tc.fail] = true
			_, err := w.svc.Refund(context.Background(), tc.caller, tc.id)
			if !errors.Is(err, tc.want) {
				t.Fatalf("got %v", err)
			}
			if tc.want == apperr.ErrNotFound {
				notFound("no such refund").check(t, err)
			}
		})
	}
}

// A refund shows with every attempt; an attempt's empty answer fields show
// as nothing. Operators see every merchant's.
func TestRefundDetail(t *testing.T) {
	w := newWorld()
	settled := fileID
	w.store.attempt.SettledFileID = &settled
	for _, c := range []Caller{finStaff, operator} {
		d, err := w.svc.Refund(context.Background(), c, refundID)
		if err != nil {
			t.Fatal(err)
		}
		if d.ID != refundID || d.ReturnID != returnID || d.Amount != 4000 || d.Status != "failed" || len(d.Attempts) != 1 {
			t.Fatalf("detail %+v", d)
		}
		a := d.Attempts[0]
		if a.ID != attemptID || a.N != 2 || !a.Settled || string(a.AnswerFields) != `{"de44":"x"}` {
			t.Fatalf("attempt %+v", a)
		}
	}
	if !reflect.DeepEqual(w.store.calls[:2], []string{"RefundByID", "AttemptsOfRefund"}) {
		t.Fatalf("calls %v", w.store.calls)
	}
	for _, empty := range []string{"", "null", " {} ", "{}"} {
		if got := answerFields(db.JSON(empty)); got != nil {
			t.Errorf("%q shows as %s", empty, got)
		}
	}
	b, _ := json.Marshal(struct {
		A json.RawMessage `json:"a,omitempty"`
	}{answerFields(db.JSON(`{ "x": 1 }`))})
	if string(b) != `{"a":{"x":1}}` {
		t.Fatalf("answer fields render as %s", b)
	}
}
