package credit

import (
	"context"
	"errors"
	"sort"
	"sync"
	"time"

	"github.com/rebound-returns/rebound/db"
	"github.com/rebound-returns/rebound/returns"
)

// fakeStore is an in-memory ledger with the store's rules (a balance never
// below zero, one entry per reference), for the use case's tests.
type fakeStore struct {
	mu        sync.Mutex
	credits   []*db.StoreCredit
	entries   []db.CreditEntry
	merchants map[string]*db.Merchant
	outbox    []db.OutboxMessage
	tries     []db.ShopperTry
	err       error // every call fails with it when set
	days      []db.CreditDay
	opening   map[string]int64
}

func newFakeStore() *fakeStore {
	return &fakeStore{merchants: map[string]*db.Merchant{
		"m1": {ID: "m1", Slug: "acme", Name: "Acme", Policy: db.JSON(`{"credit_validity_days":365}`)},
		"m2": {ID: "m2", Slug: "other", Name: "Other"},
	}}
}

func (f *fakeStore) IssueCredit(_ context.Context, c *db.StoreCredit, reference string, at time.Time, msg *db.OutboxMessage) (bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return false, f.err
	}
	for _, e := range f.entries {
		if e.MerchantID == c.MerchantID && e.Reference == reference {
			return false, nil
		}
	}
	if c.ID == "" {
		c.ID = db.NewID()
	}
	c.CreatedAt, c.Balance = at, c.Amount
	cp := *c
	f.credits = append(f.credits, &cp)
	f.entries = append(f.entries, db.CreditEntry{ID: db.NewID(), CreditID: c.ID, MerchantID: c.MerchantID, Kind: returns.CreditIssued,
		Amount: c.Amount, Currency: c.Currency, Reference: reference, CreatedAt: at})
	if msg != nil {
		f.outbox = append(f.outbox, *msg)
	}
	return true, nil
}

func (f *fakeStore) credit(merchantID, hash string) *db.StoreCredit {
	for _, c := range f.credits {
		if c.CodeHash == hash && hash != "" && (merchantID == "" || c.MerchantID == merchantID) {
			return c
		}
	}
	return nil
}

func (f *fakeStore) RedeemCredit(_ context.Context, r db.Redemption) (db.Redeemed, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return db.Redeemed{}, f.err
	}
	for _, e := range f.entries {
		if e.MerchantID == r.MerchantID && e.Reference == r.Reference {
			for _, c := range f.credits {
				if c.ID == e.CreditID {
					return db.Redeemed{Entry: e, Credit: *c, Replayed: true}, nil
				}
			}
		}
	}
	c := f.credit(r.MerchantID, r.CodeHash)
	switch {
	case c == nil:
		return db.Redeemed{}, db.ErrNotFound
	case c.Currency != r.Currency:
		return db.Redeemed{Credit: *c}, db.ErrCreditCurrency
	case c.ExpiresAt != nil && !r.At.Before(*c.ExpiresAt):
		return db.Redeemed{Credit: *c}, db.ErrCreditExpired
	case c.Balance < r.Amount:
		return db.Redeemed{Credit: *c}, db.ErrCreditInsufficient
	}
	c.Balance -= r.Amount
	e := db.CreditEntry{ID: db.NewID(), CreditID: c.ID, MerchantID: c.MerchantID, Kind: returns.CreditRedeemed, Amount: -r.Amount,
		Currency: c.Currency, OrderReference: r.OrderReference, Actor: r.Actor, Reference: r.Reference, CreatedAt: r.At}
	f.entries = append(f.entries, e)
	return db.Redeemed{Entry: e, Credit: *c}, nil
}

