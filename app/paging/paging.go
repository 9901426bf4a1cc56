// Package paging names the store's page of a list for the edge, which
// reads ?limit= and ?cursor= and answers next links without knowing the
// store: where a page paged by position starts, the rows of one page, and
// how far a list's count goes.
package paging

import "github.com/rebound-returns/rebound/db"

// Page is where a list paged by position starts and how many rows it takes.
type Page = db.Page

// Paged is one page of rows, whether more follow and the list's total.
type Paged[T any] = db.Paged[T]

// CountCap is the highest total a list counts (and the furthest it pages).
const CountCap = db.CountCap
