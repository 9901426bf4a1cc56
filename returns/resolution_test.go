package returns_test

import (
	"slices"
	"testing"

	"github.com/rebound-returns/rebound/returns"
)

func allResolutions(bonus returns.CreditBonus) returns.Policy {
	p := returns.DefaultPolicy()
	p.Resolutions = slices.Clone(returns.Resolutions)
	p.CreditBonus = bonus
	return p
}

func TestCreditBonusOn(t *testing.T) {
	tests := []struct {
		name   string
		bonus  returns.CreditBonus
		credit int64
		want   int64
	}{
		{"none", returns.CreditBonus{}, 5000, 0},
		{"ten percent", returns.CreditBonus{BasisPoints: 1000}, 4999, 500},
		{"rounds half up", returns.CreditBonus{BasisPoints: 1000}, 4995, 500},
		{"rounds down below half", returns.CreditBonus{BasisPoints: 1000}, 4994, 499},
		{"fixed", returns.CreditBonus{Fixed: 300}, 1, 300},
		{"capped percent", returns.CreditBonus{BasisPoints: 2000, Cap: 500}, 4999, 500},
		{"capped fixed", returns.CreditBonus{Fixed: 800, Cap: 500}, 4999, 500},
		{"under the cap", returns.CreditBonus{BasisPoints: 1000, Cap: 500}, 1000, 100},
		{"no credit, no bonus", returns.CreditBonus{Fixed: 300}, 0, 0},
	}
	for _, tc := range tests {
		if got := tc.bonus.On(tc.credit); got != tc.want {
			t.Errorf("%s: bonus on %d = %d, want %d", tc.name, tc.credit, got, tc.want)
		}
	}
}

func TestQuoteRefundByResolution(t *testing.T) {
	tenPercent := returns.CreditBonus{BasisPoints: 1000}
	line := func(id string, q int, reason string, r returns.Resolution) returns.RequestedLine {
		rl := returns.RequestedLine{LineID: id, Quantity: q, Reason: reason, Resolution: r}
		if r == returns.ResolutionExchange {
			rl.VariantSKU = "SHOE-43"
		}
		return rl
	}
	accept := func(id string, q int, c returns.Condition) returns.InspectedLine {
		return returns.InspectedLine{LineID: id, AcceptedQuantity: q, Condition: c}
	}
	o := order() // paid 9894: socks 2900, shoes 4999, undies 1500, shipping 495
	tests := []struct {
		name      string
		bonus     returns.CreditBonus
		lines     []returns.RequestedLine
		inspected []returns.InspectedLine
		refunded  int64
		payment   int64
		credit    int64
		bonus_    int64
		exchanged int64
	}{
		{"a refund as before", tenPercent,
			[]returns.RequestedLine{line("socks", 3, "changed_mind", "")},
			[]returns.InspectedLine{accept("socks", 3, returns.ConditionNew)}, 0, 2900, 0, 0, 0},
		{"credit with a percent bonus", tenPercent,
			[]returns.RequestedLine{line("shoes", 1, "changed_mind", returns.ResolutionStoreCredit)},
			[]returns.InspectedLine{accept("shoes", 1, returns.ConditionNew)}, 0, 0, 4999, 500, 0},
		{"mixed: the fee comes off the credit before its bonus", returns.CreditBonus{Fixed: 300},
			[]returns.RequestedLine{line("socks", 3, "changed_mind", returns.ResolutionRefund), line("shoes", 1, "changed_mind", returns.ResolutionStoreCredit)},
			[]returns.InspectedLine{accept("socks", 3, returns.ConditionNew), accept("shoes", 1, returns.ConditionOpened)}, 0, 2900, 4499, 300, 0},
		{"capped bonus", returns.CreditBonus{BasisPoints: 2000, Cap: 500},
			[]returns.RequestedLine{line("shoes", 1, "changed_mind", returns.ResolutionStoreCredit)},
			[]returns.InspectedLine{accept("shoes", 1, returns.ConditionNew)}, 0, 0, 4999, 500, 0},
		{"the order's cap goes to the payment first", tenPercent,
			[]returns.RequestedLine{line("socks", 3, "changed_mind", returns.ResolutionRefund), line("shoes", 1, "changed_mind", returns.ResolutionStoreCredit)},
			[]returns.InspectedLine{accept("socks", 3, returns.ConditionNew), accept("shoes", 1, returns.ConditionNew)}, 9894 - 3000, 2900, 100, 10, 0},
		{"nothing left for credit, no bonus", tenPercent,
			[]returns.RequestedLine{line("socks", 3, "changed_mind", returns.ResolutionRefund), line("shoes", 1, "changed_mind", returns.ResolutionStoreCredit)},
			[]returns.InspectedLine{accept("socks", 3, returns.ConditionNew), accept("shoes", 1, returns.ConditionNew)}, 9894 - 1000, 1000, 0, 0, 0},
		{"shipping joins an all-credit return", tenPercent,
			[]returns.RequestedLine{line("shoes", 1, "defective", returns.ResolutionStoreCredit)},
			[]returns.InspectedLine{accept("shoes", 1, returns.ConditionNew)}, 0, 0, 5494, 549, 0},
		{"shipping goes to the payment beside a refund line", tenPercent,
			[]returns.RequestedLine{line("shoes", 1, "defective", returns.ResolutionRefund), line("undies", 1, "changed_mind", returns.ResolutionStoreCredit)},
			[]returns.InspectedLine{accept("shoes", 1, returns.ConditionNew), accept("undies", 1, returns.ConditionNew)}, 0, 5494, 1500, 150, 0},
		{"an exchange refunds nothing", tenPercent,
			[]returns.RequestedLine{line("shoes", 1, "too_small", returns.ResolutionExchange)},
			[]returns.InspectedLine{accept("shoes", 1, returns.ConditionOpened)}, 0, 0, 0, 0, 4499},
		{"rejected credit units issue nothing", tenPercent,
			[]returns.RequestedLine{line("shoes", 1, "changed_mind", returns.ResolutionStoreCredit)},
			[]returns.InspectedLine{{LineID: "shoes", RejectedQuantity: 1, Reason: "worn"}}, 0, 0, 0, 0, 0},
	}
	for _, tc := range tests {
		q := returns.QuoteRefund(allResolutions(tc.bonus), o, tc.lines, tc.inspected, returns.History{Refunded: tc.refunded})
		if q.ToPayment() != tc.payment || q.Credit != tc.credit || q.Bonus != tc.bonus_ || q.Exchanged != tc.exchanged {
			t.Errorf("%s: payment %d credit %d bonus %d exchanged %d, want %d %d %d %d", tc.name,
				q.ToPayment(), q.Credit, q.Bonus, q.Exchanged, tc.payment, tc.credit, tc.bonus_, tc.exchanged)
		}
		if q.Total != q.ToPayment()+q.Credit {
			t.Errorf("%s: total %d is not payment %d + credit %d", tc.name, q.Total, q.ToPayment(), q.Credit)
		}
	}
}

