package otp_test

import (
	"errors"
	"testing"
	"time"

	"github.com/rebound-returns/rebound/otp"
)

func TestCodesAreSixDigitsAndVary(t *testing.T) {
	t.Parallel()
	seen := map[string]bool{}
	for i := 0; i < 200; i++ {
		c, err := otp.Generate()
		if err != nil || !otp.WellFormed(c) {
			t.Fatalf("code %q, %v", c, err)
		}
		seen[c] = true
	}
	if len(seen) < 190 {
		t.Fatalf("only %d distinct codes in 200", len(seen))
	}
	for _, bad := range []string{"12345", "1234567", "12a456", "", "１２３４５６"} {
		if otp.WellFormed(bad) {
			t.Errorf("%q is well formed", bad)
		}
	}
}

func TestSumsBindSecretChallengeAndCode(t *testing.T) {
	t.Parallel()
	secret := []byte("server secret")
	stored := otp.Sum(secret, "ch1", "123456")
	if stored == "123456" || len(stored) != 64 {
		t.Fatalf("stored %q", stored)
	}
	if !otp.Matches(secret, "ch1", "123456", stored) {
		t.Fatal("the right code does not match")
	}
	for name, ok := range map[string]bool{
		"wrong code":      otp.Matches(secret, "ch1", "123457", stored),
		"other challenge": otp.Matches(secret, "ch2", "123456", stored),
		"other secret":    otp.Matches([]byte("other"), "ch1", "123456", stored),
		"garbage stored":  otp.Matches(secret, "ch1", "123456", "zz"),
	} {
		if ok {
			t.Errorf("%s matches", name)
		}
	}
}

func TestLimits(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name     string
		c        otp.Counts
		cooldown bool
		limited  bool
	}{
		{"nothing sent", otp.Counts{}, true, false},
		{"within cooldown", otp.Counts{LastForReturn: now.Add(-30 * time.Second)}, true, true},
		{"first code ignores cooldown", otp.Counts{LastForReturn: now.Add(-30 * time.Second)}, false, false},
		{"after cooldown", otp.Counts{LastForReturn: now.Add(-61 * time.Second)}, true, false},
		{"contact cap", otp.Counts{ForContact: otp.PerContact}, true, true},
		{"client cap", otp.Counts{ForClient: otp.PerClient}, false, true},
		{"under caps", otp.Counts{ForContact: otp.PerContact - 1, ForClient: otp.PerClient - 1}, true, false},
	}
	for _, tc := range tests {
		err := otp.Allow(tc.c, now, tc.cooldown)
		var le *otp.LimitError
		if got := errors.As(err, &le); got != tc.limited {
			t.Errorf("%s: limited = %v (%v)", tc.name, got, err)
		}
		if le != nil && le.RetryAfter <= 0 {
			t.Errorf("%s: retry after %s", tc.name, le.RetryAfter)
		}
	}
}

func TestAllowTryCountsTheCurrentTry(t *testing.T) {
	for _, tc := range []struct {
		name    string
		c       otp.TryCounts
		limited bool
	}{
		{"first try", otp.TryCounts{ForClient: 1, ForOrder: 1}, false},
		{"last try of the client", otp.TryCounts{ForClient: otp.TriesPerClient, ForOrder: 1}, false},
		{"one past the client's", otp.TryCounts{ForClient: otp.TriesPerClient + 1, ForOrder: 1}, true},
		{"last try of the order", otp.TryCounts{ForClient: 1, ForOrder: otp.TriesPerOrder}, false},
		{"one past the order's", otp.TryCounts{ForClient: 1, ForOrder: otp.TriesPerOrder + 1}, true},
	} {
		err := otp.AllowTry(tc.c)
		var le *otp.LimitError
		if got := errors.As(err, &le); got != tc.limited || (got && le.RetryAfter != otp.Window) {
			t.Errorf("%s: %v; want limited %v, retry after the window", tc.name, err, tc.limited)
		}
	}
}
