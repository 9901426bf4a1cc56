package views

import "github.com/rebound-returns/rebound/db"

// The store's page of a list, named for the edge, which reads ?limit= and
// ?cursor= and answers next links without knowing the store.
type (
	// Page is where a list paged by position starts and how many rows it
	// takes.
	Page = db.Page
	// Paged is one page of rows, whether more follow and the list's total.
	Paged[T any] = db.Paged[T]
)

// CountCap is the highest total a list counts (and the furthest it pages).
const CountCap = db.CountCap
