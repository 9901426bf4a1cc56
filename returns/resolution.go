package returns

import (
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"
)

// Resolutions per line (issue 16): a shopper chooses for each line a
// refund, store credit or an exchange among what the merchant's policy
// offers; the refund arithmetic (QuoteRefund) prices every line the same
// way, and the resolution says where the value goes.

// MaxSKULength bounds a variant's SKU as a shopper names it.
const MaxSKULength = 64

// CreditBonus is what a merchant adds to store credit chosen instead of a
// refund: BasisPoints of the credit (1/100 of a percent) or a Fixed amount
// (minor units), never both, at most Cap (0: no cap). It is counted on the
// credit a return issues after restocking fees and the order's cap.
type CreditBonus struct {
	BasisPoints int64 `json:"basis_points,omitempty"`
	Fixed       int64 `json:"fixed,omitempty"`
	Cap         int64 `json:"cap,omitempty"`
}

// On is the bonus on credit (minor units); nothing on no credit.
func (b CreditBonus) On(credit int64) int64 {
	if credit <= 0 {
		return 0
	}
	bonus := mulDivHalfUp(credit, b.BasisPoints, 10000) + b.Fixed
	if b.Cap > 0 {
		bonus = min(bonus, b.Cap)
	}
	return bonus
}

// Offers tells whether the policy offers r (empty: a refund). A policy
// naming no resolutions offers refunds only.
func (p Policy) Offers(r Resolution) bool {
	r = r.OrRefund()
	if len(p.Resolutions) == 0 {
		return r == ResolutionRefund
	}
	return slices.Contains(p.Resolutions, r)
}

// Offered are the resolutions the policy offers, in the order pages show
// them.
func (p Policy) Offered() []Resolution {
	var out []Resolution
	for _, r := range Resolutions {
		if p.Offers(r) {
			out = append(out, r)
		}
	}
	return out
}

func (p Policy) validateResolutions() []FieldError {
	var errs []FieldError
	bad := func(field, msg string) { errs = append(errs, FieldError{Field: field, Message: msg}) }
	for i, r := range p.Resolutions {
		switch {
		case !r.Valid():
			bad(fmt.Sprintf("resolutions[%d]", i), "must be one of "+strings.Join(ResolutionWords(Resolutions), ", "))
		case slices.Index(p.Resolutions, r) < i:
			bad(fmt.Sprintf("resolutions[%d]", i), "is listed twice")
		}
	}
	b := p.CreditBonus
	if b.BasisPoints < 0 || b.BasisPoints > 10000 {
		bad("credit_bonus.basis_points", "must be basis points from 0 to 10000")
	}
	if b.Fixed < 0 || b.Fixed > MaxAmount {
		bad("credit_bonus.fixed", "must be from 0 to 100000000000 minor units")
	}
	if b.BasisPoints > 0 && b.Fixed > 0 {
		bad("credit_bonus.fixed", "a bonus is a percentage or a fixed amount, not both")
	}
	if b.Cap < 0 || b.Cap > MaxAmount {
		bad("credit_bonus.cap", "must be from 0 (no cap) to 100000000000 minor units")
	}
	return errs
}

// validateResolution checks a requested line's resolution, whatever the
// policy: known, and a variant named for an exchange only.
func (rl RequestedLine) validateResolution(i int) []FieldError {
	var errs []FieldError
	f := func(name string) string { return fmt.Sprintf("lines[%d].%s", i, name) }
	if rl.Resolution != "" && !rl.Resolution.Valid() {
		errs = append(errs, FieldError{f("resolution"), "must be one of " + strings.Join(ResolutionWords(Resolutions), ", ")})
	}
	switch {
	case rl.Resolution == ResolutionExchange && strings.TrimSpace(rl.VariantSKU) == "":
		errs = append(errs, FieldError{f("variant_sku"), "is required for an exchange: the variant wanted instead"})
	case rl.Resolution != ResolutionExchange && rl.VariantSKU != "":
		errs = append(errs, FieldError{f("variant_sku"), "is only for an exchange"})
	case utf8.RuneCountInString(rl.VariantSKU) > MaxSKULength:
		errs = append(errs, FieldError{f("variant_sku"), fmt.Sprintf("must be at most %d characters", MaxSKULength)})
	}
	return errs
}

