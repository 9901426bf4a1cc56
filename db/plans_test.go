package db

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/rebound-returns/rebound/returns"
)

// Every list query the API runs must use an index however many returns
// there are. The test seeds a Postgres schema in one INSERT … SELECT per
// table (a fifth of the rows to one big merchant, as at a platform's
// largest customer), ANALYZEs it, runs each list through its repository
// method and EXPLAINs every statement the method sends, failing on a
// sequential scan of a big table or a sort of more rows than a page needs.
//
// By default it seeds 50,000 returns (about 10 s on 2 cores) and plans with
// enable_seqscan=off (see smallScale). REBOUND_TEST_SCALE=1 seeds 10 million
// (about half an hour there: 1 million took 3 min; give go test -timeout
// 60m), REBOUND_TEST_SCALE=<n> n returns; both plan as production would.
// Beside the returns it seeds an order each, a refund and an attempt for
// every second, an audit entry each, a work item for every tenth, a
// timeline event for every tenth, a staff member for every fiftieth.

// bigTables grow with the returns; the rest hold a row per merchant, store
// or terminal and are read whole when that is cheapest (refund_freezes: a
// merchant has a handful).
var bigTables = map[string]bool{"returns": true, "orders": true, "refunds": true, "refund_attempts": true,
	"audit_log": true, "work_items": true, "timeline_events": true, "staff_users": true, "return_search_terms": true}

// maxSortRows is the most rows a plan may sort: a few pages, never a
// merchant's whole history (a hundredth of the returns seeded, between 500
// and 5,000).
func maxSortRows(n int) float64 { return float64(max(500, min(5000, n/100))) }

// smallScale is the always-on variant's size. On so few rows the planner
// rightly reads small tables whole, so that variant runs with
// enable_seqscan=off: a Seq Scan left in its plans means no index serves the
// query at all. Seeded at scale, the planner's own choice is checked.
const smallScale = 50_000

func scaleRows(t *testing.T) int {
	switch v := os.Getenv("REBOUND_TEST_SCALE"); v {
	case "":
		return smallScale
	case "1":
		return 10_000_000
	default:
		var n int
		if _, err := fmt.Sscan(v, &n); err != nil || n < 1000 {
			t.Fatalf("REBOUND_TEST_SCALE=%q: want 1 (10 million returns) or a number of returns from 1000", v)
		}
		return n
	}
}

