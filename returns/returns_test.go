package returns_test

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rebound-returns/rebound/returns"
)

var (
	placed    = time.Date(2026, 11, 1, 10, 0, 0, 0, time.UTC)
	delivered = time.Date(2026, 11, 3, 10, 0, 0, 0, time.UTC)
)

func order() returns.Order {
	return returns.Order{
		Number: "A-1", Currency: "EUR", PlacedAt: placed, DeliveredAt: &delivered,
		ShippingAmount: 495, Paid: 2900 + 4999 + 1500 + 495,
		Lines: []returns.OrderLine{
			{LineID: "socks", Name: "Socks", Category: "apparel", Quantity: 3, UnitPrice: 1000, Discount: 100},
			{LineID: "shoes", Name: "Shoes", Category: "footwear", Quantity: 1, UnitPrice: 4999},
			{LineID: "undies", Name: "Underwear", Category: "underwear", Quantity: 1, UnitPrice: 1500},
		},
	}
}

func TestTransitions(t *testing.T) {
	tests := []struct {
		from, to returns.Status
		ok       bool
	}{
		{returns.PendingVerification, returns.Submitted, true},
		{returns.PendingVerification, returns.Expired, true},
		{returns.PendingVerification, returns.Cancelled, false},
		{returns.Submitted, returns.Ineligible, true},
		{returns.Submitted, returns.Approved, true},
		{returns.AwaitingReview, returns.Declined, true},
		{returns.Approved, returns.AwaitingShipment, true},
		{returns.Approved, returns.Received, false},
		{returns.AwaitingShipment, returns.Expired, true},
		{returns.InTransit, returns.Expired, false},
		{returns.InTransit, returns.Cancelled, false},
		{returns.AwaitingDropoff, returns.Received, true},
		{returns.AwaitingInspection, returns.Rejected, true},
		{returns.AwaitingInspection, returns.Cancelled, false},
		{returns.RefundPending, returns.Refunded, true},
		{returns.Refunded, returns.AwaitingSettlement, true},
		{returns.AwaitingSettlement, returns.Closed, true},
		{returns.Closed, returns.Submitted, false},
	}
	for _, tc := range tests {
		if got := tc.from.CanBecome(tc.to); got != tc.ok {
			t.Errorf("%s -> %s = %v, want %v", tc.from, tc.to, got, tc.ok)
		}
	}
	var cancellable []returns.Status
	var terminal []returns.Status
	for _, s := range returns.Statuses() {
		if s.Cancellable() {
			cancellable = append(cancellable, s)
		}
		if s.Terminal() {
			terminal = append(terminal, s)
		}
	}
	want := []returns.Status{returns.Submitted, returns.AwaitingReview, returns.Approved, returns.AwaitingShipment, returns.AwaitingDropoff}
	if !slices.Equal(cancellable, want) {
		t.Errorf("cancellable = %v, want %v", cancellable, want)
	}
	wantTerminal := []returns.Status{returns.Ineligible, returns.Declined, returns.Rejected, returns.Closed, returns.Cancelled, returns.Expired}
	if !slices.Equal(terminal, wantTerminal) {
		t.Errorf("terminal = %v, want %v", terminal, wantTerminal)
	}
	if returns.Status("bogus").Valid() || returns.Status("bogus").Terminal() {
		t.Error("an unknown status is valid")
	}
	for _, s := range []returns.Status{returns.PendingVerification, returns.Cancelled, returns.Expired, returns.Ineligible, returns.Declined} {
		if s.Reserving() {
			t.Errorf("%s reserves quantities", s)
		}
	}
	if !returns.AwaitingReview.Reserving() || !returns.Refunded.Reserving() {
		t.Error("open returns do not reserve")
	}
}

