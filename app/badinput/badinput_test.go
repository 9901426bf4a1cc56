package badinput_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/rebound-returns/rebound/app/badinput"
)

func TestOnlyTheStoresRefusalOfAValueIsBadInput(t *testing.T) {
	cases := []struct {
		err  error
		want bool
	}{
		{&pgconn.PgError{Code: "22P02"}, true},                           // invalid text representation
		{fmt.Errorf("insert: %w", &pgconn.PgError{Code: "22001"}), true}, // too long, wrapped
		{&pgconn.PgError{Code: "23505"}, false},                          // a duplicate is no bad value
		{errors.New("connection refused"), false},
		{nil, false},
	}
	for _, c := range cases {
		if got := badinput.Is(c.err); got != c.want {
			t.Errorf("Is(%v) = %v, want %v", c.err, got, c.want)
		}
	}
}
