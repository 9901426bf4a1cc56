package api

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/rebound-returns/rebound/app/views"
	"github.com/rebound-returns/rebound/db"
	"github.com/rebound-returns/rebound/db/dbtest"
	"github.com/rebound-returns/rebound/returns"
)

// GET /v1/admin/audit (issue 18: no one could see the audit log without
// SQL): an admin pages through their merchant's entries only, an operator
// through every merchant's or the one ?merchant= names; filters are checked
// naming the field; ?format=csv and Accept: text/csv stream a CSV file.
func TestAuditLogViewer(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		m := &db.Merchant{Slug: "aud", Name: "Aud"}
		other := &db.Merchant{Slug: "aud-other", Name: "Other"}
		must(t, d.Merchants.CreateMerchant(ctx, m))
		must(t, d.Merchants.CreateMerchant(ctx, other))
		admin := dbtest.StaffToken(t, d, m.ID, "adm", returns.RoleAdmin)
		sup := dbtest.StaffToken(t, d, m.ID, "sup", returns.RoleSupervisor)
		op := dbtest.StaffToken(t, d, "", "op", returns.RoleOperator)
		t0 := time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)
		add := func(merchant, actor, action, rid string, at time.Time) {
			must(t, d.Audit.AppendAudit(ctx, &db.AuditEntry{MerchantID: &merchant, Actor: actor, ActorRole: returns.RoleClerk, Action: action,
				ResourceType: "return", ResourceID: rid, Outcome: db.OutcomeSuccess, At: at, Detail: db.JSON(`{"note":"a, \"quoted\" one"}`)}))
		}
		add(m.ID, "ann", "return.review", "r1", t0)
		add(m.ID, "bob", "refund.approve", "r1", t0.AddDate(0, 0, 1))
		add(m.ID, "ann", "refund.counter", "r2", t0.AddDate(0, 0, 2))
		add(other.ID, "ann", "refund.approve", "r9", t0.AddDate(0, 0, 1))

		h := NewHandler(wired(Deps{}, d, nil, nil))
		get := func(tok, path string, hdr ...string) *httptest.ResponseRecorder {
			req := httptest.NewRequest("GET", path, nil)
			req.Header.Set("Authorization", "Bearer "+tok)
			if len(hdr) == 2 {
				req.Header.Set(hdr[0], hdr[1])
			}
			w := httptest.NewRecorder()
			h.ServeHTTP(w, req)
			return w
		}
		type page struct {
			Items []views.AuditEntry `json:"items"`
			Next  *string            `json:"next"`
			Total int64              `json:"total"`
		}
		list := func(tok, path string) (page, []string) {
			t.Helper()
			w := get(tok, path)
			if w.Code != http.StatusOK {
				t.Fatalf("%s: %d %s", path, w.Code, w.Body)
			}
			var p page
			must(t, json.Unmarshal(w.Body.Bytes(), &p))
			var acts []string
			for _, e := range p.Items {
				acts = append(acts, e.Actor+":"+e.Action)
			}
			return p, acts
		}
		// The requests themselves are audited (a denied one is an entry), so
		// each check filters on the seeded entries' resource type.
		p, acts := list(admin, "/v1/admin/audit?resource_type=return")
		if strings.Join(acts, " ") != "ann:refund.counter bob:refund.approve ann:return.review" || p.Total != 3 {
			t.Fatalf("admin: %v total %d", acts, p.Total)
		}
		if e := p.Items[0]; e.MerchantID != m.ID || e.ResourceID != "r2" || !e.At.Equal(t0.AddDate(0, 0, 2)) || e.Detail["note"] != `a, "quoted" one` {
			t.Fatalf("entry %+v", e)
		}
		_, acts = list(admin, "/v1/admin/audit?resource_type=return&action=refund.&actor=ann")
		if strings.Join(acts, " ") != "ann:refund.counter" {
			t.Fatalf("admin, filtered: %v", acts)
		}
		_, acts = list(admin, "/v1/admin/audit?resource_type=return&resource_id=r1&from=2026-11-21&to=2026-11-21")
		if strings.Join(acts, " ") != "bob:refund.approve" {
			t.Fatalf("admin, object and day: %v", acts)
		}
		_, acts = list(op, "/v1/admin/audit?resource_type=return&action=refund.approve")
		if len(acts) != 2 {
			t.Fatalf("operator, every merchant: %v", acts)
		}
		p, _ = list(op, "/v1/admin/audit?resource_type=return&merchant=aud-other")
		if len(p.Items) != 1 || p.Items[0].ResourceID != "r9" {
			t.Fatalf("operator, ?merchant=: %+v", p.Items)
		}
		// Paging: two, then one, then no next.
		p, _ = list(admin, "/v1/admin/audit?resource_type=return&limit=2")
		if len(p.Items) != 2 || p.Next == nil {
			t.Fatalf("first page %+v", p)
		}
		p2, acts := list(admin, *p.Next)
		if strings.Join(acts, " ") != "ann:return.review" || p2.Next != nil || p2.Total != 3 {
			t.Fatalf("second page %v %+v", acts, p2)
		}

		if w := get(sup, "/v1/admin/audit"); w.Code != http.StatusForbidden {
			t.Errorf("supervisor: %d", w.Code)
		}
		for q, field := range map[string]string{
			"from=2026-13-01":                 "from",
			"to=20261120":                     "to",
			"from=2026-11-20&to=2026-11-19":   "to",
			"from=2025-01-01&to=2026-01-03":   "to",
			"merchant=aud-other":              "merchant",
			"limit=201":                       "limit",
			"cursor=eyJpZCI6IjEyMyJ9":         "cursor",
			"format=xml":                      "format",
			"format=csv&from=2026-11-20&to=x": "to",
		} {
			w := get(admin, "/v1/admin/audit?"+q)
			if w.Code != http.StatusUnprocessableEntity || !strings.Contains(w.Body.String(), `"field":"`+field+`"`) {
				t.Errorf("%s: %d %s, want 422 naming %s", q, w.Code, w.Body, field)
			}
		}
		if w := get(op, "/v1/admin/audit?merchant=nobody"); w.Code != http.StatusUnprocessableEntity {
			t.Errorf("operator, unknown merchant: %d", w.Code)
		}

		// CSV, by ?format= or Accept: a header row, then the admin's own rows.
		for _, w := range []*httptest.ResponseRecorder{get(admin, "/v1/admin/audit?format=csv&resource_type=return"),
			get(admin, "/v1/admin/audit?resource_type=return", "Accept", "text/csv")} {
			if w.Code != http.StatusOK || !strings.HasPrefix(w.Header().Get("Content-Type"), "text/csv") || w.Header().Get("X-Export-Cap") != "10000" {
				t.Fatalf("csv: %d %v", w.Code, w.Header())
			}
			recs, err := csv.NewReader(w.Body).ReadAll()
			must(t, err)
			if len(recs) != 4 || strings.Join(recs[0], ",") != strings.Join(auditCSVHeader, ",") {
				t.Fatalf("csv: %q", recs)
			}
			if r := recs[1]; r[1] != "2026-11-22T09:00:00Z" || r[2] != m.ID || r[3] != "ann" || r[5] != "refund.counter" || r[11] != `{"note":"a, \"quoted\" one"}` {
				t.Fatalf("csv row %q", r)
			}
		}
	})
}
