// Package returns is Rebound's domain: the statuses of a return and the
// moves allowed between them, the merchant's return policy and its
// evaluation, inspection rules and refund arithmetic. It is pure Go with no
// I/O, so workflows can call it deterministically. Money is always integer
// minor units beside an ISO 4217 currency.
package returns

// FieldError names one invalid field of a request and what is wrong with it.
type FieldError struct {
	Field   string
	Message string
}

func (e FieldError) Error() string { return e.Field + ": " + e.Message }
