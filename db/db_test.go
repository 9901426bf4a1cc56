package db_test

import (
	"context"
	"errors"
	"github.com/rebound-returns/rebound/returns"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/rebound-returns/rebound/db"
	"github.com/rebound-returns/rebound/db/dbtest"
)

func TestParseURL(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in      string
		dialect db.Dialect
		path    string
		wantErr string
	}{
		{in: "postgres://u:p@localhost:5432/rebound?sslmode=disable", dialect: db.Postgres},
		{in: "postgresql://localhost/rebound", dialect: db.Postgres},
		{in: "sqlite:.rebound/rebound.db", dialect: db.SQLite, path: ".rebound/rebound.db"},
		{in: "sqlite:///var/lib/rebound.db", dialect: db.SQLite, path: "/var/lib/rebound.db"},
		{in: "nonsense", wantErr: "is not a database URL"},
		{in: "mysql://localhost/x", wantErr: "is not a database URL"},
		{in: "postgres:///rebound", wantErr: "names no host"},
		{in: "postgres://secret:hunter2@localhost", wantErr: "names no database"},
		{in: "sqlite:", wantErr: "names no file"},
	}
	for _, tc := range tests {
		got, err := db.ParseURL(tc.in)
		if tc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("ParseURL(%q) error = %v, want %q", tc.in, err, tc.wantErr)
			}
			if err != nil && strings.Contains(err.Error(), "hunter2") {
				t.Errorf("ParseURL error echoes the password: %v", err)
			}
			continue
		}
		if err != nil || got.Dialect != tc.dialect || got.Path != tc.path {
			t.Errorf("ParseURL(%q) = %+v, %v; want %s %q", tc.in, got, err, tc.dialect, tc.path)
		}
	}
}

func TestMigrationsUpDownUp(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	for _, e := range dbtest.Engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			d, err := db.Open(e.URL(t), db.DefaultPool, nil)
			if err != nil {
				t.Fatal(err)
			}
			defer d.Close()
			m, err := db.NewMigrator(d, nil)
			if err != nil {
				t.Fatal(err)
			}
			if m.Latest() < 1 {
				t.Fatalf("no migrations embedded for %s", d.Dialect())
			}
			for round := 1; round <= 2; round++ {
				v, err := m.Up(ctx)
				if err != nil || v != m.Latest() {
					t.Fatalf("round %d: up = %d, %v; want %d", round, v, err, m.Latest())
				}
				if err := d.Merchants.CreateMerchant(ctx, &db.Merchant{Slug: "acme", Name: "Acme"}); err != nil {
					t.Fatalf("round %d: schema unusable after up: %v", round, err)
				}
				v, err = m.DownTo(ctx, 0)
				if err != nil || v != 0 {
					t.Fatalf("round %d: down = %d, %v; want 0", round, v, err)
				}
				if err := d.Merchants.CreateMerchant(ctx, &db.Merchant{Slug: "gone", Name: "Gone"}); err == nil {
					t.Fatalf("round %d: merchants table still there after down", round)
				}
			}
		})
	}
}

