package db_test

import (
	"context"
	"testing"
	"time"

	"github.com/rebound-returns/rebound/db"
	"github.com/rebound-returns/rebound/db/dbtest"
)

// The audit log as its viewer reads it: a merchant's own entries only (or
// every merchant's for an operator), newest first, a page at a time,
// filtered by actor, action (exact or a prefix ending in "."), object and
// time.
func TestAuditEntriesFilteredAndPaged(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		m := &db.Merchant{Slug: "audit-a", Name: "A", Policy: db.JSON("{}"), Status: "active"}
		other := &db.Merchant{Slug: "audit-b", Name: "B", Policy: db.JSON("{}"), Status: "active"}
		must(t, d.Merchants.CreateMerchant(ctx, m))
		must(t, d.Merchants.CreateMerchant(ctx, other))
		t0 := time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)
		add := func(merchant *string, actor, action, rtype, rid string, at time.Time) int64 {
			t.Helper()
			e := &db.AuditEntry{MerchantID: merchant, Actor: actor, Action: action, ResourceType: rtype, ResourceID: rid,
				Outcome: db.OutcomeSuccess, At: at}
			must(t, d.Audit.AppendAudit(ctx, e))
			return e.ID
		}
		a1 := add(&m.ID, "ann", "return.review", "return", "r1", t0)
		a2 := add(&m.ID, "bob", "refund.approve", "return", "r1", t0.Add(24*time.Hour))
		a3 := add(&m.ID, "ann", "refund.counter", "return", "r2", t0.Add(48*time.Hour))
		a4 := add(&m.ID, "ann", "refundx", "webhook", "w1", t0.Add(72*time.Hour))
		b1 := add(&other.ID, "ann", "refund.approve", "return", "r9", t0.Add(time.Hour))
		op := add(nil, "olga", "merchant.onboard", "merchant", other.ID, t0.Add(2*time.Hour))

		list := func(f db.AuditFilter) (*db.Paged[db.AuditEntry], []int64) {
			t.Helper()
			if f.Limit == 0 {
				f.Limit = 10
			}
			p, err := d.Audit.AuditEntries(ctx, f)
			must(t, err)
			var ids []int64
			for _, e := range p.Items {
				if f.MerchantID != "" && (e.MerchantID == nil || *e.MerchantID != f.MerchantID) {
					t.Fatalf("another merchant's entry %+v", e)
				}
				ids = append(ids, e.ID)
			}
			return p, ids
		}
		same := func(name string, got, want []int64) {
			t.Helper()
			if len(got) != len(want) {
				t.Fatalf("%s: %v, want %v", name, got, want)
			}
			for i := range got {
				if got[i] != want[i] {
					t.Fatalf("%s: %v, want %v", name, got, want)
				}
			}
		}
		p, ids := list(db.AuditFilter{MerchantID: m.ID})
		same("merchant", ids, []int64{a4, a3, a2, a1})
		if p.Total != 4 || p.More {
			t.Fatalf("total %d more %v", p.Total, p.More)
		}
		_, ids = list(db.AuditFilter{})
		same("every merchant", ids, []int64{op, b1, a4, a3, a2, a1})
		_, ids = list(db.AuditFilter{MerchantID: m.ID, Actor: "ann"})
		same("actor", ids, []int64{a4, a3, a1})
		_, ids = list(db.AuditFilter{MerchantID: m.ID, Action: "refund."})
		same("action prefix", ids, []int64{a3, a2})
		_, ids = list(db.AuditFilter{MerchantID: m.ID, Action: "refund.approve"})
		same("action", ids, []int64{a2})
		_, ids = list(db.AuditFilter{Action: "refund.approve"})
		same("action, every merchant", ids, []int64{b1, a2})
		_, ids = list(db.AuditFilter{MerchantID: m.ID, ResourceType: "return", ResourceID: "r1"})
		same("object", ids, []int64{a2, a1})
		_, ids = list(db.AuditFilter{MerchantID: m.ID, ResourceType: "webhook"})
		same("object type", ids, []int64{a4})
		_, ids = list(db.AuditFilter{MerchantID: m.ID, From: t0.Add(24 * time.Hour), To: t0.Add(48 * time.Hour)})
		same("from inclusive, to exclusive", ids, []int64{a2})
		_, ids = list(db.AuditFilter{MerchantID: other.ID, Actor: "bob"})
		same("another merchant's actor", ids, nil)

		p, ids = list(db.AuditFilter{MerchantID: m.ID, Limit: 3})
		same("first page", ids, []int64{a4, a3, a2})
		if !p.More || p.Total != 4 {
			t.Fatalf("first page more %v total %d", p.More, p.Total)
		}
		p, ids = list(db.AuditFilter{MerchantID: m.ID, Limit: 3, After: a2})
		same("second page", ids, []int64{a1})
		if p.More || p.Total != 4 {
			t.Fatalf("second page more %v total %d", p.More, p.Total)
		}
	})
}
