package finance

import (
	"context"
	"github.com/rebound-returns/rebound/returns"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/rebound-returns/rebound/app/apperr"
	"github.com/rebound-returns/rebound/db"
)

// The orders a refund list takes; SortNewest when the query names none.
const (
	SortNewest     = string(db.SortNewest)
	SortOldest     = string(db.SortOldest)
	SortAmountAsc  = string(db.SortAmountAsc)
	SortAmountDesc = string(db.SortAmountDesc)
)

// exportBatch is how many refunds an export reads at a time.
const exportBatch = 1000

// RefundQuery is a refund list's query as sent: the filter's values as
// text (they are checked together, every field at fault named at once) and
// the page the API read.
type RefundQuery struct {
	// Merchant is an operator's choice of merchant (a slug).
	Merchant string
	// Status is a comma-separated list of pending, succeeded, failed.
	Status  string
	Channel string
	Sort    string
	// From and To are days (2026-11-26), To inclusive.
	From, To string
	// MinAmount and MaxAmount are whole numbers of minor units.
	MinAmount, MaxAmount string
	Page                 Page[RefundCursor]
}

// Page is the page a list's query asks for, as the API read it.
type Page[C any] struct {
	Limit int
	// After is where the page before ended (nil: the first page).
	After *C
	// Bad are the page's fields the API refused (limit, cursor): they are
	// refused with the query's own, in the order the checks run.
	Bad []apperr.Field
}

// RefundCursor is where a page of refunds ended.
type RefundCursor struct {
	CreatedAt time.Time
	Amount    int64
	ID        string
}

// RefundFilter is a checked refund query, ready to list or export.
type RefundFilter struct{ f db.RefundFilter }

// Refund is a refund as finance lists it.
type Refund struct {
	ID           string
	ReturnID     string
	Merchant     string // its slug
	OrderNumber  string
	Channel      returns.Channel
	Amount       int64
	Shipping     int64
	Currency     string
	Status       returns.RefundStatus
	FailureCode  string
	AuthorisedBy string
	Attempts     int
	CreatedAt    time.Time
	FinishedAt   *time.Time
}

// RefundPage is a page of refunds: Next is where the next page starts (nil
// on the last), Total how many the filter selects, counted up to
// db.CountCap+1 (more than db.CountCap: the count stopped there).
type RefundPage struct {
	Items []Refund
	Next  *RefundCursor
	Total int64
}

// RefundFilter checks a refund list's query: the caller's scope first,
// then every other field at once (sorted by name).
func (s *Service) RefundFilter(ctx context.Context, c Caller, q RefundQuery) (RefundFilter, error) {
	merchantID, err := s.scope(ctx, c, q.Merchant)
	if err != nil {
		return RefundFilter{}, err
	}
	f := db.RefundFilter{MerchantID: merchantID, Channel: returns.Channel(q.Channel), Sort: db.RefundSort(q.Sort), Limit: q.Page.Limit}
	var bad []apperr.Field
	for _, st := range strings.Split(q.Status, ",") {
		switch st := returns.RefundStatus(st); st {
		case "":
		case returns.RefundStatusPending, returns.RefundStatusSucceeded, returns.RefundStatusFailed:
			f.Statuses = append(f.Statuses, st)
		default:
			bad = append(bad, apperr.Field{Name: "status", Reason: "must be pending, succeeded or failed"})
		}
	}
	if f.Channel != "" && f.Channel != returns.ChannelCardPresent && f.Channel != returns.ChannelOnline {
		bad = append(bad, apperr.Field{Name: "channel", Reason: "must be card_present or online"})
	}
	switch f.Sort {
	case db.SortNewest, db.SortOldest, db.SortAmountAsc, db.SortAmountDesc:
	default:
		bad = append(bad, apperr.Field{Name: "sort", Reason: "must be newest, oldest, amount_desc or amount_asc"})
	}
	var fe *apperr.Field
	if f.From, fe = apperr.Day("from", q.From); fe != nil {
		bad = append(bad, *fe)
	}
	if f.To, fe = apperr.Day("to", q.To); fe != nil {
		bad = append(bad, *fe)
	}
	if !f.To.IsZero() {
		f.To = f.To.Add(24 * time.Hour) // to is inclusive
	}
	if f.MinAmount, fe = amount("min_amount", q.MinAmount); fe != nil {
		bad = append(bad, *fe)
	}
	if f.MaxAmount, fe = amount("max_amount", q.MaxAmount); fe != nil {
		bad = append(bad, *fe)
	}
	bad = append(bad, q.Page.Bad...)
	if q.Page.After != nil {
		f.After = (*db.RefundCursor)(q.Page.After)
	}
	if len(bad) > 0 {
		sort.SliceStable(bad, func(i, j int) bool { return bad[i].Name < bad[j].Name })
		return RefundFilter{}, apperr.InvalidFields(bad...)
	}
	return RefundFilter{f}, nil
}

// amount reads a whole number of minor units (nil when empty).
func amount(field, v string) (*int64, *apperr.Field) {
	if v == "" {
		return nil, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 0 {
		return nil, &apperr.Field{Name: field, Reason: "must be a whole number of minor units"}
	}
	return &n, nil
}

// Refunds is a page of the refunds f selects and how many there are.
func (s *Service) Refunds(ctx context.Context, rf RefundFilter) (RefundPage, error) {
	f := rf.f
	total, err := s.d.Store.CountRefunds(ctx, f)
	if err != nil {
		return RefundPage{}, err
	}
	limit := f.Limit
	f.Limit++ // one more tells whether a next page exists
	rows, err := s.d.Store.ListRefunds(ctx, f)
	if err != nil {
		return RefundPage{}, err
	}
	page := RefundPage{Total: total}
	if len(rows) > limit {
		rows = rows[:limit]
		last := rows[len(rows)-1]
		page.Next = &RefundCursor{CreatedAt: last.CreatedAt, Amount: last.Amount, ID: last.ID}
	}
	page.Items = make([]Refund, 0, len(rows))
	for _, r := range rows {
		page.Items = append(page.Items, refundOf(r))
	}
	return page, nil
}

// ExportRefunds hands write every refund f selects (from its cursor on),
// however many, a batch at a time. It stops at the first error, write's or
// the store's, and returns it.
func (s *Service) ExportRefunds(ctx context.Context, rf RefundFilter, write func([]Refund) error) error {
	f := rf.f
	f.Limit = exportBatch
	for {
		rows, err := s.d.Store.ListRefunds(ctx, f)
		if err != nil {
			return err
		}
		batch := make([]Refund, 0, len(rows))
		for _, r := range rows {
			batch = append(batch, refundOf(r))
		}
		if err := write(batch); err != nil {
			return err
		}
		if len(rows) < f.Limit {
			return nil
		}
		last := rows[len(rows)-1]
		f.After = &db.RefundCursor{CreatedAt: last.CreatedAt, Amount: last.Amount, ID: last.ID}
	}
}

func refundOf(r db.RefundRow) Refund {
	return Refund{ID: r.ID, ReturnID: r.ReturnID, Merchant: r.MerchantSlug, OrderNumber: r.OrderNumber, Channel: r.Channel,
		Amount: r.Amount, Shipping: r.ShippingAmount, Currency: r.Currency, Status: r.Status, FailureCode: r.FailureCode,
		AuthorisedBy: r.AuthorisedBy, Attempts: r.Attempts, CreatedAt: r.CreatedAt, FinishedAt: r.FinishedAt}
}