func (f *fakeStore) ReverseRedemption(_ context.Context, merchantID, entryID, actor string, at time.Time) (db.Redeemed, bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return db.Redeemed{}, false, f.err
	}
	var red *db.CreditEntry
	for i := range f.entries {
		if f.entries[i].ID == entryID && f.entries[i].MerchantID == merchantID {
			red = &f.entries[i]
		}
	}
	if red == nil {
		return db.Redeemed{}, false, db.ErrNotFound
	}
	if red.Kind != returns.CreditRedeemed {
		return db.Redeemed{}, false, db.ErrNotRedemption
	}
	var c *db.StoreCredit
	for _, x := range f.credits {
		if x.ID == red.CreditID {
			c = x
		}
	}
	for _, e := range f.entries {
		if e.Reverses != nil && *e.Reverses == entryID {
			return db.Redeemed{Entry: e, Credit: *c, Replayed: true}, false, nil
		}
	}
	id := red.ID
	e := db.CreditEntry{ID: db.NewID(), CreditID: c.ID, MerchantID: merchantID, Kind: returns.CreditReversed, Amount: -red.Amount,
		Currency: red.Currency, Reverses: &id, Actor: actor, Reference: "reversal/" + id, CreatedAt: at}
	c.Balance += e.Amount
	f.entries = append(f.entries, e)
	return db.Redeemed{Entry: e, Credit: *c}, true, nil
}

func (f *fakeStore) CreditByCode(_ context.Context, hash string) (*db.StoreCredit, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return nil, f.err
	}
	if c := f.credit("", hash); c != nil {
		cp := *c
		return &cp, nil
	}
	return nil, db.ErrNotFound
}

func (f *fakeStore) CreditHistory(_ context.Context, creditID string) ([]db.CreditEntry, error) {
	return f.CreditsHistory(context.Background(), []string{creditID})
}

func (f *fakeStore) CreditsHistory(_ context.Context, ids []string) ([]db.CreditEntry, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []db.CreditEntry
	for _, e := range f.entries {
		for _, id := range ids {
			if e.CreditID == id {
				out = append(out, e)
			}
		}
	}
	return out, f.err
}

func (f *fakeStore) matching(merchantID, customer string) []db.StoreCredit {
	var out []db.StoreCredit
	for _, c := range f.credits {
		if c.MerchantID == merchantID && (customer == "" || c.Customer == customer) {
			out = append(out, *c)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID > out[j].ID })
	return out
}

func (f *fakeStore) CustomerCredits(_ context.Context, merchantID, customer, after string, limit int) ([]db.StoreCredit, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []db.StoreCredit
	for _, c := range f.matching(merchantID, customer) {
		if (after == "" || c.ID < after) && len(out) < limit {
			out = append(out, c)
		}
	}
	return out, f.err
}

func (f *fakeStore) CountCredits(_ context.Context, merchantID, customer string, most int) (int64, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return int64(min(len(f.matching(merchantID, customer)), most)), f.err
}

func (f *fakeStore) CreditMovements(_ context.Context, merchantID string, from, to time.Time) (map[string]int64, []db.CreditDay, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.opening, f.days, f.err
}

func (f *fakeStore) RecordTry(_ context.Context, t *db.ShopperTry, since time.Time) (db.TryCounts, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return db.TryCounts{}, f.err
	}
	f.tries = append(f.tries, *t)
	var c db.TryCounts
	for _, x := range f.tries {
		if x.CreatedAt.After(since) && x.ClientIP == t.ClientIP {
			c.ForClient++
		}
		if x.CreatedAt.After(since) && x.OrderKey == t.OrderKey {
			c.ForOrder++
		}
	}
	return c, nil
}

func (f *fakeStore) MerchantByID(_ context.Context, id string) (*db.Merchant, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if m, ok := f.merchants[id]; ok {
		return m, nil
	}
	return nil, db.ErrNotFound
}

// fakeDelivery records what it was handed.
type fakeDelivery struct {
	mu  sync.Mutex
	ids []string
	err error
}

func (d *fakeDelivery) Deliver(_ context.Context, ids []string) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.ids = append(d.ids, ids...)
	return d.err
}

var errBoom = errors.New("boom")
