package activities_test

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"

	"github.com/rebound-returns/rebound/activities"
	"github.com/rebound-returns/rebound/contract"
	"github.com/rebound-returns/rebound/db"
	"github.com/rebound-returns/rebound/db/dbtest"
	"github.com/rebound-returns/rebound/notify"
	"github.com/rebound-returns/rebound/otp"
)

// SendLookupCode on a real database with a sender that records what goes
// out: the code reaches the shopper and only its HMAC is kept, a retry
// sends nothing new, and the hourly caps refuse for good.

// lookupSender records the messages it is given; while fail is set it
// refuses them as a provider that is down for a moment would.
type lookupSender struct {
	mu   sync.Mutex
	msgs []notify.Message
	fail bool
}

func (s *lookupSender) Send(_ context.Context, m notify.Message) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.fail {
		return errors.New("provider unavailable")
	}
	s.msgs = append(s.msgs, m)
	return nil
}

func (s *lookupSender) sent() []notify.Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]notify.Message(nil), s.msgs...)
}

var lookupSecret = []byte("lookup activity secret")

var lookupSixDigits = regexp.MustCompile(`\b(\d{6})\b`)

type lookupFixture struct {
	d      *db.DB
	acts   *activities.Messages
	sender *lookupSender
	m      *db.Merchant
	o      *db.Order
	now    time.Time
}

func newLookupFixture(t *testing.T, d *db.DB) *lookupFixture {
	t.Helper()
	ctx := context.Background()
	m := &db.Merchant{Slug: "demo", Name: "Demo Store", Policy: db.JSON(`{}`)}
	if err := d.Merchants.CreateMerchant(ctx, m); err != nil {
		t.Fatal(err)
	}
	o := &db.Order{MerchantID: m.ID, OrderNumber: "A-1", Currency: "EUR", PlacedAt: time.Now(), RequestHash: "h",
		CustomerEmail: "ann@example.com", CustomerPhone: "+46701112233",
		Lines: []db.OrderLine{{LineID: "1", Name: "Shoes", Quantity: 1, UnitPrice: 4999}}}
	if err := d.Orders.CreateOrder(ctx, o); err != nil {
		t.Fatal(err)
	}
	f := &lookupFixture{d: d, sender: &lookupSender{}, m: m, o: o,
		// Whole seconds: no digits in the stored times to mistake for a code.
		now: time.Now().UTC().Truncate(time.Second)}
	f.acts = &activities.Messages{Base: activities.Base{DB: d, Now: func() time.Time { return f.now }}, Sender: f.sender, OTPSecret: lookupSecret}
	return f
}

func (f *lookupFixture) input(contact, kind, clientIP string) activities.LookupCodeInput {
	return activities.LookupCodeInput{LookupID: db.NewID(), MerchantID: f.m.ID, OrderID: f.o.ID, Contact: contact,
		ContactKind: kind, ClientIP: clientIP, VerifyWithin: 10 * time.Minute}
}

// send runs SendLookupCode as Temporal runs an activity.
func (f *lookupFixture) send(in activities.LookupCodeInput) (activities.LookupCodeResult, error) {
	var suite testsuite.WorkflowTestSuite
	env := suite.NewTestActivityEnvironment()
	env.RegisterActivity(f.acts)
	val, err := env.ExecuteActivity(f.acts.SendLookupCode, in)
	var out activities.LookupCodeResult
	if err == nil {
		err = val.Get(&out)
	}
	return out, err
}

// lookupCodeIn finds the one 6-digit code in a message's text.
func lookupCodeIn(t *testing.T, m notify.Message) string {
	t.Helper()
	found := lookupSixDigits.FindAllString(m.Text, -1)
	if len(found) != 1 {
		t.Fatalf("message text %q holds %d 6-digit codes; want one", m.Text, len(found))
	}
	return found[0]
}

// lookupHolds tells whether any value of a table contains s.
func lookupHolds(t *testing.T, d *db.DB, table, s string) bool {
	t.Helper()
	vals, err := d.TextValues(context.Background(), table)
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range vals {
		if strings.Contains(v, s) {
			return true
		}
	}
	return false
}

