// Package db is Rebound's store: gorm models, one store per part of
// Rebound (stores.go; methods ctx first) over a connection or a transaction
// (DB.Tx), versioned migrations for PostgreSQL and SQLite, and Open. Every
// feature works on both engines; one test suite runs against each.
package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/libtnb/sqlite"
	"gorm.io/driver/postgres"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"
)

// Dialect names the engine behind a DB.
type Dialect string

const (
	Postgres Dialect = "postgres"
	SQLite   Dialect = "sqlite"
)

// Target is a parsed database URL.
type Target struct {
	Dialect Dialect
	// DSN is what the driver opens: the postgres URL itself, or the SQLite
	// file path with Rebound's connection settings.
	DSN string
	// Path is the SQLite file ("" for Postgres).
	Path string
}

// ParseURL accepts postgres://… (or postgresql://…) with a host and a
// database name, or sqlite:PATH (sqlite:///abs/path for an absolute path).
// Its errors never echo the URL, which may hold a password.
func ParseURL(raw string) (Target, error) {
	switch {
	case strings.HasPrefix(raw, "postgres://"), strings.HasPrefix(raw, "postgresql://"):
		u, err := url.Parse(raw)
		if err != nil {
			return Target{}, errors.New("is not a valid URL")
		}
		if u.Host == "" {
			return Target{}, errors.New("names no host")
		}
		if strings.Trim(u.Path, "/") == "" {
			return Target{}, errors.New("names no database")
		}
		return Target{Dialect: Postgres, DSN: raw}, nil
	case strings.HasPrefix(raw, "sqlite:"):
		p := strings.TrimPrefix(raw, "sqlite:")
		if i := strings.IndexByte(p, '?'); i >= 0 {
			p = p[:i]
		}
		p = strings.TrimPrefix(p, "//")
		if p == "" {
			return Target{}, errors.New("names no file: want sqlite:path/to/file.db")
		}
		// WAL lets readers run beside the writer; the busy timeout makes a
		// second process wait instead of failing; immediate transactions
		// take the write lock at BEGIN so that they never deadlock on upgrade.
		dsn := "file:" + p + "?_journal_mode=WAL&_busy_timeout=10000&_foreign_keys=1&_synchronous=NORMAL&_txlock=immediate"
		return Target{Dialect: SQLite, DSN: dsn, Path: p}, nil
	default:
		return Target{}, errors.New("is not a database URL: want postgres://user:pass@host:5432/db or sqlite:path/to/file.db")
	}
}

// Pool sizes the Postgres connection pool. SQLite ignores it: it always runs
// on one connection, its single writer.
type Pool struct {
	MaxOpen     int
	MaxIdle     int
	MaxLifetime time.Duration
}

// DefaultPool is used where no pool is configured. It keeps every
// connection it opens: with fewer idle than open, each burst of more than
// MaxIdle queries closes the surplus on return and dials it again on the next
// (a Postgres connection costs a fork and a TLS handshake), which is what
// made a return open ~16 connections under load (issue 15).
var DefaultPool = Pool{MaxOpen: 20, MaxIdle: 20, MaxLifetime: 30 * time.Minute}

// DB is an open database, or a transaction on one (see Tx): the
// connection and its stores, one per part of Rebound (stores.go).
type DB struct {
	*conn
	stores
}

// conn is what every store of one DB shares: the gorm handle (the pool, or
// the transaction) and the engine behind it.
type conn struct {
	g       *gorm.DB
	dialect Dialect
	// db is the DB these stores belong to, for a store's step that writes
	// through another store in the same transaction.
	db *DB
}

// newDB builds the stores over g.
func newDB(g *gorm.DB, dialect Dialect) *DB {
	c := &conn{g: g, dialect: dialect}
	c.db = &DB{conn: c, stores: newStores(c)}
	return c.db
}

