package returns

import "testing"

func TestNormalizePhone(t *testing.T) {
	for in, want := range map[string]string{
		"+49 151 1234":         "+491511234",
		" 0151-1234 ":          "01511234",
		"49+151":               "49151",
		"++49":                 "+49",
		"tel: 555 0100":        "5550100",
		" +46 (70) 123-45 67 ": "+46701234567",
		"0046701234567":        "0046701234567",
		"":                     "",
	} {
		if got := NormalizePhone(in); got != want {
			t.Errorf("NormalizePhone(%q) = %q; want %q", in, got, want)
		}
	}
}
