package admin

import (
	"context"
	"errors"
	"maps"
	"sync"
	"time"

	"github.com/rebound-returns/rebound/db"
	"github.com/rebound-returns/rebound/onboard"
)

const (
	merchantID = "m1"
	adminID    = "0b7c6f3e-4f1a-4d2b-9c3e-000000000001"
	clerkID    = "0b7c6f3e-4f1a-4d2b-9c3e-000000000002"
	hookID     = "0b7c6f3e-4f1a-4d2b-9c3e-000000000003"
	otherHook  = "0b7c6f3e-4f1a-4d2b-9c3e-000000000004"
	keyID      = "0b7c6f3e-4f1a-4d2b-9c3e-000000000005"
	unknownID  = "0b7c6f3e-4f1a-4d2b-9c3e-00000000ffff"
)

var (
	t0      = time.Date(2026, 12, 3, 7, 0, 0, 0, time.UTC)
	errDown = errors.New("the database is down")
)

// fakeStore is merchant m1 in memory: its policy, one store "main", two
// staff (an admin and a clerk), one webhook endpoint (and one of another
// merchant), one API key. Each ...Err makes its method fail; calls names
// the writes in order.
type fakeStore struct {
	mu        sync.Mutex
	merchant  *db.Merchant
	stores    map[string]*db.Store // by code
	terminals []db.Terminal
	hooks     map[string]*db.WebhookEndpoint
	outbox    map[string]*db.OutboxMessage
	staff     map[string]*db.StaffUser
	keys      map[string]*db.APIKey
	revokedAt time.Time
	calls     []string

	pageErr, merchantErr, setPolicyErr, storeErr, terminalErr, hookErr error
	queueErr, outboxErr, changeErr, revokeErr                          error
	// dropOutbox loses queued messages (OutboxByIDs finds none).
	dropOutbox bool
}

func newFakeStore() *fakeStore {
	return &fakeStore{
		merchant: &db.Merchant{ID: merchantID, Slug: "demo", Name: "Demo", Currency: "EUR", TimeZone: "UTC", Status: "active",
			Policy: db.JSON(`{"window_days":30}`), CreatedAt: t0},
		stores: map[string]*db.Store{"main": {ID: "s-main", MerchantID: merchantID, Code: "main", Name: "Demo"}},
		hooks: map[string]*db.WebhookEndpoint{
			hookID:    {ID: hookID, MerchantID: merchantID, URL: "https://hooks.example.com/rebound", CreatedAt: t0},
			otherHook: {ID: otherHook, MerchantID: "m2", URL: "https://other.example.com/", CreatedAt: t0},
		},
		outbox: map[string]*db.OutboxMessage{},
		staff: map[string]*db.StaffUser{
			adminID: {ID: adminID, Username: "boss", Role: "admin", CreatedAt: t0},
			clerkID: {ID: clerkID, Username: "clerk", Role: "clerk", CreatedAt: t0},
		},
		keys: map[string]*db.APIKey{keyID: {ID: keyID, MerchantID: merchantID, Name: "till", Prefix: "rbk_abcdef", CreatedAt: t0}},
	}
}

func (f *fakeStore) wrote(call string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, call)
}

func page[T any](items []T, err error) (*db.Paged[T], error) {
	if err != nil {
		return nil, err
	}
	return &db.Paged[T]{Items: items, More: true, Total: int64(len(items)) + 10}, nil
}

func (f *fakeStore) MerchantsPage(context.Context, db.Page) (*db.Paged[db.Merchant], error) {
	return page([]db.Merchant{*f.merchant}, f.pageErr)
}

func (f *fakeStore) MerchantByID(_ context.Context, id string) (*db.Merchant, error) {
	if f.merchantErr != nil {
		return nil, f.merchantErr
	}
	if id != f.merchant.ID {
		return nil, db.ErrNotFound
	}
	m := *f.merchant
	return &m, nil
}

func (f *fakeStore) SetPolicy(_ context.Context, id string, p db.JSON) error {
	if f.setPolicyErr != nil {
		return f.setPolicyErr
	}
	f.wrote("SetPolicy " + id)
	f.merchant.Policy = p
	return nil
}

