package api

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"github.com/rebound-returns/rebound/returns"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.temporal.io/sdk/client"

	"github.com/rebound-returns/rebound/app/counter"
	"github.com/rebound-returns/rebound/app/wire"
	"github.com/rebound-returns/rebound/auth"
	"github.com/rebound-returns/rebound/db"
	"github.com/rebound-returns/rebound/db/dbtest"
)

const rightPassword = "the-right-password-1"

// shop is a merchant with a supervisor, a clerk, a terminal and a card sale
// whose in-store return waits at the counter, served by the API alone (the
// checks under test all answer before anything reaches Temporal).
type shop struct {
	t        testing.TB
	d        *db.DB
	h        http.Handler
	pool     *auth.Pool
	clock    *atomic.Int64 // unix nanoseconds
	merchant *db.Merchant
	sup      *db.StaffUser
	clerk    string // the clerk's bearer token
	returnID string
}

var rightHash = func() string { h, _ := auth.HashPassword(rightPassword); return h }()

func newShop(t testing.TB, d *db.DB, slug string, pool *auth.Pool) *shop {
	t.Helper()
	ctx := context.Background()
	s := &shop{t: t, d: d, pool: pool, clock: &atomic.Int64{}}
	s.clock.Store(time.Now().UnixNano())
	s.merchant = &db.Merchant{Slug: slug, Name: slug, Policy: db.JSON(`{"window_days":30}`)}
	must(t, d.Merchants.CreateMerchant(ctx, s.merchant))
	st := &db.Store{MerchantID: s.merchant.ID, Code: "main", Name: "Main"}
	must(t, d.Merchants.CreateStore(ctx, st))
	term := slug[:1] + "P000001"
	must(t, d.Merchants.CreateTerminal(ctx, &db.Terminal{MerchantID: s.merchant.ID, StoreID: st.ID, TerminalID: term, Kind: db.TerminalPhysical}))
	s.sup = s.staff("sup", "supervisor")
	clerk := s.staff("clerk", "clerk")
	s.clerk = "rbs_clerk_" + slug
	must(t, d.Staff.CreateSession(ctx, &db.Session{TokenHash: auth.HashToken(s.clerk), Kind: db.SessionStaff, StaffUserID: &clerk.ID,
		MerchantID: &s.merchant.ID, Role: "clerk", ExpiresAt: time.Now().Add(time.Hour)}))
	o := &db.Order{MerchantID: s.merchant.ID, OrderNumber: "S-1", Currency: "EUR", PlacedAt: time.Now().Add(-48 * time.Hour), RequestHash: "h",
		Lines: []db.OrderLine{{LineID: "1", Name: "x", Quantity: 1, UnitPrice: 4000}},
		Payment: &db.Payment{Channel: returns.ChannelCardPresent, Amount: 4000, Currency: "EUR", TerminalID: term,
			STAN: "000042", RRN: slug[:1] + "00000000042", ApprovalCode: "AP0001", MaskedPAN: "411111******1111", CardFingerprint: "fp_0000001"}}
	must(t, d.Orders.CreateOrder(ctx, o))
	r := &db.Return{MerchantID: s.merchant.ID, OrderID: o.ID, Status: "refund_pending", Method: "in_store", Channel: "card_present",
		Contact: "pat@example.com", ContactKind: "email", Currency: "EUR"}
	must(t, d.Returns.CreateReturn(ctx, r))
	s.returnID = r.ID
	s.h = NewHandler(wired(Deps{Now: func() time.Time { return time.Unix(0, s.clock.Load()) }}, d, startsOnly{}, pool))
	return s
}

// startsOnly is a Temporal that accepts workflow starts (the admins'
// messages) and nothing else.
type startsOnly struct{ wire.Temporal }

func (startsOnly) ExecuteWorkflow(context.Context, client.StartWorkflowOptions, any, ...any) (client.WorkflowRun, error) {
	return nil, nil
}

func (s *shop) staff(username string, role returns.Role) *db.StaffUser {
	s.t.Helper()
	u := &db.StaffUser{MerchantID: &s.merchant.ID, Username: username, Role: role, PasswordHash: rightHash, Email: username + "@example.com"}
	must(s.t, s.d.Staff.CreateStaff(context.Background(), u))
	return u
}

func (s *shop) later(d time.Duration) { s.clock.Add(int64(d)) }

