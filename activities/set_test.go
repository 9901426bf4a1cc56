package activities_test

import (
	"reflect"
	"slices"
	"testing"

	"github.com/rebound-returns/rebound/activities"
)

// An activity's type is its method's name, and recorded histories name
// it: splitting the activities into parts must keep every name, and no
// two parts may have one (a worker registering both would refuse it).
func TestPartsKeepEveryActivityNameOnce(t *testing.T) {
	want := []string{
		"AuthorizeHold", "CaptureHold", "CardSettings", "ChargeDifference", "CheckExchangePayment", "CheckFreeze", "CheckGatewayRefund", "ConsumeStock",
		"CreateShipment", "Deliver", "EscalateAttempt",
		"Evaluate", "ExpireCredits", "FinishReconciliation", "FinishRefund", "HoldStock", "ImportDroppedFile", "IssueReturnCredit", "ListDroppedFiles",
		"MatchSettlement", "PrepareCardAttempt", "PrepareRefund", "RecordTransition", "RecoverAttempts",
		"ReleaseStock", "ResolveRefund", "ReverseCardAttempt", "SendCardAttempt", "SendCode", "SendLookupCode",
		"SettleLostAttempt", "SettleReturns", "StartGatewayRefund", "VoidHold",
	}
	set := activities.New(activities.Deps{})
	parts := set.Parts()
	if len(parts) != reflect.TypeOf(set).NumField() {
		t.Fatalf("New built %d parts of %d", len(parts), reflect.TypeOf(set).NumField())
	}
	owner := map[string]string{}
	for _, p := range parts {
		typ := reflect.TypeOf(p)
		for i := range typ.NumMethod() {
			name := typ.Method(i).Name
			if prev, ok := owner[name]; ok {
				t.Errorf("%s is an activity of both %s and %s", name, prev, typ)
			}
			owner[name] = typ.String()
		}
	}
	var got []string
	for name := range owner {
		got = append(got, name)
	}
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Fatalf("activities %v\nwant %v", got, want)
	}
}
