package returns

import "testing"

// The values are stored in databases and workflow histories: a change here
// would strand every return written before it.
func TestVocabularyValuesNeverChange(t *testing.T) {
	got := map[string]string{
		string(ChannelOnline): "online", string(ChannelCardPresent): "card_present",
		string(MethodShip): "ship", string(MethodInStore): "in_store",
		string(RefundStatusPending): "pending", string(RefundStatusSucceeded): "succeeded", string(RefundStatusFailed): "failed",
		string(AttemptReversalPending): "reversal_pending", string(AttemptEscalated): "escalated",
		string(AttemptVoid): "void", string(ActorCarrier): "carrier", string(RoleSupervisor): "supervisor",
	}
	for v, want := range got {
		if v != want {
			t.Errorf("%q changed to %q", want, v)
		}
	}
	for _, c := range []struct {
		ok   bool
		what string
	}{
		{ChannelOnline.Valid() && ChannelCardPresent.Valid(), "channels"},
		{!Channel("cash").Valid(), "cash is not a channel"},
		{MethodShip.Valid() && MethodInStore.Valid() && !Method("drone").Valid(), "methods"},
		{RoleOperator.Valid() && RoleClerk.Valid() && !Role("root").Valid() && !Role("").Valid(), "roles"},
		{len(MerchantRoles) == 4 && MerchantRoles[0] == RoleClerk, "merchant roles in page order"},
	} {
		if !c.ok {
			t.Error(c.what)
		}
	}
}
