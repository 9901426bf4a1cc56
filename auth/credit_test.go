package auth

import (
	"regexp"
	"testing"
)

func TestCreditCodesAreRandomReadableAndTypedLoosely(t *testing.T) {
	format := regexp.MustCompile(`^RBC-[A-HJ-NP-Z2-9]{4}-[A-HJ-NP-Z2-9]{4}-[A-HJ-NP-Z2-9]{4}$`)
	seen := map[string]bool{}
	for range 200 {
		code, err := NewCreditCode()
		if err != nil {
			t.Fatal(err)
		}
		if !format.MatchString(code) {
			t.Fatalf("code %q is not RBC-XXXX-XXXX-XXXX", code)
		}
		if seen[code] {
			t.Fatalf("code %q came twice", code)
		}
		seen[code] = true
		if HashCreditCode(code) != HashToken(code) {
			t.Fatalf("the hash of %q is not its token hash", code)
		}
	}
	for typed, want := range map[string]string{
		"rbc-abcd-efgh-jkmn":    "RBC-ABCD-EFGH-JKMN",
		" RBC ABCD EFGH JKMN ":  "RBC-ABCD-EFGH-JKMN",
		"RBCABCDEFGHJKMN":       "RBC-ABCD-EFGH-JKMN",
		"SC-ABCD-EFGH-JKMN":     "SC-ABCD-EFGH-JKMN",
		"RBC-ABCD-EFGH-JKM":     "",
		"RBC-ABCD-EFGH-JKM0":    "", // 0 is not in the alphabet
		"XYZ-ABCD-EFGH-JKMN":    "",
		"":                      "",
		"RBC-ABCD-EFGH-JKMN-22": "",
	} {
		got, ok := CanonicalCreditCode(typed)
		if got != want || ok != (want != "") {
			t.Errorf("CanonicalCreditCode(%q) = %q, %v; want %q", typed, got, ok, want)
		}
		if (HashCreditCode(typed) == "") != (want == "") {
			t.Errorf("HashCreditCode(%q) = %q", typed, HashCreditCode(typed))
		}
	}
}
