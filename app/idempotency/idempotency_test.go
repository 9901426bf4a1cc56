package idempotency_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/rebound-returns/rebound/app/idempotency"
	"github.com/rebound-returns/rebound/auth"
	"github.com/rebound-returns/rebound/db"
)

// fakeStore holds one key and one return.
type fakeStore struct {
	rec      *db.IdempotencyKey
	claimed  bool
	err      error
	calls    []string
	ret      *db.Return
	sessions []*db.Session
}

func (f *fakeStore) ClaimIdempotencyKey(_ context.Context, scope, key, hash string) (*db.IdempotencyKey, bool, error) {
	f.calls = append(f.calls, "claim "+scope+" "+key+" "+hash)
	return f.rec, f.claimed, f.err
}

func (f *fakeStore) ReleaseIdempotencyKey(_ context.Context, scope, key string) error {
	f.calls = append(f.calls, "release "+scope+" "+key)
	return f.err
}

func (f *fakeStore) FinishIdempotencyKey(_ context.Context, scope, key string, status int, body []byte) error {
	f.calls = append(f.calls, "finish "+scope+" "+key+" "+string(body))
	return f.err
}

func (f *fakeStore) ReturnByID(_ context.Context, id string) (*db.Return, error) {
	if f.ret == nil || f.ret.ID != id {
		return nil, db.ErrNotFound
	}
	return f.ret, nil
}

func (f *fakeStore) CreateSession(_ context.Context, s *db.Session) error {
	if f.err != nil {
		return f.err
	}
	f.sessions = append(f.sessions, s)
	return nil
}

var now = time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)

func keys(st *fakeStore) *idempotency.Keys {
	return idempotency.New(idempotency.Deps{Store: st, ShopperPrefix: "rbr_", SessionLife: time.Hour, Now: func() time.Time { return now }})
}

func TestClaim(t *testing.T) {
	boom := errors.New("down")
	cases := []struct {
		name    string
		st      *fakeStore
		want    idempotency.Record
		claimed bool
		err     error
	}{
		{"a new key is claimed", &fakeStore{claimed: true, rec: &db.IdempotencyKey{RequestHash: "h", State: "in_flight"}},
			idempotency.Record{RequestHash: "h", State: "in_flight"}, true, nil},
		{"a key done answers its record", &fakeStore{rec: &db.IdempotencyKey{RequestHash: "h", State: idempotency.Done,
			ResponseStatus: 201, ResponseBody: `{"id":"r1"}`}},
			idempotency.Record{RequestHash: "h", State: "done", ResponseStatus: 201, ResponseBody: `{"id":"r1"}`}, false, nil},
		{"no record", &fakeStore{claimed: true}, idempotency.Record{}, true, nil},
		{"the store failed", &fakeStore{err: boom}, idempotency.Record{}, false, boom},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rec, claimed, err := keys(c.st).Claim(context.Background(), "ip:1 POST /v1/x", "k", "h")
			if rec != c.want || claimed != c.claimed || !errors.Is(err, c.err) {
				t.Fatalf("got %+v %v %v; want %+v %v %v", rec, claimed, err, c.want, c.claimed, c.err)
			}
			if len(c.st.calls) != 1 || c.st.calls[0] != "claim ip:1 POST /v1/x k h" {
				t.Fatalf("calls %q", c.st.calls)
			}
		})
	}
}

func TestReleaseAndFinishReachTheStore(t *testing.T) {
	st := &fakeStore{}
	k := keys(st)
	if err := k.Release(context.Background(), "s", "k1"); err != nil {
		t.Fatal(err)
	}
	if err := k.Finish(context.Background(), "s", "k2", 201, []byte(`{}`)); err != nil {
		t.Fatal(err)
	}
	if strings.Join(st.calls, "|") != "release s k1|finish s k2 {}" {
		t.Fatalf("calls %q", st.calls)
	}
	st.err = errors.New("down")
	if k.Release(context.Background(), "s", "k") == nil || k.Finish(context.Background(), "s", "k", 200, nil) == nil {
		t.Fatal("a store failure is the caller's to log")
	}
}

func TestShopperSessionOpensTheReturnAgain(t *testing.T) {
	st := &fakeStore{ret: &db.Return{ID: "r1", MerchantID: "m1"}}
	token, exp, err := keys(st).ShopperSession(context.Background(), "r1")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(token, "rbr_") || !exp.Equal(now.Add(time.Hour)) || len(st.sessions) != 1 {
		t.Fatalf("token %q expires %v, %d sessions", token, exp, len(st.sessions))
	}
	s := st.sessions[0]
	if s.TokenHash != auth.HashToken(token) || *s.ReturnID != "r1" || *s.MerchantID != "m1" || s.Kind != db.SessionShopper {
		t.Fatalf("session %+v", s)
	}
}

func TestShopperSessionRefusals(t *testing.T) {
	if _, _, err := keys(&fakeStore{}).ShopperSession(context.Background(), "r9"); !errors.Is(err, db.ErrNotFound) {
		t.Fatalf("no return: %v", err)
	}
	boom := errors.New("down")
	st := &fakeStore{ret: &db.Return{ID: "r1"}, err: boom}
	if _, _, err := keys(st).ShopperSession(context.Background(), "r1"); !errors.Is(err, boom) {
		t.Fatalf("no session: %v", err)
	}
}

func TestNewDefaultsTheClock(t *testing.T) {
	st := &fakeStore{ret: &db.Return{ID: "r1"}}
	_, exp, err := idempotency.New(idempotency.Deps{Store: st, SessionLife: time.Minute}).ShopperSession(context.Background(), "r1")
	if err != nil || time.Until(exp) <= 0 || time.Until(exp) > time.Minute {
		t.Fatalf("expires %v, %v", exp, err)
	}
}
