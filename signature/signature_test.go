package signature_test

import (
	"testing"

	"github.com/rebound-returns/rebound/signature"
)

func TestSignAndVerify(t *testing.T) {
	t.Parallel()
	// RFC 4231, test case 2.
	if got := signature.Sign("Jefe", []byte("what do ya want for nothing?")); got != "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843" {
		t.Fatalf("Sign = %s", got)
	}
	body := []byte(`{"a":1}`)
	sig := signature.Sign("k", body)
	for name, ok := range map[string]bool{
		"right":        signature.Verify("k", body, sig),
		"other body":   !signature.Verify("k", []byte(`{"a":2}`), sig),
		"other secret": !signature.Verify("j", body, sig),
		"empty secret": !signature.Verify("", body, signature.Sign("", body)),
		"not hex":      !signature.Verify("k", body, "zz"),
		"truncated":    !signature.Verify("k", body, sig[:10]),
	} {
		if !ok {
			t.Errorf("%s: wrong answer", name)
		}
	}
}