func (s *shop) post(path string, body any, header ...string) *httptest.ResponseRecorder {
	b, _ := json.Marshal(body)
	req := httptest.NewRequest(http.MethodPost, path, bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/json")
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	rec := httptest.NewRecorder()
	s.h.ServeHTTP(rec, req)
	return rec
}

func (s *shop) counter(supervisorPassword, voucher string) *httptest.ResponseRecorder {
	return s.post("/v1/merchant/returns/"+s.returnID+"/in-store-refund", map[string]string{
		"terminal_id": s.merchant.Slug[:1] + "P000001", "supervisor_username": "sup", "supervisor_password": supervisorPassword,
		"voucher_no": voucher, "card_fingerprint": "fp_0000001"}, "Authorization", "Bearer "+s.clerk)
}

// parallel sends n requests at once and counts the answers by status.
func parallel(n int, send func() *httptest.ResponseRecorder) map[int]int {
	var mu sync.Mutex
	got := map[int]int{}
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			rec := send()
			mu.Lock()
			got[rec.Code]++
			mu.Unlock()
		})
	}
	wg.Wait()
	return got
}

// Issue 13, finding 1: 50 wrong passwords at once against a limit of ten:
// ten are checked, the rest are refused with 423 unhashed, and the right
// password is refused too until the lock ends.
func TestConcurrentWrongPasswordsAreCheckedAtMostTheLimit(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		s := newShop(t, d, "demo", auth.NewPool(8, time.Minute))
		login := func(pw string) *httptest.ResponseRecorder {
			return s.post("/v1/auth/login", map[string]string{"merchant": "demo", "username": "sup", "password": pw})
		}
		got := parallel(50, func() *httptest.ResponseRecorder { return login("guess") })
		if got[401] != maxLoginFailures || got[423] != 50-maxLoginFailures || s.pool.Hashes() != maxLoginFailures {
			t.Fatalf("answers %v after %d hashes; want %d×401, the rest 423, %[3]d hashes", got, s.pool.Hashes(), maxLoginFailures)
		}
		rec := login(rightPassword)
		if rec.Code != http.StatusLocked || rec.Header().Get("Retry-After") == "" {
			t.Fatalf("the right password while locked: %d %s (Retry-After %q)", rec.Code, rec.Body, rec.Header().Get("Retry-After"))
		}
		s.later(loginLockout - time.Minute)
		if rec := login(rightPassword); rec.Code != http.StatusLocked {
			t.Fatalf("a minute before the lock ends: %d", rec.Code)
		}
		s.later(2 * time.Minute)
		if rec := login(rightPassword); rec.Code != http.StatusOK {
			t.Fatalf("after the lock: %d %s", rec.Code, rec.Body)
		}
	})
}

// Issue 13, finding 1: 20 wrong supervisor passwords at the counter at once
// lock the supervisor after ten (403 then 423), and the right one is then
// refused as well; the merchant's admins are told once.
func TestConcurrentWrongSupervisorPasswordsLockAtTheCounter(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		s := newShop(t, d, "demo", auth.NewPool(8, time.Minute))
		s.staff("admin", "admin")
		got := parallel(20, func() *httptest.ResponseRecorder { return s.counter("guess", "000042") })
		if got[403] != maxLoginFailures || got[423] != 20-maxLoginFailures || s.pool.Hashes() != maxLoginFailures {
			t.Fatalf("answers %v after %d hashes; want %d×403, the rest 423", got, s.pool.Hashes(), maxLoginFailures)
		}
		if rec := s.counter(rightPassword, "000042"); rec.Code != http.StatusLocked {
			t.Fatalf("the right supervisor password while locked: %d %s", rec.Code, rec.Body)
		}
		msgs, err := s.d.Outbox.OutboxTo(context.Background(), "admin@example.com", 10)
		if err != nil || len(msgs) != 1 || !strings.Contains(msgs[0].Subject, "locked") {
			t.Fatalf("the admin was told %d times: %v", len(msgs), err)
		}
	})
}

