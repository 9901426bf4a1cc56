package returns

import (
	"fmt"
	"math/bits"
)

// Money is an amount in minor units (cents, pence, öre…) of a currency.
type Money struct {
	Amount   int64  `json:"amount"`
	Currency string `json:"currency"`
}

// ValidCurrency accepts an ISO 4217 alphabetic code: three upper-case letters.
func ValidCurrency(code string) bool {
	if len(code) != 3 {
		return false
	}
	for i := 0; i < 3; i++ {
		if code[i] < 'A' || code[i] > 'Z' {
			return false
		}
	}
	return true
}

// Add sums two amounts of the same currency.
func (m Money) Add(o Money) (Money, error) {
	if m.Currency != o.Currency {
		return Money{}, fmt.Errorf("cannot add %s to %s", o.Currency, m.Currency)
	}
	return Money{Amount: m.Amount + o.Amount, Currency: m.Currency}, nil
}

// String formats the amount with its currency's decimal places (see CurrencyExponent), for
// messages to people: "12.34 EUR", "1234 JPY", "1.234 KWD".
func (m Money) String() string {
	return FormatAmount(m.Amount, m.Currency) + " " + m.Currency
}

// mulDivHalfUp returns round_half_up(a*num/den) for a, num ≥ 0, den > 0,
// in 128-bit arithmetic so that no product overflows.
func mulDivHalfUp(a, num, den int64) int64 {
	hi, lo := bits.Mul64(uint64(a), uint64(num))
	lo, carry := bits.Add64(lo, uint64(den/2), 0)
	hi += carry
	q, _ := bits.Div64(hi, lo, uint64(den))
	return int64(q)
}

// mulDiv returns floor(a*num/den) for a, num ≥ 0, den > 0, in 128 bits.
func mulDiv(a, num, den int64) int64 {
	hi, lo := bits.Mul64(uint64(a), uint64(num))
	q, _ := bits.Div64(hi, lo, uint64(den))
	return int64(q)
}
