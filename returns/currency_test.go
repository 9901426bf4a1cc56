package returns_test

import (
	"errors"
	"math"
	"testing"

	"github.com/rebound-returns/rebound/returns"
)

func TestCurrencyExponentFollowsISO4217(t *testing.T) {
	want := map[string]int{
		"EUR": 2, "USD": 2, "SEK": 2, "GBP": 2, "CHF": 2, "XYZ": 2, "": 2, "jpy": 2,
		"JPY": 0, "KRW": 0, "VND": 0, "CLP": 0, "ISK": 0, "UGX": 0, "XAF": 0, "XOF": 0,
		"XPF": 0, "PYG": 0, "RWF": 0, "BIF": 0, "DJF": 0, "GNF": 0, "KMF": 0, "VUV": 0,
		"BHD": 3, "IQD": 3, "JOD": 3, "KWD": 3, "LYD": 3, "OMR": 3, "TND": 3,
		"CLF": 4,
	}
	for code, e := range want {
		if got := returns.CurrencyExponent(code); got != e {
			t.Errorf("CurrencyExponent(%q) = %d, want %d", code, got, e)
		}
	}
}

func TestMoneyStringUsesTheCurrencysPlaces(t *testing.T) {
	for _, tc := range []struct {
		m    returns.Money
		want string
	}{
		{returns.Money{Amount: 1234, Currency: "JPY"}, "1234 JPY"},
		{returns.Money{Amount: 0, Currency: "JPY"}, "0 JPY"},
		{returns.Money{Amount: -500, Currency: "JPY"}, "-500 JPY"},
		{returns.Money{Amount: 1234, Currency: "EUR"}, "12.34 EUR"},
		{returns.Money{Amount: 5, Currency: "EUR"}, "0.05 EUR"},
		{returns.Money{Amount: -7, Currency: "SEK"}, "-0.07 SEK"},
		{returns.Money{Amount: 1234, Currency: "KWD"}, "1.234 KWD"},
		{returns.Money{Amount: 5, Currency: "KWD"}, "0.005 KWD"},
		{returns.Money{Amount: 120000, Currency: "BHD"}, "120.000 BHD"},
		{returns.Money{Amount: 12345, Currency: "CLF"}, "1.2345 CLF"},
		{returns.Money{Amount: math.MinInt64, Currency: "EUR"}, "-92233720368547758.08 EUR"},
	} {
		if got := tc.m.String(); got != tc.want {
			t.Errorf("%+v.String() = %q, want %q", tc.m, got, tc.want)
		}
	}
}

func TestParseAmountReadsTheCurrencysPlacesWithoutFloats(t *testing.T) {
	for _, tc := range []struct {
		text, currency string
		want           int64
	}{
		{"5000", "JPY", 5000},
		{" 5000 ", "JPY", 5000},
		{"0", "JPY", 0},
		{"50", "EUR", 5000},
		{"50.5", "EUR", 5050},
		{"50.05", "EUR", 5005},
		{"0.07", "SEK", 7},
		{"1234.56", "EUR", 123456},
		{"007.10", "EUR", 710},
		{"1.234", "KWD", 1234},
		{"1.2", "KWD", 1200},
		{"50", "KWD", 50000},
		{"0.0001", "CLF", 1},
		{"92233720368547758.07", "EUR", math.MaxInt64},
	} {
		got, err := returns.ParseAmount(tc.text, tc.currency)
		if err != nil || got != tc.want {
			t.Errorf("ParseAmount(%q, %s) = %d, %v; want %d", tc.text, tc.currency, got, err, tc.want)
		}
		// What FormatAmount writes reads back as the same amount.
		if back, err := returns.ParseAmount(returns.FormatAmount(tc.want, tc.currency), tc.currency); err != nil || back != tc.want {
			t.Errorf("round trip of %d %s: %d, %v", tc.want, tc.currency, back, err)
		}
	}
	for _, tc := range []struct{ text, currency string }{
		{"5000.5", "JPY"}, {"5000.0", "JPY"}, {"50.505", "EUR"}, {"1.2345", "KWD"},
		{"", "EUR"}, {" ", "EUR"}, {"abc", "EUR"}, {"-5", "EUR"}, {"+5", "EUR"}, {"5.", "EUR"}, {".5", "EUR"},
		{"1,5", "EUR"}, {"1,000", "JPY"}, {"1e3", "EUR"}, {"1 000", "JPY"}, {"5..0", "EUR"}, {"٥", "EUR"},
		{"92233720368547758.08", "EUR"}, {"99999999999999999999", "JPY"},
	} {
		if got, err := returns.ParseAmount(tc.text, tc.currency); err == nil || !errors.Is(err, returns.ErrNotAnAmount) {
			t.Errorf("ParseAmount(%q, %s) = %d, %v; want ErrNotAnAmount", tc.text, tc.currency, got, err)
		}
	}
}
