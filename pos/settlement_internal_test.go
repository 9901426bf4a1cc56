package pos

import (
	"testing"
	"time"
)

// parseDate agrees with time.Parse and validDate on every kind of input.
func TestParseDateAgreesWithTimeParse(t *testing.T) {
	t.Parallel()
	for _, v := range []string{"2026-11-20", "2024-02-29", "2025-02-29", "2026-11-31", "2026-13-01", "2026-00-10", "2026-01-00",
		"1899-12-31", "1900-01-01", "9999-12-31", "2026-1-20", "2026/11/20", "20261120xx", "2026-11-2a", "+026-11-20", "", "2026-11-20 "} {
		want, err := time.Parse(time.DateOnly, v)
		wantOK := err == nil && validDate(want)
		got, ok := parseDate(v)
		if ok != wantOK || ok && !got.Equal(want) {
			t.Errorf("%q: parseDate %v %v; time.Parse %v %v", v, got, ok, want, wantOK)
		}
	}
}