func TestListQueriesUseIndexesAtScale(t *testing.T) {
	base := os.Getenv("REBOUND_TEST_POSTGRES_URL")
	if base == "" {
		t.Skip("REBOUND_TEST_POSTGRES_URL is not set")
	}
	n := scaleRows(t)
	var params map[string]string
	if n <= smallScale {
		params = map[string]string{"enable_seqscan": "off"}
	}
	d := openScratchSchema(t, base, params)
	ctx := context.Background()
	start := time.Now()
	seedAtScale(t, d, n)
	t.Logf("seeded %d returns (and their orders, refunds, attempts, audit entries, work items) in %s", n, time.Since(start).Round(time.Millisecond))

	big := scaleMerchantID(0)
	small := scaleMerchantID(7)
	before := scaleID("a", n/2)
	ex := newExplainer(t, d, maxSortRows(n))
	run := func(name string, fn func() error) {
		t.Helper()
		ex.start(name)
		if err := fn(); err != nil {
			t.Errorf("%s: %v", name, err)
		}
		ex.stop()
	}
	for _, m := range []struct{ name, id string }{{"big merchant", big}, {"small merchant", small}} {
		filters := map[string]ReturnFilter{
			"returns":                    {},
			"returns before cursor":      {Before: before},
			"returns awaiting_review":    {Statuses: []string{"awaiting_review"}},
			"returns in two statuses":    {Statuses: []string{"awaiting_shipment", "in_transit"}},
			"returns refunded":           {Statuses: []string{"refunded"}},
			"returns needing attention":  {Attention: true},
			"returns refunded, attended": {Statuses: []string{"refunded"}, Attention: true},
		}
		for _, q := range Queues() {
			filters["queue "+q] = ReturnFilter{Queue: q}
		}
		// The search box (search.go), on the seeded terms: one order
		// number, a customer's e-mail, a surname a few thousandths of the
		// customers share, a phone's digits as typed, an id in full and
		// by a prefix, with a status and under a cursor; and a prefix
		// every return's e-mail starts with.
		g := n / 2 / 5 * 5 // a return of the big merchant
		if m.id == small {
			g = 5*(n/10) + 8 // of merchant 7 (g % 199 == 6)
			g += (6 - g%(scaleMerchants-1) + scaleMerchants - 1) % (scaleMerchants - 1)
		}
		for fname, f := range map[string]ReturnFilter{
			"search order number":           {Query: fmt.Sprintf("R%d", g)},
			"search e-mail":                 {Query: fmt.Sprintf("Shopper%d@", g)},
			"search surname":                {Query: "Last42"},
			"search full name":              {Query: fmt.Sprintf("first%d last%d", g%1000, g%5000)},
			"search phone":                  {Query: fmt.Sprintf("+46 %d", 700000000+g)},
			"search tracking":               {Query: fmt.Sprintf("1z%d", g)},
			"search return id":              {Query: scaleID("a", g)},
			"search return id prefix":       {Query: scaleID("a", g)[:34]},
			"search surname, refunded":      {Query: "last42", Statuses: []string{"refunded"}},
			"search surname, before cursor": {Query: "last42", Before: before},
			"search everyone":               {Query: "shopper"},
		} {
			filters[fname] = f
		}
		for fname, f := range filters {
			f.MerchantID, f.Limit = m.id, 50
			run(m.name+": list "+fname, func() error { _, err := d.Returns.ListReturns(ctx, f); return err })
			run(m.name+": count "+fname, func() error { _, err := d.Returns.CountReturns(ctx, f); return err })
		}
		run(m.name+": queue counts", func() error { _, err := d.Returns.QueueCounts(ctx, m.id); return err })

		from, to := scaleEpoch.Add(time.Duration(n/4)*time.Second), scaleEpoch.Add(time.Duration(n/4)*time.Second+24*time.Hour)
		// A tenth of the amounts: a narrower range sorted by date reads
		// more than a page's worth of the date index (see maxReadPerPage).
		lo, hi := int64(10000), int64(20000)
		cursor := &RefundCursor{CreatedAt: scaleEpoch.Add(time.Duration(n/2) * time.Second), Amount: 5000, ID: scaleID("d", n/2)}
		for _, merchant := range []string{m.id, ""} {
			who := m.name
			if merchant == "" {
				who = "operator"
			}
			for _, sort := range []RefundSort{SortNewest, SortOldest, SortAmountDesc, SortAmountAsc} {
				refundFilters := map[string]RefundFilter{
					"all":          {},
					"after cursor": {After: cursor},
					"failed":       {Statuses: []returns.RefundStatus{returns.RefundStatusFailed}},
					"card present": {Channel: returns.ChannelCardPresent},
					"one day":      {From: from, To: to},
					"amount range": {MinAmount: &lo, MaxAmount: &hi},
				}
				for fname, f := range refundFilters {
					f.MerchantID, f.Sort, f.Limit = merchant, sort, 50
					run(fmt.Sprintf("%s: refunds %s by %s", who, fname, sort), func() error { _, err := d.Finance.ListRefunds(ctx, f); return err })
					if sort == SortNewest {
						run(fmt.Sprintf("%s: count refunds %s", who, fname), func() error { _, err := d.Finance.CountRefunds(ctx, f); return err })
					}
				}
			}
		}

		for fname, f := range map[string]WorkItemFilter{
			"work items":         {},
			"open work items":    {OnlyOpen: true},
			"work items of file": {FileID: scaleID("f", 1)},
			"work items after":   {After: &WorkItemCursor{CreatedAt: scaleEpoch.Add(time.Duration(n/2) * time.Second), ID: scaleID("e", n/2)}},
		} {
			f.MerchantID, f.Limit = m.id, 50
			run(m.name+": "+fname, func() error { _, err := d.Finance.WorkItems(ctx, f); return err })
		}
		run(m.name+": audit log", func() error { _, err := d.Audit.AuditLog(ctx, m.id, 50); return err })
		for fname, f := range map[string]AuditFilter{
			"audit entries":                {},
			"audit entries after":          {After: int64(n / 2)},
			"audit entries of an actor":    {Actor: "staff"},
			"audit entries, action prefix": {Action: "return."},
		} {
			f.MerchantID, f.Limit = m.id, 50
			run(m.name+": "+fname, func() error { _, err := d.Audit.AuditEntries(ctx, f); return err })
		}
		run(m.name+": staff", func() error { _, err := d.Staff.StaffOf(ctx, m.id, Page{Limit: 50}); return err })
		run(m.name+": staff page 3", func() error { _, err := d.Staff.StaffOf(ctx, m.id, Page{Offset: 100, Limit: 50}); return err })
		run(m.name+": API keys", func() error { _, err := d.Staff.APIKeysOf(ctx, m.id, Page{Limit: 50}); return err })
		run(m.name+": webhook endpoints", func() error { _, err := d.Outbox.WebhookEndpointsPage(ctx, m.id, Page{Limit: 50}); return err })
		run(m.name+": freezes", func() error { _, err := d.Freezes.FreezesPage(ctx, m.id, false, Page{Limit: 50}); return err })
		run(m.name+": freezes in force", func() error { _, err := d.Freezes.FreezesPage(ctx, m.id, true, Page{Limit: 50}); return err })
	}
	run("operator: audit entries", func() error { _, err := d.Audit.AuditEntries(ctx, AuditFilter{Limit: 50}); return err })
	run("operator: audit entries after", func() error {
		_, err := d.Audit.AuditEntries(ctx, AuditFilter{After: int64(n / 2), Limit: 50})
		return err
	})
	run("operator: freezes", func() error { _, err := d.Freezes.FreezesPage(ctx, "", false, Page{Limit: 50}); return err })
	run("operator: freezes in force", func() error { _, err := d.Freezes.FreezesPage(ctx, "", true, Page{Limit: 50}); return err })
	// What one return's page reads.
	ret := scaleID("a", n/3)
	run("timeline of a return", func() error { _, err := d.Returns.Timeline(ctx, ret); return err })
	run("refunds of a return", func() error { _, err := d.Refunds.RefundsOfReturn(ctx, ret); return err })
	run("attempts of a refund", func() error { _, err := d.Refunds.AttemptsOfRefund(ctx, scaleID("d", n/3)); return err })
	ex.report()
}

