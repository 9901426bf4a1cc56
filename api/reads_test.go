package api

import (
	"net/http"
	"net/http/httptest"
	"regexp"
	"testing"

	"github.com/rebound-returns/rebound/db"
	"github.com/rebound-returns/rebound/db/dbtest"
)

// Issue 15: the task list reads its page with the orders' numbers in one
// statement, and answers byte for byte what it answered when it read them
// apart (the body below was taken from that code).
func TestMerchantListKeepsItsBytes(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		s := newShownReturn(t, d)
		newReturnOf(t, s.shop)
		n, on := countStatements(t, d)
		on.Store(true)
		req := httptest.NewRequest(http.MethodGet, "/v1/merchant/returns?limit=2", nil)
		req.Header.Set("Authorization", "Bearer "+s.clerk)
		rec := httptest.NewRecorder()
		s.h.ServeHTTP(rec, req)
		on.Store(false)
		if got := cursors.ReplaceAllString(normalized(rec.Body.String()), "C"); rec.Code != http.StatusOK || got != wantMerchantList {
			t.Errorf("%d\n got %s\nwant %s", rec.Code, got, wantMerchantList)
		}
		// The caller, the count (gorm counts its subquery as a statement of
		// its own, though it is not sent), the page: 5 before.
		if got := n.Load(); got != 1+2+1 {
			t.Errorf("the list ran %d statements; want 4", got)
		}
	})
}

// cursors are the opaque cursors, which hold an id.
var cursors = regexp.MustCompile(`eyJ[A-Za-z0-9_=-]*`)

const wantMerchantList = `{"items":[{"id":"ID","order_number":"S-1","status":"submitted","method":"ship","channel":"card_present","currency":"EUR","created_at":"T","updated_at":"T"},{"id":"ID","order_number":"S-1","status":"refund_pending","method":"ship","channel":"card_present","refund_amount":3500,"currency":"EUR","created_at":"T","updated_at":"T"}],"next_cursor":"C","next":"/v1/merchant/returns?cursor=C\u0026limit=2","total":3,"total_capped":false}`