// Issue 13, finding 2: guesses of the current password through POST
// /v1/auth/password count towards the lock-out, and the right one does not
// lift it.
func TestPasswordChangeGuessesAreLimited(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		s := newShop(t, d, "demo", auth.NewPool(8, time.Minute))
		token := "rbs_sup_session"
		must(t, s.d.Staff.CreateSession(context.Background(), &db.Session{TokenHash: auth.HashToken(token), Kind: db.SessionStaff,
			StaffUserID: &s.sup.ID, MerchantID: &s.merchant.ID, Role: "supervisor", ExpiresAt: time.Now().Add(time.Hour)}))
		change := func(current string) *httptest.ResponseRecorder {
			return s.post("/v1/auth/password", map[string]string{"current_password": current, "new_password": "a-brand-new-password"},
				"Authorization", "Bearer "+token)
		}
		got := parallel(15, func() *httptest.ResponseRecorder { return change("guess-of-the-password") })
		if got[422] != maxLoginFailures || got[423] != 15-maxLoginFailures {
			t.Fatalf("answers %v; want %d×422, the rest 423", got, maxLoginFailures)
		}
		if rec := change(rightPassword); rec.Code != http.StatusLocked {
			t.Fatalf("the right current password while locked: %d %s", rec.Code, rec.Body)
		}
		u, err := s.d.Staff.StaffByID(context.Background(), s.sup.ID)
		if err != nil || u.LockedUntil == nil || u.PasswordHash != rightHash {
			t.Fatalf("the lock was lifted or the password changed: %+v, %v", u, err)
		}
		if rec := s.post("/v1/auth/login", map[string]string{"merchant": "demo", "username": "sup", "password": rightPassword}); rec.Code != http.StatusLocked {
			t.Fatalf("log-in after the guesses: %d", rec.Code)
		}
	})
}

// Issue 13, finding 9: voucher numbers (and cards) guessed at the counter
// are counted on the sale: after five wrong ones the sale's counter refund
// is locked, even with the right voucher, and the admins are told.
// wantSaleLocked checks a sale the counter locked: the right voucher is
// refused 423 with Retry-After, the supervisor's right password was not
// counted against them, and the admins were told once.
func (s *shop) wantSaleLocked(t *testing.T) {
	t.Helper()
	rec := s.counter(rightPassword, "000042")
	if rec.Code != http.StatusLocked || !strings.Contains(rec.Body.String(), "sale-locked") || rec.Header().Get("Retry-After") == "" {
		t.Fatalf("the right voucher while the sale is locked: %d %s", rec.Code, rec.Body)
	}
	// The supervisor's right password was not counted against them.
	if u, _ := s.d.Staff.StaffByID(context.Background(), s.sup.ID); u.FailedLogins != 0 || u.LockedUntil != nil {
		t.Fatalf("the supervisor: %d failures, locked until %v", u.FailedLogins, u.LockedUntil)
	}
	msgs, err := s.d.Outbox.OutboxTo(context.Background(), "admin@example.com", 10)
	if err != nil || len(msgs) != 1 || !strings.Contains(msgs[0].Subject, "Counter refund locked") {
		t.Fatalf("the admin was told %d times: %v", len(msgs), err)
	}
}

func TestCounterVoucherGuessesLockTheSale(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		s := newShop(t, d, "demo", auth.NewPool(8, time.Minute))
		s.staff("admin", "admin")
		// One after another: the supervisor's right password, sent at
		// once by many, would itself hit the supervisor's lock-out.
		got := map[int]int{}
		for i := range 12 {
			got[s.counter(rightPassword, fmt.Sprintf("9000%02d", i)).Code]++
		}
		if got[422] != counter.MaxFailures || got[423] != 12-counter.MaxFailures {
			t.Fatalf("answers %v; want %d×422, the rest 423", got, counter.MaxFailures)
		}
		s.wantSaleLocked(t)
		// A wrong card counts as well, once the lock has ended.
		s.later(counter.LockoutFor + time.Minute)
		rec := s.post("/v1/merchant/returns/"+s.returnID+"/in-store-refund", map[string]string{
			"terminal_id": "dP000001", "supervisor_username": "sup", "supervisor_password": rightPassword,
			"voucher_no": "000042", "card_fingerprint": "fp_someone_else"}, "Authorization", "Bearer "+s.clerk)
		if rec.Code != http.StatusUnprocessableEntity || !strings.Contains(rec.Body.String(), "card_fingerprint") {
			t.Fatalf("a wrong card: %d %s", rec.Code, rec.Body)
		}
	})
}

