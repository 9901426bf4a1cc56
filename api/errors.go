package api

import (
	"errors"
	"net/http"
	"slices"
	"time"

	"github.com/rebound-returns/rebound/app/apperr"
	"github.com/rebound-returns/rebound/app/counter"
)

// domainProblems is the one table from the use cases' domain errors (app/…)
// to answers: the first row whose error the failure is (errors.Is) builds
// the problem. fail() consults it before anything else. Each use case with
// sentinels of its own adds its rows as one slice here; the generic
// refusals of app/apperr come last.
var domainProblems = slices.Concat(counterProblems, adminProblems, apperrProblems)

type domainRow struct {
	err     error
	problem func(err error) *Problem
}

// apperrProblems answers app/apperr's kinds: the kind gives the status and
// the default type, the refusal its code, sentence and fields.
var apperrProblems = []domainRow{
	{apperr.ErrNotFound, byKind(http.StatusNotFound, "not-found")},
	{apperr.ErrInvalid, byKind(http.StatusUnprocessableEntity, "validation")},
	{apperr.ErrState, byKind(http.StatusConflict, "invalid-state")},
	{apperr.ErrConflict, byKind(http.StatusConflict, "conflict")},
	{apperr.ErrUnauthenticated, byKind(http.StatusUnauthorized, "unauthenticated")},
	{apperr.ErrForbidden, byKind(http.StatusForbidden, "forbidden")},
	{apperr.ErrLocked, byKind(http.StatusLocked, "locked")},
	{apperr.ErrLimited, byKind(http.StatusTooManyRequests, "rate-limited")},
	{apperr.ErrUnavailable, byKind(http.StatusServiceUnavailable, "unavailable")},
}

func byKind(status int, kind string) func(error) *Problem {
	return func(err error) *Problem {
		e := apperr.As(err)
		if e == nil { // a bare sentinel
			return NewProblem(status, kind, err.Error())
		}
		if len(e.Fields) > 0 {
			fields := make([]FieldError, len(e.Fields))
			for i, f := range e.Fields {
				fields[i] = FieldError{f.Name, f.Reason}
			}
			p := Invalid(fields...)
			p.Status, p.Title = status, http.StatusText(status)
			if e.Code != "" {
				p.Type = NewProblem(status, e.Code, "").Type
			}
			if e.Detail != "" {
				p.Detail = e.Detail
			}
			return p
		}
		code, detail := kind, e.Detail
		if e.Code != "" {
			code = e.Code
		}
		if detail == "" {
			detail = e.Kind.Error()
		}
		return NewProblem(status, code, detail)
	}
}

// counterProblems answers app/counter's refusals.
var counterProblems = []domainRow{
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
