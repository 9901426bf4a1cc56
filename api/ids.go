package api

import "github.com/rebound-returns/rebound/ids"

// validID tells whether s is an id in the one form Rebound writes and reads
// (ids.Valid). Path parameters, query parameters and cursors all go through
// it.
func validID(s string) bool { return ids.Valid(s) }
