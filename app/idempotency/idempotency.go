// Package idempotency keeps the records behind the Idempotency-Key header:
// a request claims its key, then either finishes it with the answer to
// replay or releases it so the client may try again. A replayed filing
// hands its holder a new shopper session, since answers are kept without
// their token.
package idempotency

import (
	"context"
	"time"

	"github.com/rebound-returns/rebound/app/filing"
	"github.com/rebound-returns/rebound/db"
)

// Done is the state of a key whose answer is kept.
const Done = db.IdemDone

// Record is a claimed key: the hash of the body it was claimed with, its
// state and, once done, the answer to replay.
type Record struct {
	RequestHash    string
	State          string
	ResponseStatus int
	ResponseBody   string
}

// Store keeps the keys and opens shopper sessions (*db.DB).
type Store interface {
	ClaimIdempotencyKey(ctx context.Context, scope, key, hash string) (*db.IdempotencyKey, bool, error)
	ReleaseIdempotencyKey(ctx context.Context, scope, key string) error
	FinishIdempotencyKey(ctx context.Context, scope, key string, status int, body []byte) error
	ReturnByID(ctx context.Context, id string) (*db.Return, error)
	CreateSession(ctx context.Context, s *db.Session) error
}

// Deps is what a Keys is built from.
type Deps struct {
	Store Store
	// ShopperPrefix and SessionLife make the shopper's new session as
	// filing makes the first one.
	ShopperPrefix string
	SessionLife   time.Duration
	Now           func() time.Time
}

// Keys claims, finishes and releases idempotency keys.
type Keys struct{ d Deps }

// New builds Keys over d.
func New(d Deps) *Keys {
	if d.Now == nil {
		d.Now = time.Now
	}
	return &Keys{d: d}
}

// Claim takes the key for a request whose body hashes to hash; claimed is
// false when the key was already taken, and rec is then the first claim.
func (k *Keys) Claim(ctx context.Context, scope, key, hash string) (rec Record, claimed bool, err error) {
	r, claimed, err := k.d.Store.ClaimIdempotencyKey(ctx, scope, key, hash)
	if err != nil || r == nil {
		return Record{}, claimed, err
	}
	return Record{RequestHash: r.RequestHash, State: r.State, ResponseStatus: r.ResponseStatus, ResponseBody: r.ResponseBody}, claimed, nil
}

// Release gives the key up: the request was refused or failed.
func (k *Keys) Release(ctx context.Context, scope, key string) error {
	return k.d.Store.ReleaseIdempotencyKey(ctx, scope, key)
}

// Finish keeps the answer the key replays from now on.
func (k *Keys) Finish(ctx context.Context, scope, key string, status int, body []byte) error {
	return k.d.Store.FinishIdempotencyKey(ctx, scope, key, status, body)
}

// ShopperSession opens the filed return to the holder of a replayed
// filing: a new token and when it expires.
func (k *Keys) ShopperSession(ctx context.Context, returnID string) (token string, expiresAt time.Time, err error) {
	r, err := k.d.Store.ReturnByID(ctx, returnID)
	if err != nil {
		return "", time.Time{}, err
	}
	token, sess, err := filing.OpenSession(ctx, k.d.Store, k.d.ShopperPrefix, k.d.Now().Add(k.d.SessionLife), r.ID, r.MerchantID)
	if err != nil {
		return "", time.Time{}, err
	}
	return token, sess.ExpiresAt, nil
}