// scaleEpoch is when the seeded history starts: row g is g seconds later.
var scaleEpoch = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)

// scaleID is the uuid of row g of a table, in g's order like Rebound's
// time-ordered ids; prefix (one hex digit) tells the tables apart.
func scaleID(prefix string, g int) string {
	return fmt.Sprintf("0000000%s-0000-7000-8000-%012x", prefix, g)
}

func scaleMerchantID(i int) string { return scaleID("b", i) }

// scaleMerchants is how many merchants share the returns; merchant 0 has a
// fifth of them.
const scaleMerchants = 200

// seedAtScale inserts n returns and their kin. Each SQL expression maps
// the series number g to the row: its merchant is
// CASE WHEN g % 5 = 0 THEN 0 ELSE g % (scaleMerchants-1) + 1 END.
func seedAtScale(t *testing.T, d *DB, n int) {
	t.Helper()
	ctx := context.Background()
	id := func(prefix, g string) string {
		return fmt.Sprintf("('0000000%s-0000-7000-8000-' || lpad(to_hex(%s), 12, '0'))::uuid", prefix, g)
	}
	merchant := id("b", fmt.Sprintf("CASE WHEN g %% 5 = 0 THEN 0 ELSE g %% %d + 1 END", scaleMerchants-1))
	at := "timestamptz '2024-01-01 00:00:00+00' + g * interval '1 second'"
	stmts := []string{
		`INSERT INTO merchants (id, slug, name, created_at, updated_at)
SELECT ` + id("b", "g") + `, 'merchant-' || g, 'Merchant ' || g, now(), now() FROM generate_series(0, ` + fmt.Sprint(scaleMerchants-1) + `) AS g`,
		// Staff: one per 50 returns, half of them at the big merchant.
		`INSERT INTO staff_users (id, merchant_id, username, role, password_hash, created_at, updated_at)
SELECT ` + id("c", "g") + `, ` + id("b", fmt.Sprintf("CASE WHEN g %% 2 = 0 THEN 0 ELSE g %% %d END", scaleMerchants)) + `,
  'user' || g, 'clerk', 'x', now(), now() FROM generate_series(1, $1 / 50) AS g`,
		`INSERT INTO orders (id, merchant_id, order_number, currency, placed_at, request_hash, created_at)
SELECT ` + id("9", "g") + `, ` + merchant + `, 'R' || g, 'EUR', ` + at + `, 'h', ` + at + ` FROM generate_series(1, $1) AS g`,
		// Most returns are done; a few percent wait in each queue.
		`INSERT INTO returns (id, merchant_id, order_id, status, method, channel, contact, contact_kind, currency, attention, created_at, updated_at)
SELECT ` + id("a", "g") + `, ` + merchant + `, ` + id("9", "g") + `,
  COALESCE((ARRAY['awaiting_review', 'awaiting_shipment', 'in_transit', 'awaiting_dropoff', 'received', 'awaiting_inspection', 'refund_pending', 'awaiting_settlement', 'rejected'])[g % 100 + 1], 'refunded'),
  CASE WHEN g % 3 = 0 THEN 'in_store' ELSE 'ship' END, CASE WHEN g % 3 = 0 THEN 'card_present' ELSE 'online' END,
  'shopper' || g || '@example.test', 'email', 'EUR', CASE WHEN g % 1000 = 7 THEN 'stuck' ELSE '' END, ` + at + `, ` + at + `
FROM generate_series(1, $1) AS g`,
		// The search's terms (search.go), as returns' writes keep them:
		// order number, e-mail, name from each word, phone digits, and a
		// tracking number for every third return.
		`INSERT INTO return_search_terms (return_id, field, term, merchant_id)
SELECT ` + id("a", "g") + `, t.field, t.term, ` + merchant + `
FROM generate_series(1, $1) AS g CROSS JOIN LATERAL (VALUES ('order_number', 'r' || g), ('email', 'shopper' || g || '@example.test'),
  ('name', 'first' || g % 1000 || ' last' || g % 5000), ('name', 'last' || g % 5000), ('phone', '46' || (700000000 + g)),
  ('tracking_number', CASE WHEN g % 3 = 0 THEN '1z' || g ELSE '' END)) AS t (field, term)
WHERE t.term <> ''`,
		`INSERT INTO refunds (id, return_id, order_id, merchant_id, channel, amount, currency, status, created_at, updated_at)
SELECT ` + id("d", "g") + `, ` + id("a", "g") + `, ` + id("9", "g") + `, ` + merchant + `,
  CASE WHEN g % 3 = 0 THEN 'card_present' ELSE 'online' END, (g::bigint * 7919) % 100000, 'EUR',
  CASE WHEN g % 50 = 0 THEN 'failed' WHEN g % 100 < 9 THEN 'pending' ELSE 'succeeded' END, ` + at + `, ` + at + `
FROM generate_series(1, $1) AS g WHERE g % 2 = 0`,
		`INSERT INTO refund_attempts (id, refund_id, state, created_at, updated_at)
SELECT ` + id("8", "g") + `, ` + id("d", "g") + `, 'succeeded', ` + at + `, ` + at + `
FROM generate_series(1, $1) AS g WHERE g % 2 = 0`,
		`INSERT INTO timeline_events (return_id, seq, status, actor, at)
SELECT ` + id("a", "g") + `, 1, 'submitted', 'shopper', ` + at + ` FROM generate_series(1, $1) AS g WHERE g % 10 = 0`,
		`INSERT INTO audit_log (at, merchant_id, actor, action, outcome)
SELECT ` + at + `, ` + merchant + `, 'staff', 'return.inspect', 'success' FROM generate_series(1, $1) AS g`,
		`INSERT INTO work_items (id, dedupe_key, merchant_id, kind, summary, status, created_at)
SELECT ` + id("e", "g") + `, 'scale/' || g, ` + merchant + `, 'unexpected_at_acquirer', 'item ' || g,
  CASE WHEN g % 20 = 0 THEN 'open' ELSE 'resolved' END, ` + at + `
FROM generate_series(1, $1) AS g WHERE g % 10 = 0`,
		`INSERT INTO refund_freezes (id, merchant_id, reason, created_by, created_role, created_at, lifted_at)
SELECT ` + id("7", "g") + `, ` + merchant + `, 'drill', 'staff', 'admin', ` + at + `, CASE WHEN g % 30000 = 0 THEN NULL ELSE now() END
FROM generate_series(1, $1) AS g WHERE g % 10000 = 0`,
	}
	for _, s := range stmts {
		q := strings.ReplaceAll(s, "$1", "?")
		var err error
		if strings.Contains(s, "$1") {
			err = d.Exec(ctx, q, n)
		} else {
			err = d.Exec(ctx, q)
		}
		if err != nil {
			t.Fatalf("seed: %v\n%s", err, s)
		}
	}
	if err := d.Exec(ctx, "ANALYZE"); err != nil {
		t.Fatal(err)
	}
}

