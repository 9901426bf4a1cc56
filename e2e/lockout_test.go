package e2e_test

import (
	"context"
	"sync"
	"testing"

	"github.com/rebound-returns/rebound/db"
	"github.com/rebound-returns/rebound/db/dbtest"
)

// Issue 13, finding 1, through HTTP on each engine: 50 wrong passwords sent
// at once check at most ten (the limit), the rest are refused 423, and the
// right password is refused too while the lock holds.
func TestFiftyParallelWrongPasswordsLockAfterTheLimit(t *testing.T) {
	for _, e := range dbtest.Engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			s := newStackWith(t, e, true)
			var mu sync.Mutex
			got := map[int]int{}
			var wg sync.WaitGroup
			for range 50 {
				wg.Go(func() {
					r := s.call("POST", "/v1/auth/login", map[string]string{"merchant": "demo", "username": "supervisor", "password": "guess"})
					mu.Lock()
					got[r.Status]++
					mu.Unlock()
				})
			}
			wg.Wait()
			t.Logf("50 wrong passwords at once: %v", got)
			// 503: a try that found every hashing slot busy (it counts, unchecked).
			if got[401]+got[503] > 10 || got[401]+got[503]+got[423] != 50 || got[423] < 40 {
				t.Fatalf("answers %v; want at most 10 checked (401), the rest 423", got)
			}
			s.problem(s.call("POST", "/v1/auth/login", map[string]string{"merchant": "demo", "username": "supervisor", "password": demoPassword}), 423, "locked")
			entries, err := s.db.AuditLog(context.Background(), s.merchantID(), 200)
			if err != nil {
				t.Fatal(err)
			}
			failed := 0
			for _, a := range entries {
				if a.Action == "auth.login" && a.Actor == "supervisor" && a.Outcome == db.OutcomeFailed {
					failed++
				}
			}
			if failed != got[401] {
				t.Fatalf("%d failed log-ins audited, %d answered 401", failed, got[401])
			}
		})
	}
}
