package returns

import (
	"fmt"
	"slices"
	"unicode/utf8"
)

// InspectedLine is the inspector's verdict on a returned line.
type InspectedLine struct {
	LineID           string    `json:"line_id"`
	AcceptedQuantity int       `json:"accepted_quantity"`
	RejectedQuantity int       `json:"rejected_quantity"`
	Condition        Condition `json:"condition,omitempty"`
	// Reason is why units were rejected; the shopper is told.
	Reason string `json:"reason,omitempty"`
	Note   string `json:"note,omitempty"`
}

// ValidateInspection checks a verdict against the lines that came back:
// every line exactly once, accepted plus rejected equal to what was
// returned, a condition for what is accepted, a reason for what is rejected.
func ValidateInspection(requested []RequestedLine, inspected []InspectedLine) []FieldError {
	var errs []FieldError
	want := map[string]int{}
	for _, rl := range requested {
		want[rl.LineID] = rl.Quantity
	}
	seen := map[string]bool{}
	for i, il := range inspected {
		f := func(name string) string { return fmt.Sprintf("lines[%d].%s", i, name) }
		q, ok := want[il.LineID]
		switch {
		case !ok:
			errs = append(errs, FieldError{f("line_id"), "is not a line of this return"})
			continue
		case seen[il.LineID]:
			errs = append(errs, FieldError{f("line_id"), "appears twice"})
			continue
		}
		seen[il.LineID] = true
		if il.AcceptedQuantity < 0 {
			errs = append(errs, FieldError{f("accepted_quantity"), "must not be negative"})
		}
		if il.RejectedQuantity < 0 {
			errs = append(errs, FieldError{f("rejected_quantity"), "must not be negative"})
		}
		if il.AcceptedQuantity >= 0 && il.RejectedQuantity >= 0 && il.AcceptedQuantity+il.RejectedQuantity != q {
			errs = append(errs, FieldError{f("accepted_quantity"), fmt.Sprintf("accepted and rejected must add up to the %d returned", q)})
		}
		if il.AcceptedQuantity > 0 && !il.Condition.Valid() {
			errs = append(errs, FieldError{f("condition"), "must be new, opened or damaged"})
		}
		if il.RejectedQuantity > 0 && il.Reason == "" {
			errs = append(errs, FieldError{f("reason"), "is required when units are rejected: the shopper is told"})
		}
		if utf8.RuneCountInString(il.Reason) > maxNote || utf8.RuneCountInString(il.Note) > maxNote {
			errs = append(errs, FieldError{f("note"), fmt.Sprintf("reason and note must be at most %d characters", maxNote)})
		}
	}
	for _, rl := range requested {
		if !seen[rl.LineID] {
			errs = append(errs, FieldError{"lines", "line " + rl.LineID + " has no verdict"})
		}
	}
	return errs
}

// Accepted tells whether the verdict accepts anything at all.
func Accepted(inspected []InspectedLine) bool {
	for _, il := range inspected {
		if il.AcceptedQuantity > 0 {
			return true
		}
	}
	return false
}

// RefundLine is the refund of one line. Resolution says where its
// amount goes (empty: back to the payment, as before resolutions).
type RefundLine struct {
	LineID     string     `json:"line_id"`
	Accepted   int        `json:"accepted"`
	Paid       int64      `json:"paid"`
	Fee        int64      `json:"fee"`
	Amount     int64      `json:"amount"`
	Resolution Resolution `json:"resolution,omitempty"`
}

// Quote is what a return refunds: each line's paid price less its
// restocking fee, plus shipping where policy says, capped at what is still
// refundable on the order. Lines resolved as store credit are issued as
// credit (Credit, with the policy's Bonus on top); exchanged lines are not
// refunded, their value (Exchanged) counts against the replacement.
type Quote struct {
	Currency string       `json:"currency"`
	Lines    []RefundLine `json:"lines"`
	Shipping int64        `json:"shipping"`
	// Uncapped is the sum before the cap; Total is what is refunded, to
	// the payment and as credit (ToPayment is the payment's part).
	Uncapped int64 `json:"uncapped"`
	Total    int64 `json:"total"`
	// Credit is the part of Total issued as store credit; Bonus is the
	// merchant's bonus on it, issued on top.
	Credit int64 `json:"credit,omitempty"`
	Bonus  int64 `json:"bonus,omitempty"`
	// Exchanged is the value of the lines exchanged, after their fees.
	Exchanged int64 `json:"exchanged,omitempty"`
}

// History is what earlier returns of the order already refunded.
type History struct {
	// UnitsRefunded per line, so that the discount's remainder lands on the
	// line's last unit whichever return takes it.
	UnitsRefunded map[string]int `json:"units_refunded"`
	// ShippingRefunded is true once any return refunded the shipping.
	ShippingRefunded bool `json:"shipping_refunded"`
	// Refunded is the sum of refunds already paid or in flight (and of
	// store credit returns issued instead).
	Refunded int64 `json:"refunded"`
}

// QuoteRefund computes the refund of an inspected return. The verdict must
// have passed ValidateInspection. The cap (what the order still has to
// refund) is taken by the money back to the payment first, then by the
// credit; shipping goes back to the payment unless the return's lines are
// all credit (or exchanged and credit).
func QuoteRefund(p Policy, o Order, requested []RequestedLine, inspected []InspectedLine, h History) Quote {
	q := Quote{Currency: o.Currency}
	reason := map[string]string{}
	resolution := map[string]Resolution{}
	for _, rl := range requested {
		reason[rl.LineID] = rl.Reason
		resolution[rl.LineID] = rl.Resolution
	}
	refundShipping := false
	var toPayment, toCredit int64
	payLines := false
	for _, il := range inspected {
		ol, ok := o.Line(il.LineID)
		if !ok || il.AcceptedQuantity <= 0 {
			continue
		}
		paid := ol.PaidForUnits(h.UnitsRefunded[il.LineID], il.AcceptedQuantity)
		fee := mulDivHalfUp(paid, p.RestockingFees.For(il.Condition), 10000)
		r := resolution[il.LineID]
		q.Lines = append(q.Lines, RefundLine{LineID: il.LineID, Accepted: il.AcceptedQuantity, Paid: paid, Fee: fee, Amount: paid - fee, Resolution: r})
		switch r.OrRefund() {
		case ResolutionExchange:
			q.Exchanged += paid - fee
		case ResolutionStoreCredit:
			toCredit += paid - fee
		default:
			toPayment += paid - fee
			payLines = true
		}
		if slices.Contains(p.ShippingRefundReasons, reason[il.LineID]) {
			refundShipping = true
		}
	}
	if refundShipping && !h.ShippingRefunded {
		q.Shipping = o.ShippingAmount
		if payLines || toCredit == 0 {
			toPayment += o.ShippingAmount
		} else {
			toCredit += o.ShippingAmount
		}
	}
	q.Uncapped = toPayment + toCredit
	left := max(o.Paid-h.Refunded, 0)
	paid := min(toPayment, left)
	q.Credit = min(toCredit, left-paid)
	q.Total = paid + q.Credit
	q.Bonus = p.CreditBonus.On(q.Credit)
	return q
}
