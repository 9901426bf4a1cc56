package db_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/rebound-returns/rebound/db"
	"github.com/rebound-returns/rebound/db/dbtest"
	"github.com/rebound-returns/rebound/otp"
)

// Order lookups: a code sent to an order's contact which, entered, opens
// the order through an access token. Only the code's HMAC and the token's
// hash are kept.

var lkSecret = []byte("lookup test secret")

const lkCode = "123456"

// lkOrder stores a merchant with one order for the lookups to open.
func lkOrder(t *testing.T, d *db.DB) (*db.Merchant, *db.Order) {
	t.Helper()
	m := seedMerchant(t, d, "demo")
	o := &db.Order{MerchantID: m.ID, OrderNumber: "L-1", Currency: "EUR", PlacedAt: time.Now(), RequestHash: "h",
		CustomerEmail: "ann@example.com", Lines: []db.OrderLine{{LineID: "1", Name: "Shoes", Quantity: 1, UnitPrice: 4999}}}
	if err := d.Orders.CreateOrder(context.Background(), o); err != nil {
		t.Fatal(err)
	}
	return m, o
}

// lkNew stores a lookup of the order whose code is lkCode, created at
// `at` and living for life.
func lkNew(t *testing.T, d *db.DB, m *db.Merchant, o *db.Order, contact, clientIP string, at time.Time, life time.Duration) *db.OrderLookup {
	t.Helper()
	l := &db.OrderLookup{ID: db.NewID(), MerchantID: m.ID, OrderID: o.ID, Contact: contact, ContactKind: "email",
		ClientIP: clientIP, CreatedAt: at, ExpiresAt: at.Add(life)}
	l.CodeHMAC = otp.Sum(lkSecret, l.ID, lkCode)
	if err := d.Shoppers.CreateLookup(context.Background(), l); err != nil {
		t.Fatal(err)
	}
	return l
}

// lkCheck checks code against the lookup as the API does.
func lkCheck(t *testing.T, d *db.DB, id, code string, now time.Time, tokenHash string, tokenExpires time.Time) db.CodeCheck {
	t.Helper()
	res, err := d.Shoppers.CheckLookupCode(context.Background(), id, now, otp.MaxTries, func(id, stored string) bool {
		return otp.Matches(lkSecret, id, code, stored)
	}, tokenHash, tokenExpires)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func TestLookupIsStoredAndReadBack(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		m, o := lkOrder(t, d)
		at := time.Date(2026, 11, 26, 9, 30, 0, 0, time.FixedZone("CET", 3600))
		l := lkNew(t, d, m, o, "ann@example.com", "192.0.2.7", at, 10*time.Minute)

		got, err := d.Shoppers.LookupByID(ctx, l.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.MerchantID != m.ID || got.OrderID != o.ID || got.Contact != "ann@example.com" || got.ContactKind != "email" ||
			got.ClientIP != "192.0.2.7" || got.CodeHMAC != l.CodeHMAC || got.Attempts != 0 {
			t.Fatalf("LookupByID = %+v; want what was stored (%+v)", got, l)
		}
		if !got.CreatedAt.Equal(at) || !got.ExpiresAt.Equal(at.Add(10*time.Minute)) {
			t.Fatalf("times: created %v expires %v; want %v and 10 minutes later", got.CreatedAt, got.ExpiresAt, at)
		}
		if got.VerifiedAt != nil || got.TokenHash != nil || got.TokenExpiresAt != nil {
			t.Fatalf("a new lookup is already verified: %+v", got)
		}
		if got.CodeHMAC == lkCode || len(got.CodeHMAC) != 64 {
			t.Fatalf("stored code %q; want its HMAC", got.CodeHMAC)
		}
		if _, err := d.Shoppers.LookupByID(ctx, db.NewID()); !errors.Is(err, db.ErrNotFound) {
			t.Fatalf("unknown lookup: err = %v, want ErrNotFound", err)
		}
		// The id is the lookup's: storing it twice does not make a second.
		again := *l
		if err := d.Shoppers.CreateLookup(ctx, &again); !errors.Is(err, db.ErrConflict) {
			t.Fatalf("the same lookup stored twice: err = %v, want ErrConflict", err)
		}
		// A lookup belongs to an order that exists.
		orphan := &db.OrderLookup{ID: db.NewID(), MerchantID: m.ID, OrderID: db.NewID(), Contact: "x@example.com",
			ContactKind: "email", CodeHMAC: "00", CreatedAt: at, ExpiresAt: at.Add(time.Minute)}
		if err := d.Shoppers.CreateLookup(ctx, orphan); err == nil {
			t.Fatal("a lookup of an order that does not exist was stored")
		}
	})
}