func seedMerchant(t *testing.T, d *db.DB, slug string) *db.Merchant {
	t.Helper()
	m := &db.Merchant{Slug: slug, Name: strings.ToUpper(slug), Policy: db.JSON(`{"window_days":30}`)}
	if err := d.Merchants.CreateMerchant(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	return m
}

func TestMerchantsStoresTerminals(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		m := seedMerchant(t, d, "demo")
		if err := d.Merchants.CreateMerchant(ctx, &db.Merchant{Slug: "demo", Name: "Again"}); !errors.Is(err, db.ErrConflict) {
			t.Fatalf("duplicate slug: err = %v, want ErrConflict", err)
		}
		got, err := d.Merchants.MerchantBySlug(ctx, "demo")
		if err != nil || got.ID != m.ID || got.Status != "active" {
			t.Fatalf("MerchantBySlug = %+v, %v", got, err)
		}
		if string(got.Policy) == "" || !strings.Contains(string(got.Policy), "window_days") {
			t.Fatalf("policy not kept: %s", got.Policy)
		}
		if _, err := d.Merchants.MerchantBySlug(ctx, "nobody"); !errors.Is(err, db.ErrNotFound) {
			t.Fatalf("unknown merchant: err = %v, want ErrNotFound", err)
		}
		s := &db.Store{MerchantID: m.ID, Code: "main", Name: "Main street"}
		if err := d.Merchants.CreateStore(ctx, s); err != nil {
			t.Fatal(err)
		}
		for _, tid := range []string{"T0000002", "T0000001"} {
			if err := d.Merchants.CreateTerminal(ctx, &db.Terminal{MerchantID: m.ID, StoreID: s.ID, TerminalID: tid, Kind: db.TerminalPhysical}); err != nil {
				t.Fatal(err)
			}
		}
		if err := d.Merchants.CreateTerminal(ctx, &db.Terminal{MerchantID: m.ID, StoreID: s.ID, TerminalID: "SHORT", Kind: db.TerminalVirtual}); err == nil {
			t.Fatal("a terminal id that is not 8 characters was stored")
		}
		if err := d.Merchants.CreateTerminal(ctx, &db.Terminal{MerchantID: m.ID, StoreID: db.NewID(), TerminalID: "T0000009", Kind: db.TerminalVirtual}); err == nil {
			t.Fatal("a terminal of a store that does not exist was stored")
		}
		ts, err := d.Merchants.Terminals(ctx, m.ID)
		if err != nil || len(ts) != 2 || ts[0].TerminalID != "T0000001" {
			t.Fatalf("Terminals = %+v, %v", ts, err)
		}
	})
}

func TestStaffUsernamesAreUniqueInAnyCase(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		m := seedMerchant(t, d, "demo")
		u := &db.StaffUser{MerchantID: &m.ID, Username: "Clerk", Role: "clerk", PasswordHash: "x"}
		if err := d.Staff.CreateStaff(ctx, u); err != nil {
			t.Fatal(err)
		}
		if err := d.Staff.CreateStaff(ctx, &db.StaffUser{MerchantID: &m.ID, Username: "CLERK", Role: "clerk", PasswordHash: "y"}); !errors.Is(err, db.ErrConflict) {
			t.Fatalf("same name in other case: err = %v, want ErrConflict", err)
		}
		got, err := d.Staff.StaffByUsername(ctx, m.ID, "cLeRk")
		if err != nil || got.ID != u.ID || got.Role != "clerk" || got.LockedUntil != nil {
			t.Fatalf("StaffByUsername = %+v, %v", got, err)
		}
		// An operator has no merchant; a clerk must have one.
		if err := d.Staff.CreateStaff(ctx, &db.StaffUser{Username: "ops", Role: "operator", PasswordHash: "z"}); err != nil {
			t.Fatalf("operator: %v", err)
		}
		if err := d.Staff.CreateStaff(ctx, &db.StaffUser{Username: "orphan", Role: "clerk", PasswordHash: "z"}); err == nil {
			t.Fatal("a clerk without a merchant was stored")
		}
		if err := d.Staff.CreateStaff(ctx, &db.StaffUser{Username: "OPS", Role: "operator", PasswordHash: "z"}); !errors.Is(err, db.ErrConflict) {
			t.Fatalf("a second operator of the same name: err = %v, want ErrConflict", err)
		}
	})
}

// Issue 13, finding 9: user names are unique per merchant, not across the
// platform, so a merchant learns nothing of another's staff by naming them;
// a member is found only under their own merchant.
func TestStaffUsernamesAreUniquePerMerchant(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		a, b := seedMerchant(t, d, "alpha"), seedMerchant(t, d, "beta")
		ua := &db.StaffUser{MerchantID: &a.ID, Username: "sup", Role: "supervisor", PasswordHash: "x"}
		must(t, d.Staff.CreateStaff(ctx, ua))
		ub := &db.StaffUser{MerchantID: &b.ID, Username: "SUP", Role: "clerk", PasswordHash: "y"}
		if err := d.Staff.CreateStaff(ctx, ub); err != nil {
			t.Fatalf("beta's sup: %v", err)
		}
		// An operator may share a merchant member's name too.
		must(t, d.Staff.CreateStaff(ctx, &db.StaffUser{Username: "sup", Role: "operator", PasswordHash: "z"}))
		for _, c := range []struct{ merchant, want string }{{a.ID, ua.ID}, {b.ID, ub.ID}} {
			got, err := d.Staff.StaffByUsername(ctx, c.merchant, "Sup")
			if err != nil || got.ID != c.want {
				t.Fatalf("sup of %s: %+v, %v", c.merchant, got, err)
			}
		}
		if got, err := d.Staff.StaffByUsername(ctx, "", "sup"); err != nil || got.Role != "operator" {
			t.Fatalf("the operator sup: %+v, %v", got, err)
		}
		if _, err := d.Staff.StaffByUsername(ctx, seedMerchant(t, d, "gamma").ID, "sup"); !errors.Is(err, db.ErrNotFound) {
			t.Fatalf("gamma has no sup: %v", err)
		}
	})
}

