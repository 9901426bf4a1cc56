package db_test

import (
	"context"
	"sync"
	"testing"

	"github.com/rebound-returns/rebound/db"
	"github.com/rebound-returns/rebound/db/dbtest"
)

// A claim that races the release of the same key (the first request was
// refused) claims the key or finds it in flight, never fails: the generated
// negative test saw "idempotency key: not found" answered 500 when two
// requests with one key were refused at the same time.
func TestIdempotencyClaimRacingAReleaseNeverFails(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		const scope = "api-key:m1/k POST /v1/orders"
		var wg sync.WaitGroup
		errs := make(chan error, 8)
		for range 8 {
			wg.Go(func() {
				for range 30 {
					_, claimed, err := d.Idempotency.ClaimIdempotencyKey(ctx, scope, "k1", "h1")
					if err != nil {
						errs <- err
						return
					}
					if claimed {
						if err := d.Idempotency.ReleaseIdempotencyKey(ctx, scope, "k1"); err != nil {
							errs <- err
							return
						}
					}
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatalf("a claim racing a release: %v", err)
		}
	})
}
