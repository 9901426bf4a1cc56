package session

import (
	"context"
	"errors"
	"strings"
	"sync"
	"time"

	"github.com/rebound-returns/rebound/auth"
	"github.com/rebound-returns/rebound/db"
)

const (
	merchantID = "m1"
	password   = "the-right-password"
)

var (
	t0       = time.Date(2026, 12, 3, 7, 0, 0, 0, time.UTC)
	errStore = errors.New("store down")
)

// fakeStore is a merchant "demo" (m1) with members "sup" and "clerk", an
// operator "op" and whatever sessions and keys are made; each call is
// logged by name, in order.
type fakeStore struct {
	mu       sync.Mutex
	calls    []string
	staff    map[string]*db.StaffUser // by id
	sessions map[string]*db.Session   // by token hash
	keys     map[string]*db.APIKey    // by key hash
	try      db.Try
	// failOn makes the named call fail with errStore.
	failOn string
	// set records SetPassword's hash; ended the session kept by
	// EndOtherSessions.
	set, kept string
}

func newFakeStore() *fakeStore {
	m := merchantID
	return &fakeStore{
		staff: map[string]*db.StaffUser{
			"u-sup":   {ID: "u-sup", MerchantID: &m, Username: "sup", Role: "supervisor", PasswordHash: password},
			"u-clerk": {ID: "u-clerk", MerchantID: &m, Username: "clerk", Role: "clerk", PasswordHash: password},
			"u-op":    {ID: "u-op", Username: "op", Role: "operator", PasswordHash: password},
		},
		sessions: map[string]*db.Session{},
		keys:     map[string]*db.APIKey{},
		try:      db.Try{Claimed: true},
	}
}

func (f *fakeStore) call(name string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, name)
	if f.failOn == name {
		return errStore
	}
	return nil
}

func (f *fakeStore) called() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return strings.Join(f.calls, " ")
}

func (f *fakeStore) ClaimPasswordTry(_ context.Context, userID string, l db.Lockout, _ time.Time) (db.Try, error) {
	if l != PasswordLockout {
		panic("a password try is claimed under the log-in lock-out")
	}
	return f.try, f.call("ClaimPasswordTry")
}

func (f *fakeStore) PasswordSucceeded(context.Context, string, db.Try) error {
	return f.call("PasswordSucceeded")
}

func (f *fakeStore) StaffByID(_ context.Context, id string) (*db.StaffUser, error) {
	if err := f.call("StaffByID"); err != nil {
		return nil, err
	}
	if u, ok := f.staff[id]; ok {
		return u, nil
	}
	return nil, db.ErrNotFound
}

func (f *fakeStore) StaffByUsername(_ context.Context, m, username string) (*db.StaffUser, error) {
	if err := f.call("StaffByUsername"); err != nil {
		return nil, err
	}
	for _, u := range f.staff {
		if u.Username == strings.ToLower(username) && (u.MerchantID == nil && m == "" || u.MerchantID != nil && *u.MerchantID == m) {
			return u, nil
		}
	}
	return nil, db.ErrNotFound
}

func (f *fakeStore) MerchantBySlug(_ context.Context, slug string) (*db.Merchant, error) {
	if err := f.call("MerchantBySlug"); err != nil {
		return nil, err
	}
	if slug != "demo" {
		return nil, db.ErrNotFound
	}
	return &db.Merchant{ID: merchantID, Slug: "demo", Name: "Demo"}, nil
}

func (f *fakeStore) MerchantByID(_ context.Context, id string) (*db.Merchant, error) {
	if err := f.call("MerchantByID"); err != nil {
		return nil, err
	}
	if id != merchantID {
		return nil, db.ErrNotFound
	}
	return &db.Merchant{ID: merchantID, Slug: "demo", Name: "Demo"}, nil
}

func (f *fakeStore) CreateSession(_ context.Context, s *db.Session) error {
	if err := f.call("CreateSession"); err != nil {
		return err
	}
	f.sessions[s.TokenHash] = s
	return nil
}

func (f *fakeStore) SessionByHash(_ context.Context, hash string, now time.Time) (*db.Session, error) {
	if err := f.call("SessionByHash"); err != nil {
		return nil, err
	}
	if s, ok := f.sessions[hash]; ok && now.Before(s.ExpiresAt) {
		return s, nil
	}
	return nil, db.ErrNotFound
}

// CallerByHash reads the session and then its member, as the joined
// statement does; either read can fail.
func (f *fakeStore) CallerByHash(ctx context.Context, hash string, now time.Time) (*db.Caller, error) {
	sess, err := f.SessionByHash(ctx, hash, now)
	if err != nil {
		return nil, err
	}
	c := &db.Caller{Session: *sess}
	if sess.StaffUserID != nil {
		u, err := f.StaffByID(ctx, *sess.StaffUserID)
		if errors.Is(err, db.ErrNotFound) {
			return c, nil
		}
		if err != nil {
			return nil, err
		}
		c.Staff = u
	}
	return c, nil
}

func (f *fakeStore) DeleteSession(_ context.Context, hash string) error {
	if err := f.call("DeleteSession"); err != nil {
		return err
	}
	delete(f.sessions, hash)
	return nil
}

func (f *fakeStore) EndOtherSessions(_ context.Context, _, keepHash string) error {
	f.kept = keepHash
	return f.call("EndOtherSessions")
}

func (f *fakeStore) SetPassword(_ context.Context, _, hash string, mustChange bool) error {
	if mustChange {
		panic("a member's own password is never a one-time one")
	}
	f.set = hash
	return f.call("SetPassword")
}

func (f *fakeStore) APIKeyByHash(_ context.Context, hash string) (*db.APIKey, error) {
	if err := f.call("APIKeyByHash"); err != nil {
		return nil, err
	}
	if k, ok := f.keys[hash]; ok {
		return k, nil
	}
	return nil, db.ErrNotFound
}

// session stores a session of token for the member with id userID (a
// shopper's for returnID when userID is "").
func (f *fakeStore) session(token, userID, returnID string) {
	m := merchantID
	s := &db.Session{TokenHash: auth.HashToken(token), Kind: db.SessionStaff, MerchantID: &m, Role: "stale", ExpiresAt: t0.Add(time.Hour)}
	if userID == "" {
		s.Kind, s.ReturnID = db.SessionShopper, &returnID
	} else {
		s.StaffUserID = &userID
	}
	f.sessions[s.TokenHash] = s
}

// fakePool "hashes" by comparing with the stored hash, which is the
// password itself; it counts holds, checks, hashes and burns.
type fakePool struct {
	mu                          sync.Mutex
	busy                        error // Hold, Hash and Burn fail with it
	holds, checks, hashes, burn int
	released                    int
}

func (p *fakePool) Hold(context.Context) (Slot, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.busy != nil {
		return nil, p.busy
	}
	p.holds++
	return &fakeSlot{p: p}, nil
}

func (p *fakePool) Hash(_ context.Context, pw string) (string, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.busy != nil {
		return "", p.busy
	}
	p.hashes++
	return "hash:" + pw, nil
}

func (p *fakePool) Burn(context.Context, string) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.busy != nil {
		return p.busy
	}
	p.burn++
	return nil
}

type fakeSlot struct {
	p    *fakePool
	done bool
}

func (s *fakeSlot) Check(stored, pw string) (bool, error) {
	s.p.mu.Lock()
	defer s.p.mu.Unlock()
	s.p.checks++
	return stored == pw, nil
}

func (s *fakeSlot) Release() {
	s.p.mu.Lock()
	defer s.p.mu.Unlock()
	if !s.done {
		s.done = true
		s.p.released++
	}
}