// openScratchSchema opens a migrated Postgres schema of the test's own,
// dropped when it ends (dbtest does the same, but imports this package).
func openScratchSchema(t *testing.T, base string, params map[string]string) *DB {
	t.Helper()
	var b [6]byte
	_, _ = rand.Read(b[:])
	schema := "scale_" + hex.EncodeToString(b[:])
	admin, err := Open(base, Pool{MaxOpen: 1, MaxIdle: 1}, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := admin.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = admin.Exec(context.Background(), "DROP SCHEMA "+schema+" CASCADE")
		_ = admin.Close()
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	for k, v := range params {
		q.Set(k, v) // run-time parameters of every connection
	}
	u.RawQuery = q.Encode()
	d, err := Open(u.String(), DefaultPool, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = d.Close() })
	if _, err := Migrate(ctx, d, nil); err != nil {
		t.Fatal(err)
	}
	return d
}

// explainer EXPLAINs every statement gorm runs while a named step is on.
type explainer struct {
	t        *testing.T
	maxSort  float64
	rows     map[string]float64 // each table's rows, as ANALYZE counted them
	step     string
	plans    int
	problems []string
}

func newExplainer(t *testing.T, d *DB, maxSort float64) *explainer {
	e := &explainer{t: t, maxSort: maxSort, rows: map[string]float64{}}
	var counts []struct {
		Relname   string
		Reltuples float64
	}
	if err := d.Raw(context.Background(), `SELECT relname, reltuples FROM pg_class
WHERE relkind = 'r' AND relnamespace = current_schema()::regnamespace`, &counts); err != nil {
		t.Fatal(err)
	}
	for _, c := range counts {
		e.rows[c.Relname] = c.Reltuples
	}
	hook := func(tx *gorm.DB) {
		if e.step == "" || tx.Error != nil || tx.Statement.SQL.Len() == 0 {
			return
		}
		sql := tx.Statement.SQL.String()
		rows, err := tx.Statement.ConnPool.QueryContext(tx.Statement.Context, "EXPLAIN (FORMAT JSON) "+sql, tx.Statement.Vars...)
		if err != nil {
			e.problems = append(e.problems, fmt.Sprintf("%s: explain %s: %v", e.step, sql, err))
			return
		}
		defer rows.Close()
		var plan string
		for rows.Next() {
			if err := rows.Scan(&plan); err != nil {
				e.problems = append(e.problems, fmt.Sprintf("%s: %v", e.step, err))
				return
			}
		}
		e.plans++
		e.check(sql, plan)
	}
	if err := d.g.Callback().Query().After("gorm:query").Register("plans:explain", hook); err != nil {
		t.Fatal(err)
	}
	if err := d.g.Callback().Row().After("gorm:row").Register("plans:explain", hook); err != nil {
		t.Fatal(err)
	}
	return e
}

