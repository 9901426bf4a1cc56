package api

import (
	"errors"
	"net/http"
	"time"

	"github.com/rebound-returns/rebound/app/counter"
)

// domainProblems is the one table from the use cases' domain errors (app/…)
// to answers: the first row whose error the failure is (errors.Is) builds
// the problem. fail() consults it before anything else.
var domainProblems = []struct {
	err     error
	problem func(err error) *Problem
}{
	{counter.ErrNotFound, func(error) *Problem { p := *errNoSuchReturn; return &p }},
	{counter.ErrMissing, func(err error) *Problem {
		var e *counter.MissingError
		errors.As(err, &e)
		var fields []FieldError
		for _, f := range e.Fields {
			fields = append(fields, FieldError{f, "is required"})
		}
		return Invalid(fields...)
	}},
	{counter.ErrInvalid, func(err error) *Problem {
		var e *counter.InvalidError
		errors.As(err, &e)
		return Invalid(FieldError{e.Field, e.Reason})
	}},
	{counter.ErrNotAtCounter, conflict("only an in-store return of a card sale is refunded at the counter")},
	{counter.ErrWrongState, func(err error) *Problem {
		var e *counter.StateError
		errors.As(err, &e)
		return conflict("the return is " + e.Status)(err)
	}},
	{counter.ErrUnknownTerminal, invalidField("terminal_id", "is not a terminal of this merchant")},
	{counter.ErrSupervisorDenied, problem(http.StatusForbidden, "supervisor-denied", "the supervisor's authorisation failed")},
	{counter.ErrNoOwnPassword, person(http.StatusForbidden, "supervisor-denied", " has not yet chosen their own password")},
	{counter.ErrNotSupervisor, person(http.StatusForbidden, "not-a-supervisor", " is not a supervisor")},
	{counter.ErrSupervisorLocked, problem(http.StatusLocked, "supervisor-locked", "the supervisor's account is locked after too many failures")},
	{counter.ErrSaleUnknown, conflict("the sale's payment is not known")},
	{counter.ErrSaleUncounted, problem(http.StatusServiceUnavailable, "unavailable", "the sale's checks could not be counted; try again")},
	{counter.ErrSaleLocked, problem(http.StatusLocked, "sale-locked", "too many wrong voucher numbers or cards for this sale; try again later")},
	{counter.ErrWrongVoucher, invalidField("voucher_no", "does not match the voucher number of the sale")},
	{counter.ErrWrongCard, invalidField("card_fingerprint", "is not the card the sale was paid with")},
}

// domainProblem is the answer to a domain error, nil for any other error.
// An error that says how long to wait (a lock-out) sets Retry-After.
func domainProblem(err error) *Problem {
	for _, row := range domainProblems {
		if errors.Is(err, row.err) {
			p := row.problem(err)
			var wait interface{ RetryAfter() time.Duration }
			if errors.As(err, &wait) {
				p.retryAfter = wait.RetryAfter()
			}
			return p
		}
	}
	return nil
}

func problem(status int, kind, detail string) func(error) *Problem {
	return func(error) *Problem { return NewProblem(status, kind, detail) }
}

func conflict(detail string) func(error) *Problem {
	return problem(http.StatusConflict, "invalid-state", detail)
}

func invalidField(field, message string) func(error) *Problem {
	return func(error) *Problem { return Invalid(FieldError{field, message}) }
}

// person answers a refusal about a named member: their name, then why.
func person(status int, kind, why string) func(error) *Problem {
	return func(err error) *Problem {
		var e *counter.PersonError
		errors.As(err, &e)
		return NewProblem(status, kind, e.Username+why)
	}
}