func (f *fakeStore) TerminalsPage(context.Context, string, db.Page) (*db.Paged[db.Terminal], error) {
	return page(f.terminals, f.pageErr)
}

func (f *fakeStore) WebhookEndpointsPage(context.Context, string, db.Page) (*db.Paged[db.WebhookEndpoint], error) {
	return page([]db.WebhookEndpoint{*f.hooks[hookID]}, f.pageErr)
}

func (f *fakeStore) WebhookEndpoint(_ context.Context, id string) (*db.WebhookEndpoint, error) {
	if f.hookErr != nil {
		return nil, f.hookErr
	}
	w, ok := f.hooks[id]
	if !ok {
		return nil, db.ErrNotFound
	}
	return w, nil
}

func (f *fakeStore) CreateWebhookEndpoint(_ context.Context, w *db.WebhookEndpoint) error {
	if f.hookErr != nil {
		return f.hookErr
	}
	f.wrote("CreateWebhookEndpoint")
	w.ID, w.CreatedAt = "w-new", t0
	f.hooks[w.ID] = w
	return nil
}

func (f *fakeStore) QueueOutbox(_ context.Context, m *db.OutboxMessage) error {
	if f.queueErr != nil {
		return f.queueErr
	}
	f.wrote("QueueOutbox")
	f.mu.Lock()
	defer f.mu.Unlock()
	m.ID, m.Status = "o-1", db.OutboxPending
	f.outbox[m.ID] = m
	return nil
}

