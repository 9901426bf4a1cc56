package apperr_test

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/rebound-returns/rebound/app/apperr"
)

func TestEachRefusalIsItsKindThroughWrapping(t *testing.T) {
	cases := []struct {
		err  error
		kind error
		text string
	}{
		{apperr.NotFound("no-such-order", "no such order"), apperr.ErrNotFound, "no such order"},
		{apperr.Invalid("currency", "is not an ISO 4217 code"), apperr.ErrInvalid, "currency is not an ISO 4217 code"},
		{apperr.Missing("email", "name"), apperr.ErrInvalid, "email is required; name is required"},
		{apperr.State("the return is closed"), apperr.ErrState, "the return is closed"},
		{apperr.Conflict("last-admin", "a merchant keeps one admin"), apperr.ErrConflict, "a merchant keeps one admin"},
		{apperr.Unauthenticated("bad-credentials", "wrong name or password"), apperr.ErrUnauthenticated, "wrong name or password"},
		{apperr.Forbidden("", "only admins"), apperr.ErrForbidden, "only admins"},
		{apperr.Locked("account-locked", "", time.Minute), apperr.ErrLocked, "locked"},
		{apperr.Limited("rate-limited", "slow down", time.Second), apperr.ErrLimited, "slow down"},
		{apperr.Unavailable("", "try again"), apperr.ErrUnavailable, "try again"},
	}
	for _, c := range cases {
		wrapped := fmt.Errorf("handling: %w", c.err)
		if !errors.Is(wrapped, c.kind) {
			t.Errorf("%v is not %v", c.err, c.kind)
		}
		for _, other := range []error{apperr.ErrNotFound, apperr.ErrInvalid, apperr.ErrState, apperr.ErrConflict} {
			if other != c.kind && errors.Is(c.err, other) {
				t.Errorf("%v is also %v", c.err, other)
			}
		}
		if c.err.Error() != c.text {
			t.Errorf("text %q, want %q", c.err.Error(), c.text)
		}
		if apperr.As(wrapped) == nil {
			t.Errorf("As lost %v", c.err)
		}
	}
}

func TestRetryAfterAndFields(t *testing.T) {
	e := apperr.As(apperr.Locked("account-locked", "locked", 90*time.Second))
	if e.RetryAfter() != 90*time.Second || e.Code != "account-locked" {
		t.Fatalf("%+v", e)
	}
	if apperr.InvalidFields() != nil {
		t.Fatal("no fields is no error")
	}
	f := apperr.As(apperr.Missing("a", "b")).Fields
	if len(f) != 2 || f[1] != (apperr.Field{Name: "b", Reason: "is required"}) {
		t.Fatalf("fields %+v", f)
	}
	if apperr.As(errors.New("plain")) != nil {
		t.Fatal("a plain error is not a refusal")
	}
}

// The sentence a refusal reads: its own detail first, then its fields,
// then its kind — never empty, so a log line always says why.
func TestTheSentenceOfARefusal(t *testing.T) {
	cases := []struct {
		name string
		err  *apperr.Error
		want string
	}{
		{"detail wins over fields", &apperr.Error{Kind: apperr.ErrInvalid, Detail: "the order is not valid",
			Fields: []apperr.Field{{"lines", "are empty"}}}, "the order is not valid"},
		{"fields in order", &apperr.Error{Kind: apperr.ErrInvalid,
			Fields: []apperr.Field{{"lines[0].quantity", "must be at least 1"}, {"currency", "is not an ISO 4217 code"}}},
			"lines[0].quantity must be at least 1; currency is not an ISO 4217 code"},
		{"the kind when nothing else", &apperr.Error{Kind: apperr.ErrConflict}, "conflict"},
		{"a code does not change the sentence", &apperr.Error{Kind: apperr.ErrNotFound, Code: "no-such-order"}, "not found"},
	}
	for _, c := range cases {
		if got := c.err.Error(); got != c.want {
			t.Errorf("%s: %q, want %q", c.name, got, c.want)
		}
	}
}

// A refusal wrapped by several layers is still found, its kind still
// matched, and the innermost refusal is the one reported.
func TestDeeplyWrappedRefusals(t *testing.T) {
	inner := apperr.Conflict("order-exists", "the order number is taken")
	err := fmt.Errorf("register: %w", fmt.Errorf("store: %w", inner))
	e := apperr.As(err)
	if e == nil || e.Code != "order-exists" || !errors.Is(err, apperr.ErrConflict) || errors.Is(err, apperr.ErrState) {
		t.Fatalf("%v → %+v", err, e)
	}
	joined := errors.Join(errors.New("audit failed"), apperr.Missing("email"))
	if !errors.Is(joined, apperr.ErrInvalid) || apperr.As(joined).Fields[0].Name != "email" {
		t.Fatalf("a joined error loses its refusal: %v", joined)
	}
	if apperr.Limited("", "", 0).(*apperr.Error).RetryAfter() != 0 {
		t.Fatal("a limit that says no wait has none")
	}
}

// Callers collect what is missing or wrong and refuse only when something
// is: no fields is no refusal (a nil error, not a nil *Error in an
// interface), and every field named is kept, in order, with its reason.
func TestNoFieldsIsNoRefusal(t *testing.T) {
	if err := apperr.Missing(); err != nil {
		t.Fatalf("Missing() = %#v, want nil", err)
	}
	if err := apperr.InvalidFields(); err != nil {
		t.Fatalf("InvalidFields() = %#v, want nil", err)
	}
	err := apperr.Missing("order_number", "contact")
	e := apperr.As(err)
	if e == nil || !errors.Is(err, apperr.ErrInvalid) || len(e.Fields) != 2 ||
		e.Fields[0] != (apperr.Field{Name: "order_number", Reason: "is required"}) || e.Fields[1].Name != "contact" {
		t.Fatalf("Missing(order_number, contact) = %+v", e)
	}
	if got := err.Error(); got != "order_number is required; contact is required" {
		t.Fatalf("sentence %q", got)
	}
}
