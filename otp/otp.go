// Package otp holds the rules of one-time codes: how a code is made, how it
// is kept (an HMAC under a server secret, never the code), how it is checked
// (in constant time) and how often codes may be sent.
package otp

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math/big"
	"time"
)

// The rules of one-time codes (README, "Security: what is guarded and how").
const (
	Digits   = 6
	MaxTries = 5
	// Cooldown is the least time between two codes for one return.
	Cooldown = 60 * time.Second
	// Window is the period of the hourly caps.
	Window = time.Hour
	// PerContact and PerClient cap codes per hour to one contact and from
	// one client address.
	PerContact = 5
	PerClient  = 20
)

// Generate returns a new code of Digits digits from crypto/rand.
func Generate() (string, error) {
	n, err := rand.Int(rand.Reader, big.NewInt(1_000_000))
	if err != nil {
		return "", fmt.Errorf("generate code: %w", err)
	}
	return fmt.Sprintf("%06d", n.Int64()), nil
}

// Sum is what is stored for a code: HMAC-SHA256 under the server secret,
// bound to the challenge so one stored value cannot vouch for another.
func Sum(secret []byte, challengeID, code string) string {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(challengeID))
	m.Write([]byte{0})
	m.Write([]byte(code))
	return hex.EncodeToString(m.Sum(nil))
}

// Matches compares a presented code with a stored sum in constant time.
func Matches(secret []byte, challengeID, code, stored string) bool {
	want, err := hex.DecodeString(stored)
	if err != nil {
		return false
	}
	got, _ := hex.DecodeString(Sum(secret, challengeID, code))
	return hmac.Equal(got, want)
}

// WellFormed tells whether s looks like a code at all.
func WellFormed(s string) bool {
	if len(s) != Digits {
		return false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// Counts are the recent codes the limits look at.
type Counts struct {
	LastForReturn time.Time
	ForContact    int64
	ForClient     int64
}

// LimitError says why no code may be sent now, and when to try again.
type LimitError struct {
	Reason     string
	RetryAfter time.Duration
}

func (e *LimitError) Error() string {
	return fmt.Sprintf("%s; try again in %d seconds", e.Reason, int(e.RetryAfter.Seconds()+0.5))
}

// Allow checks the cooldown and the hourly caps; checkCooldown is false for
// the first code of a new return.
func Allow(c Counts, now time.Time, checkCooldown bool) error {
	if checkCooldown && !c.LastForReturn.IsZero() && now.Sub(c.LastForReturn) < Cooldown {
		return &LimitError{Reason: "a code was sent moments ago", RetryAfter: Cooldown - now.Sub(c.LastForReturn)}
	}
	if c.ForContact >= PerContact {
		return &LimitError{Reason: "too many codes for this contact", RetryAfter: Window}
	}
	if c.ForClient >= PerClient {
		return &LimitError{Reason: "too many codes from this address", RetryAfter: Window}
	}
	return nil
}

// What a client may try before any code is verified (filing a return,
// looking an order up, asking for a new code), whatever the outcome,
// counted in the same hourly Window as codes: per client address and per
// order named.
const (
	TriesPerClient = 30
	TriesPerOrder  = 10
)

// TryCounts are the recent tries the limits look at, the current one
// included.
type TryCounts struct {
	ForClient int64
	ForOrder  int64
}

// AllowTry checks the caps on tries; the current try is counted in c.
func AllowTry(c TryCounts) error {
	if c.ForClient > TriesPerClient {
		return &LimitError{Reason: "too many tries from this address", RetryAfter: Window}
	}
	if c.ForOrder > TriesPerOrder {
		return &LimitError{Reason: "too many tries for this order", RetryAfter: Window}
	}
	return nil
}
