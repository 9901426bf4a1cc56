package db

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"gorm.io/gorm"
)

// On SQLite (Postgres is planned at scale in plans_test.go) a search reads
// the terms' (merchant_id, term) index and returns by primary key: no scan
// of either table, whatever the query is.
func TestSearchPlanOnSQLite(t *testing.T) {
	t.Parallel()
	d, err := Open("sqlite:"+filepath.Join(t.TempDir(), "plan.db"), DefaultPool, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	ctx := context.Background()
	if _, err := Migrate(ctx, d, nil); err != nil {
		t.Fatal(err)
	}
	var sql string
	var vars []any
	capture := func(tx *gorm.DB) { sql, vars = tx.Statement.SQL.String(), tx.Statement.Vars }
	if err := d.g.Callback().Row().After("gorm:row").Register("search:capture", capture); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{"pat", "+46 70", "0193a1b2-c3d4"} {
		if _, err := d.Returns.ListedReturns(ctx, ReturnFilter{MerchantID: "m", Query: q, Before: "z", Limit: 51}); err != nil {
			t.Fatal(err)
		}
		var plan []struct{ Detail string }
		if err := d.Raw(ctx, "EXPLAIN QUERY PLAN "+sql, &plan, vars...); err != nil {
			t.Fatal(err)
		}
		var details []string
		for _, p := range plan {
			details = append(details, p.Detail)
		}
		all := strings.Join(details, "; ")
		if !strings.Contains(all, "return_search_terms_merchant_term") {
			t.Errorf("search %q: plan %s; want the return_search_terms_merchant_term index", q, all)
		}
		for _, p := range details {
			if strings.HasPrefix(p, "SCAN") && !strings.Contains(p, "INDEX") {
				t.Errorf("search %q: %s in plan %s", q, p, all)
			}
		}
	}
}