func TestPaidSharesTheDiscountPerUnit(t *testing.T) {
	l := returns.OrderLine{Quantity: 3, UnitPrice: 1000, Discount: 100}
	units := []int64{l.PaidForUnits(0, 1), l.PaidForUnits(1, 1), l.PaidForUnits(2, 1)}
	if !slices.Equal(units, []int64{967, 967, 966}) {
		t.Fatalf("units cost %v; want 967, 967 and the last 966", units)
	}
	if l.Paid(3) != 2900 || l.PaidForUnits(0, 2)+l.PaidForUnits(2, 1) != 2900 {
		t.Fatal("units do not add up to the line's total less its discount")
	}
	if (returns.OrderLine{Quantity: 2, UnitPrice: 500}).Paid(0) != 0 {
		t.Fatal("zero units cost something")
	}
	// At the limits the products pass int64 (1e16 × 1e5); the result must not.
	big := returns.OrderLine{Quantity: returns.MaxQuantity, UnitPrice: returns.MaxAmount, Discount: returns.MaxAmount*returns.MaxQuantity - 1}
	if got := big.Paid(returns.MaxQuantity); got != 1 {
		t.Fatalf("a line at the limits: paid %d, want 1", got)
	}
	if got := big.PaidForUnits(returns.MaxQuantity-1, 1); got < 0 || got > returns.MaxAmount {
		t.Fatalf("the last unit at the limits: %d", got)
	}
}

func TestValidateOrder(t *testing.T) {
	ok := order()
	if errs := ok.Validate(); len(errs) != 0 {
		t.Fatalf("valid order refused: %v", errs)
	}
	tests := []struct {
		name  string
		edit  func(*returns.Order)
		field string
	}{
		{"lower-case currency", func(o *returns.Order) { o.Currency = "eur" }, "currency"},
		{"no lines", func(o *returns.Order) { o.Lines = nil }, "lines"},
		{"zero quantity", func(o *returns.Order) { o.Lines[0].Quantity = 0 }, "lines[0].quantity"},
		{"negative price", func(o *returns.Order) { o.Lines[1].UnitPrice = -1 }, "lines[1].unit_price"},
		{"discount above total", func(o *returns.Order) { o.Lines[0].Discount = 3001 }, "lines[0].discount"},
		{"duplicate line", func(o *returns.Order) { o.Lines[1].LineID = "socks" }, "lines[1].line_id"},
		{"delivered before placed", func(o *returns.Order) { d := placed.Add(-time.Hour); o.DeliveredAt = &d }, "delivered_at"},
		{"negative shipping", func(o *returns.Order) { o.ShippingAmount = -5 }, "shipping_amount"},
		{"huge payment", func(o *returns.Order) { o.Paid = returns.MaxAmount + 1 }, "payment.amount"},
	}
	for _, tc := range tests {
		o := order()
		o.Lines = slices.Clone(o.Lines)
		tc.edit(&o)
		errs := o.Validate()
		if !slices.ContainsFunc(errs, func(e returns.FieldError) bool { return e.Field == tc.field }) {
			t.Errorf("%s: errors %v do not name %s", tc.name, errs, tc.field)
		}
	}
}

func TestValidateRequest(t *testing.T) {
	tests := []struct {
		name  string
		lines []returns.RequestedLine
		field string // "" = valid
	}{
		{"valid", []returns.RequestedLine{{LineID: "socks", Quantity: 3, Reason: "too_small"}}, ""},
		{"no lines", nil, "lines"},
		{"zero quantity", []returns.RequestedLine{{LineID: "socks", Quantity: 0, Reason: "too_small"}}, "lines[0].quantity"},
		{"negative quantity", []returns.RequestedLine{{LineID: "socks", Quantity: -1, Reason: "too_small"}}, "lines[0].quantity"},
		{"excess quantity", []returns.RequestedLine{{LineID: "socks", Quantity: 4, Reason: "too_small"}}, "lines[0].quantity"},
		{"unknown line", []returns.RequestedLine{{LineID: "hat", Quantity: 1, Reason: "too_small"}}, "lines[0].line_id"},
		{"no reason", []returns.RequestedLine{{LineID: "socks", Quantity: 1}}, "lines[0].reason"},
		{"unknown reason", []returns.RequestedLine{{LineID: "socks", Quantity: 1, Reason: "bored"}}, "lines[0].reason"},
		{"twice", []returns.RequestedLine{{LineID: "socks", Quantity: 1, Reason: "other"}, {LineID: "socks", Quantity: 1, Reason: "other"}}, "lines[1].line_id"},
		{"long note", []returns.RequestedLine{{LineID: "socks", Quantity: 1, Reason: "other", Note: strings.Repeat("é", 501)}}, "lines[0].note"},
	}
	for _, tc := range tests {
		errs := returns.ValidateRequest(order(), tc.lines)
		if tc.field == "" {
			if len(errs) != 0 {
				t.Errorf("%s: refused: %v", tc.name, errs)
			}
			continue
		}
		if !slices.ContainsFunc(errs, func(e returns.FieldError) bool { return e.Field == tc.field }) {
			t.Errorf("%s: errors %v do not name %s", tc.name, errs, tc.field)
		}
	}
}

