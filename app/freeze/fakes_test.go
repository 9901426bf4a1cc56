package freeze

import (
	"context"
	"errors"
	"strings"
	"sync"
	"time"

	"github.com/rebound-returns/rebound/db"
)

const (
	merchantID = "m1"
	freezeID   = "0b7c6f3e-4f1a-4d2b-9c3e-1a2b3c4d5e6f"
)

var (
	t0       = time.Date(2026, 12, 3, 7, 0, 0, 0, time.UTC)
	errStore = errors.New("store down")
)

// fakeStore holds merchants "demo" (m1) and "other" (m2), demo's store
// "main" (s1) and terminal "DP000001", the freezes made, and the refunds'
// workflows a lift wakes; each call is logged by name, in order.
type fakeStore struct {
	mu      sync.Mutex
	calls   []string
	freezes []db.Freeze
	waiting []string
	// failOn makes the named call fail with errStore.
	failOn string
	// lifted is what LiftFreeze was asked: scope, id, by, at.
	lifted []any
}

func newFakeStore() *fakeStore { return &fakeStore{} }

func (f *fakeStore) call(name string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, name)
	if f.failOn == name {
		return errStore
	}
	return nil
}

func (f *fakeStore) called() string { return strings.Join(f.calls, " ") }

var merchants = map[string]*db.Merchant{
	"m1": {ID: "m1", Slug: "demo", Name: "Demo"},
	"m2": {ID: "m2", Slug: "other", Name: "Other"},
}

func (f *fakeStore) MerchantByID(_ context.Context, id string) (*db.Merchant, error) {
	if err := f.call("MerchantByID"); err != nil {
		return nil, err
	}
	if m, ok := merchants[id]; ok {
		return m, nil
	}
	return nil, db.ErrNotFound
}

func (f *fakeStore) MerchantBySlug(_ context.Context, slug string) (*db.Merchant, error) {
	if err := f.call("MerchantBySlug"); err != nil {
		return nil, err
	}
	for _, m := range merchants {
		if m.Slug == slug {
			return m, nil
		}
	}
	return nil, db.ErrNotFound
}

func (f *fakeStore) StoreByCode(_ context.Context, m, code string) (*db.Store, error) {
	if err := f.call("StoreByCode"); err != nil {
		return nil, err
	}
	if m != "m1" || code != "main" {
		return nil, db.ErrNotFound
	}
	return &db.Store{ID: "s1", MerchantID: "m1", Code: "main"}, nil
}

func (f *fakeStore) Stores(_ context.Context, m string) ([]db.Store, error) {
	if err := f.call("Stores"); err != nil {
		return nil, err
	}
	return []db.Store{{ID: "s0", Code: "back"}, {ID: "s1", MerchantID: "m1", Code: "main"}}, nil
}

func (f *fakeStore) TerminalByID(_ context.Context, id string) (*db.Terminal, error) {
	if err := f.call("TerminalByID"); err != nil {
		return nil, err
	}
	if id != "DP000001" {
		return nil, db.ErrNotFound
	}
	return &db.Terminal{TerminalID: id, MerchantID: "m1"}, nil
}

func (f *fakeStore) CreateFreeze(_ context.Context, fr *db.Freeze) error {
	if err := f.call("CreateFreeze"); err != nil {
		return err
	}
	fr.ID, fr.CreatedAt = freezeID, t0
	f.freezes = append(f.freezes, *fr)
	return nil
}

func (f *fakeStore) LiftFreeze(_ context.Context, m, id, by string, at time.Time) (*db.Freeze, []string, error) {
	f.lifted = []any{m, id, by, at}
	if err := f.call("LiftFreeze"); err != nil {
		return nil, nil, err
	}
	for i := range f.freezes {
		fr := &f.freezes[i]
		if fr.ID == id && fr.LiftedAt == nil && (m == "" || fr.MerchantID == m && fr.CreatedRole != "operator") {
			fr.LiftedAt, fr.LiftedBy = &at, by
			return fr, f.waiting, nil
		}
	}
	return nil, nil, db.ErrNotFound
}

func (f *fakeStore) FreezesPage(_ context.Context, m string, active bool, p db.Page) (*db.Paged[db.Freeze], error) {
	if err := f.call("Freezes"); err != nil {
		return nil, err
	}
	out := &db.Paged[db.Freeze]{Total: int64(p.Limit)}
	for _, fr := range f.freezes {
		if (m == "" || fr.MerchantID == m) && (!active || fr.LiftedAt == nil) {
			out.Items = append(out.Items, fr)
		}
	}
	out.More = p.Offset > 0
	return out, nil
}

// fakeWorkflow records the workflows woken; err fails each.
type fakeWorkflow struct {
	woken []string
	err   error
}

func (w *fakeWorkflow) FreezeLifted(_ context.Context, id string) error {
	w.woken = append(w.woken, id)
	return w.err
}

// fakeAdmins records what the admins are told.
type fakeAdmins struct{ told []string }

func (a *fakeAdmins) Tell(_ context.Context, m, subject, text string) {
	a.told = append(a.told, m+": "+subject+": "+text)
}
