package audit_test

import (
	"context"
	"errors"
	"math"
	"testing"
	"time"

	"github.com/rebound-returns/rebound/app/audit"
	"github.com/rebound-returns/rebound/db"
)

type fakeStore struct {
	rows []*db.AuditEntry
	err  error
}

func (f *fakeStore) AppendAudit(_ context.Context, e *db.AuditEntry) error {
	f.rows = append(f.rows, e)
	return f.err
}

func TestRecordKeepsTheEntryAsARow(t *testing.T) {
	at := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	cases := []struct {
		name       string
		in         audit.Entry
		merchantID *string
		detail     string
	}{
		{"a member's step", audit.Entry{Action: "return.review", ResourceType: "return", ResourceID: "r1", Outcome: audit.Success,
			Origin: "10.0.0.1", RequestID: "req1", Actor: "ann", ActorRole: "clerk", MerchantID: "m1", At: at},
			ptr("m1"), ""},
		{"an anonymous caller", audit.Entry{Action: "access", ResourceType: "route", ResourceID: "/v1/x", Outcome: audit.Denied, At: at},
			nil, ""},
		{"with detail", audit.Entry{Action: "refund.counter", Outcome: audit.Failed, Detail: map[string]any{"check": "voucher"}, At: at},
			nil, `{"check":"voucher"}`},
		{"a detail JSON cannot hold is left out", audit.Entry{Action: "x", Outcome: audit.Failed, Detail: map[string]any{"n": math.NaN()}, At: at},
			nil, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			st := &fakeStore{}
			if err := audit.New(st).Record(context.Background(), c.in); err != nil {
				t.Fatal(err)
			}
			if len(st.rows) != 1 {
				t.Fatalf("%d rows", len(st.rows))
			}
			r := st.rows[0]
			if r.Action != c.in.Action || r.ResourceType != c.in.ResourceType || r.ResourceID != c.in.ResourceID ||
				r.Outcome != c.in.Outcome || r.Origin != c.in.Origin || r.RequestID != c.in.RequestID ||
				r.Actor != c.in.Actor || r.ActorRole != c.in.ActorRole || !r.At.Equal(at) {
				t.Fatalf("row %+v from %+v", r, c.in)
			}
			if (r.MerchantID == nil) != (c.merchantID == nil) || (r.MerchantID != nil && *r.MerchantID != *c.merchantID) {
				t.Fatalf("merchant %v, want %v", r.MerchantID, c.merchantID)
			}
			if string(r.Detail) != c.detail {
				t.Fatalf("detail %q, want %q", r.Detail, c.detail)
			}
		})
	}
}

func TestRecordSaysWhenTheLogRefused(t *testing.T) {
	boom := errors.New("log down")
	if err := audit.New(&fakeStore{err: boom}).Record(context.Background(), audit.Entry{Action: "x"}); !errors.Is(err, boom) {
		t.Fatalf("err %v", err)
	}
}

func TestOutcomesAreTheLogs(t *testing.T) {
	if audit.Success != "success" || audit.Denied != "denied" || audit.Failed != "failed" {
		t.Fatal("the outcomes are the values the log has always held")
	}
}

func ptr(s string) *string { return &s }