func TestEvaluate(t *testing.T) {
	p := returns.DefaultPolicy()
	p.NonReturnableCategories = []string{"underwear"}
	inWindow := delivered.Add(7 * 24 * time.Hour) // the last moment of the window
	tests := []struct {
		name    string
		order   func() returns.Order
		lines   []returns.RequestedLine
		taken   map[string]int
		filedAt time.Time
		want    []returns.Refusal
	}{
		{"inside the window from delivery", order, []returns.RequestedLine{{LineID: "socks", Quantity: 1, Reason: "too_small"}}, nil, inWindow, nil},
		{"outside the window from delivery", order, []returns.RequestedLine{{LineID: "socks", Quantity: 1, Reason: "too_small"}}, nil, inWindow.Add(time.Second),
			[]returns.Refusal{{Code: returns.RefusedWindow}}},
		{"window from purchase when never delivered", func() returns.Order { o := order(); o.DeliveredAt = nil; return o },
			[]returns.RequestedLine{{LineID: "socks", Quantity: 1, Reason: "too_small"}}, nil, placed.Add(8 * 24 * time.Hour),
			[]returns.Refusal{{Code: returns.RefusedWindow}}},
		{"non-returnable category", order, []returns.RequestedLine{{LineID: "undies", Quantity: 1, Reason: "too_small"}}, nil, inWindow,
			[]returns.Refusal{{LineID: "undies", Code: returns.RefusedCategory}}},
		{"second return on the same order within what is left", order, []returns.RequestedLine{{LineID: "socks", Quantity: 1, Reason: "too_small"}},
			map[string]int{"socks": 2}, inWindow, nil},
		{"second return asks for more than is left", order, []returns.RequestedLine{{LineID: "socks", Quantity: 2, Reason: "too_small"}},
			map[string]int{"socks": 2}, inWindow, []returns.Refusal{{LineID: "socks", Code: returns.RefusedQuantity}}},
	}
	for _, tc := range tests {
		got := returns.Evaluate(p, tc.order(), tc.lines, tc.taken, tc.filedAt)
		if !slices.Equal(got, tc.want) {
			t.Errorf("%s: refusals %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestAutoApprove(t *testing.T) {
	p := returns.DefaultPolicy()
	p.AutoApproveLimit = 5000
	p.ReviewReasons = []string{"defective"}
	lines := []returns.RequestedLine{{LineID: "shoes", Quantity: 1, Reason: "too_small"}}
	est := returns.Estimate(order(), lines, nil)
	if est != 4999 {
		t.Fatalf("estimate = %d", est)
	}
	tests := []struct {
		name   string
		limit  int64
		reason string
		amount int64
		want   bool
	}{
		{"under the limit", 5000, "too_small", 4999, true},
		{"at the limit", 5000, "too_small", 5000, true},
		{"over the limit", 5000, "too_small", 5001, false},
		{"a reason that always needs review", 5000, "defective", 100, false},
		{"no limit means always review", 0, "too_small", 1, false},
	}
	for _, tc := range tests {
		p.AutoApproveLimit = tc.limit
		got := returns.AutoApprove(p, []returns.RequestedLine{{LineID: "shoes", Quantity: 1, Reason: tc.reason}}, tc.amount)
		if got != tc.want {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestValidateInspection(t *testing.T) {
	req := []returns.RequestedLine{{LineID: "socks", Quantity: 2, Reason: "too_small"}, {LineID: "shoes", Quantity: 1, Reason: "defective"}}
	good := []returns.InspectedLine{
		{LineID: "socks", AcceptedQuantity: 1, RejectedQuantity: 1, Condition: returns.ConditionNew, Reason: "worn"},
		{LineID: "shoes", AcceptedQuantity: 0, RejectedQuantity: 1, Reason: "not our shoes"},
	}
	if errs := returns.ValidateInspection(req, good); len(errs) != 0 {
		t.Fatalf("valid verdict refused: %v", errs)
	}
	tests := []struct {
		name  string
		edit  func([]returns.InspectedLine) []returns.InspectedLine
		field string
	}{
		{"rejection without a reason", func(l []returns.InspectedLine) []returns.InspectedLine { l[0].Reason = ""; return l }, "lines[0].reason"},
		{"acceptance without a condition", func(l []returns.InspectedLine) []returns.InspectedLine { l[0].Condition = ""; return l }, "lines[0].condition"},
		{"more than returned", func(l []returns.InspectedLine) []returns.InspectedLine { l[0].AcceptedQuantity = 2; return l }, "lines[0].accepted_quantity"},
		{"negative", func(l []returns.InspectedLine) []returns.InspectedLine { l[1].RejectedQuantity = -1; return l }, "lines[1].rejected_quantity"},
		{"a line missing", func(l []returns.InspectedLine) []returns.InspectedLine { return l[:1] }, "lines"},
		{"a foreign line", func(l []returns.InspectedLine) []returns.InspectedLine { l[1].LineID = "hat"; return l }, "lines[1].line_id"},
	}
	for _, tc := range tests {
		errs := returns.ValidateInspection(req, tc.edit(slices.Clone(good)))
		if !slices.ContainsFunc(errs, func(e returns.FieldError) bool { return e.Field == tc.field }) {
			t.Errorf("%s: errors %v do not name %s", tc.name, errs, tc.field)
		}
	}
}

func TestQuoteRefund(t *testing.T) {
	p := returns.DefaultPolicy() // fees: new 0, opened 10%, damaged 30%; shipping for defective
	tests := []struct {
		name      string
		requested []returns.RequestedLine
		inspected []returns.InspectedLine
		history   returns.History
		total     int64
		shipping  int64
		fees      int64
	}{
		{"one new unit", []returns.RequestedLine{{LineID: "shoes", Quantity: 1, Reason: "too_small"}},
			[]returns.InspectedLine{{LineID: "shoes", AcceptedQuantity: 1, Condition: returns.ConditionNew}}, returns.History{}, 4999, 0, 0},
		{"opened: 10% of 4999 = 499.9 rounds half up to 500", []returns.RequestedLine{{LineID: "shoes", Quantity: 1, Reason: "too_small"}},
			[]returns.InspectedLine{{LineID: "shoes", AcceptedQuantity: 1, Condition: returns.ConditionOpened}}, returns.History{}, 4499, 0, 500},
		{"damaged socks: 30% of 1934 = 580.2 rounds to 580", []returns.RequestedLine{{LineID: "socks", Quantity: 2, Reason: "too_small"}},
			[]returns.InspectedLine{{LineID: "socks", AcceptedQuantity: 2, Condition: returns.ConditionDamaged}}, returns.History{}, 1354, 0, 580},
		{"the last unit of an uneven discount", []returns.RequestedLine{{LineID: "socks", Quantity: 1, Reason: "too_small"}},
			[]returns.InspectedLine{{LineID: "socks", AcceptedQuantity: 1, Condition: returns.ConditionNew}},
			returns.History{UnitsRefunded: map[string]int{"socks": 2}, Refunded: 1934}, 966, 0, 0},
		{"partial rejection refunds only what is accepted", []returns.RequestedLine{{LineID: "socks", Quantity: 3, Reason: "too_small"}},
			[]returns.InspectedLine{{LineID: "socks", AcceptedQuantity: 1, RejectedQuantity: 2, Reason: "worn", Condition: returns.ConditionNew}}, returns.History{}, 967, 0, 0},
		{"defective refunds shipping", []returns.RequestedLine{{LineID: "shoes", Quantity: 1, Reason: "defective"}},
			[]returns.InspectedLine{{LineID: "shoes", AcceptedQuantity: 1, Condition: returns.ConditionNew}}, returns.History{}, 4999 + 495, 495, 0},
		{"shipping refunded only once per order", []returns.RequestedLine{{LineID: "shoes", Quantity: 1, Reason: "defective"}},
			[]returns.InspectedLine{{LineID: "shoes", AcceptedQuantity: 1, Condition: returns.ConditionNew}}, returns.History{ShippingRefunded: true}, 4999, 0, 0},
		{"capped at what is still refundable", []returns.RequestedLine{{LineID: "shoes", Quantity: 1, Reason: "too_small"}},
			[]returns.InspectedLine{{LineID: "shoes", AcceptedQuantity: 1, Condition: returns.ConditionNew}}, returns.History{Refunded: 9894 - 1000}, 1000, 0, 0},
		{"nothing left on the order", []returns.RequestedLine{{LineID: "shoes", Quantity: 1, Reason: "too_small"}},
			[]returns.InspectedLine{{LineID: "shoes", AcceptedQuantity: 1, Condition: returns.ConditionNew}}, returns.History{Refunded: 99999}, 0, 0, 0},
	}
	for _, tc := range tests {
		q := returns.QuoteRefund(p, order(), tc.requested, tc.inspected, tc.history)
		var fees int64
		for _, l := range q.Lines {
			fees += l.Fee
		}
		if q.Total != tc.total || q.Shipping != tc.shipping || fees != tc.fees || q.Currency != "EUR" {
			t.Errorf("%s: total %d shipping %d fees %d; want %d %d %d", tc.name, q.Total, q.Shipping, fees, tc.total, tc.shipping, tc.fees)
		}
	}
}

func TestMoney(t *testing.T) {
	a := returns.Money{Amount: 1050, Currency: "EUR"}
	sum, err := a.Add(returns.Money{Amount: 5, Currency: "EUR"})
	if err != nil || sum.Amount != 1055 || sum.String() != "10.55 EUR" {
		t.Fatalf("sum = %v, %v", sum, err)
	}
	if _, err := a.Add(returns.Money{Amount: 5, Currency: "USD"}); err == nil {
		t.Fatal("mixed currencies were added")
	}
	for code, ok := range map[string]bool{"EUR": true, "eur": false, "EURO": false, "E1R": false, "": false} {
		if returns.ValidCurrency(code) != ok {
			t.Errorf("ValidCurrency(%q) != %v", code, ok)
		}
	}
	if (returns.Money{Amount: -7, Currency: "SEK"}).String() != "-0.07 SEK" {
		t.Error("negative amounts format wrongly")
	}
}

func TestPolicyRoundTripAndValidation(t *testing.T) {
	p := returns.DefaultPolicy()
	b, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), `"review_sla":"48h0m0s"`) {
		t.Fatalf("durations are not readable: %s", b)
	}
	back, err := returns.ParsePolicy(b)
	if err != nil || back.ReviewSLA != p.ReviewSLA || back.RestockingFees != p.RestockingFees {
		t.Fatalf("round trip: %+v, %v", back, err)
	}
	partial, err := returns.ParsePolicy([]byte(`{"window_days":30}`))
	if err != nil || partial.WindowDays != 30 || partial.VerifyWithin != p.VerifyWithin {
		t.Fatalf("a partial policy does not fall back to defaults: %+v", partial)
	}
	if errs := p.Validate(); len(errs) != 0 {
		t.Fatalf("default policy invalid: %v", errs)
	}
	p.WindowDays = -1
	p.RestockingFees.Damaged = 20000
	p.ReviewReasons = []string{"bored"}
	p.ReviewSLA = returns.Duration(time.Second)
	var fields []string
	for _, e := range p.Validate() {
		fields = append(fields, e.Field)
	}
	want := []string{"restocking_fees.damaged", "review_reasons[0]", "review_sla", "window_days"}
	if !slices.Equal(fields, want) {
		t.Fatalf("fields %v, want %v", fields, want)
	}
}

// Store credit's validity is days from 0 (never expires) to ten years, and
// a policy that names none keeps its JSON as it was.
func TestPolicyCreditValidity(t *testing.T) {
	p := returns.DefaultPolicy()
	if b, _ := json.Marshal(p); strings.Contains(string(b), "credit_validity_days") {
		t.Fatalf("a policy without credit validity writes it: %s", b)
	}
	got, err := returns.ParsePolicy([]byte(`{"credit_validity_days":365}`))
	if err != nil || got.CreditValidityDays != 365 || len(got.Validate()) != 0 {
		t.Fatalf("365 days: %+v, %v, %v", got.CreditValidityDays, err, got.Validate())
	}
	for _, days := range []int{-1, returns.MaxCreditValidityDays + 1} {
		p.CreditValidityDays = days
		if errs := p.Validate(); len(errs) != 1 || errs[0].Field != "credit_validity_days" {
			t.Errorf("%d days: %v", days, errs)
		}
	}
}
