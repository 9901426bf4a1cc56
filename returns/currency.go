package returns

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// minorUnitExponents lists the ISO 4217 currencies whose minor unit is not a hundredth: how many
// decimal places an amount of each has (JPY 1234 is ¥1234, KWD 1234 is 1.234 dinars). Every
// other currency has two.
var minorUnitExponents = map[string]int{
	// No minor unit.
	"BIF": 0, "CLP": 0, "DJF": 0, "GNF": 0, "ISK": 0, "JPY": 0, "KMF": 0, "KRW": 0,
	"PYG": 0, "RWF": 0, "UGX": 0, "VUV": 0, "VND": 0, "XAF": 0, "XOF": 0, "XPF": 0,
	// Thousandths.
	"BHD": 3, "IQD": 3, "JOD": 3, "KWD": 3, "LYD": 3, "OMR": 3, "TND": 3,
	// Ten-thousandths: the Chilean unit of account.
	"CLF": 4,
}

// CurrencyExponent is the number of decimal places of currency's minor unit (ISO 4217): 0 for
// JPY, 2 for EUR, 3 for KWD. Codes it does not list, valid or not, have 2.
func CurrencyExponent(currency string) int {
	if e, ok := minorUnitExponents[currency]; ok {
		return e
	}
	return 2
}

// MinorUnitExponents lists the currencies whose minor unit is not a
// hundredth with their decimal places (a copy: for code that must say
// amounts where CurrencyExponent cannot be called, such as SQL).
func MinorUnitExponents() map[string]int {
	out := make(map[string]int, len(minorUnitExponents))
	for c, e := range minorUnitExponents {
		out[c] = e
	}
	return out
}

// FormatAmount writes minor units of currency as a decimal with the currency's places, without
// the code or separators: "12.34" for 1234 EUR, "1234" for 1234 JPY, "1.234" for 1234 KWD,
// "-0.05" for -5 EUR. ParseAmount reads it back.
func FormatAmount(amount int64, currency string) string {
	digits := strconv.FormatUint(absAmount(amount), 10)
	e := CurrencyExponent(currency)
	if len(digits) <= e {
		digits = strings.Repeat("0", e-len(digits)+1) + digits
	}
	sign := ""
	if amount < 0 {
		sign = "-"
	}
	if e == 0 {
		return sign + digits
	}
	return sign + digits[:len(digits)-e] + "." + digits[len(digits)-e:]
}

// absAmount is |a| without overflow for math.MinInt64.
func absAmount(a int64) uint64 {
	if a < 0 {
		return uint64(-(a + 1)) + 1
	}
	return uint64(a)
}

// ErrNotAnAmount is wrapped by every error of ParseAmount.
var ErrNotAnAmount = errors.New("not an amount")

// ParseAmount reads a decimal amount of currency, as people type it, into minor units without
// floating point: "50", "50.5" and "50.50" are 5050 of EUR; "5000" is 5000 of JPY; "1.234" is
// 1234 of KWD. It takes ASCII digits with at most one point and at most the currency's
// places; no sign, exponent or separators. Surrounding spaces are ignored.
func ParseAmount(text, currency string) (int64, error) {
	e := CurrencyExponent(currency)
	v := strings.TrimSpace(text)
	whole, frac, dotted := strings.Cut(v, ".")
	switch {
	case whole == "" || !allDigits(whole) || !allDigits(frac) || (dotted && frac == ""):
		return 0, fmt.Errorf("%w: %q is not a decimal number", ErrNotAnAmount, text)
	case len(frac) > e:
		return 0, fmt.Errorf("%w: %s has %d decimal places, %q has %d", ErrNotAnAmount, currency, e, text, len(frac))
	}
	frac += strings.Repeat("0", e-len(frac))
	digits := strings.TrimLeft(whole+frac, "0")
	if digits == "" {
		return 0, nil
	}
	n, err := strconv.ParseInt(digits, 10, 64)
	if err != nil { // out of range: more than math.MaxInt64 minor units
		return 0, fmt.Errorf("%w: %q is too large", ErrNotAnAmount, text)
	}
	return n, nil
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
