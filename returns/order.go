package returns

import (
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// OrderLine is a line of a paid order: Discount is on the whole line.
type OrderLine struct {
	LineID    string `json:"line_id"`
	SKU       string `json:"sku"`
	Name      string `json:"name"`
	Category  string `json:"category"`
	Quantity  int    `json:"quantity"`
	UnitPrice int64  `json:"unit_price"`
	Discount  int64  `json:"discount"`
}

// Paid is what the customer paid for the first n units of the line: the
// line's discount is shared per unit, rounded down, so the last unit carries
// what the sharing leaves over and all units together cost exactly the
// line's total less its discount.
func (l OrderLine) Paid(n int) int64 {
	if n <= 0 || l.Quantity <= 0 {
		return 0
	}
	return int64(n)*l.UnitPrice - mulDiv(l.Discount, int64(n), int64(l.Quantity))
}

// PaidForUnits is what the customer paid for n units after the first
// `after` units of the line.
func (l OrderLine) PaidForUnits(after, n int) int64 {
	return l.Paid(after+n) - l.Paid(after)
}

// Order is the part of a paid order that returns are decided on.
type Order struct {
	Number         string      `json:"number"`
	Currency       string      `json:"currency"`
	PlacedAt       time.Time   `json:"placed_at"`
	DeliveredAt    *time.Time  `json:"delivered_at,omitempty"`
	ShippingAmount int64       `json:"shipping_amount"`
	Paid           int64       `json:"paid"`
	Lines          []OrderLine `json:"lines"`
}

// Line finds a line by id.
func (o Order) Line(id string) (OrderLine, bool) {
	for _, l := range o.Lines {
		if l.LineID == id {
			return l, true
		}
	}
	return OrderLine{}, false
}

// Limits on what an order may hold, so that arithmetic never overflows.
const (
	MaxQuantity = 100_000
	MaxAmount   = 100_000_000_000 // minor units
	maxNote     = 500
)

// RequestedLine is a line a shopper wants to return.
type RequestedLine struct {
	LineID   string `json:"line_id"`
	Quantity int    `json:"quantity"`
	Reason   string `json:"reason"`
	Note     string `json:"note,omitempty"`
	// Resolution is what the shopper wants for the line (empty: a refund);
	// VariantSKU the variant they want instead, for an exchange.
	Resolution Resolution `json:"resolution,omitempty"`
	VariantSKU string     `json:"variant_sku,omitempty"`
}

// ValidateRequest checks a return request against the order it names.
// What it refuses is bad input (a 4xx), not a policy decision.
func ValidateRequest(o Order, lines []RequestedLine) []FieldError {
	return validateRequest(&o, lines)
}

// ValidateShape checks what of a request does not depend on the order
// (lines named, quantities positive, reasons known, notes short), so that
// it can be answered before the shopper has shown the order is theirs.
func ValidateShape(lines []RequestedLine) []FieldError {
	return validateRequest(nil, lines)
}

// validateRequest checks lines against o, or only their shape when o is nil.
func validateRequest(o *Order, lines []RequestedLine) []FieldError {
	var errs []FieldError
	if len(lines) == 0 {
		return []FieldError{{Field: "lines", Message: "must name at least one line"}}
	}
	seen := map[string]bool{}
	for i, rl := range lines {
		f := func(name string) string { return fmt.Sprintf("lines[%d].%s", i, name) }
		var ol OrderLine
		ok := o == nil
		if o != nil {
			ol, ok = o.Line(rl.LineID)
		}
		switch {
		case rl.LineID == "":
			errs = append(errs, FieldError{f("line_id"), "is required"})
		case !ok:
			errs = append(errs, FieldError{f("line_id"), "is not a line of this order"})
		case seen[rl.LineID]:
			errs = append(errs, FieldError{f("line_id"), "appears twice"})
		}
		seen[rl.LineID] = true
		switch {
		case rl.Quantity <= 0:
			errs = append(errs, FieldError{f("quantity"), "must be at least 1"})
		case o != nil && ok && rl.Quantity > ol.Quantity:
			errs = append(errs, FieldError{f("quantity"), fmt.Sprintf("exceeds the %d ordered", ol.Quantity)})
		}
		if !slices.Contains(Reasons, rl.Reason) {
			errs = append(errs, FieldError{f("reason"), "must be one of " + strings.Join(Reasons, ", ")})
		}
		if utf8.RuneCountInString(rl.Note) > maxNote {
			errs = append(errs, FieldError{f("note"), fmt.Sprintf("must be at most %d characters", maxNote)})
		}
		errs = append(errs, rl.validateResolution(i)...)
	}
	return errs
}

// Refusal is why policy refuses a line.
type Refusal struct {
	LineID string `json:"line_id,omitempty"`
	Code   string `json:"code"`
}

// Refusal codes.
const (
	RefusedWindow      = "outside_return_window"
	RefusedCategory    = "non_returnable_category"
	RefusedQuantity    = "quantity_already_returned"
	RefusedNothingLeft = "nothing_left_to_refund"
)

// Evaluate applies the policy to a valid request filed at filedAt. taken
// holds, per line, the units already returned or reserved by other verified
// returns. Any refusal makes the whole return ineligible.
func Evaluate(p Policy, o Order, lines []RequestedLine, taken map[string]int, filedAt time.Time) []Refusal {
	var out []Refusal
	start := o.PlacedAt
	if o.DeliveredAt != nil {
		start = *o.DeliveredAt
	}
	if filedAt.After(start.Add(time.Duration(p.WindowDays) * 24 * time.Hour)) {
		out = append(out, Refusal{Code: RefusedWindow})
	}
	for _, rl := range lines {
		ol, ok := o.Line(rl.LineID)
		if !ok {
			continue
		}
		if slices.Contains(p.NonReturnableCategories, ol.Category) {
			out = append(out, Refusal{LineID: rl.LineID, Code: RefusedCategory})
		}
		if taken[rl.LineID]+rl.Quantity > ol.Quantity {
			out = append(out, Refusal{LineID: rl.LineID, Code: RefusedQuantity})
		}
	}
	return out
}

// Estimate is what the request would refund if every unit came back new:
// the basis of the auto-approve rule.
func Estimate(o Order, lines []RequestedLine, taken map[string]int) int64 {
	var sum int64
	for _, rl := range lines {
		if ol, ok := o.Line(rl.LineID); ok {
			sum += ol.PaidForUnits(taken[rl.LineID], rl.Quantity)
		}
	}
	return sum
}

// AutoApprove tells whether a return worth estimate (minor units) is
// approved without review.
func AutoApprove(p Policy, lines []RequestedLine, estimate int64) bool {
	if p.AutoApproveLimit <= 0 || estimate > p.AutoApproveLimit {
		return false
	}
	for _, rl := range lines {
		if slices.Contains(p.ReviewReasons, rl.Reason) {
			return false
		}
	}
	return true
}

// Validate checks an order as the merchant's systems register it.
func (o Order) Validate() []FieldError {
	var errs []FieldError
	bad := func(field, msg string) { errs = append(errs, FieldError{field, msg}) }
	if !ValidCurrency(o.Currency) {
		bad("currency", "must be an ISO 4217 code such as EUR")
	}
	if o.PlacedAt.IsZero() {
		bad("placed_at", "is required")
	}
	if o.DeliveredAt != nil && o.DeliveredAt.Before(o.PlacedAt) {
		bad("delivered_at", "must not be before placed_at")
	}
	if o.ShippingAmount < 0 || o.ShippingAmount > MaxAmount {
		bad("shipping_amount", "must be from 0 to 100000000000 minor units")
	}
	if o.Paid < 0 || o.Paid > MaxAmount {
		bad("payment.amount", "must be from 0 to 100000000000 minor units")
	}
	if len(o.Lines) == 0 {
		bad("lines", "must hold at least one line")
	}
	seen := map[string]bool{}
	for i, l := range o.Lines {
		f := func(name string) string { return fmt.Sprintf("lines[%d].%s", i, name) }
		switch {
		case l.LineID == "":
			bad(f("line_id"), "is required")
		case seen[l.LineID]:
			bad(f("line_id"), "appears twice")
		}
		seen[l.LineID] = true
		if l.Name == "" {
			bad(f("name"), "is required")
		}
		if l.Quantity <= 0 || l.Quantity > MaxQuantity {
			bad(f("quantity"), fmt.Sprintf("must be from 1 to %d", MaxQuantity))
		}
		if l.UnitPrice < 0 || l.UnitPrice > MaxAmount {
			bad(f("unit_price"), "must be from 0 to 100000000000 minor units")
		}
		if l.Discount < 0 || (l.Quantity > 0 && l.UnitPrice >= 0 && l.Discount > int64(l.Quantity)*l.UnitPrice) {
			bad(f("discount"), "must be from 0 to the line's total")
		}
	}
	return errs
}