func TestOrdersKeepLinesPaymentAndTimes(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		m := seedMerchant(t, d, "demo")
		st := &db.Store{MerchantID: m.ID, Code: "main", Name: "Main"}
		must(t, d.Merchants.CreateStore(ctx, st))
		must(t, d.Merchants.CreateTerminal(ctx, &db.Terminal{MerchantID: m.ID, StoreID: st.ID, TerminalID: "T0000001", Kind: db.TerminalPhysical}))
		placed := time.Date(2026, 11, 20, 15, 4, 5, 0, time.FixedZone("CET", 3600))
		delivered := placed.Add(48 * time.Hour)
		o := &db.Order{
			MerchantID: m.ID, OrderNumber: "A-1001", Currency: "EUR", PlacedAt: placed, DeliveredAt: &delivered,
			ShippingAmount: 495, CustomerEmail: "ann@example.com", RequestHash: "h1",
			Lines: []db.OrderLine{
				{LineID: "2", Name: "Socks", Quantity: 3, UnitPrice: 999, Discount: 100},
				{LineID: "1", Name: "Shoes", Category: "footwear", Quantity: 1, UnitPrice: 8999},
			},
			Payment: &db.Payment{Channel: returns.ChannelCardPresent, Amount: 12391, Currency: "EUR", TerminalID: "T0000001",
				STAN: "000123", RRN: "632012345678", ApprovalCode: "A1B2C3", MaskedPAN: "411111******1111", CardFingerprint: "fp_abc"},
		}
		if err := d.Orders.CreateOrder(ctx, o); err != nil {
			t.Fatal(err)
		}
		dup := &db.Order{MerchantID: m.ID, OrderNumber: "A-1001", Currency: "EUR", PlacedAt: placed, RequestHash: "h2",
			Lines: []db.OrderLine{{LineID: "1", Name: "x", Quantity: 1, UnitPrice: 1}}}
		if err := d.Orders.CreateOrder(ctx, dup); !errors.Is(err, db.ErrConflict) {
			t.Fatalf("duplicate order number: err = %v, want ErrConflict", err)
		}
		got, err := d.Orders.OrderByNumber(ctx, m.ID, "A-1001")
		if err != nil {
			t.Fatal(err)
		}
		if !got.PlacedAt.Equal(placed) || got.DeliveredAt == nil || !got.DeliveredAt.Equal(delivered) {
			t.Errorf("times: placed %v delivered %v; want %v %v", got.PlacedAt, got.DeliveredAt, placed, delivered)
		}
		if len(got.Lines) != 2 || got.Lines[0].LineID != "2" || got.Lines[1].LineID != "1" || got.Lines[0].Discount != 100 {
			t.Errorf("lines not kept in order: %+v", got.Lines)
		}
		if got.Payment == nil || got.Payment.STAN != "000123" || got.Payment.Amount != 12391 || got.Payment.MaskedPAN != "411111******1111" {
			t.Errorf("payment = %+v", got.Payment)
		}
		bad := &db.Order{MerchantID: m.ID, OrderNumber: "A-1002", Currency: "EUR", PlacedAt: placed, RequestHash: "h3",
			Lines: []db.OrderLine{{LineID: "1", Name: "x", Quantity: 1, UnitPrice: 100, Discount: 101}}}
		if err := d.Orders.CreateOrder(ctx, bad); err == nil {
			t.Fatal("a discount above the line's price was stored")
		}
		if _, err := d.Orders.OrderByNumber(ctx, m.ID, "A-1002"); !errors.Is(err, db.ErrNotFound) {
			t.Fatalf("a failed order left rows behind: %v", err)
		}
	})
}

