// Package badinput tells a value the store refused (malformed, out of
// range, too long) from a failure of the store, so that the edge answers
// the first with a 422 without knowing the store it came from.
package badinput

import "github.com/rebound-returns/rebound/db"

// Is reports whether err is the store refusing a value of the request.
func Is(err error) bool { return db.IsBadInput(err) }