func TestLookupCodeWrongTriesCountAndLock(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		m, o := lkOrder(t, d)
		now := time.Now().UTC()
		l := lkNew(t, d, m, o, "ann@example.com", "", now, 10*time.Minute)
		expires := now.Add(30 * time.Minute)

		for try := 1; try <= otp.MaxTries; try++ {
			want := db.CodeWrong
			if try == otp.MaxTries {
				want = db.CodeLocked
			}
			if got := lkCheck(t, d, l.ID, "000000", now.Add(time.Duration(try)*time.Second), "h-wrong", expires); got != want {
				t.Fatalf("wrong try %d: %v; want %v", try, got, want)
			}
			got, err := d.Shoppers.LookupByID(ctx, l.ID)
			if err != nil || got.Attempts != try {
				t.Fatalf("after wrong try %d: attempts %d, %v; want %d", try, got.Attempts, err, try)
			}
			if got.VerifiedAt != nil || got.TokenHash != nil {
				t.Fatalf("a wrong code verified the lookup: %+v", got)
			}
		}
		// Locked: even the right code no longer opens it, and nothing more counts.
		if got := lkCheck(t, d, l.ID, lkCode, now.Add(time.Minute), "h-right", expires); got != db.CodeLocked {
			t.Fatalf("the right code after %d wrong ones: %v; want CodeLocked", otp.MaxTries, got)
		}
		got, err := d.Shoppers.LookupByID(ctx, l.ID)
		if err != nil || got.Attempts != otp.MaxTries || got.VerifiedAt != nil || got.TokenHash != nil {
			t.Fatalf("locked lookup = %+v, %v; want %d attempts and unverified", got, err, otp.MaxTries)
		}
		if _, err := d.Shoppers.LookupByToken(ctx, "h-right", now); !errors.Is(err, db.ErrNotFound) {
			t.Fatalf("a locked lookup's token opens it: %v", err)
		}

		// Fewer wrong tries than the limit leave the right code working.
		l2 := lkNew(t, d, m, o, "ann@example.com", "", now, 10*time.Minute)
		for range otp.MaxTries - 1 {
			if got := lkCheck(t, d, l2.ID, "999999", now, "h2", expires); got != db.CodeWrong {
				t.Fatalf("wrong try below the limit: %v", got)
			}
		}
		if got := lkCheck(t, d, l2.ID, lkCode, now, "h2", expires); got != db.CodeOK {
			t.Fatalf("the right code after %d wrong ones: %v; want CodeOK", otp.MaxTries-1, got)
		}
	})
}

func TestLookupCodeExpires(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		m, o := lkOrder(t, d)
		created := time.Now().UTC().Add(-time.Hour)
		l := lkNew(t, d, m, o, "ann@example.com", "", created, 10*time.Minute)
		for name, now := range map[string]time.Time{
			"at expiry":    created.Add(10 * time.Minute),
			"after expiry": created.Add(11 * time.Minute),
		} {
			if got := lkCheck(t, d, l.ID, lkCode, now, "h-"+name, now.Add(30*time.Minute)); got != db.CodeExpired {
				t.Fatalf("%s: the right code gives %v; want CodeExpired", name, got)
			}
			if got := lkCheck(t, d, l.ID, "000000", now, "h-"+name, now.Add(30*time.Minute)); got != db.CodeExpired {
				t.Fatalf("%s: a wrong code gives %v; want CodeExpired", name, got)
			}
		}
		got, err := d.Shoppers.LookupByID(ctx, l.ID)
		if err != nil || got.VerifiedAt != nil || got.TokenHash != nil || got.Attempts != 0 {
			t.Fatalf("an expired lookup changed: %+v, %v", got, err)
		}
		// Just before expiry the code still works.
		if got := lkCheck(t, d, l.ID, lkCode, created.Add(10*time.Minute-time.Second), "h-live", created.Add(time.Hour)); got != db.CodeOK {
			t.Fatalf("a second before expiry: %v; want CodeOK", got)
		}
		// A lookup that does not exist has no live code.
		if got := lkCheck(t, d, db.NewID(), lkCode, time.Now(), "h-none", time.Now().Add(time.Hour)); got != db.CodeExpired {
			t.Fatalf("unknown lookup: %v; want CodeExpired", got)
		}
	})
}

