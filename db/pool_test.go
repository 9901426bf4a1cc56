package db_test

import (
	"context"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/rebound-returns/rebound/db"
)

// poolLoad runs rounds of c concurrent queries through a pool of size c
// with idle connections kept, and answers how many connections the pool
// opened in all: those still open plus those it closed.
func poolLoad(t *testing.T, url string, pool db.Pool, rounds int) (opened int64, s db.Stats) {
	t.Helper()
	d, err := db.Open(url, pool, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	ctx := context.Background()
	for range rounds {
		var wg sync.WaitGroup
		for range pool.MaxOpen {
			wg.Add(1)
			go func() {
				defer wg.Done()
				// Long enough that every goroutine holds a connection at once,
				// as the API and worker do under load.
				if err := d.Exec(ctx, "SELECT pg_sleep(0.005)"); err != nil {
					t.Error(err)
				}
			}()
		}
		wg.Wait()
	}
	st := d.Stats()
	return int64(st.OpenConnections) + st.MaxIdleClosed + st.MaxLifetimeClosed + st.MaxIdleTimeClosed, st
}

// TestPostgresPoolReusesConnectionsUnderConcurrentLoad is finding (1) of
// issue 15: with 5 idle of 20, each burst of 20 queries closed 15
// connections on return and dialled them again on the next burst.
func TestPostgresPoolReusesConnectionsUnderConcurrentLoad(t *testing.T) {
	url := os.Getenv("REBOUND_TEST_POSTGRES_URL")
	if url == "" {
		t.Skip("REBOUND_TEST_POSTGRES_URL is not set")
	}
	const rounds = 30
	opened, st := poolLoad(t, url, db.DefaultPool, rounds)
	t.Logf("default pool (%d open, %d idle): %d connections opened for %d rounds of %d queries; MaxIdleClosed %d, waits %d",
		db.DefaultPool.MaxOpen, db.DefaultPool.MaxIdle, opened, rounds, db.DefaultPool.MaxOpen, st.MaxIdleClosed, st.WaitCount)
	if st.MaxIdleClosed != 0 || opened > int64(db.DefaultPool.MaxOpen) {
		t.Errorf("the default pool opened %d connections and closed %d for being idle; want at most %d opened, none closed",
			opened, st.MaxIdleClosed, db.DefaultPool.MaxOpen)
	}

	// The old setting, for the measure and to show the test tells them apart.
	old := db.Pool{MaxOpen: 20, MaxIdle: 5, MaxLifetime: 30 * time.Minute}
	oldOpened, oldSt := poolLoad(t, url, old, rounds)
	t.Logf("old pool (20 open, 5 idle): %d connections opened; MaxIdleClosed %d", oldOpened, oldSt.MaxIdleClosed)
	if oldSt.MaxIdleClosed == 0 || oldOpened <= opened {
		t.Errorf("5 idle of 20 closed %d and opened %d connections: the load does not exercise the pool", oldSt.MaxIdleClosed, oldOpened)
	}
}
