package db_test

import (
	"context"
	"testing"

	"github.com/rebound-returns/rebound/db"
	"github.com/rebound-returns/rebound/db/dbtest"
)

// A key answers once with success and replays it; a refusal kept by an older version is not
// replayed forever: the next request takes the key over.
func TestIdempotencyKeysReplayOnlySuccess(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		claim := func(scope, key, hash string) (*db.IdempotencyKey, bool) {
			t.Helper()
			rec, claimed, err := d.Idempotency.ClaimIdempotencyKey(ctx, scope, key, hash)
			if err != nil {
				t.Fatal(err)
			}
			return rec, claimed
		}
		const scope = "staff:m1/u1 POST /v1/merchant/returns/R1/in-store-refund"

		if _, ok := claim(scope, "k1", "h1"); !ok {
			t.Fatal("a new key was not claimed")
		}
		if rec, ok := claim(scope, "k1", "h1"); ok || rec.State != db.IdemInFlight {
			t.Fatalf("a key in flight: %+v, claimed %v", rec, ok)
		}
		if err := d.Idempotency.FinishIdempotencyKey(ctx, scope, "k1", 201, []byte(`{"id":"x"}`)); err != nil {
			t.Fatal(err)
		}
		if rec, ok := claim(scope, "k1", "h1"); ok || rec.State != db.IdemDone || rec.ResponseStatus != 201 || rec.ResponseBody != `{"id":"x"}` {
			t.Fatalf("a key answered with success: %+v, claimed %v; want its answer", rec, ok)
		}
		// The same key in another scope is another key.
		if _, ok := claim("staff:m1/u1 POST /v1/merchant/returns/R2/in-store-refund", "k1", "h1"); !ok {
			t.Fatal("the key on another path was not claimed")
		}

		// A refusal kept as an answer (as before 4xx answers were released).
		if _, ok := claim(scope, "k2", "h1"); !ok {
			t.Fatal("k2 not claimed")
		}
		if err := d.Idempotency.FinishIdempotencyKey(ctx, scope, "k2", 409, []byte(`{"type":"conflict"}`)); err != nil {
			t.Fatal(err)
		}
		rec, ok := claim(scope, "k2", "h2")
		if !ok || rec.RequestHash != "h2" || rec.State != db.IdemInFlight {
			t.Fatalf("a kept 409: %+v, claimed %v; want the new request to take the key", rec, ok)
		}
		if rec, ok := claim(scope, "k2", "h2"); ok || rec.State != db.IdemInFlight || rec.ResponseStatus != 0 {
			t.Fatalf("after the take-over: %+v, claimed %v; want it in flight", rec, ok)
		}

		// A released key is free again.
		if err := d.Idempotency.ReleaseIdempotencyKey(ctx, scope, "k2"); err != nil {
			t.Fatal(err)
		}
		if _, ok := claim(scope, "k2", "h3"); !ok {
			t.Fatal("a released key was not claimed")
		}
	})
}