// maxReadPerPage is the most rows a page may read through an index it
// filters: a page of 50 with a filter that passes 1% of the rows.
const maxReadPerPage = 5000

// readPerPage estimates how many rows a filtered index scan reads to fill a
// page: the page over the share of the table the filter lets through.
func (e *explainer) readPerPage(p planNode) float64 {
	total := e.rows[p.RelationName]
	if total <= 0 {
		return 0
	}
	share := max(p.PlanRows, 1) / total
	return 51 / share
}

// maxReadToLimit is the most rows a sequential scan under a LIMIT may be
// expected to read before it stops: twenty times CountCap, a filter that
// passes a twentieth of the table or more (at 1 million returns the
// planner reads 150,000 refunds sequentially to count a big merchant's card
// refunds up to the cap, rather than its index, and does the same at any
// size). It trusts the matches to be spread through the table, as the
// planner does.
const maxReadToLimit = 20 * CountCap

// readToLimit estimates the rows a scan reads before its LIMIT is reached:
// infinite when fewer rows than the LIMIT are expected to pass, for then it
// reads the whole table, however big it grows.
func (e *explainer) readToLimit(p, limit planNode) float64 {
	total := e.rows[p.RelationName]
	if p.PlanRows < limit.PlanRows || total <= 0 {
		return math.Inf(1)
	}
	return limit.PlanRows * total / p.PlanRows
}