func TestLookupCodeOpensTheOrderOnceUntilTheTokenExpires(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		m, o := lkOrder(t, d)
		now := time.Now().UTC().Truncate(time.Second)
		l := lkNew(t, d, m, o, "ann@example.com", "192.0.2.7", now, 10*time.Minute)
		other := lkNew(t, d, m, o, "ann@example.com", "192.0.2.7", now, 10*time.Minute)

		if got := lkCheck(t, d, l.ID, "000000", now.Add(time.Second), "h-wrong", now.Add(time.Hour)); got != db.CodeWrong {
			t.Fatalf("wrong code: %v", got)
		}
		verifiedAt := now.Add(2 * time.Minute)
		tokenExpires := verifiedAt.Add(30 * time.Minute)
		if got := lkCheck(t, d, l.ID, lkCode, verifiedAt, "token-hash-1", tokenExpires); got != db.CodeOK {
			t.Fatalf("right code: %v; want CodeOK", got)
		}
		got, err := d.Shoppers.LookupByID(ctx, l.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.VerifiedAt == nil || !got.VerifiedAt.Equal(verifiedAt) || got.TokenHash == nil || *got.TokenHash != "token-hash-1" ||
			got.TokenExpiresAt == nil || !got.TokenExpiresAt.Equal(tokenExpires) {
			t.Fatalf("verified lookup = %+v; want verified at %v with the token's hash until %v", got, verifiedAt, tokenExpires)
		}

		// The token opens the lookup while it lives, and only that lookup.
		for _, at := range []time.Time{verifiedAt, tokenExpires.Add(-time.Second)} {
			byToken, err := d.Shoppers.LookupByToken(ctx, "token-hash-1", at)
			if err != nil || byToken.ID != l.ID || byToken.OrderID != o.ID || byToken.Contact != "ann@example.com" {
				t.Fatalf("LookupByToken at %v = %+v, %v; want lookup %s", at, byToken, err, l.ID)
			}
		}
		for name, at := range map[string]time.Time{"at expiry": tokenExpires, "after expiry": tokenExpires.Add(time.Hour)} {
			if _, err := d.Shoppers.LookupByToken(ctx, "token-hash-1", at); !errors.Is(err, db.ErrNotFound) {
				t.Fatalf("token %s: err = %v, want ErrNotFound", name, err)
			}
		}
		for _, h := range []string{"token-hash-2", "", "h-wrong"} {
			if _, err := d.Shoppers.LookupByToken(ctx, h, verifiedAt); !errors.Is(err, db.ErrNotFound) {
				t.Fatalf("token hash %q opens a lookup: %v", h, err)
			}
		}

		// Single use: the right code again is spent, and the first token stays.
		if got := lkCheck(t, d, l.ID, lkCode, verifiedAt.Add(time.Second), "token-hash-2", tokenExpires.Add(time.Minute)); got != db.CodeExpired {
			t.Fatalf("the right code a second time: %v; want CodeExpired", got)
		}
		if _, err := d.Shoppers.LookupByToken(ctx, "token-hash-2", verifiedAt); !errors.Is(err, db.ErrNotFound) {
			t.Fatalf("a second check issued a token: %v", err)
		}
		if again, err := d.Shoppers.LookupByID(ctx, l.ID); err != nil || again.TokenHash == nil || *again.TokenHash != "token-hash-1" ||
			!again.TokenExpiresAt.Equal(tokenExpires) || !again.VerifiedAt.Equal(verifiedAt) {
			t.Fatalf("after a second check: %+v, %v; want the first verification kept", again, err)
		}

		// Another lookup of the same order is untouched.
		if untouched, err := d.Shoppers.LookupByID(ctx, other.ID); err != nil || untouched.VerifiedAt != nil || untouched.Attempts != 0 {
			t.Fatalf("another lookup changed: %+v, %v", untouched, err)
		}
	})
}

func TestConcurrentLookupChecksVerifyOnceAndCountEveryMiss(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		m, o := lkOrder(t, d)
		now := time.Now().UTC()
		run := func(n int, id, code string) map[db.CodeCheck]int {
			var wg sync.WaitGroup
			var mu sync.Mutex
			out := map[db.CodeCheck]int{}
			for i := range n {
				wg.Go(func() {
					res, err := d.Shoppers.CheckLookupCode(ctx, id, now, otp.MaxTries, func(id, stored string) bool {
						return otp.Matches(lkSecret, id, code, stored)
					}, "h-"+string(rune('a'+i)), now.Add(30*time.Minute))
					if err != nil {
						t.Error(err)
						return
					}
					mu.Lock()
					out[res]++
					mu.Unlock()
				})
			}
			wg.Wait()
			return out
		}

		right := lkNew(t, d, m, o, "ann@example.com", "", now, 10*time.Minute)
		if got := run(10, right.ID, lkCode); got[db.CodeOK] != 1 || got[db.CodeExpired] != 9 {
			t.Fatalf("10 checks of the right code at once: %v; want one CodeOK and nine CodeExpired", got)
		}

		wrong := lkNew(t, d, m, o, "ann@example.com", "", now, 10*time.Minute)
		got := run(12, wrong.ID, "000000")
		// Misses take turns: four wrong, the fifth locks, the rest find it locked.
		if got[db.CodeWrong] != otp.MaxTries-1 || got[db.CodeLocked] != 12-(otp.MaxTries-1) {
			t.Fatalf("12 wrong codes at once: %v; want %d CodeWrong, the rest CodeLocked", got, otp.MaxTries-1)
		}
		if l, err := d.Shoppers.LookupByID(ctx, wrong.ID); err != nil || l.Attempts != otp.MaxTries {
			t.Fatalf("attempts after 12 wrong codes at once: %d, %v; want %d", l.Attempts, err, otp.MaxTries)
		}
	})
}

