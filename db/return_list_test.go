package db_test

import (
	"context"
	"strings"
	"testing"

	"github.com/rebound-returns/rebound/db"
	"github.com/rebound-returns/rebound/db/dbtest"
)

// The task list with no filter walks the merchant's newest returns by
// index instead of sorting all of them (SQLite's plan says so; Postgres
// chooses by the table's size).
func TestTaskListWalksTheNewestReturns(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		if d.Dialect() != db.SQLite {
			t.Skip("the plan is checked on SQLite")
		}
		var plan []struct{ Detail string }
		must(t, d.Raw(context.Background(), `EXPLAIN QUERY PLAN SELECT returns.id FROM returns WHERE merchant_id = ?
			ORDER BY id DESC LIMIT 51`, &plan, "m"))
		for _, p := range plan {
			if strings.Contains(p.Detail, "TEMP B-TREE") || !strings.Contains(p.Detail, "returns_merchant_id") {
				t.Errorf("plan %+v; want the returns_merchant_id index, no sort", plan)
			}
		}
	})
}