func TestSendLookupCodeSendsACodeAndKeepsOnlyItsHMAC(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		f := newLookupFixture(t, d)
		in := f.input("ann@example.com", "email", "192.0.2.1")
		res, err := f.send(in)
		if err != nil {
			t.Fatal(err)
		}
		if res.LookupID != in.LookupID || !res.ExpiresAt.Equal(f.now.Add(10*time.Minute)) {
			t.Fatalf("result %+v; want lookup %s expiring at %v", res, in.LookupID, f.now.Add(10*time.Minute))
		}
		msgs := f.sender.sent()
		if len(msgs) != 1 {
			t.Fatalf("%d messages sent; want 1", len(msgs))
		}
		m := msgs[0]
		if m.To != "ann@example.com" || m.Channel != notify.Channel("email") || !strings.Contains(m.Text, "Demo Store") {
			t.Fatalf("message %+v; want an e-mail to the order's contact from the merchant", m)
		}
		code := lookupCodeIn(t, m)
		if !otp.WellFormed(code) {
			t.Fatalf("code %q is not well formed", code)
		}

		l, err := d.Shoppers.LookupByID(ctx, in.LookupID)
		if err != nil {
			t.Fatal(err)
		}
		if l.MerchantID != f.m.ID || l.OrderID != f.o.ID || l.Contact != "ann@example.com" || l.ContactKind != "email" ||
			l.ClientIP != "192.0.2.1" || !l.ExpiresAt.Equal(res.ExpiresAt) || l.VerifiedAt != nil || l.Attempts != 0 {
			t.Fatalf("stored lookup %+v", l)
		}
		if l.CodeHMAC == code || !otp.Matches(lookupSecret, l.ID, code, l.CodeHMAC) {
			t.Fatalf("stored %q; want the HMAC of the code sent", l.CodeHMAC)
		}
		if otp.Matches([]byte("another secret"), l.ID, code, l.CodeHMAC) {
			t.Fatal("the stored value does not depend on the server secret")
		}
		if lookupHolds(t, d, "order_lookups", code) {
			t.Fatalf("order_lookups holds the code %s itself", code)
		}

		// Outside dev the sent message keeps no body: the code lives nowhere.
		ob, err := d.Outbox.OutboxByDedupe(ctx, "lookup/"+in.LookupID)
		if err != nil {
			t.Fatal(err)
		}
		if ob.Status != db.OutboxSent || !ob.Sensitive || ob.BodyText != "" || ob.BodyHTML != "" || ob.Recipient != "ann@example.com" {
			t.Fatalf("outbox row %+v; want sent, sensitive and without its body", ob)
		}
		if lookupHolds(t, d, "outbox", code) {
			t.Fatalf("the outbox keeps the code %s", code)
		}

		// A phone gets an SMS, with a code of its own.
		in2 := f.input("+46701112233", "phone", "192.0.2.1")
		if _, err := f.send(in2); err != nil {
			t.Fatal(err)
		}
		msgs = f.sender.sent()
		if len(msgs) != 2 || msgs[1].To != "+46701112233" || msgs[1].Channel != notify.Channel("sms") {
			t.Fatalf("messages %+v; want a second one, an SMS to the phone", msgs)
		}
		l2, err := d.Shoppers.LookupByID(ctx, in2.LookupID)
		if err != nil || !otp.Matches(lookupSecret, l2.ID, lookupCodeIn(t, msgs[1]), l2.CodeHMAC) || l2.CodeHMAC == l.CodeHMAC {
			t.Fatalf("second lookup %+v, %v; want the HMAC of its own code", l2, err)
		}
	})
}

func TestSendLookupCodeRetryResendsNothing(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		f := newLookupFixture(t, d)
		in := f.input("ann@example.com", "email", "192.0.2.1")
		first, err := f.send(in)
		if err != nil {
			t.Fatal(err)
		}
		stored, err := d.Shoppers.LookupByID(ctx, in.LookupID)
		if err != nil {
			t.Fatal(err)
		}
		// The retry comes later: it neither makes a new code nor moves the expiry.
		f.now = f.now.Add(3 * time.Minute)
		again, err := f.send(in)
		if err != nil {
			t.Fatal(err)
		}
		if again.LookupID != first.LookupID || !again.ExpiresAt.Equal(first.ExpiresAt) {
			t.Fatalf("retry answered %+v; want the first answer %+v", again, first)
		}
		if n := len(f.sender.sent()); n != 1 {
			t.Fatalf("%d messages after a retry; want 1", n)
		}
		if l, err := d.Shoppers.LookupByID(ctx, in.LookupID); err != nil || l.CodeHMAC != stored.CodeHMAC || !l.CreatedAt.Equal(stored.CreatedAt) {
			t.Fatalf("after the retry: %+v, %v; want the lookup unchanged", l, err)
		}
		if c, err := d.Shoppers.CountCodes(ctx, "", "ann@example.com", "192.0.2.1", f.now.Add(-otp.Window)); err != nil || c.ForContact != 1 || c.ForClient != 1 {
			t.Fatalf("codes counted after a retry: %+v, %v; want 1", c, err)
		}
	})
}

func TestSendLookupCodeRetryAfterAFailedSendSendsTheSameCode(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		f := newLookupFixture(t, d)
		in := f.input("ann@example.com", "email", "192.0.2.1")
		f.sender.fail = true
		if _, err := f.send(in); err == nil {
			t.Fatal("a send the provider refused succeeded")
		} else {
			var appErr *temporal.ApplicationError
			if errors.As(err, &appErr) && appErr.NonRetryable() {
				t.Fatalf("a provider down for a moment is final: %v", err)
			}
		}
		stored, err := d.Shoppers.LookupByID(ctx, in.LookupID)
		if err != nil {
			t.Fatalf("the first try stored no lookup: %v", err)
		}
		f.sender.fail = false
		f.now = f.now.Add(time.Minute)
		res, err := f.send(in)
		if err != nil {
			t.Fatal(err)
		}
		msgs := f.sender.sent()
		if len(msgs) != 1 {
			t.Fatalf("%d messages; want 1", len(msgs))
		}
		if !otp.Matches(lookupSecret, in.LookupID, lookupCodeIn(t, msgs[0]), stored.CodeHMAC) {
			t.Fatal("the retry sent another code than the one the first try stored")
		}
		if !res.ExpiresAt.Equal(stored.ExpiresAt) {
			t.Fatalf("retry expires at %v; want the stored %v", res.ExpiresAt, stored.ExpiresAt)
		}
	})
}

