package db

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// IdempotencyKey remembers a request made with an Idempotency-Key and, once
// answered, its answer.
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
// that one is stale in flight, which this request then takes over.
func (d *DB) ClaimIdempotencyKey(ctx context.Context, scope, key, hash string) (rec *IdempotencyKey, claimed bool, err error) {
	now := time.Now().UTC()
	rec = &IdempotencyKey{Scope: scope, Key: key, RequestHash: hash, State: IdemInFlight, CreatedAt: now}
	err = d.with(ctx).Create(rec).Error
	if err == nil {
		return rec, true, nil
	}
	if errors.Is(translate(err), ErrConflict) {
		res := d.with(ctx).Model(&IdempotencyKey{}).
			Where("scope = ? AND key = ? AND state = ? AND request_hash = ? AND created_at < ?", scope, key, IdemInFlight, hash, now.Add(-IdempotencyStale)).
			Update("created_at", now)
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

// FinishIdempotencyKey stores the answer to replay.
func (d *DB) FinishIdempotencyKey(ctx context.Context, scope, key string, status int, body []byte) error {
	err := d.with(ctx).Model(&IdempotencyKey{}).Where("scope = ? AND key = ?", scope, key).
		Updates(map[string]any{"state": IdemDone, "response_status": status, "response_body": string(body)}).Error
	if err != nil {
		return fmt.Errorf("idempotency key: %w", err)
	}
	return nil
}

// ReleaseIdempotencyKey forgets a request that failed on the server's side,
// so that the client may try again with the same key.
func (d *DB) ReleaseIdempotencyKey(ctx context.Context, scope, key string) error {
	if err := d.with(ctx).Where("scope = ? AND key = ? AND state = ?", scope, key, IdemInFlight).Delete(&IdempotencyKey{}).Error; err != nil {
		return fmt.Errorf("idempotency key: %w", err)
	}
	return nil
}