func TestAuditLogIsAppendOnly(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		m := seedMerchant(t, d, "demo")
		e := &db.AuditEntry{MerchantID: &m.ID, Actor: "supervisor", ActorRole: "supervisor", Action: "return.review",
			ResourceType: "return", ResourceID: "r1", Outcome: db.OutcomeSuccess, Origin: "10.0.0.1"}
		if err := d.Audit.AppendAudit(ctx, e); err != nil {
			t.Fatal(err)
		}
		if e.ID == 0 {
			t.Fatal("audit entry got no id")
		}
		if err := d.Exec(ctx, "UPDATE audit_log SET outcome = 'failed' WHERE id = ?", e.ID); err == nil {
			t.Fatal("an audit entry was updated")
		}
		if err := d.Exec(ctx, "DELETE FROM audit_log WHERE id = ?", e.ID); err == nil {
			t.Fatal("an audit entry was deleted")
		}
		es, err := d.Audit.AuditLog(ctx, m.ID, 10)
		if err != nil || len(es) != 1 || es[0].Outcome != db.OutcomeSuccess || es[0].Origin != "10.0.0.1" {
			t.Fatalf("AuditLog = %+v, %v", es, err)
		}
	})
}

func TestApplyTransitionIsOrderedAndIdempotent(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		m := seedMerchant(t, d, "demo")
		o := &db.Order{MerchantID: m.ID, OrderNumber: "A-1", Currency: "EUR", PlacedAt: time.Now(), RequestHash: "h",
			Lines: []db.OrderLine{{LineID: "1", Name: "x", Quantity: 1, UnitPrice: 100}}}
		if err := d.Orders.CreateOrder(ctx, o); err != nil {
			t.Fatal(err)
		}
		r := &db.Return{MerchantID: m.ID, OrderID: o.ID, Status: "pending_verification", Method: "ship",
			Contact: "ann@example.com", ContactKind: "email", Currency: "EUR",
			Lines: []db.ReturnLine{{LineID: "1", Quantity: 1, Reason: "too_small"}}}
		if err := d.Returns.CreateReturn(ctx, r); err != nil {
			t.Fatal(err)
		}
		at := time.Now()
		steps := []struct {
			tr      db.Transition
			applied bool
		}{
			{db.Transition{ReturnID: r.ID, Seq: 1, Status: "submitted", Actor: "shopper", At: at}, true},
			{db.Transition{ReturnID: r.ID, Seq: 1, Status: "submitted", Actor: "shopper", At: at}, false}, // retry
			{db.Transition{ReturnID: r.ID, Seq: 3, Status: "approved", Actor: "system", At: at}, true},
			{db.Transition{ReturnID: r.ID, Seq: 2, Status: "awaiting_review", Actor: "system", At: at}, false}, // late
		}
		var firstIDs []string
		for i, s := range steps {
			var msgs []db.OutboxMessage
			if s.tr.Seq == 1 {
				msgs = []db.OutboxMessage{{Channel: "email", Recipient: "ann@example.com", Subject: "submitted"}}
			}
			applied, pending, err := d.Returns.ApplyTransition(ctx, s.tr, msgs)
			if err != nil || applied != s.applied {
				t.Fatalf("step %d: applied = %v, %v; want %v", i, applied, err, s.applied)
			}
			if s.tr.Seq == 1 {
				if i == 0 {
					firstIDs = pending
				} else if len(pending) != 1 || pending[0] != firstIDs[0] {
					// a retry must hand back the same message, not queue another
					t.Fatalf("retry: pending %v; want %v", pending, firstIDs)
				}
			}
		}
		if err := d.Outbox.MarkOutboxSent(ctx, firstIDs[0], false); err != nil {
			t.Fatal(err)
		}
		if _, pending, _ := d.Returns.ApplyTransition(ctx, steps[0].tr, nil); len(pending) != 0 {
			t.Fatalf("a sent message is pending again: %v", pending)
		}
		got, err := d.Returns.ReturnByID(ctx, r.ID)
		if err != nil || got.Status != "approved" || got.Seq != 3 || len(got.Lines) != 1 {
			t.Fatalf("after transitions: %+v, %v; want approved at seq 3", got, err)
		}
		events, err := d.Returns.Timeline(ctx, r.ID)
		if err != nil || len(events) != 2 || events[0].Status != "submitted" || events[1].Status != "approved" {
			t.Fatalf("timeline = %+v, %v; want submitted, approved", events, err)
		}
	})
}