func TestValidateResolutions(t *testing.T) {
	refundOnly := returns.DefaultPolicy()
	legacy := returns.DefaultPolicy()
	legacy.Resolutions = nil
	credit := returns.DefaultPolicy()
	credit.Resolutions = []returns.Resolution{returns.ResolutionRefund, returns.ResolutionStoreCredit}
	tests := []struct {
		name   string
		policy returns.Policy
		r      returns.Resolution
		fields []string
	}{
		{"a line without a resolution is a refund", refundOnly, "", nil},
		{"a policy from before resolutions offers refunds", legacy, returns.ResolutionRefund, nil},
		{"credit is not offered by default", refundOnly, returns.ResolutionStoreCredit, []string{"lines[1].resolution"}},
		{"nor by a policy from before", legacy, returns.ResolutionStoreCredit, []string{"lines[1].resolution"}},
		{"credit offered", credit, returns.ResolutionStoreCredit, nil},
		{"exchange not offered", credit, returns.ResolutionExchange, []string{"lines[1].resolution"}},
	}
	for _, tc := range tests {
		lines := []returns.RequestedLine{{LineID: "socks", Quantity: 1, Reason: "other"}, {LineID: "shoes", Quantity: 1, Reason: "other", Resolution: tc.r}}
		var got []string
		for _, e := range returns.ValidateResolutions(tc.policy, lines) {
			got = append(got, e.Field)
		}
		if !slices.Equal(got, tc.fields) {
			t.Errorf("%s: fields %v, want %v", tc.name, got, tc.fields)
		}
	}
}

