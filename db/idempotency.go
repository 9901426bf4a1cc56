package db

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// IdempotencyKey remembers a request made with an Idempotency-Key and, once
// answered with success, its answer. Scope says whose key it is and what it
// names (the API scopes a key to the caller, the method and the path).
type IdempotencyKey struct {
	Scope          string `gorm:"primaryKey"`
	Key            string `gorm:"primaryKey"`
	RequestHash    string
	State          string
	ResponseStatus int
	ResponseBody   string
	CreatedAt      time.Time
}

func (IdempotencyKey) TableName() string { return "idempotency_keys" }

// Idempotency states.
const (
	IdemInFlight = "in_flight"
	IdemDone     = "done"
)

// IdempotencyStale is how long a request may stay in flight before a new
// one with the same key may take it over (its process died, or it timed out).
const IdempotencyStale = 2 * time.Minute

// ClaimIdempotencyKey records a new request under (scope, key). When the key
// was used before it returns the earlier record and claimed false, unless
// that one is stale in flight with the same request, or was refused (an
// answer of 400 or more, kept before such answers were released): this
// request then takes it over.
//
// A key released between this request's insert and its read (the request
// holding it was refused) is claimed again rather than answered as an
// error (tries are bounded: each is lost only to another request winning).
func (d Idempotency) ClaimIdempotencyKey(ctx context.Context, scope, key, hash string) (rec *IdempotencyKey, claimed bool, err error) {
	for range 20 {
		rec, claimed, err = d.claimIdempotencyKey(ctx, scope, key, hash)
		if !errors.Is(err, ErrNotFound) {
			return rec, claimed, err
		}
	}
	return rec, claimed, err
}

func (d *conn) claimIdempotencyKey(ctx context.Context, scope, key, hash string) (rec *IdempotencyKey, claimed bool, err error) {
	now := time.Now().UTC()
	rec = &IdempotencyKey{Scope: scope, Key: key, RequestHash: hash, State: IdemInFlight, CreatedAt: now}
	err = d.with(ctx).Create(rec).Error
	if err == nil {
		return rec, true, nil
	}
	if errors.Is(translate(err), ErrConflict) {
		res := d.with(ctx).Model(&IdempotencyKey{}).
			Where("scope = ? AND key = ? AND ((state = ? AND request_hash = ? AND created_at < ?) OR (state = ? AND response_status >= 400))",
				scope, key, IdemInFlight, hash, now.Add(-IdempotencyStale), IdemDone).
			Updates(map[string]any{"state": IdemInFlight, "request_hash": hash, "created_at": now, "response_status": 0, "response_body": ""})
		if res.Error == nil && res.RowsAffected == 1 {
			return rec, true, nil
		}
	}
	if !errors.Is(translate(err), ErrConflict) {
		return nil, false, fmt.Errorf("idempotency key: %w", err)
	}
	var prev IdempotencyKey
	if err := d.with(ctx).Where("scope = ? AND key = ?", scope, key).Take(&prev).Error; err != nil {
		return nil, false, fmt.Errorf("idempotency key: %w", translate(err))
	}
	return &prev, false, nil
}

// FinishIdempotencyKey stores the answer to replay: a successful one (the API
// releases the key of any other).
func (d Idempotency) FinishIdempotencyKey(ctx context.Context, scope, key string, status int, body []byte) error {
	err := d.with(ctx).Model(&IdempotencyKey{}).Where("scope = ? AND key = ?", scope, key).
		Updates(map[string]any{"state": IdemDone, "response_status": status, "response_body": string(body)}).Error
	if err != nil {
		return fmt.Errorf("idempotency key: %w", err)
	}
	return nil
}

// ReleaseIdempotencyKey forgets a request in flight that was refused or
// failed (any answer of 400 or more but a timeout), so that the client may
// correct it or try again with the same key.
func (d Idempotency) ReleaseIdempotencyKey(ctx context.Context, scope, key string) error {
	if err := d.with(ctx).Where("scope = ? AND key = ? AND state = ?", scope, key, IdemInFlight).Delete(&IdempotencyKey{}).Error; err != nil {
		return fmt.Errorf("idempotency key: %w", err)
	}
	return nil
}
