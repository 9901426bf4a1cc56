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

// An admin may do everything a supervisor may, a supervisor everything a
// clerk may; operators and finance cover only themselves.
func TestRoleCovers(t *testing.T) {
	all := append(append([]Role{}, MerchantRoles...), RoleOperator)
	want := map[Role][]Role{
		RoleClerk:      {RoleClerk},
		RoleSupervisor: {RoleClerk, RoleSupervisor},
		RoleFinance:    {RoleFinance},
		RoleAdmin:      {RoleClerk, RoleSupervisor, RoleFinance, RoleAdmin},
		RoleOperator:   {RoleOperator},
	}
	for _, r := range all {
		for _, o := range all {
			covers := false
			for _, w := range want[r] {
				covers = covers || w == o
			}
			if r.Covers(o) != covers {
				t.Errorf("%s.Covers(%s) = %v, want %v", r, o, r.Covers(o), covers)
			}
		}
	}
	if !RoleAdmin.Admitted([]Role{RoleSupervisor}) || RoleClerk.Admitted([]Role{RoleSupervisor, RoleFinance}) || RoleOperator.Admitted(MerchantRoles) {
		t.Error("Admitted does not follow Covers")
	}
}
