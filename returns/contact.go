package returns

import "strings"

// NormalizePhone is a phone number as orders store it and shoppers are
// matched by: its digits, and a '+' only in front.
func NormalizePhone(s string) string {
	var b strings.Builder
	for i, r := range strings.TrimSpace(s) {
		if (r == '+' && i == 0) || (r >= '0' && r <= '9') {
			b.WriteRune(r)
		}
	}
	return b.String()
}