func TestCountCodesCountsLookupsPerContactAndClient(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		m, o := lkOrder(t, d)
		now := time.Now().UTC().Truncate(time.Millisecond) // Postgres keeps microseconds
		since := now.Add(-otp.Window)
		const ann, bob = "ann@example.com", "+46701112233"
		const ipA, ipB = "192.0.2.1", "198.51.100.9"

		lkNew(t, d, m, o, ann, ipA, now.Add(-50*time.Minute), 10*time.Minute)
		lkNew(t, d, m, o, ann, ipA, now.Add(-10*time.Minute), 10*time.Minute)
		lkNew(t, d, m, o, ann, ipB, now.Add(-time.Minute), 10*time.Minute)
		lkNew(t, d, m, o, bob, ipA, now.Add(-time.Minute), 10*time.Minute)
		lkNew(t, d, m, o, ann, ipA, now.Add(-2*time.Hour), 10*time.Minute) // before the window

		c, err := d.Shoppers.CountCodes(ctx, "", ann, ipA, since)
		if err != nil {
			t.Fatal(err)
		}
		if c.ForContact != 3 || c.ForClient != 3 || !c.LastForReturn.IsZero() {
			t.Fatalf("CountCodes(ann, ipA) = %+v; want 3 for the contact, 3 from the address", c)
		}
		if c, err := d.Shoppers.CountCodes(ctx, "", bob, ipB, since); err != nil || c.ForContact != 1 || c.ForClient != 1 {
			t.Fatalf("CountCodes(bob, ipB) = %+v, %v; want 1 and 1", c, err)
		}
		if c, err := d.Shoppers.CountCodes(ctx, "", ann, "", since); err != nil || c.ForContact != 3 || c.ForClient != 0 {
			t.Fatalf("CountCodes(ann, no address) = %+v, %v; want 3 and 0", c, err)
		}
		if c, err := d.Shoppers.CountCodes(ctx, "", "nobody@example.com", "203.0.113.1", since); err != nil || c.ForContact != 0 || c.ForClient != 0 {
			t.Fatalf("CountCodes(nobody) = %+v, %v; want nothing", c, err)
		}
		if c, err := d.Shoppers.CountCodes(ctx, "", ann, ipA, now.Add(-3*time.Hour)); err != nil || c.ForContact != 4 || c.ForClient != 4 {
			t.Fatalf("CountCodes over three hours = %+v, %v; want 4 and 4", c, err)
		}

		// A return's codes and a lookup's count alike.
		r := &db.Return{MerchantID: m.ID, OrderID: o.ID, Status: "pending_verification", Method: "ship",
			Contact: ann, ContactKind: "email", Currency: "EUR", Lines: []db.ReturnLine{{LineID: "1", Quantity: 1, Reason: "too_small"}}}
		if err := d.Returns.CreateReturn(ctx, r); err != nil {
			t.Fatal(err)
		}
		sent := now.Add(-30 * time.Second)
		if err := d.Shoppers.CreateChallenge(ctx, &db.OTPChallenge{ReturnID: r.ID, Contact: ann, ClientIP: ipA, CodeHMAC: "00",
			CreatedAt: sent, ExpiresAt: sent.Add(10 * time.Minute)}); err != nil {
			t.Fatal(err)
		}
		c, err = d.Shoppers.CountCodes(ctx, r.ID, ann, ipA, since)
		if err != nil || c.ForContact != 4 || c.ForClient != 4 || !c.LastForReturn.Equal(sent) {
			t.Fatalf("with a return's code: %+v, %v; want 4, 4 and the return's code at %v", c, err, sent)
		}
		// The caps see them: a fifth code for ann in the hour is the last.
		if err := otp.Allow(otp.Counts(c), now, false); err != nil {
			t.Fatalf("four codes in the hour refused: %v", err)
		}
		lkNew(t, d, m, o, ann, ipB, now, 10*time.Minute)
		c, err = d.Shoppers.CountCodes(ctx, "", ann, ipA, since)
		if err != nil {
			t.Fatal(err)
		}
		var limit *otp.LimitError
		if err := otp.Allow(otp.Counts(c), now, false); !errors.As(err, &limit) {
			t.Fatalf("five codes in the hour (%+v): %v; want a LimitError", c, err)
		}
	})
}