// Issue 13, finding 9, in parallel: twenty wrong vouchers sent at once
// (with the supervisor's right password) are checked at most the sale's
// limit — each claims its try before the voucher is compared — and the rest
// answer 423 sale-locked; the right voucher is then refused too, the
// admins are told once, and the supervisor is not counted against. Once
// the lock ends, twenty wrong cards at once go the same way.
func TestConcurrentCounterVoucherGuessesLockTheSale(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		// Eight hashing slots: at most eight supervisor tries are claimed
		// at once, below the supervisor's own limit of ten, so the right
		// password sent by twenty never locks the supervisor.
		s := newShop(t, d, "demo", auth.NewPool(8, time.Minute))
		s.staff("admin", "admin")
		var n atomic.Int32
		guess := func(card string) func() *httptest.ResponseRecorder {
			return func() *httptest.ResponseRecorder {
				voucher := fmt.Sprintf("9%05d", n.Add(1))
				if card != "" {
					voucher = "000042"
				}
				return s.post("/v1/merchant/returns/"+s.returnID+"/in-store-refund", map[string]string{
					"terminal_id": "dP000001", "supervisor_username": "sup", "supervisor_password": rightPassword,
					"voucher_no": voucher, "card_fingerprint": cmp.Or(card, "fp_0000001")}, "Authorization", "Bearer "+s.clerk)
			}
		}
		got := parallel(20, guess(""))
		if got[422] != counter.MaxFailures || got[423] != 20-counter.MaxFailures {
			t.Fatalf("answers %v; want %d×422 (checked), the rest 423", got, counter.MaxFailures)
		}
		s.wantSaleLocked(t)

		s.later(counter.LockoutFor + time.Minute)
		got = parallel(20, guess("fp_someone_else"))
		if got[422] != counter.MaxFailures || got[423] != 20-counter.MaxFailures {
			t.Fatalf("wrong cards: answers %v; want %d×422 (checked), the rest 423", got, counter.MaxFailures)
		}
		if rec := s.counter(rightPassword, "000042"); rec.Code != http.StatusLocked || !strings.Contains(rec.Body.String(), "sale-locked") {
			t.Fatalf("the right card while the sale is locked again: %d %s", rec.Code, rec.Body)
		}
	})
}

// Issue 13, finding 7: password hashing is bounded. With one slot and a
// short wait, log-ins sent at once beyond what the slot serves in that wait
// are answered 503 problem+json with Retry-After, and unknown user names
// cost a hash through the same pool (no timing oracle, no way around it).
func TestPasswordHashingIsBoundedAndBusyAnswers503(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		s := newShop(t, d, "demo", auth.NewPool(1, 50*time.Millisecond))
		var mu sync.Mutex
		var busy []*httptest.ResponseRecorder
		got := parallel(12, func() *httptest.ResponseRecorder {
			rec := s.post("/v1/auth/login", map[string]string{"merchant": "demo", "username": "nobody", "password": "guess"})
			if rec.Code == http.StatusServiceUnavailable {
				mu.Lock()
				busy = append(busy, rec)
				mu.Unlock()
			}
			return rec
		})
		if got[401]+got[503] != 12 || got[503] == 0 || got[401] == 0 || int64(got[401]) != s.pool.Hashes() {
			t.Fatalf("answers %v after %d hashes; want some 401 (each one hash) and some 503", got, s.pool.Hashes())
		}
		for _, rec := range busy {
			if p := readProblem(t, rec); p.Type != "urn:rebound:problem:busy" || rec.Header().Get("Retry-After") == "" {
				t.Fatalf("busy answer %+v, Retry-After %q", p, rec.Header().Get("Retry-After"))
			}
		}
		// Once the crowd has gone, a log-in goes through.
		if rec := s.post("/v1/auth/login", map[string]string{"merchant": "demo", "username": "sup", "password": rightPassword}); rec.Code != http.StatusOK {
			t.Fatalf("log-in after the crowd: %d %s", rec.Code, rec.Body)
		}
	})
}

