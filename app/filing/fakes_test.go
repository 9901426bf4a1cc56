package filing

import (
	"context"
	"errors"
	"time"

	"github.com/rebound-returns/rebound/activities"
	"github.com/rebound-returns/rebound/contract"
	"github.com/rebound-returns/rebound/db"
	"github.com/rebound-returns/rebound/otp"
	"github.com/rebound-returns/rebound/returns"
)

const (
	returnID   = "0b7c6f3e-4f1a-4d2b-9c3e-1a2b3c4d5e6f"
	lookupID   = "2b7c6f3e-4f1a-4d2b-9c3e-1a2b3c4d5e6f"
	otherID    = "3b7c6f3e-4f1a-4d2b-9c3e-1a2b3c4d5e6f"
	merchantID = "m1"
	orderID    = "o1"
	theCode    = "123456"
	challenge  = "ch1"
)

var (
	t0     = time.Date(2026, 12, 3, 7, 0, 0, 0, time.UTC)
	secret = []byte("otp-secret")
	// aLine is a line that fits the shop's order.
	aLine = []returns.RequestedLine{{LineID: "shoes", Quantity: 1, Reason: "too_small"}}
)

// fakeStore is one shop in memory: merchant "shop" (m1) with order S-1 of
// two lines, paid by card, of shopper@example.com / +4915112345678; one
// return of it pending verification; one verified lookup. Each method
// records its name in calls and fails with fail[name] when set.
type fakeStore struct {
	merchant *db.Merchant
	order    *db.Order
	ret      *db.Return
	lookup   *db.OrderLookup
	taken    map[string]int
	// tries and codes are what RecordTry and CountCodes answer.
	tries db.TryCounts
	codes db.CodeCounts
	// code is the code CheckCode and CheckLookupCode compare with;
	// locked and expired make them answer so.
	code            string
	locked, expired bool
	claimOK         bool
	// leaveAfter is how many reads of the return still show it pending
	// verification before it leaves (negative: it never leaves).
	leaveAfter int
	fail       map[string]error

	calls    []string
	recorded []*db.ShopperTry
	created  []*db.Return
	sessions []*db.Session
	deleted  []string
	since    time.Time
	// tokenHash and tokenExpires are what CheckLookupCode was given.
	tokenHash    string
	tokenExpires time.Time
	// variants is the merchant's catalog by SKU; history what
	// RefundHistoryOf answers.
	variants map[string]*db.CatalogVariant
	history  db.RefundHistory
}

func (f *fakeStore) VariantBySKU(_ context.Context, merchantID, sku string) (*db.CatalogVariant, error) {
	if err := f.step("VariantBySKU"); err != nil {
		return nil, err
	}
	v, ok := f.variants[sku]
	if !ok || merchantID != f.merchant.ID {
		return nil, db.ErrNotFound
	}
	return v, nil
}

func (f *fakeStore) RefundHistoryOf(_ context.Context, _, _ string) (db.RefundHistory, error) {
	if err := f.step("RefundHistoryOf"); err != nil {
		return db.RefundHistory{}, err
	}
	return f.history, nil
}

func newFakeStore() *fakeStore {
	return &fakeStore{
		merchant: &db.Merchant{ID: merchantID, Slug: "shop", Name: "The Shop", Status: "active"},
		order: &db.Order{ID: orderID, MerchantID: merchantID, OrderNumber: "S-1", Currency: "EUR", PlacedAt: t0.Add(-72 * time.Hour),
			CustomerEmail: "shopper@example.com", CustomerPhone: "+4915112345678",
			Lines: []db.OrderLine{
				{LineID: "shoes", Name: "Shoes", Category: "footwear", Quantity: 2, UnitPrice: 5000, Discount: 1000},
				{LineID: "socks", Name: "Socks", Category: "underwear", Quantity: 1, UnitPrice: 500},
			},
			Payment: &db.Payment{Channel: "card_present", Amount: 9500, GatewayPaymentID: "gw-1"}},
		ret: &db.Return{ID: returnID, MerchantID: merchantID, OrderID: orderID, Status: string(returns.PendingVerification),
			Contact: "shopper@example.com", ContactKind: KindEmail},
		lookup: &db.OrderLookup{ID: lookupID, MerchantID: merchantID, OrderID: orderID, Contact: "shopper@example.com",
			ContactKind: KindEmail},
		taken:      map[string]int{},
		code:       theCode,
		claimOK:    true,
		leaveAfter: 0,
		fail:       map[string]error{},
	}
}

// step records a call and answers its planned failure.
func (f *fakeStore) step(name string) error {
	f.calls = append(f.calls, name)
	return f.fail[name]
}

