package session

import (
	"time"

	"github.com/rebound-returns/rebound/app/apperr"
)

// The refusals of sessions, as app/apperr values whose codes and sentences
// are the API's answers.

// errBadCredentials is the one answer to an unknown merchant, an unknown
// name, a disabled member and a wrong password alike.
func errBadCredentials() error {
	return apperr.Unauthenticated("bad-credentials", "wrong user name or password")
}

// errLocked refuses a try while the member is locked, for wait.
func errLocked(wait time.Duration) error {
	return apperr.Locked("account-locked", "too many failed log-ins; try again later", wait)
}

// errNoSession refuses a missing, unknown or expired bearer token, or one
// of a disabled member.
func errNoSession() error {
	return apperr.Unauthenticated("unauthenticated", "send a valid bearer token")
}

func errNoAPIKey() error {
	return apperr.Unauthenticated("unauthenticated", "send the merchant's API key in X-API-Key")
}

func errBadAPIKey() error {
	return apperr.Unauthenticated("unauthenticated", "the API key is not valid")
}