func TestValidateShapeOfResolutions(t *testing.T) {
	tests := []struct {
		name  string
		line  returns.RequestedLine
		field string
	}{
		{"unknown", returns.RequestedLine{Resolution: "gift_card"}, "lines[0].resolution"},
		{"exchange without variant", returns.RequestedLine{Resolution: returns.ResolutionExchange}, "lines[0].variant_sku"},
		{"variant without exchange", returns.RequestedLine{Resolution: returns.ResolutionStoreCredit, VariantSKU: "X"}, "lines[0].variant_sku"},
		{"variant too long", returns.RequestedLine{Resolution: returns.ResolutionExchange, VariantSKU: string(make([]byte, 65))}, "lines[0].variant_sku"},
		{"exchange", returns.RequestedLine{Resolution: returns.ResolutionExchange, VariantSKU: "SHOE-43"}, ""},
	}
	for _, tc := range tests {
		l := tc.line
		l.LineID, l.Quantity, l.Reason = "shoes", 1, "too_small"
		errs := returns.ValidateShape([]returns.RequestedLine{l})
		switch {
		case tc.field == "" && len(errs) > 0:
			t.Errorf("%s: refused %v", tc.name, errs)
		case tc.field != "" && (len(errs) != 1 || errs[0].Field != tc.field):
			t.Errorf("%s: errors %v, want one on %s", tc.name, errs, tc.field)
		}
	}
}

func TestPolicyValidatesResolutions(t *testing.T) {
	tests := []struct {
		name  string
		edit  func(*returns.Policy)
		field string
	}{
		{"unknown", func(p *returns.Policy) { p.Resolutions = []returns.Resolution{"cash"} }, "resolutions[0]"},
		{"twice", func(p *returns.Policy) {
			p.Resolutions = []returns.Resolution{returns.ResolutionRefund, returns.ResolutionRefund}
		}, "resolutions[1]"},
		{"percent over 100", func(p *returns.Policy) { p.CreditBonus.BasisPoints = 10001 }, "credit_bonus.basis_points"},
		{"percent and fixed", func(p *returns.Policy) { p.CreditBonus = returns.CreditBonus{BasisPoints: 10, Fixed: 10} }, "credit_bonus.fixed"},
		{"negative cap", func(p *returns.Policy) { p.CreditBonus.Cap = -1 }, "credit_bonus.cap"},
		{"all three with a capped bonus", func(p *returns.Policy) {
			p.Resolutions = slices.Clone(returns.Resolutions)
			p.CreditBonus = returns.CreditBonus{BasisPoints: 1500, Cap: 2000}
		}, ""},
	}
	for _, tc := range tests {
		p := returns.DefaultPolicy()
		tc.edit(&p)
		errs := p.Validate()
		switch {
		case tc.field == "" && len(errs) > 0:
			t.Errorf("%s: refused %v", tc.name, errs)
		case tc.field != "" && (len(errs) != 1 || errs[0].Field != tc.field):
			t.Errorf("%s: errors %v, want one on %s", tc.name, errs, tc.field)
		}
	}
}

func TestQuoteFiling(t *testing.T) {
	p := allResolutions(returns.CreditBonus{BasisPoints: 1000})
	lines := []returns.RequestedLine{
		{LineID: "socks", Quantity: 2, Reason: "defective", Resolution: returns.ResolutionStoreCredit},
		{LineID: "shoes", Quantity: 1, Reason: "too_small", Resolution: returns.ResolutionExchange, VariantSKU: "SHOE-43"},
	}
	fq := returns.QuoteFiling(p, order(), lines, returns.History{})
	want := []returns.Option{
		{Resolution: returns.ResolutionRefund, Amount: 1934},
		{Resolution: returns.ResolutionStoreCredit, Amount: 1934, Bonus: 193},
		{Resolution: returns.ResolutionExchange, Amount: 1934},
	}
	if len(fq.Lines) != 2 || !slices.Equal(fq.Lines[0].Options, want) {
		t.Fatalf("socks options %+v, want %+v", fq.Lines, want)
	}
	// Chosen: socks as credit with the shipping (reason defective, no
	// refund line), shoes exchanged.
	if c := fq.Chosen; c.Credit != 1934+495 || c.Bonus != 243 || c.Exchanged != 4999 || c.ToPayment() != 0 {
		t.Errorf("chosen %+v", c)
	}
	only := returns.QuoteFiling(returns.DefaultPolicy(), order(), lines[:1], returns.History{})
	if got := only.Lines[0].Options; len(got) != 1 || got[0].Resolution != returns.ResolutionRefund {
		t.Errorf("a refund-only policy offers %+v", got)
	}
}
