// Package apperr is the use cases' shared way of refusing: a kind that says
// what went wrong in business terms (not found, invalid, not in a state for
// the step, …), a code that names the case ("order-exists", "last-admin"),
// a sentence for the caller and, for bad input, the fields at fault. It
// knows nothing of HTTP: the API maps each kind to a status in one table
// (api/errors.go). A use case with refusals of its own (app/counter) may
// declare its own sentinels as well; the generic ones are here once.
package apperr

import (
	"errors"
	"strconv"
	"strings"
	"time"
)

// The kinds of refusal. An *Error is (errors.Is) its kind.
var (
	// ErrNotFound: no such thing, or not one the caller may see.
	ErrNotFound = errors.New("not found")
	// ErrInvalid: fields with values the step does not take.
	ErrInvalid = errors.New("invalid input")
	// ErrState: the thing is not in a state for this step.
	ErrState = errors.New("not in a state for this step")
	// ErrConflict: the step clashes with what exists (a duplicate, the last
	// of something).
	ErrConflict = errors.New("conflict")
	// ErrUnauthenticated: the caller did not prove who they are.
	ErrUnauthenticated = errors.New("unauthenticated")
	// ErrForbidden: the caller may not take this step.
	ErrForbidden = errors.New("forbidden")
	// ErrLocked: locked out for a while after too many failures.
	ErrLocked = errors.New("locked")
	// ErrLimited: too many tries; try again later.
	ErrLimited = errors.New("too many tries")
	// ErrUnavailable: a part the step needs did not answer; try again.
	ErrUnavailable = errors.New("unavailable")
)

// Field is one field at fault (its JSON name) and what is wrong with it.
type Field struct{ Name, Reason string }

// Error is a refusal: Kind is one of the Err… above, Code a short slug of
// the case (empty: the kind's own), Detail the sentence the caller reads.
type Error struct {
	Kind   error
	Code   string
	Detail string
	// Fields are the fields at fault (ErrInvalid).
	Fields []Field
	// Wait is how long to wait before trying again (ErrLocked, ErrLimited;
	// zero: not said).
	Wait time.Duration
}

func (e *Error) Error() string {
	if e.Detail != "" {
		return e.Detail
	}
	if len(e.Fields) > 0 {
		parts := make([]string, len(e.Fields))
		for i, f := range e.Fields {
			parts[i] = f.Name + " " + f.Reason
		}
		return strings.Join(parts, "; ")
	}
	return e.Kind.Error()
}

func (e *Error) Unwrap() error { return e.Kind }

// RetryAfter is how long to wait before trying again (zero: not said).
func (e *Error) RetryAfter() time.Duration { return e.Wait }

// NotFound refuses a thing that does not exist for the caller.
func NotFound(code, detail string) error {
	return &Error{Kind: ErrNotFound, Code: code, Detail: detail}
}

// Invalid refuses one field's value.
func Invalid(field, reason string) error {
	return &Error{Kind: ErrInvalid, Fields: []Field{{field, reason}}}
}

// InvalidFields refuses several fields at once; nil when there are none.
func InvalidFields(fields ...Field) error {
	if len(fields) == 0 {
		return nil
	}
	return &Error{Kind: ErrInvalid, Fields: fields}
}

// Missing refuses required fields left empty.
func Missing(names ...string) error {
	fields := make([]Field, len(names))
	for i, n := range names {
		fields[i] = Field{n, "is required"}
	}
	return InvalidFields(fields...)
}

// State refuses a step the thing is not in a state for.
func State(detail string) error { return &Error{Kind: ErrState, Detail: detail} }

// Conflict refuses a step that clashes with what exists.
func Conflict(code, detail string) error {
	return &Error{Kind: ErrConflict, Code: code, Detail: detail}
}

// Unauthenticated refuses a caller who did not prove who they are.
func Unauthenticated(code, detail string) error {
	return &Error{Kind: ErrUnauthenticated, Code: code, Detail: detail}
}

// Forbidden refuses a caller who may not take the step.
func Forbidden(code, detail string) error {
	return &Error{Kind: ErrForbidden, Code: code, Detail: detail}
}

// Locked refuses while a lock-out lasts.
func Locked(code, detail string, wait time.Duration) error {
	return &Error{Kind: ErrLocked, Code: code, Detail: detail, Wait: wait}
}

// Limited refuses one try too many.
func Limited(code, detail string, wait time.Duration) error {
	return &Error{Kind: ErrLimited, Code: code, Detail: detail, Wait: wait}
}

// Unavailable refuses for now: a part the step needs did not answer.
func Unavailable(code, detail string) error {
	return &Error{Kind: ErrUnavailable, Code: code, Detail: detail}
}

// As is the *Error in err's chain, or nil.
func As(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return nil
}

// Day reads a date such as 2026-11-26 sent as field (the zero time when
// empty), or names the field.
func Day(field, v string) (time.Time, *Field) {
	if v == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse("2006-01-02", v)
	if err != nil {
		return t, &Field{Name: field, Reason: "must be a date such as 2026-11-26"}
	}
	return t, nil
}

// DayRange reads the days ?from= and ?to= (either may be empty): both
// dates, to not before from, at most maxDays after it; bad names each field
// at fault.
func DayRange(from, to string, maxDays int) (f, t time.Time, bad []Field) {
	f, fromBad := Day("from", from)
	t, toBad := Day("to", to)
	for _, fe := range []*Field{fromBad, toBad} {
		if fe != nil {
			bad = append(bad, *fe)
		}
	}
	if fromBad == nil && toBad == nil && !f.IsZero() && !t.IsZero() {
		switch {
		case t.Before(f):
			bad = append(bad, Field{Name: "to", Reason: "must not be before from"})
		case t.Sub(f) > time.Duration(maxDays)*24*time.Hour:
			bad = append(bad, Field{Name: "to", Reason: "must be at most " + strconv.Itoa(maxDays) + " days after from"})
		}
	}
	return f, t, bad
}