func (f *fakeStore) MerchantBySlug(_ context.Context, slug string) (*db.Merchant, error) {
	if err := f.step("MerchantBySlug"); err != nil {
		return nil, err
	}
	if slug != f.merchant.Slug {
		return nil, db.ErrNotFound
	}
	return f.merchant, nil
}

func (f *fakeStore) MerchantByID(_ context.Context, id string) (*db.Merchant, error) {
	if err := f.step("MerchantByID"); err != nil {
		return nil, err
	}
	if id != f.merchant.ID {
		return nil, db.ErrNotFound
	}
	return f.merchant, nil
}

func (f *fakeStore) OrderByNumber(_ context.Context, merchantID, number string) (*db.Order, error) {
	if err := f.step("OrderByNumber"); err != nil {
		return nil, err
	}
	if merchantID != f.order.MerchantID || number != f.order.OrderNumber {
		return nil, db.ErrNotFound
	}
	return f.order, nil
}

func (f *fakeStore) OrderByID(_ context.Context, id string) (*db.Order, error) {
	if err := f.step("OrderByID"); err != nil {
		return nil, err
	}
	if id != f.order.ID {
		return nil, db.ErrNotFound
	}
	return f.order, nil
}

func (f *fakeStore) TakenUnits(_ context.Context, _, _ string) (map[string]int, error) {
	if err := f.step("TakenUnits"); err != nil {
		return nil, err
	}
	return f.taken, nil
}

func (f *fakeStore) ReturnByID(_ context.Context, id string) (*db.Return, error) {
	if err := f.step("ReturnByID"); err != nil {
		return nil, err
	}
	for _, r := range append([]*db.Return{f.ret}, f.created...) {
		if r.ID == id {
			if f.leaveAfter == 0 {
				r.Status = "submitted"
			} else if f.leaveAfter > 0 {
				f.leaveAfter--
			}
			return r, nil
		}
	}
	return nil, db.ErrNotFound
}

func (f *fakeStore) CreateReturn(_ context.Context, r *db.Return) error {
	if err := f.step("CreateReturn"); err != nil {
		return err
	}
	r.ID, r.CreatedAt = otherID, t0
	f.created = append(f.created, r)
	return nil
}

func (f *fakeStore) DeleteUnstartedReturn(_ context.Context, id string) error {
	if err := f.step("DeleteUnstartedReturn"); err != nil {
		return err
	}
	f.deleted = append(f.deleted, id)
	return nil
}

func (f *fakeStore) CreateSession(_ context.Context, s *db.Session) error {
	if err := f.step("CreateSession"); err != nil {
		return err
	}
	f.sessions = append(f.sessions, s)
	return nil
}

func (f *fakeStore) RecordTry(_ context.Context, t *db.ShopperTry, since time.Time) (db.TryCounts, error) {
	if err := f.step("RecordTry"); err != nil {
		return db.TryCounts{}, err
	}
	f.recorded, f.since = append(f.recorded, t), since
	return f.tries, nil
}

func (f *fakeStore) CountCodes(_ context.Context, _, _, _ string, since time.Time) (db.CodeCounts, error) {
	if err := f.step("CountCodes"); err != nil {
		return db.CodeCounts{}, err
	}
	f.since = since
	return f.codes, nil
}

// check compares a code as the store does: the stored sum is the fake's
// code's under the secret the service was given.
func (f *fakeStore) check(id string, match func(id, stored string) bool) db.CodeCheck {
	switch {
	case f.expired:
		return db.CodeExpired
	case f.locked:
		return db.CodeLocked
	case !match(id, otp.Sum(secret, id, f.code)):
		return db.CodeWrong
	}
	return db.CodeOK
}

func (f *fakeStore) CheckCode(_ context.Context, _ string, _ time.Time, maxTries int, match func(string, string) bool) (db.CodeCheck, string, error) {
	if err := f.step("CheckCode"); err != nil {
		return 0, "", err
	}
	if maxTries != otp.MaxTries {
		return 0, "", errors.New("not the otp rules' tries")
	}
	return f.check(challenge, match), challenge, nil
}

func (f *fakeStore) ClaimLookupFiling(_ context.Context, id string, max int) (bool, error) {
	if err := f.step("ClaimLookupFiling"); err != nil {
		return false, err
	}
	if id != f.lookup.ID || max != FilingsPerLookup {
		return false, errors.New("claimed the wrong lookup")
	}
	return f.claimOK, nil
}

func (f *fakeStore) CheckLookupCode(_ context.Context, id string, _ time.Time, _ int, match func(string, string) bool,
	tokenHash string, expires time.Time) (db.CodeCheck, error) {
	if err := f.step("CheckLookupCode"); err != nil {
		return 0, err
	}
	f.tokenHash, f.tokenExpires = tokenHash, expires
	return f.check(id, match), nil
}

