// Package signature signs and checks request bodies the way Rebound's
// webhooks, its carriers and its payment gateway do: the hex-encoded
// HMAC-SHA256 of the raw body under a shared secret.
package signature

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
)

// Sign returns hex(HMAC-SHA256(secret, body)).
func Sign(secret string, body []byte) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write(body)
	return hex.EncodeToString(mac.Sum(nil))
}

// Verify reports whether sig is Sign(secret, body), comparing in constant
// time. An empty secret verifies nothing, so a receiver left without one
// refuses everything.
func Verify(secret string, body []byte, sig string) bool {
	if secret == "" {
		return false
	}
	got, err := hex.DecodeString(sig)
	if err != nil {
		return false
	}
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write(body)
	return hmac.Equal(mac.Sum(nil), got)
}