func TestSentCodesLoseTheirBodyOutsideDev(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		for _, keep := range []bool{false, true} {
			code := &db.OutboxMessage{Channel: "email", Recipient: "ann@example.com", Subject: "Your return code",
				BodyText: "code is 123456", BodyHTML: "<p>123456</p>", Sensitive: true}
			plain := &db.OutboxMessage{Channel: "email", Recipient: "ann@example.com", Subject: "Approved", BodyText: "approved"}
			for _, m := range []*db.OutboxMessage{code, plain} {
				if err := d.Outbox.QueueOutbox(ctx, m); err != nil {
					t.Fatal(err)
				}
				if err := d.Outbox.MarkOutboxSent(ctx, m.ID, keep); err != nil {
					t.Fatal(err)
				}
			}
			got, err := d.Outbox.OutboxByIDs(ctx, []string{code.ID, plain.ID})
			if err != nil || len(got) != 2 {
				t.Fatal(err)
			}
			for _, m := range got {
				if m.Status != db.OutboxSent || m.SentAt == nil || m.Attempts != 1 {
					t.Fatalf("message not recorded as sent: %+v", m)
				}
				kept := m.BodyText != ""
				if want := keep || !m.Sensitive; kept != want {
					t.Fatalf("keep=%v sensitive=%v: body kept = %v", keep, m.Sensitive, kept)
				}
			}
		}
	})
}

