package ids

import "testing"

func TestValid(t *testing.T) {
	for s, want := range map[string]bool{
		"0b7c6f3e-4f1a-4d2b-9c3e-1a2b3c4d5e6f":          true,
		"0B7C6F3E-4F1A-4D2B-9C3E-1A2B3C4D5E6F":          false,
		"0b7c6f3e4f1a4d2b9c3e1a2b3c4d5e6f":              false,
		"{0b7c6f3e-4f1a-4d2b-9c3e-1a2b3c4d5e6f}":        false,
		"urn:uuid:0b7c6f3e-4f1a-4d2b-9c3e-1a2b3c4d5e6f": false,
		"0b7c6f3e-4f1a-4d2b-9c3e_1a2b3c4d5e6f":          false,
		"0b7c6f3e-4f1a-4d2b-9c3e-1a2b3c4d5e6g":          false,
		"":                                              false,
	} {
		if got := Valid(s); got != want {
			t.Errorf("Valid(%q) = %v; want %v", s, got, want)
		}
	}
}
