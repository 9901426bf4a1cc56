package audit_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/rebound-returns/rebound/app/apperr"
	"github.com/rebound-returns/rebound/app/audit"
	"github.com/rebound-returns/rebound/db"
	"github.com/rebound-returns/rebound/returns"
)

type fakeReader struct {
	asked []db.AuditFilter
	rows  int64 // the log holds ids rows..1
}

func (f *fakeReader) AuditEntries(_ context.Context, fl db.AuditFilter) (*db.Paged[db.AuditEntry], error) {
	f.asked = append(f.asked, fl)
	top := f.rows
	if fl.After > 0 {
		top = fl.After - 1
	}
	p := &db.Paged[db.AuditEntry]{Total: min(f.rows, db.CountCap+1)}
	for id := top; id > 0 && len(p.Items) <= fl.Limit; id-- {
		p.Items = append(p.Items, db.AuditEntry{ID: id, Action: "refund.approve", Actor: "ann", At: time.Unix(id, 0), Detail: db.JSON(`{"n":1}`)})
	}
	if len(p.Items) > fl.Limit {
		p.Items, p.More = p.Items[:fl.Limit], true
	}
	return p, nil
}

func (f *fakeReader) MerchantBySlug(_ context.Context, slug string) (*db.Merchant, error) {
	if slug == "shop" {
		return &db.Merchant{ID: "m-shop", Slug: slug}, nil
	}
	return nil, db.ErrNotFound
}

var (
	admin    = audit.Caller{MerchantID: "m1", Role: returns.RoleAdmin}
	operator = audit.Caller{Role: returns.RoleOperator}
)

// An admin sees their merchant's log only; an operator every merchant's,
// or the one they name; anyone else is refused.
func TestAuditViewerScopesTheLog(t *testing.T) {
	ctx := context.Background()
	cases := []struct {
		name     string
		c        audit.Caller
		merchant string
		want     string
		kind     error
	}{
		{"admin", admin, "", "m1", nil},
		{"admin naming a merchant", admin, "shop", "", apperr.ErrInvalid},
		{"operator, every merchant", operator, "", "", nil},
		{"operator naming one", operator, "shop", "m-shop", nil},
		{"operator naming none that exists", operator, "nope", "", apperr.ErrInvalid},
		{"supervisor", audit.Caller{MerchantID: "m1", Role: returns.RoleSupervisor}, "", "", apperr.ErrForbidden},
		{"finance", audit.Caller{MerchantID: "m1", Role: returns.RoleFinance}, "", "", apperr.ErrForbidden},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := &fakeReader{rows: 3}
			_, err := audit.NewViewer(r).Entries(ctx, c.c, audit.Query{Merchant: c.merchant, Limit: 10})
			if c.kind != nil {
				if !errors.Is(err, c.kind) || len(r.asked) != 0 {
					t.Fatalf("err %v (asked %v), want %v", err, r.asked, c.kind)
				}
				return
			}
			if err != nil || len(r.asked) != 1 || r.asked[0].MerchantID != c.want {
				t.Fatalf("err %v asked %+v, want merchant %q", err, r.asked, c.want)
			}
		})
	}
}

// Bad filters are refused naming the field; good ones reach the store with
// the day range made a half-open time range.
func TestAuditViewerChecksTheFilter(t *testing.T) {
	ctx := context.Background()
	bad := []struct {
		name, field string
		q           audit.Query
	}{
		{"malformed from", "from", audit.Query{From: "26-11-2026"}},
		{"malformed to", "to", audit.Query{To: "yesterday"}},
		{"reversed", "to", audit.Query{From: "2026-11-20", To: "2026-11-19"}},
		{"over 366 days", "to", audit.Query{From: "2025-01-01", To: "2026-01-03"}},
		{"a page field the edge refused", "limit", audit.Query{Bad: []apperr.Field{{Name: "limit", Reason: "x"}}}},
	}
	for _, c := range bad {
		t.Run(c.name, func(t *testing.T) {
			c.q.Limit = 10
			_, err := audit.NewViewer(&fakeReader{}).Entries(ctx, admin, c.q)
			var ae *apperr.Error
			if !errors.As(err, &ae) || ae.Kind != apperr.ErrInvalid || len(ae.Fields) != 1 || ae.Fields[0].Name != c.field {
				t.Fatalf("err %v, want %s refused", err, c.field)
			}
		})
	}
	r := &fakeReader{rows: 5}
	p, err := audit.NewViewer(r).Entries(ctx, admin, audit.Query{Actor: "ann", Action: "refund.", ResourceType: "return", ResourceID: "r1",
		From: "2026-11-20", To: "2026-11-21", Limit: 2})
	if err != nil {
		t.Fatal(err)
	}
	f := r.asked[0]
	if f.Actor != "ann" || f.Action != "refund." || f.ResourceType != "return" || f.ResourceID != "r1" ||
		!f.From.Equal(time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC)) || !f.To.Equal(time.Date(2026, 11, 22, 0, 0, 0, 0, time.UTC)) {
		t.Fatalf("filter %+v", f)
	}
	if len(p.Items) != 2 || p.Items[0].ID != 5 || p.Next != 4 || p.Total != 5 || p.Items[0].Detail["n"] != float64(1) {
		t.Fatalf("page %+v", p)
	}
}

// An export walks the whole log newest first and stops at ExportCap,
// saying so; a refused query never begins it.
func TestAuditExportIsCapped(t *testing.T) {
	ctx := context.Background()
	for _, c := range []struct {
		rows   int64
		want   int
		capped bool
	}{{1200, 1200, false}, {audit.ExportCap, audit.ExportCap, false}, {audit.ExportCap + 7, audit.ExportCap, true}} {
		var ids []int64
		began := 0
		capped, err := audit.NewViewer(&fakeReader{rows: c.rows}).Export(ctx, admin, audit.Query{},
			func() error { began++; return nil }, func(r audit.Row) error { ids = append(ids, r.ID); return nil })
		if err != nil || began != 1 || capped != c.capped || len(ids) != c.want || ids[0] != c.rows || ids[len(ids)-1] != c.rows-int64(c.want)+1 {
			t.Fatalf("%d rows: err %v began %d capped %v, %d ids", c.rows, err, began, capped, len(ids))
		}
	}
	began := false
	_, err := audit.NewViewer(&fakeReader{rows: 3}).Export(ctx, admin, audit.Query{From: "x"}, func() error { began = true; return nil },
		func(audit.Row) error { return nil })
	if !errors.Is(err, apperr.ErrInvalid) || began {
		t.Fatalf("err %v began %v", err, began)
	}
}
