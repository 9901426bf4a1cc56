package pos

// currencies maps ISO 4217 alphabetic codes to the numeric codes DE49
// carries.
var currencies = map[string]string{
	"EUR": "978", "USD": "840", "GBP": "826", "SEK": "752", "NOK": "578",
	"DKK": "208", "CHF": "756", "PLN": "985", "CZK": "203", "JPY": "392",
	"HUF": "348", "RON": "946", "ISK": "352", "CAD": "124", "AUD": "036",
	"NZD": "554", "TRY": "949", "MXN": "484", "BRL": "986", "INR": "356",
	"CNY": "156", "HKD": "344", "SGD": "702", "ZAR": "710", "AED": "784",
}

var currencyAlpha = func() map[string]string {
	m := make(map[string]string, len(currencies))
	for alpha, num := range currencies {
		m[num] = alpha
	}
	return m
}()

// CurrencyNumeric is the ISO 4217 numeric code of an alphabetic one ("EUR"
// → "978"); false when the currency is not supported.
func CurrencyNumeric(alpha string) (string, bool) {
	n, ok := currencies[alpha]
	return n, ok
}

// CurrencyAlpha is the ISO 4217 alphabetic code of a numeric one ("978" →
// "EUR"); false when the currency is not supported.
func CurrencyAlpha(numeric string) (string, bool) {
	a, ok := currencyAlpha[numeric]
	return a, ok
}