// Open connects to the database named by rawURL. It does not require the
// database to be reachable yet (Ping tells), except that a SQLite file's
// directory is created.
func Open(rawURL string, pool Pool, log *slog.Logger) (*DB, error) {
	t, err := ParseURL(rawURL)
	if err != nil {
		return nil, fmt.Errorf("database URL %w", err)
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	cfg := &gorm.Config{
		TranslateError:         true,
		DisableAutomaticPing:   true,
		SkipDefaultTransaction: true,
		// Bounds the statements the hot reads keep prepared (DB.read).
		PrepareStmtMaxSize: 256,
		NowFunc:            func() time.Time { return time.Now().UTC() },
		Logger: logger.NewSlogLogger(log.With("component", "db"), logger.Config{
			SlowThreshold: 500 * time.Millisecond,
			LogLevel:      logger.Warn,
			// Values never reach the log: they may be secrets or card data.
			ParameterizedQueries:      true,
			IgnoreRecordNotFoundError: true,
		}),
	}
	var dialector gorm.Dialector
	switch t.Dialect {
	case Postgres:
		dialector = postgres.Open(t.DSN)
	case SQLite:
		if dir := filepath.Dir(t.Path); dir != "." {
			if err := os.MkdirAll(dir, 0o750); err != nil {
				return nil, fmt.Errorf("database: create %s: %w", dir, err)
			}
		}
		dialector = sqlite.Open(t.DSN)
	}
	g, err := gorm.Open(dialector, cfg)
	if err != nil {
		return nil, fmt.Errorf("database: open %s: %w", t.Dialect, err)
	}
	sqlDB, err := g.DB()
	if err != nil {
		return nil, fmt.Errorf("database: %w", err)
	}
	if t.Dialect == SQLite {
		sqlDB.SetMaxOpenConns(1)
		sqlDB.SetMaxIdleConns(1)
		sqlDB.SetConnMaxLifetime(0)
	} else {
		sqlDB.SetMaxOpenConns(pool.MaxOpen)
		sqlDB.SetMaxIdleConns(pool.MaxIdle)
		sqlDB.SetConnMaxLifetime(pool.MaxLifetime)
	}
	return newDB(g, t.Dialect), nil
}

// Dialect tells which engine this is.
func (d *DB) Dialect() Dialect { return d.dialect }

// Ping checks that the database answers.
func (d *DB) Ping(ctx context.Context) error {
	sqlDB, err := d.g.DB()
	if err != nil {
		return err
	}
	return sqlDB.PingContext(ctx)
}

// Stats are a pool's counters (database/sql's).
type Stats = sql.DBStats

// Stats answers the connection pool's counters: open, in use, idle, waits, and
// connections closed for being over the idle limit (MaxIdleClosed), which
// should stay near zero under a steady load.
func (d *DB) Stats() Stats {
	sqlDB, err := d.g.DB()
	if err != nil {
		return Stats{}
	}
	return sqlDB.Stats()
}

// Close closes the pool.
func (d *DB) Close() error {
	sqlDB, err := d.g.DB()
	if err != nil {
		return err
	}
	return sqlDB.Close()
}

// Tx runs fn in one transaction: every store method called on the DB that
// fn receives takes part in it. fn's error rolls it back. It is the one way
// to a transaction, for the stores (conn.tx) and their callers alike.
func (d *DB) Tx(ctx context.Context, fn func(tx *DB) error) error { return d.tx(ctx, fn) }

func (c *conn) tx(ctx context.Context, fn func(tx *DB) error) error {
	return c.g.WithContext(ctx).Transaction(func(g *gorm.DB) error {
		return fn(newDB(g, c.dialect))
	})
}

func (c *conn) with(ctx context.Context) *gorm.DB { return c.g.WithContext(ctx) }

// ErrNotFound is returned when the row asked for does not exist.
var ErrNotFound = errors.New("not found")

// ErrConflict is returned when a row with the same key already exists.
var ErrConflict = errors.New("already exists")

// translate maps gorm's errors onto the package's own.
func translate(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, gorm.ErrRecordNotFound):
		return ErrNotFound
	case errors.Is(err, gorm.ErrDuplicatedKey):
		return fmt.Errorf("%w: %w", ErrConflict, err)
	}
	return err
}

// Exec runs one statement, for administration and tests.
func (d *DB) Exec(ctx context.Context, sql string, args ...any) error {
	return d.with(ctx).Exec(sql, args...).Error
}

// Raw runs one query and scans its row into dest, for administration and
// tests.
func (d *DB) Raw(ctx context.Context, sql string, dest any, args ...any) error {
	return d.with(ctx).Raw(sql, args...).Scan(dest).Error
}

func gormExpr(sql string) any { return gorm.Expr(sql) }

// LockKey serialises transactions on a key until the transaction ends (a
// Postgres advisory lock; SQLite's transactions are serial already). Take
// several keys in the same order everywhere.
func (d *DB) LockKey(ctx context.Context, key string) error {
	if d.dialect != Postgres {
		return nil
	}
	return d.with(ctx).Exec("SELECT pg_advisory_xact_lock(hashtextextended(?, 0))", key).Error
}

// Tables are every table of Rebound's schema.
var Tables = []string{"merchants", "stores", "terminals", "staff_users", "orders", "order_lines", "payments", "returns",
	"return_lines", "timeline_events", "audit_log", "refunds", "refund_attempts", "otp_challenges", "sessions", "api_keys",
	"webhook_endpoints", "outbox", "idempotency_keys", "carrier_events", "work_items", "store_credits", "store_credit_entries",
	"order_lookups", "refund_freezes", "settlement_files", "settlement_items", "settlement_results", "catalog_products",
	"catalog_variants", "inventory_holds", "return_search_terms"}

// TextValues returns every value of a table as text, for checks that no
// table holds what it must not (card numbers, codes).
func (d *DB) TextValues(ctx context.Context, table string) ([]string, error) {
	rows, err := d.with(ctx).Table(table).Rows()
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", table, err)
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return nil, err
	}
	var out []string
	vals := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return nil, err
		}
		for _, v := range vals {
			switch x := v.(type) {
			case nil:
			case []byte:
				out = append(out, string(x))
			case time.Time:
				out = append(out, x.Format(time.RFC3339Nano))
			default:
				out = append(out, fmt.Sprint(x))
			}
		}
	}
	return out, rows.Err()
}
