package pos

import (
	"testing"
	"time"
)

func TestResolveDateTime(t *testing.T) {
	t.Parallel()
	at := func(s string) time.Time {
		v, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	cases := []struct {
		s        string
		ref      string
		notAfter bool
		want     string
	}{
		{"0310120000", "2026-03-10T12:00:05Z", false, "2026-03-10T12:00:00Z"},
		{"1231235959", "2027-01-01T00:00:10Z", false, "2026-12-31T23:59:59Z"}, // New Year
		{"0101000005", "2026-12-31T23:59:58Z", false, "2027-01-01T00:00:05Z"}, // a clock a little ahead
		{"1215100000", "2027-01-05T10:00:00Z", true, "2026-12-15T10:00:00Z"},  // last year's sale
		{"0305100000", "2027-03-01T10:00:00Z", true, "2026-03-05T10:00:00Z"},  // almost a year ago
		{"0229120000", "2028-03-01T00:00:00Z", false, "2028-02-29T12:00:00Z"}, // leap day
	}
	for _, c := range cases {
		got, err := resolveDateTime(c.s, at(c.ref), c.notAfter)
		if err != nil || !got.Equal(at(c.want)) {
			t.Errorf("resolveDateTime(%s, %s, %v) = %v, %v; want %s", c.s, c.ref, c.notAfter, got, err, c.want)
		}
	}
	for _, s := range []string{"1310120000", "0230120000", "0310250000", "03101200", "03101200ab"} {
		if _, err := resolveDateTime(s, at("2026-03-10T12:00:00Z"), false); err == nil {
			t.Errorf("resolveDateTime(%s) accepted", s)
		}
	}
}
