// Package logging builds Rebound's one slog logger: text for people in
// `rebound dev`, JSON for machines elsewhere. As a last line of defence it
// blanks attributes whose names mark secrets, so a careless log call cannot
// leak a code, a password, a token or card data.
package logging

import (
	"io"
	"log/slog"
	"strings"
)

// New returns a logger writing format ("text" or "json") at level and above.
func New(w io.Writer, format string, level slog.Level) *slog.Logger {
	opts := &slog.HandlerOptions{Level: level, ReplaceAttr: redact}
	if format == "text" {
		return slog.New(slog.NewTextHandler(w, opts))
	}
	return slog.New(slog.NewJSONHandler(w, opts))
}

// Redacted replaces the value of a secret attribute.
const Redacted = "[redacted]"

// secretWords mark attribute keys whose values must never be written: a key
// is secret when one of its words (split at '_', '.', '-' and case changes
// are not considered) is one of these.
var secretWords = map[string]bool{
	"password": true, "passwd": true, "secret": true, "token": true, "otp": true,
	"pan": true, "track2": true, "fingerprint": true, "cvv": true, "cvc": true,
	"pin": true, "authorization": true, "apikey": true, "hmac": true,
}

func redact(_ []string, a slog.Attr) slog.Attr {
	if IsSecretKey(a.Key) {
		return slog.String(a.Key, Redacted)
	}
	return a
}

// IsSecretKey tells whether an attribute or field named key holds a secret.
// A masked PAN (first 6 / last 4) is not one.
func IsSecretKey(key string) bool {
	k := strings.ToLower(key)
	if k == "masked_pan" {
		return false
	}
	words := strings.FieldsFunc(k, func(r rune) bool { return r == '_' || r == '.' || r == '-' || r == ' ' })
	for i, w := range words {
		if secretWords[w] || (w == "api" && i+1 < len(words) && words[i+1] == "key") {
			return true
		}
	}
	return false
}
