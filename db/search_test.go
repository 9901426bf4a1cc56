package db_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/rebound-returns/rebound/db"
	"github.com/rebound-returns/rebound/db/dbtest"
)

// searchRig files returns for the search tests.
type searchRig struct {
	t *testing.T
	d *db.DB
	n int
}

// file creates an order and a return on it, in status, and answers the
// return's id.
func (s *searchRig) file(merchantID string, o db.Order, status string) string {
	s.t.Helper()
	return s.fileAs("", merchantID, o, status)
}

// fileAs is file with the return's id chosen ("" for a new one).
func (s *searchRig) fileAs(id, merchantID string, o db.Order, status string) string {
	s.t.Helper()
	ctx := context.Background()
	s.n++
	o.MerchantID, o.Currency, o.PlacedAt, o.RequestHash = merchantID, "EUR", time.Now(), "h"
	o.Lines = []db.OrderLine{{LineID: "1", Name: "x", Quantity: 1, UnitPrice: 100}}
	must(s.t, s.d.Orders.CreateOrder(ctx, &o))
	r := &db.Return{ID: id, MerchantID: merchantID, OrderID: o.ID, Status: status, Method: "ship",
		Contact: fmt.Sprintf("contact%d@example.org", s.n), ContactKind: "email", Currency: "EUR",
		Lines: []db.ReturnLine{{LineID: "1", Quantity: 1, Reason: "too_small"}}}
	must(s.t, s.d.Returns.CreateReturn(ctx, r))
	return r.ID
}

// find lists the merchant's returns the query finds, newest first.
func (s *searchRig) find(merchantID, q string) []string {
	s.t.Helper()
	rs, err := s.d.Returns.ListedReturns(context.Background(), db.ReturnFilter{MerchantID: merchantID, Query: q, Limit: 100})
	if err != nil {
		s.t.Fatalf("search %q: %v", q, err)
	}
	var ids []string
	for _, r := range rs {
		ids = append(ids, r.ID)
	}
	return ids
}

func TestSearchFindsReturnsByEachFieldAsAPrefixInAnyCase(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		s := &searchRig{t: t, d: d}
		m, other := seedMerchant(t, d, "demo"), seedMerchant(t, d, "other")
		pat := s.file(m.ID, db.Order{OrderNumber: "A-1001", CustomerName: "Pat van Dijk", CustomerEmail: "pat.dijk@example.com",
			CustomerPhone: "+46701234567"}, "awaiting_review")
		ann := s.file(m.ID, db.Order{OrderNumber: "B-2002", CustomerName: "Ännchen Müller", CustomerEmail: "ann@example.net"}, "refunded")
		sale := s.file(m.ID, db.Order{OrderNumber: "50%OFF-7"}, "rejected")
		five := s.file(m.ID, db.Order{OrderNumber: "500-1"}, "in_transit")
		under := s.file(m.ID, db.Order{OrderNumber: "5_0"}, "cancelled")
		fifty := s.file(m.ID, db.Order{OrderNumber: "510"}, "received")
		// Another merchant's return with the same number, name and e-mail.
		theirs := s.file(other.ID, db.Order{OrderNumber: "A-1001", CustomerName: "Pat van Dijk", CustomerEmail: "pat.dijk@example.com",
			CustomerPhone: "+46701234567"}, "awaiting_review")
		// An id no other return's starts like (ids are time-ordered).
		fixed := s.fileAs("fedcba98-7654-7321-8000-000000000001", m.ID, db.Order{OrderNumber: "ID-1"}, "refunded")
		track := "1Z999AA10123456784"
		if _, _, err := d.Returns.ApplyTransition(ctx, db.Transition{ReturnID: ann, Seq: 1, Status: "in_transit", Actor: "system",
			At: time.Now(), TrackingNumber: &track}, nil); err != nil {
			t.Fatal(err)
		}

		cases := []struct {
			q    string
			want []string
		}{
			{"A-1001", []string{pat}},
			{"a-10", []string{pat}},
			{"pat", []string{pat}},              // name and e-mail
			{"PAT VAN", []string{pat}},          // the name from its first word
			{"  dijk ", []string{pat}},          // from a later word, spaces trimmed
			{"van   DIJK", []string{pat}},       // white space collapsed
			{"pat.dijk@EXAMPLE", []string{pat}}, // e-mail
			{"ann@example.net", []string{ann}},
			{"ännchen", []string{ann}}, // beyond ASCII
			{"MÜLL", []string{ann}},
			{"contact1@", []string{pat}}, // the shopper's contact when filing
			{"+46 70-123", []string{pat}},
			{"(4670) 1234567", []string{pat}},
			{"467012", []string{pat}},
			{"1z999aa", []string{ann}}, // tracking number, set after filing
			{"1Z999AA10123456784", []string{ann}},
			{"50%", []string{sale}}, // % matches itself
			{"50", []string{five, sale}},
			{"500", []string{five}},
			{"5_", []string{under}}, // _ matches itself
			{"5", []string{fifty, under, five, sale}},
			{"%", nil},
			{"_", nil},
			{"dijk pat", nil}, // words in their order only
			{"ijk", nil},      // a prefix, not a substring
			{"A-1001x", nil},
			{fixed, []string{fixed}}, // a return id in full
			{"fedcba98", []string{fixed}},
			{"FEDCBA98-76", []string{fixed}},
			{"fedcba9", nil},      // too short a prefix of an id
			{"fedcba987654", nil}, // an id in its canonical form only
			{pat, []string{pat}},
			{theirs, nil}, // another merchant's id
		}
		for _, c := range cases {
			got := s.find(m.ID, c.q)
			if !slices.Equal(got, c.want) {
				t.Errorf("search %q = %v; want %v", c.q, got, c.want)
			}
		}
		if got := s.find(other.ID, "a-1001"); !slices.Equal(got, []string{theirs}) {
			t.Errorf("the other merchant's search = %v; want only its own %s", got, theirs)
		}
		// The search is across statuses, and narrows any other filter.
		got, err := d.Returns.ListedReturns(ctx, db.ReturnFilter{MerchantID: m.ID, Query: "5", Statuses: []string{"in_transit", "rejected"}, Limit: 10})
		if err != nil || len(got) != 2 || got[0].ID != five || got[1].ID != sale {
			t.Errorf("search with statuses = %+v, %v; want %s, %s", got, err, five, sale)
		}
		if got[0].OrderNumber != "500-1" {
			t.Errorf("listed order number %q; want 500-1", got[0].OrderNumber)
		}
	})
}