// ValidateResolutions refuses the lines whose resolution the policy does
// not offer.
func ValidateResolutions(p Policy, lines []RequestedLine) []FieldError {
	var errs []FieldError
	for i, rl := range lines {
		if !p.Offers(rl.Resolution) {
			errs = append(errs, FieldError{fmt.Sprintf("lines[%d].resolution", i),
				"is not offered by the merchant; offered: " + strings.Join(ResolutionWords(p.Offered()), ", ")})
		}
	}
	return errs
}

// Resolved splits lines by resolution: how many of a return's lines go
// each way.
func Resolved(lines []RequestedLine) map[Resolution]int {
	out := map[Resolution]int{}
	for _, rl := range lines {
		out[rl.Resolution.OrRefund()]++
	}
	return out
}

// Exchanges are the lines to exchange.
func Exchanges(lines []RequestedLine) []RequestedLine {
	var out []RequestedLine
	for _, rl := range lines {
		if rl.Resolution == ResolutionExchange {
			out = append(out, rl)
		}
	}
	return out
}

// ToPayment is what of the quote goes back to the original payment: its
// total less what is issued as store credit.
func (q Quote) ToPayment() int64 { return q.Total - q.Credit }

// Option is what a shopper would get for a line under one resolution, if
// every unit comes back as new: Amount back to the payment or as credit
// (plus Bonus), or the item of an exchange (Amount is then the value the
// returned item counts for against it).
type Option struct {
	Resolution Resolution `json:"resolution"`
	Amount     int64      `json:"amount"`
	Bonus      int64      `json:"bonus"`
}

// LineQuote is a requested line's options.
type LineQuote struct {
	LineID   string   `json:"line_id"`
	Quantity int      `json:"quantity"`
	Options  []Option `json:"options"`
}

// FilingQuote is what a shopper is shown before filing: per line, what
// each offered resolution gives; and the quote of the lines as chosen.
type FilingQuote struct {
	Currency string      `json:"currency"`
	Lines    []LineQuote `json:"lines"`
	Chosen   Quote       `json:"chosen"`
}

// QuoteFiling quotes a valid request before it is filed, as if every unit
// came back new, over the order's refund history. A line's options leave
// out the shipping (it is refunded once per return); the chosen quote has
// it.
func QuoteFiling(p Policy, o Order, lines []RequestedLine, h History) FilingQuote {
	asNew := func(ls []RequestedLine) []InspectedLine {
		out := make([]InspectedLine, len(ls))
		for i, rl := range ls {
			out[i] = InspectedLine{LineID: rl.LineID, AcceptedQuantity: rl.Quantity, Condition: ConditionNew}
		}
		return out
	}
	fq := FilingQuote{Currency: o.Currency, Lines: []LineQuote{}}
	for _, rl := range lines {
		lq := LineQuote{LineID: rl.LineID, Quantity: rl.Quantity, Options: []Option{}}
		for _, r := range p.Offered() {
			one := rl
			one.Resolution, one.Reason = r, ""
			q := QuoteRefund(p, o, []RequestedLine{one}, asNew([]RequestedLine{one}), h)
			opt := Option{Resolution: r, Amount: q.Total, Bonus: q.Bonus}
			if r == ResolutionExchange {
				opt.Amount = q.Exchanged
			}
			lq.Options = append(lq.Options, opt)
		}
		fq.Lines = append(fq.Lines, lq)
	}
	fq.Chosen = QuoteRefund(p, o, lines, asNew(lines), h)
	return fq
}
