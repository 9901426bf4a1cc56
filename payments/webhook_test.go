package payments_test

import (
	"testing"

	"github.com/rebound-returns/rebound/payments"
)

func TestSignAndVerifyWebhook(t *testing.T) {
	t.Parallel()
	body := []byte("The quick brown fox jumps over the lazy dog")
	// The well-known HMAC-SHA256 example: key "key" over the pangram.
	const want = "f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8"
	if got := payments.SignWebhook("key", body); got != want {
		t.Fatalf("SignWebhook = %s, want %s", got, want)
	}
	if !payments.VerifyWebhook("key", body, want) {
		t.Error("VerifyWebhook rejected a correct signature")
	}
	refused := []struct {
		name, secret, body, sig string
	}{
		{"wrong secret", "other", string(body), want},
		{"tampered body", "key", string(body) + ".", want},
		{"not hex", "key", string(body), "zz" + want[2:]},
		{"truncated", "key", string(body), want[:32]},
		{"empty signature", "key", string(body), ""},
		{"empty secret", "", string(body), payments.SignWebhook("", body)},
	}
	for _, c := range refused {
		if payments.VerifyWebhook(c.secret, []byte(c.body), c.sig) {
			t.Errorf("%s: VerifyWebhook = true, want false", c.name)
		}
	}
}