func (f *fakeStore) LookupByID(_ context.Context, id string) (*db.OrderLookup, error) {
	if err := f.step("LookupByID"); err != nil {
		return nil, err
	}
	if id != f.lookup.ID {
		return nil, db.ErrNotFound
	}
	return f.lookup, nil
}

func (f *fakeStore) LookupByToken(_ context.Context, hash string, _ time.Time) (*db.OrderLookup, error) {
	if err := f.step("LookupByToken"); err != nil {
		return nil, err
	}
	if f.lookup.TokenHash == nil || *f.lookup.TokenHash != hash {
		return nil, db.ErrNotFound
	}
	return f.lookup, nil
}

// fakeWorkflow takes every start and update, recording it, and fails with
// fail[name] when set.
type fakeWorkflow struct {
	fail map[string]error
	// started is false when ReturnStarted says the workflow is not there.
	started bool
	calls   []string
	in      contract.ReturnInput
	lookup  activities.LookupCodeInput
	verify  contract.VerifyRequest
	send    contract.SendCodeRequest
	cancel  contract.CancelRequest
	// ctxErr is the start's context's error when it was called.
	ctxErr error
}

func (w *fakeWorkflow) step(name string) error {
	w.calls = append(w.calls, name)
	return w.fail[name]
}

func (w *fakeWorkflow) StartReturn(ctx context.Context, in contract.ReturnInput) error {
	w.in, w.ctxErr = in, ctx.Err()
	return w.step("StartReturn")
}

func (w *fakeWorkflow) ReturnStarted(context.Context, string) (bool, error) {
	return w.started, w.step("ReturnStarted")
}

func (w *fakeWorkflow) SendLookupCode(ctx context.Context, in activities.LookupCodeInput) (activities.LookupCodeResult, error) {
	w.lookup, w.ctxErr = in, ctx.Err()
	if err := w.step("SendLookupCode"); err != nil {
		return activities.LookupCodeResult{}, err
	}
	return activities.LookupCodeResult{LookupID: in.LookupID, ExpiresAt: t0.Add(in.VerifyWithin)}, nil
}

func (w *fakeWorkflow) Verify(_ context.Context, _ string, req contract.VerifyRequest) error {
	w.verify = req
	return w.step("Verify")
}

func (w *fakeWorkflow) SendCode(_ context.Context, _ string, req contract.SendCodeRequest) (activities.SendCodeResult, error) {
	w.send = req
	if err := w.step("SendCode"); err != nil {
		return activities.SendCodeResult{}, err
	}
	return activities.SendCodeResult{ChallengeID: "ch2", ExpiresAt: t0.Add(10 * time.Minute)}, nil
}

func (w *fakeWorkflow) Cancel(_ context.Context, _ string, req contract.CancelRequest) error {
	w.cancel = req
	return w.step("Cancel")
}

// fakeLabels renders a label that names the return.
type fakeLabels struct{ err error }

func (l fakeLabels) Label(_ context.Context, r *db.Return) ([]byte, error) {
	if l.err != nil {
		return nil, l.err
	}
	return []byte("%PDF " + r.ID + " " + r.TrackingNumber), nil
}

// fakeClock is the wall clock of the waits: Sleep moves it on at once and
// keeps what was slept.
type fakeClock struct {
	now   time.Time
	slept []time.Duration
}

func (c *fakeClock) Now() time.Time { return c.now }

func (c *fakeClock) Sleep(_ context.Context, d time.Duration) {
	c.slept = append(c.slept, d)
	c.now = c.now.Add(d)
}

func (c *fakeClock) total() time.Duration {
	var t time.Duration
	for _, d := range c.slept {
		t += d
	}
	return t
}

// world is a Service over the fakes.
type world struct {
	store *fakeStore
	wf    *fakeWorkflow
	clock *fakeClock
	svc   *Service
}

func newWorld() *world {
	w := &world{store: newFakeStore(), wf: &fakeWorkflow{fail: map[string]error{}}, clock: &fakeClock{now: t0}}
	w.build(fakeLabels{})
	return w
}

func (w *world) build(labels Labels) {
	w.svc = New(Deps{Store: w.store, Workflow: w.wf, Labels: labels, OTPSecret: secret, ShopperPrefix: "rbr_",
		SessionLife: 30 * 24 * time.Hour, Now: func() time.Time { return t0 }, Clock: w.clock.Now, Sleep: w.clock.Sleep})
}

// verified gives the world's lookup a live access token and answers it.
func (w *world) verified() (*Access, string) {
	token := PrefixOrderAccess + "the-token"
	h := hashOf(token)
	w.store.lookup.TokenHash = &h
	return accessOf(w.store.lookup), token
}
