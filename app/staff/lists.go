package staff

import (
	"context"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/rebound-returns/rebound/app/apperr"
	"github.com/rebound-returns/rebound/db"
	"github.com/rebound-returns/rebound/returns"
)

// Filter selects the merchant's returns for the task list.
type Filter struct {
	MerchantID string
	Statuses   []string
	Queue      string // one of db.Queues(), or all
	Attention  bool   // only returns flagged for attention
	// Query is the search box's (db.ReturnFilter.Query), trimmed; empty
	// searches nothing.
	Query string
	// Before is the cursor: only returns older than this one.
	Before string
}

// NewFilter reads the task list's filter as the console sends it: status
// (comma separated), queue, attention ("true", "false" or empty) and the
// search box's query (valid UTF-8, at most db.SearchMaxLen characters;
// blank searches nothing). It is checked before the page is, so it refuses
// first.
func NewFilter(merchantID, status, queue, attention, query string) (Filter, error) {
	f := Filter{MerchantID: merchantID}
	if status != "" {
		for _, x := range strings.Split(status, ",") {
			if !returns.Status(x).Valid() {
				return Filter{}, apperr.Invalid("status", x+" is not a status")
			}
			f.Statuses = append(f.Statuses, x)
		}
	}
	if queue != "" {
		if !oneOf(queue, db.Queues()...) {
			return Filter{}, apperr.Invalid("queue", "must be one of "+strings.Join(db.Queues(), ", "))
		}
		f.Queue = queue
	}
	switch attention {
	case "", "false":
	case "true":
		f.Attention = true
	default:
		return Filter{}, apperr.Invalid("attention", "must be true or false")
	}
	switch {
	case !utf8.ValidString(query) || strings.IndexByte(query, 0) >= 0:
		return Filter{}, apperr.Invalid("q", "must be valid UTF-8 without NUL")
	case utf8.RuneCountInString(query) > db.SearchMaxLen:
		return Filter{}, apperr.Invalid("q", fmt.Sprintf("must be at most %d characters", db.SearchMaxLen))
	}
	f.Query = strings.TrimSpace(query)
	return f, nil
}

func oneOf(v string, options ...string) bool {
	for _, o := range options {
		if v == o {
			return true
		}
	}
	return false
}

// Summary is one return of the task list.
type Summary struct {
	ID, OrderNumber, Status             string
	Method                              returns.Method
	Channel                             returns.Channel
	Attention, TrackingNumber, Currency string
	RefundAmount                        *int64
	CreatedAt, UpdatedAt                time.Time
}

// Page is one page of the task list, newest first: More says whether older
// returns follow, Total counts the filter's returns (up to db.CountCap+1).
type Page struct {
	Items []Summary
	More  bool
	Total int64
}

// List reads up to limit of the filter's returns, newest first, with their
// order numbers (one statement for the page, one for the count).
func (s *Service) List(ctx context.Context, f Filter, limit int) (Page, error) {
	df := db.ReturnFilter{MerchantID: f.MerchantID, Statuses: f.Statuses, Attention: f.Attention, Queue: f.Queue, Query: f.Query, Before: f.Before}
	total, err := s.d.Store.CountReturns(ctx, df)
	if err != nil {
		return Page{}, err
	}
	df.Limit = limit + 1 // one more tells whether a next page exists
	rs, err := s.d.Store.ListedReturns(ctx, df)
	if err != nil {
		return Page{}, err
	}
	more := len(rs) > limit
	if more {
		rs = rs[:limit]
	}
	items := make([]Summary, 0, len(rs))
	for _, r := range rs {
		items = append(items, Summary(r))
	}
	return Page{Items: items, More: more, Total: total}, nil
}

// QueueCounts counts the merchant's returns in each of the console's task
// lists.
func (s *Service) QueueCounts(ctx context.Context, merchantID string) (map[string]int64, error) {
	return s.d.Store.QueueCounts(ctx, merchantID)
}