func TestSearchPagesAndCounts(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		s := &searchRig{t: t, d: d}
		m := seedMerchant(t, d, "demo")
		var lees []string
		for i := range 5 {
			lees = append(lees, s.file(m.ID, db.Order{OrderNumber: fmt.Sprintf("L-%d", i), CustomerName: "Kim Lee"}, "refunded"))
			s.file(m.ID, db.Order{OrderNumber: fmt.Sprintf("X-%d", i), CustomerName: "Sam Park"}, "refunded")
		}
		slices.Reverse(lees) // newest first
		f := db.ReturnFilter{MerchantID: m.ID, Query: "lee", Limit: 2}
		n, err := d.Returns.CountReturns(ctx, f)
		if err != nil || n != 5 {
			t.Fatalf("count = %d, %v; want 5", n, err)
		}
		var seen []string
		for page := 0; page < 4; page++ {
			rs, err := d.Returns.ListedReturns(ctx, f)
			if err != nil {
				t.Fatal(err)
			}
			if len(rs) == 0 {
				break
			}
			for _, r := range rs {
				seen = append(seen, r.ID)
			}
			f.Before = rs[len(rs)-1].ID
		}
		if !slices.Equal(seen, lees) {
			t.Errorf("pages = %v; want %v", seen, lees)
		}
	})
}

// Returns filed before the search existed get their terms from the
// migration that made it.
func TestSearchMigrationIndexesEarlierReturns(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	for _, e := range dbtest.Engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			d := dbtest.Open(t, e)
			s := &searchRig{t: t, d: d}
			m := seedMerchant(t, d, "demo")
			id := s.file(m.ID, db.Order{OrderNumber: "Q-77", CustomerName: "Lou  De Vries", CustomerEmail: "lou@example.com",
				CustomerPhone: "+31612345678"}, "refunded")
			mig, err := db.NewMigrator(d, nil)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := mig.DownTo(ctx, 20); err != nil {
				t.Fatal(err)
			}
			if _, err := mig.Up(ctx); err != nil {
				t.Fatal(err)
			}
			for _, q := range []string{"q-7", "LOU", "de v", "vries", "lou@", "3161", "+31 6", "contact1@example", id[:8]} {
				if got := s.find(m.ID, q); !slices.Equal(got, []string{id}) {
					t.Errorf("after the migration, search %q = %v; want %s", q, got, id)
				}
			}
		})
	}
}

// A return whose workflow never started is deleted with its terms.
func TestSearchTermsGoWithAnUnstartedReturn(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		s := &searchRig{t: t, d: d}
		m := seedMerchant(t, d, "demo")
		id := s.file(m.ID, db.Order{OrderNumber: "D-1", CustomerName: "Dee"}, "pending_verification")
		must(t, d.Returns.DeleteUnstartedReturn(context.Background(), id))
		var n int64
		must(t, d.Raw(context.Background(), "SELECT count(*) FROM return_search_terms", &n))
		if n != 0 {
			t.Errorf("%d terms left behind", n)
		}
		if got := s.find(m.ID, "dee"); len(got) != 0 {
			t.Errorf("search found %v", got)
		}
	})
}
