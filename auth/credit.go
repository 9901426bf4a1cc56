package auth

import (
	"crypto/rand"
	"strings"
)

// A store credit's code is what the shopper types at the merchant's
// checkout: RBC-XXXX-XXXX-XXXX, twelve characters of an alphabet without
// look-alikes (60 random bits). It is shown once and kept only as
// HashCreditCode's hash; typed in lower case, with spaces or without dashes
// it is the same code. Codes of the first store credits (SC-XXXX-XXXX-XXXX)
// are still read.

const (
	creditAlphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
	creditPrefix   = "RBC"
	legacyPrefix   = "SC"
	creditChars    = 12
)

// NewCreditCode returns a new random credit code.
func NewCreditCode() (string, error) {
	b := make([]byte, creditChars)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	for i := range b {
		b[i] = creditAlphabet[int(b[i])%len(creditAlphabet)] // 256 is a multiple of 32: no bias
	}
	return formatCredit(creditPrefix, string(b)), nil
}

func formatCredit(prefix, chars string) string {
	return prefix + "-" + chars[0:4] + "-" + chars[4:8] + "-" + chars[8:12]
}

// CanonicalCreditCode is the code as issued, from the code as typed; false
// when it cannot be a credit code.
func CanonicalCreditCode(typed string) (string, bool) {
	s := strings.Map(func(r rune) rune {
		switch r {
		case '-', ' ', '\t':
			return -1
		}
		if r >= 'a' && r <= 'z' {
			return r - 'a' + 'A'
		}
		return r
	}, typed)
	for _, prefix := range []string{creditPrefix, legacyPrefix} {
		chars, ok := strings.CutPrefix(s, prefix)
		if !ok || len(chars) != creditChars || strings.Trim(chars, creditAlphabet) != "" {
			continue
		}
		return formatCredit(prefix, chars), true
	}
	return "", false
}

// HashCreditCode is what is stored for a credit code; "" for what cannot
// be one (which names no credit).
func HashCreditCode(typed string) string {
	code, ok := CanonicalCreditCode(typed)
	if !ok {
		return ""
	}
	return HashToken(code)
}
