package filing

import (
	"errors"

	"github.com/rebound-returns/rebound/app/apperr"
	"github.com/rebound-returns/rebound/db"
	"github.com/rebound-returns/rebound/otp"
	"github.com/rebound-returns/rebound/returns"
)

// ErrNotSent marks a lookup's code that the workflow failed to send
// (Workflow.SendLookupCode wraps the cause in it).
var ErrNotSent = errors.New("the code was not sent")

// The refusals of filing, in apperr's terms; the API answers each as it
// did when the handlers held these rules.
var (
	// errNoSuchOrder is the one answer to every mismatch before a code is
	// verified: merchant, order number, contact, or (filing) the lines.
	errNoSuchOrder      = apperr.NotFound("no-such-order", "no order matches this merchant, order number and contact")
	errNoSuchReturn     = apperr.NotFound("", "no such return")
	errNoSuchLookup     = apperr.NotFound("", "no such lookup")
	errNoSuchMerchant   = apperr.NotFound("", "no such merchant")
	errNoLabel          = apperr.NotFound("no-label", "this return has no shipping label")
	errAccessExpired    = apperr.Unauthenticated("unauthenticated", "the order's access has expired: find the order again")
	errCodeNotSent      = apperr.Unavailable("code-not-sent", "the code could not be sent; try again in a moment")
	errCodeMalformed    = apperr.Invalid("code", "must be the 6 digits we sent")
	errFilingsExhausted = apperr.Limited("filings-exhausted",
		"this order's access has filed as many returns as it may: find the order again to file more", OrderAccessLife)
)

// codeRefusal answers a code that did not check out; again says how to get
// another.
func codeRefusal(result db.CodeCheck, again string) error {
	switch result {
	case db.CodeWrong:
		return apperr.Invalid("code", "is not the code we sent")
	case db.CodeLocked:
		return apperr.Limited("code-locked", "too many wrong codes: "+again, 0)
	case db.CodeExpired:
		return apperr.Invalid("code", "has expired or was used: "+again)
	}
	return nil
}

// limitRefusal turns a limit of the otp rules into a refusal that says how
// long to wait.
func limitRefusal(err error) error {
	var le *otp.LimitError
	if errors.As(err, &le) {
		return apperr.Limited("rate-limited", le.Error(), le.RetryAfter)
	}
	return err
}

// linesRefusal is the refusal of lines that do not fit, field by field.
func linesRefusal(errs []returns.FieldError) error {
	fields := make([]apperr.Field, len(errs))
	for i, e := range errs {
		fields[i] = apperr.Field{Name: e.Field, Reason: e.Message}
	}
	return apperr.InvalidFields(fields...)
}
