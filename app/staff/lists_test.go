package staff

import (
	"context"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/rebound-returns/rebound/app/apperr"
	"github.com/rebound-returns/rebound/db"
)

func TestNewFilter(t *testing.T) {
	for _, tc := range []struct {
		status, queue, attention, q string
		want                        Filter
		field                       string // refused naming it
	}{
		{"", "", "", "", Filter{MerchantID: merchantID}, ""},
		{"awaiting_review,received", db.QueueInspect, "true", "",
			Filter{MerchantID: merchantID, Statuses: []string{"awaiting_review", "received"}, Queue: db.QueueInspect, Attention: true}, ""},
		{"", "", "false", "", Filter{MerchantID: merchantID}, ""},
		{"received,lost", "", "", "", Filter{}, "status: lost is not a status"},
		{"", "later", "", "", Filter{}, "queue: must be one of " + strings.Join(db.Queues(), ", ")},
		{"", "", "yes", "", Filter{}, "attention: must be true or false"},
		{"", "", "", "  Pat van Dijk ", Filter{MerchantID: merchantID, Query: "Pat van Dijk"}, ""},
		{"", "", "", "   ", Filter{MerchantID: merchantID}, ""},
		{"", "", "", strings.Repeat("é", db.SearchMaxLen), Filter{MerchantID: merchantID, Query: strings.Repeat("é", db.SearchMaxLen)}, ""},
		{"", "", "", strings.Repeat("é", db.SearchMaxLen+1), Filter{}, "q: must be at most 100 characters"},
		{"", "", "", "pat\xff", Filter{}, "q: must be valid UTF-8 without NUL"},
		{"", "", "", "pat\x00", Filter{}, "q: must be valid UTF-8 without NUL"},
		// The first bad parameter is the one named.
		{"lost", "later", "yes", "", Filter{}, "status: lost is not a status"},
	} {
		f, err := NewFilter(merchantID, tc.status, tc.queue, tc.attention, tc.q)
		if tc.field != "" {
			refusal(t, err, apperr.ErrInvalid, tc.field)
			continue
		}
		if err != nil || !reflect.DeepEqual(f, tc.want) {
			t.Errorf("%+v: %+v %v", tc, f, err)
		}
	}
}

// List counts the filter's returns, reads one more than the page to tell
// whether more follow, with each return's order number.
func TestList(t *testing.T) {
	s, st, _ := newService()
	at := time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC)
	amount := int64(1990)
	st.returns = map[string]*db.Return{}
	for i, id := range []string{"a1", "a2", "a3"} {
		st.returns[id] = &db.Return{ID: id, MerchantID: merchantID, OrderID: "o" + id, Status: "requested", Method: "mail",
			Channel: "online", Currency: "EUR", RefundAmount: &amount, CreatedAt: at.Add(time.Duration(i) * time.Hour), UpdatedAt: at}
	}
	st.returns["b1"] = &db.Return{ID: "b1", MerchantID: "m2"}
	st.numbers = map[string]string{"oa3": "S-3", "oa2": "S-2"}
	f := Filter{MerchantID: merchantID, Statuses: []string{"requested"}, Queue: db.QueueReview, Attention: true, Before: "a9"}
	page, err := s.List(context.Background(), f, 2)
	if err != nil {
		t.Fatal(err)
	}
	if !page.More || page.Total != 3 || len(page.Items) != 2 {
		t.Fatalf("%+v", page)
	}
	want := Summary{ID: "a3", OrderNumber: "S-3", Status: "requested", Method: "mail", Channel: "online", Currency: "EUR",
		RefundAmount: &amount, CreatedAt: at.Add(2 * time.Hour), UpdatedAt: at}
	if !reflect.DeepEqual(page.Items[0], want) || page.Items[1].ID != "a2" || page.Items[1].OrderNumber != "S-2" {
		t.Fatalf("%+v", page.Items)
	}
	// The page and its order numbers are one read (issue 15).
	if strings.Join(st.calls, ",") != "CountReturns,ListedReturns" {
		t.Fatalf("calls %v", st.calls)
	}
	counted := db.ReturnFilter{MerchantID: merchantID, Statuses: []string{"requested"}, Queue: db.QueueReview, Attention: true, Before: "a9"}
	listed := counted
	listed.Limit = 3
	if !reflect.DeepEqual(st.filters, []db.ReturnFilter{counted, listed}) {
		t.Fatalf("filters %+v", st.filters)
	}
	// The last page says no more follow.
	page, err = s.List(context.Background(), Filter{MerchantID: merchantID}, 3)
	if err != nil || page.More || len(page.Items) != 3 {
		t.Fatalf("%+v %v", page, err)
	}
}

func TestListPassesOnTheStoresFailure(t *testing.T) {
	s, st, _ := newService()
	st.err = errStore
	if _, err := s.List(context.Background(), Filter{MerchantID: merchantID}, 10); err != errStore || len(st.calls) != 1 {
		t.Fatalf("%v after %v", err, st.calls)
	}
}

func TestQueueCounts(t *testing.T) {
	s, st, _ := newService()
	counts, err := s.QueueCounts(context.Background(), merchantID)
	if err != nil || counts[db.QueueReview] != 2 || strings.Join(st.calls, ",") != "QueueCounts "+merchantID {
		t.Fatalf("%v %v %v", counts, err, st.calls)
	}
}
