package db

import (
	"context"

	"gorm.io/gorm"
)

// read is d for the hot reads every API request makes (the caller's
// session, a return's page, the task list, finance's refund list). On SQLite their statements are
// prepared once and kept (gorm's statement cache, bounded by Open's
// PrepareStmtMaxSize): parsing the SQL again on each request was a fifth of
// a read's time. Postgres is left as it is: pgx already keeps each
// connection's prepared statements.
func (d *conn) read(ctx context.Context) *gorm.DB { return d.prepared(d.with(ctx)) }

// prepared is q with its statement kept prepared on SQLite (see read).
func (d *conn) prepared(q *gorm.DB) *gorm.DB {
	if d.dialect != SQLite {
		return q
	}
	return q.Session(&gorm.Session{PrepareStmt: true})
}