// lookupRateLimited tells whether err is the final refusal of the sending limits.
func lookupRateLimited(err error) bool {
	var appErr *temporal.ApplicationError
	return errors.As(err, &appErr) && appErr.Type() == contract.ErrRateLimited && appErr.NonRetryable()
}

func TestSendLookupCodeHourlyCapPerContact(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		f := newLookupFixture(t, d)
		var last activities.LookupCodeInput
		for i := range otp.PerContact {
			// From different addresses: only the contact's cap applies.
			last = f.input("ann@example.com", "email", fmt.Sprintf("192.0.2.%d", i+1))
			if _, err := f.send(last); err != nil {
				t.Fatalf("code %d of %d in the hour: %v", i+1, otp.PerContact, err)
			}
			f.now = f.now.Add(time.Minute)
		}
		over := f.input("ann@example.com", "email", "192.0.2.99")
		_, err := f.send(over)
		if !lookupRateLimited(err) {
			t.Fatalf("code %d in the hour: %v; want a non-retryable %s", otp.PerContact+1, err, contract.ErrRateLimited)
		}
		if _, err := d.Shoppers.LookupByID(ctx, over.LookupID); !errors.Is(err, db.ErrNotFound) {
			t.Fatalf("a refused lookup was stored: %v", err)
		}
		if n := len(f.sender.sent()); n != otp.PerContact {
			t.Fatalf("%d messages; want %d", n, otp.PerContact)
		}
		// A retry of a lookup already sent is no new code: it is answered.
		if _, err := f.send(last); err != nil {
			t.Fatalf("a retry at the cap: %v", err)
		}
		// The phone on the same order is another contact.
		if _, err := f.send(f.input("+46701112233", "phone", "192.0.2.99")); err != nil {
			t.Fatalf("another contact: %v", err)
		}
		// An hour after the first code, one more may go.
		f.now = f.now.Add(otp.Window - time.Duration(otp.PerContact)*time.Minute + time.Second)
		if _, err := f.send(f.input("ann@example.com", "email", "192.0.2.99")); err != nil {
			t.Fatalf("after the window: %v", err)
		}
	})
}

func TestSendLookupCodeHourlyCapPerClient(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newLookupFixture(t, d)
		for i := range otp.PerClient {
			if _, err := f.send(f.input(fmt.Sprintf("shopper%d@example.com", i), "email", "203.0.113.7")); err != nil {
				t.Fatalf("code %d of %d from one address: %v", i+1, otp.PerClient, err)
			}
		}
		over := f.input("someone.else@example.com", "email", "203.0.113.7")
		if _, err := f.send(over); !lookupRateLimited(err) {
			t.Fatalf("code %d from one address: %v; want a non-retryable %s", otp.PerClient+1, err, contract.ErrRateLimited)
		}
		if n := len(f.sender.sent()); n != otp.PerClient {
			t.Fatalf("%d messages; want %d", n, otp.PerClient)
		}
		if _, err := f.send(f.input("someone.else@example.com", "email", "203.0.113.8")); err != nil {
			t.Fatalf("the same contact from another address: %v", err)
		}
	})
}

func TestSendLookupCodeCountsReturnCodesToo(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		f := newLookupFixture(t, d)
		// Codes for returns to the same contact, within the hour, fill the cap.
		for i := range otp.PerContact {
			r := &db.Return{MerchantID: f.m.ID, OrderID: f.o.ID, Status: "pending_verification", Method: "ship",
				Contact: "ann@example.com", ContactKind: "email", Currency: "EUR",
				Lines: []db.ReturnLine{{LineID: "1", Quantity: 1, Reason: "too_small"}}}
			if err := d.Returns.CreateReturn(ctx, r); err != nil {
				t.Fatal(err)
			}
			at := f.now.Add(-time.Duration(i+1) * time.Minute)
			if err := d.Shoppers.CreateChallenge(ctx, &db.OTPChallenge{ReturnID: r.ID, Contact: "ann@example.com", CodeHMAC: "00",
				CreatedAt: at, ExpiresAt: at.Add(10 * time.Minute)}); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := f.send(f.input("ann@example.com", "email", "192.0.2.1")); !lookupRateLimited(err) {
			t.Fatalf("a lookup code after %d return codes in the hour: %v; want %s", otp.PerContact, err, contract.ErrRateLimited)
		}
		if n := len(f.sender.sent()); n != 0 {
			t.Fatalf("%d messages; want none", n)
		}
	})
}