func TestSTANsAreUniquePerTerminalPerDayWrapAndSkipWhatIsInFlight(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		m := seedMerchant(t, d, "demo")
		s := &db.Store{MerchantID: m.ID, Code: "main", Name: "Main"}
		if err := d.Merchants.CreateStore(ctx, s); err != nil {
			t.Fatal(err)
		}
		if err := d.Merchants.CreateTerminal(ctx, &db.Terminal{MerchantID: m.ID, StoreID: s.ID, TerminalID: "R0000001", Kind: db.TerminalVirtual, NextSTAN: 999998}); err != nil {
			t.Fatal(err)
		}
		o := &db.Order{MerchantID: m.ID, OrderNumber: "A-1", Currency: "EUR", PlacedAt: time.Now(), RequestHash: "h",
			Lines:   []db.OrderLine{{LineID: "1", Name: "x", Quantity: 1, UnitPrice: 100000}},
			Payment: &db.Payment{Channel: returns.ChannelOnline, Amount: 100000, Currency: "EUR", GatewayPaymentID: "pay_stan_test"}}
		if err := d.Orders.CreateOrder(ctx, o); err != nil {
			t.Fatal(err)
		}
		r := &db.Return{MerchantID: m.ID, OrderID: o.ID, Status: "refund_pending", Method: "in_store", Contact: "a@b.c", ContactKind: "email", Currency: "EUR",
			Lines: []db.ReturnLine{{LineID: "1", Quantity: 1, Reason: "other"}}}
		if err := d.Returns.CreateReturn(ctx, r); err != nil {
			t.Fatal(err)
		}
		day1 := time.Date(2026, 11, 25, 23, 0, 0, 0, time.UTC)
		day2 := day1.Add(2 * time.Hour)
		// Each attempt on a refund of its own: a refund's next attempt waits
		// for its last one to clear.
		alloc := func(at time.Time) *db.RefundAttempt {
			ref, err := d.Refunds.CreateRefund(ctx, &db.Refund{ID: db.NewID(), ReturnID: r.ID, OrderID: o.ID, MerchantID: m.ID, Channel: "card_present",
				Amount: 100, Currency: "EUR", Status: returns.RefundStatusPending, Quote: db.JSON("{}")})
			if err != nil {
				t.Fatal(err)
			}
			a, err := d.Refunds.CreateAttempt(ctx, &db.RefundAttempt{ID: db.NewID(), RefundID: ref.ID, Kind: returns.AttemptRefund, Amount: 100, TerminalID: "R0000001"}, at)
			if err != nil {
				t.Fatal(err)
			}
			return a
		}
		move := func(a *db.RefundAttempt, states ...returns.AttemptState) {
			for _, st := range states {
				if moved, err := d.Refunds.MoveAttempt(ctx, a.ID, st, nil); err != nil || !moved {
					t.Fatalf("move %s to %s: %v, %v", a.STAN, st, moved, err)
				}
			}
		}
		var got []string
		for range 3 {
			a := alloc(day1)
			got = append(got, a.STAN)
			move(a, returns.AttemptSent, returns.AttemptApproved)
		}
		if strings.Join(got, ",") != "999998,999999,000001" {
			t.Fatalf("STANs %v; want 999998, 999999 and then 000001 (wrapped)", got)
		}
		// 000002 yesterday is still unknown (in flight): the next day skips it.
		second := alloc(day1)
		move(second, returns.AttemptSent, returns.AttemptUnknown)
		if err := d.Exec(ctx, "UPDATE terminals SET next_stan = 1 WHERE terminal_id = 'R0000001'"); err != nil {
			t.Fatal(err)
		}
		// On a new day 000001 is free again (its attempt is settled), 000002 is not.
		first := alloc(day2)
		next := alloc(day2)
		if second.STAN != "000002" || first.STAN != "000001" || next.STAN != "000003" || first.STANDay != "2026-11-26" {
			t.Fatalf("in flight %s; new day %s, %s (%s); want 000002; 000001, 000003", second.STAN, first.STAN, next.STAN, first.STANDay)
		}
		// A retried activity gets its attempt back, not a new STAN.
		again, err := d.Refunds.CreateAttempt(ctx, &db.RefundAttempt{ID: next.ID, RefundID: next.RefundID, TerminalID: "R0000001"}, day2)
		if err != nil || again.STAN != next.STAN {
			t.Fatalf("retry: %+v, %v", again, err)
		}
	})
}

// Staged rows come back as they went in, whatever characters they hold
// (COPY's text format escapes them on Postgres).
func TestStagedRowsKeepEveryCharacter(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		m := &db.Merchant{Slug: "stage", Name: "Stage", Policy: db.JSON("{}"), Status: "active"}
		if err := d.Merchants.CreateMerchant(ctx, m); err != nil {
			t.Fatal(err)
		}
		f := &db.SettlementFile{MerchantID: m.ID, Source: db.SourceGateway, Filename: "r.csv"}
		if err := d.Settlement.CreateSettlementFile(ctx, f); err != nil {
			t.Fatal(err)
		}
		odd := "tab\there, back\\slash, new\nline, \\N, ünïcödé"
		src := &itemList{items: []db.SettlementItem{
			{FileID: f.ID, Line: 2, Reference: odd, GatewayRefund: "re_1", Amount: 100, Currency: "EUR"},
			{FileID: f.ID, Line: 3, Reference: "", GatewayRefund: "re_2", Amount: -5, Currency: "EUR"},
		}}
		n, err := d.Settlement.StageItems(ctx, src)
		if err != nil || n != 2 {
			t.Fatalf("staged %d: %v", n, err)
		}
		got, err := d.Settlement.SettlementItems(ctx, f.ID, nil, 0, 10)
		if err != nil || len(got) != 2 {
			t.Fatalf("read %d: %v", len(got), err)
		}
		if got[0].Reference != odd || got[0].Amount != 100 || got[1].Reference != "" || got[1].Amount != -5 || got[1].GatewayRefund != "re_2" {
			t.Fatalf("read back %+v", got)
		}
	})
}

type itemList struct{ items []db.SettlementItem }

func (l *itemList) Next() (*db.SettlementItem, error) {
	if len(l.items) == 0 {
		return nil, io.EOF
	}
	it := l.items[0]
	l.items = l.items[1:]
	return &it, nil
}