func (f *fakeStore) OutboxByIDs(_ context.Context, ids []string) ([]db.OutboxMessage, error) {
	if f.outboxErr != nil {
		return nil, f.outboxErr
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []db.OutboxMessage
	for _, id := range ids {
		if m, ok := f.outbox[id]; ok && !f.dropOutbox {
			out = append(out, *m)
		}
	}
	return out, nil
}

func (f *fakeStore) StaffOf(context.Context, string, db.Page) (*db.Paged[db.StaffUser], error) {
	return page([]db.StaffUser{*f.staff[adminID], *f.staff[clerkID]}, f.pageErr)
}

func (f *fakeStore) ChangeStaff(_ context.Context, m, id string, ch db.StaffChange) (*db.StaffUser, error) {
	if f.changeErr != nil {
		return nil, f.changeErr
	}
	u, ok := f.staff[id]
	if !ok || m != merchantID {
		return nil, db.ErrNotFound
	}
	f.wrote("ChangeStaff " + id)
	if ch.Role != nil {
		u.Role = *ch.Role
	}
	if ch.Disabled != nil {
		u.Disabled = *ch.Disabled
	}
	return u, nil
}

func (f *fakeStore) APIKeysOf(context.Context, string, db.Page) (*db.Paged[db.APIKey], error) {
	return page([]db.APIKey{*f.keys[keyID]}, f.pageErr)
}

func (f *fakeStore) RevokeAPIKey(_ context.Context, m, id string, at time.Time) error {
	if f.revokeErr != nil {
		return f.revokeErr
	}
	k, ok := f.keys[id]
	if !ok || m != merchantID || k.RevokedAt != nil {
		return db.ErrNotFound
	}
	f.wrote("RevokeAPIKey " + id)
	k.RevokedAt, f.revokedAt = &at, at
	return nil
}

// InTx runs fn over the store itself and, like a transaction, undoes
// what fn wrote when it fails.
func (f *fakeStore) InTx(_ context.Context, fn func(tx TerminalTx) error) error {
	stores, terminals, calls := maps.Clone(f.stores), len(f.terminals), len(f.calls)
	if err := fn(f); err != nil {
		f.stores, f.terminals, f.calls = stores, f.terminals[:terminals], f.calls[:calls]
		return err
	}
	return nil
}

func (f *fakeStore) StoreByCode(_ context.Context, m, code string) (*db.Store, error) {
	if f.storeErr != nil {
		return nil, f.storeErr
	}
	st, ok := f.stores[code]
	if !ok || m != merchantID {
		return nil, db.ErrNotFound
	}
	return st, nil
}

func (f *fakeStore) CreateStore(_ context.Context, st *db.Store) error {
	f.wrote("CreateStore " + st.Code)
	st.ID = "s-" + st.Code
	f.stores[st.Code] = st
	return nil
}

func (f *fakeStore) CreateTerminal(_ context.Context, t *db.Terminal) error {
	if f.terminalErr != nil {
		return f.terminalErr
	}
	f.wrote("CreateTerminal " + t.TerminalID)
	t.ID = "t-" + t.TerminalID
	f.terminals = append(f.terminals, *t)
	return nil
}

// fakeOnboarding answers with what onboard would make, or err; it keeps
// what it was asked.
type fakeOnboarding struct {
	err      error
	merchant onboard.MerchantInput
	staff    onboard.StaffInput
	by, name string
}

func (o *fakeOnboarding) CreateMerchant(_ context.Context, in onboard.MerchantInput, by string) (*onboard.Onboarded, error) {
	o.merchant, o.by = in, by
	if o.err != nil {
		return nil, o.err
	}
	return &onboard.Onboarded{
		Merchant:        &db.Merchant{ID: "m-new", Slug: in.Slug, Name: in.Name, Currency: in.Currency, TimeZone: "UTC", Status: "active", CreatedAt: t0},
		Admin:           &db.StaffUser{ID: "u-admin", Username: in.AdminUsername},
		OneTimePassword: "otp-1",
		APIKey:          &db.APIKey{ID: "k-first", Name: "first key", Prefix: "rbk_012345", CreatedBy: by},
		APIKeySecret:    "rbk_0123456789",
	}, nil
}

func (o *fakeOnboarding) InviteStaff(_ context.Context, m string, in onboard.StaffInput) (*db.StaffUser, string, error) {
	o.staff = in
	if o.err != nil {
		return nil, "", o.err
	}
	return &db.StaffUser{ID: "u-new", MerchantID: &m, Username: in.Username, Role: in.Role, MustChangePassword: true}, "otp-2", nil
}

func (o *fakeOnboarding) NewAPIKey(_ context.Context, m, name, by string) (*db.APIKey, string, error) {
	o.name, o.by = name, by
	if o.err != nil {
		return nil, "", o.err
	}
	return &db.APIKey{ID: "k-new", MerchantID: m, Name: name, Prefix: "rbk_999999", CreatedBy: by, CreatedAt: t0}, "rbk_999999xyz", nil
}

// fakeDelivery plays the delivery workflow: it marks the queued messages
// with status and lastError, or fails to start (err), or never ends
// (hang: Get waits for its context).
type fakeDelivery struct {
	store     *fakeStore
	err       error
	hang      bool
	status    string
	lastError string
	ids       []string
}

func (d *fakeDelivery) Deliver(_ context.Context, ids []string) (Run, error) {
	d.ids = ids
	if d.err != nil {
		return nil, d.err
	}
	return fakeRun{d}, nil
}

type fakeRun struct{ d *fakeDelivery }

func (r fakeRun) Get(ctx context.Context, _ any) error {
	if r.d.hang {
		<-ctx.Done()
		return ctx.Err()
	}
	r.d.store.mu.Lock()
	defer r.d.store.mu.Unlock()
	for _, id := range r.d.ids {
		m := r.d.store.outbox[id]
		m.Status, m.LastError = r.d.status, r.d.lastError
		m.Attempts++
	}
	return nil
}

// world is a service over the fakes.
type world struct {
	store    *fakeStore
	onboard  *fakeOnboarding
	delivery *fakeDelivery
	resolver fakeResolver
	svc      *Service
}

func newWorld(dev bool) *world {
	w := &world{store: newFakeStore(), onboard: &fakeOnboarding{},
		resolver: fakeResolver{"hooks.example.com": {"93.184.216.34"}, "internal.example.com": {"10.0.0.7"}}}
	w.delivery = &fakeDelivery{store: w.store, status: db.OutboxSent}
	w.svc = New(Deps{Store: w.store, Onboarding: w.onboard, Delivery: w.delivery, Resolver: w.resolver, Dev: dev,
		Now: func() time.Time { return t0 }, TestWait: 50 * time.Millisecond})
	return w
}
