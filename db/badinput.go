package db

import (
	"errors"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"
)

// IsBadInput tells whether err is PostgreSQL refusing a value itself (class
// 22, data exception: a NUL byte or invalid UTF-8 in text, a malformed
// UUID, a number out of range, a string too long), as opposed to a failure
// of the database. The API checks input before it reaches SQL; this is the
// backstop that keeps a value it missed from becoming a 500.
func IsBadInput(err error) bool {
	var pg *pgconn.PgError
	return errors.As(err, &pg) && strings.HasPrefix(pg.Code, "22")
}
