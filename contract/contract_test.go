package contract

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/rebound-returns/rebound/returns"
)

// Workflow IDs, names and JSON field names are written into every
// recorded history and every running workflow: a change strands them.
func TestNamesAndIDsNeverChange(t *testing.T) {
	for got, want := range map[string]string{
		ReturnWorkflowID("r1"):          "return/r1",
		RefundWorkflowID("r1", 2):       "refund/r1/2",
		LookupWorkflowID("l1"):          "lookup/l1",
		ReconcileWorkflowID("f1"):       "reconcile/f1",
		TaskQueue + "|" + CardTaskQueue: "returns|cards",
		UpdateVerify + "|" + UpdateInspect + "|" + UpdateCounterRefund + "|" + UpdateRefundResolution:   "verify|inspect|counter_refund|refund_resolution",
		SignalCarrierEvent + "|" + SignalSettled + "|" + SignalGatewayResult + "|" + SignalFreezeLifted: "carrier_event|settled|gateway_result|freeze_lifted",
		ErrInvalidState + "|" + ErrInvalidInput + "|" + ErrRateLimited:                                  "invalid_state|invalid_input|rate_limited",
		QueryStatus + "|" + SettlementPickupScheduleID:                                                  "status|settlement-pickup",
	} {
		if got != want {
			t.Errorf("%q changed to %q", want, got)
		}
	}
}

func TestAReturnsInputKeepsItsJSONNames(t *testing.T) {
	in := ReturnInput{ReturnID: "r1", MerchantID: "m1", Method: returns.MethodShip, Channel: returns.ChannelOnline,
		FiledAt: time.Date(2026, 12, 3, 9, 0, 0, 0, time.UTC)}
	b, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	var fields map[string]any
	if err := json.Unmarshal(b, &fields); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"return_id", "merchant_id", "method", "channel", "filed_at"} {
		if _, ok := fields[k]; !ok {
			t.Errorf("ReturnInput lost %q: %s", k, b)
		}
	}
	if fields["channel"] != "online" || fields["method"] != "ship" {
		t.Errorf("typed vocabulary changed the bytes: %s", b)
	}
}