func (e *explainer) start(step string) { e.step = step }
func (e *explainer) stop()             { e.step = "" }

type planNode struct {
	NodeType     string     `json:"Node Type"`
	RelationName string     `json:"Relation Name"`
	IndexName    string     `json:"Index Name"`
	IndexCond    string     `json:"Index Cond"`
	Filter       string     `json:"Filter"`
	PlanRows     float64    `json:"Plan Rows"`
	TotalCost    float64    `json:"Total Cost"`
	Plans        []planNode `json:"Plans"`
}

func (e *explainer) check(sql, raw string) {
	var top []struct {
		Plan planNode `json:"Plan"`
	}
	if err := json.Unmarshal([]byte(raw), &top); err != nil || len(top) == 0 {
		e.problems = append(e.problems, fmt.Sprintf("%s: unreadable plan %q", e.step, raw))
		return
	}
	var bad []string
	var walk func(p, parent planNode)
	walk = func(p, parent planNode) {
		switch {
		case p.NodeType == "Seq Scan" && bigTables[p.RelationName] && parent.NodeType == "Limit" && e.readToLimit(p, parent) <= maxReadToLimit:
			// A capped count (CountCap) of a filter most rows pass: the
			// scan stops at the cap, after the same number of rows at any
			// table size.
		case p.NodeType == "Seq Scan" && bigTables[p.RelationName]:
			bad = append(bad, fmt.Sprintf("Seq Scan on %s (%.0f rows)", p.RelationName, p.PlanRows))
		case (p.NodeType == "Index Scan" || p.NodeType == "Index Only Scan") && bigTables[p.RelationName] && p.IndexCond == "" && p.Filter != "" &&
			e.readPerPage(p) > maxReadPerPage:
			// An index read in order, each row tested against the filter:
			// fine while most rows pass (the big merchant's), not when a
			// page means reading thousands.
			bad = append(bad, fmt.Sprintf("whole index %s filtered by %s: ~%.0f rows read per page", p.IndexName, p.Filter, e.readPerPage(p)))
		case p.NodeType == "Sort" && len(p.Plans) > 0 && p.Plans[0].PlanRows > e.maxSort:
			bad = append(bad, fmt.Sprintf("Sort of %.0f rows", p.Plans[0].PlanRows))
		}
		for _, c := range p.Plans {
			walk(c, p)
		}
	}
	walk(top[0].Plan, planNode{})
	if os.Getenv("REBOUND_TEST_PLANS") != "" {
		e.t.Logf("%s: cost %.0f\n  %s\n  %s", e.step, top[0].Plan.TotalCost, sql, summarise(top[0].Plan))
	}
	if len(bad) > 0 {
		e.problems = append(e.problems, fmt.Sprintf("%s: %s\n    %s\n    plan: %s", e.step, strings.Join(bad, ", "), sql, summarise(top[0].Plan)))
	}
}

// summarise prints a plan on one line: node (relation/index, rows) > children.
func summarise(p planNode) string {
	s := p.NodeType
	if p.IndexName != "" {
		s += " " + p.IndexName
	} else if p.RelationName != "" {
		s += " " + p.RelationName
	}
	s += fmt.Sprintf(" (%.0f)", p.PlanRows)
	if len(p.Plans) > 0 {
		var cs []string
		for _, c := range p.Plans {
			cs = append(cs, summarise(c))
		}
		s += " > [" + strings.Join(cs, "; ") + "]"
	}
	return s
}

func (e *explainer) report() {
	e.t.Logf("explained %d statements", e.plans)
	if e.plans == 0 {
		e.t.Error("no statement was explained")
	}
	for _, p := range e.problems {
		e.t.Error(p)
	}
}
