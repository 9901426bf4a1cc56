package views_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/rebound-returns/rebound/app/finance"
	"github.com/rebound-returns/rebound/app/freeze"
	"github.com/rebound-returns/rebound/app/views"
)

// The list items are the use cases' records as answered: each converts
// from its record, so the API can render them without a copy of its own.
var (
	_ = views.WorkItem(finance.WorkItem{})
	_ = views.Freeze(freeze.View{})
)

// Empty optional fields are left out of the answer, as the API always
// answered them.
func TestListItemsLeaveOutWhatIsNotSet(t *testing.T) {
	for _, v := range []any{views.WorkItem{}, views.Freeze{}} {
		b, _ := json.Marshal(v)
		for _, absent := range []string{"return_id", "refund_id", "resolved_at", "store_code", "lifted_at", "lifted_by"} {
			if strings.Contains(string(b), `"`+absent+`"`) {
				t.Errorf("%s has %s", b, absent)
			}
		}
	}
}
