package api

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/rebound-returns/rebound/db"
	"github.com/rebound-returns/rebound/db/dbtest"
)

// Issue 13, finding 9: API answers lacked X-Content-Type-Options and
// X-Frame-Options. Every answer has them now, successes and problems,
// authenticated or not, and none may be cached.
func TestEveryAPIAnswerHasSecurityHeaders(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		r := newHygieneRig(t, d)
		for _, tc := range []struct{ method, target, as string }{
			{"GET", "/v1/merchant/returns", "clerk"},           // 200, staff
			{"GET", "/v1/merchants/demo", ""},                  // 200, public
			{"GET", "/v1/merchants/nobody", ""},                // 404
			{"GET", "/v1/merchant/returns", ""},                // 401
			{"POST", "/v1/auth/login", ""},                     // 422 (no body)
			{"GET", "/v1/no/such/route", ""},                   // no route
			{"GET", "/v1/orders/" + "4111111111111111", "key"}, // refused at the edge
			{"GET", "/healthz", ""},
		} {
			rec := r.do(tc.method, tc.target, "", tc.as)
			for h, want := range map[string]string{
				"X-Content-Type-Options": "nosniff", "X-Frame-Options": "DENY",
				"Referrer-Policy": "no-referrer", "Cache-Control": "no-store",
			} {
				if got := rec.Header().Get(h); got != want {
					t.Errorf("%s %s (%d): %s is %q, want %q", tc.method, tc.target, rec.Code, h, got, want)
				}
			}
		}
	})
	// An answer a handler streams itself (the metrics) has them too.
	rec := httptest.NewRecorder()
	NewHandler(Deps{}).ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	if rec.Header().Get("X-Content-Type-Options") != "nosniff" {
		t.Errorf("/metrics answers without nosniff: %v", rec.Header())
	}
}