// An invitation hashes its one-time password in the pool log-in hashes in:
// while the pool is full past its wait, the admin's invite is answered 503
// busy with Retry-After and makes nobody; once a slot frees, it goes
// through, one hash in the pool.
func TestInviteUnderAFullHashingPoolIsBusy(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		pool := auth.NewPool(1, 50*time.Millisecond)
		s := newShop(t, d, "demo", pool)
		admin := s.staff("admin", "admin")
		token := "rbs_demo_admin"
		must(t, d.Staff.CreateSession(ctx, &db.Session{TokenHash: auth.HashToken(token), Kind: db.SessionStaff, StaffUserID: &admin.ID,
			MerchantID: &s.merchant.ID, Role: "admin", ExpiresAt: time.Now().Add(time.Hour)}))
		invite := map[string]string{"username": "newcomer", "role": "clerk"}

		slot, err := pool.Hold(ctx)
		if err != nil {
			t.Fatal(err)
		}
		rec := s.post("/v1/merchant/staff", invite, "Authorization", "Bearer "+token)
		if p := readProblem(t, rec); rec.Code != http.StatusServiceUnavailable || p.Type != "urn:rebound:problem:busy" || rec.Header().Get("Retry-After") == "" {
			t.Fatalf("invite under a full pool: %d %+v, Retry-After %q", rec.Code, p, rec.Header().Get("Retry-After"))
		}
		if _, err := d.Staff.StaffByUsername(ctx, s.merchant.ID, "newcomer"); err == nil {
			t.Fatal("the busy invite made the member")
		}
		slot.Release()
		before := pool.Hashes()
		if rec := s.post("/v1/merchant/staff", invite, "Authorization", "Bearer "+token); rec.Code != http.StatusCreated {
			t.Fatalf("invite once the pool is free: %d %s", rec.Code, rec.Body)
		}
		if pool.Hashes() != before+1 {
			t.Fatalf("the invite ran %d hashes in the pool; want 1", pool.Hashes()-before)
		}
	})
}

// Issue 13, finding 9: user names are unique per merchant and log-in names
// the merchant. Merchant B's admin can create a member named like one of
// A's (learning nothing about A), and B's failures — log-ins and counter
// authorisations naming "sup" — never lock A's supervisor.
func TestAnotherMerchantCanNeitherLearnNorLockOurStaff(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		pool := auth.NewPool(8, time.Minute)
		a := newShop(t, d, "alpha", pool)
		b := newShop(t, d, "beta", pool) // beta has its own "sup" and "clerk"
		ctx := context.Background()
		admin := b.staff("admin", "admin")
		token := "rbs_beta_admin"
		must(t, d.Staff.CreateSession(ctx, &db.Session{TokenHash: auth.HashToken(token), Kind: db.SessionStaff, StaffUserID: &admin.ID,
			MerchantID: &b.merchant.ID, Role: "admin", ExpiresAt: time.Now().Add(time.Hour)}))
		a.staff("finance", "finance")
		rec := b.post("/v1/merchant/staff", map[string]string{"username": "finance", "email": "fin@beta.example", "role": "finance"},
			"Authorization", "Bearer "+token)
		if rec.Code != http.StatusCreated {
			t.Fatalf("beta's admin naming a member like alpha's: %d %s", rec.Code, rec.Body)
		}
		// Beta guesses "sup" twenty times at log-in and at its counter.
		for range 20 {
			b.post("/v1/auth/login", map[string]string{"merchant": "beta", "username": "sup", "password": "guess"})
			b.counter("guess", "000042")
		}
		if rec := b.post("/v1/auth/login", map[string]string{"merchant": "beta", "username": "sup", "password": rightPassword}); rec.Code != http.StatusLocked {
			t.Fatalf("beta's own sup after forty failures: %d", rec.Code)
		}
		if u, _ := d.Staff.StaffByID(ctx, a.sup.ID); u.FailedLogins != 0 || u.LockedUntil != nil {
			t.Fatalf("alpha's sup counted beta's failures: %d, locked until %v", u.FailedLogins, u.LockedUntil)
		}
		var out struct{ Merchant, Role string }
		rec = a.post("/v1/auth/login", map[string]string{"merchant": "alpha", "username": "sup", "password": rightPassword})
		if rec.Code != http.StatusOK || json.Unmarshal(rec.Body.Bytes(), &out) != nil || out.Merchant != "alpha" || out.Role != "supervisor" {
			t.Fatalf("alpha's sup logs in: %d %s", rec.Code, rec.Body)
		}
		// Without the merchant, only platform operators are found; an
		// unknown merchant is an unknown user.
		for _, m := range []string{"", "gamma"} {
			rec := a.post("/v1/auth/login", map[string]string{"merchant": m, "username": "sup", "password": rightPassword})
			if p := readProblem(t, rec); rec.Code != http.StatusUnauthorized || p.Detail != "wrong user name or password" {
				t.Fatalf("merchant %q: %d %+v", m, rec.Code, p)
			}
		}
	})
}
