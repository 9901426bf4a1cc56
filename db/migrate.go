package db

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"log/slog"

	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
)

// migrations holds one numbered set per dialect. Released files are never
// edited: a change is a new file in both sets.
//
//go:embed migrations
var migrations embed.FS

// Migrator runs the embedded migrations of the DB's dialect.
type Migrator struct {
	p *goose.Provider
}

// NewMigrator prepares the migrations for d. On Postgres a session lock
// keeps two processes from migrating at once.
func NewMigrator(d *DB, log *slog.Logger) (*Migrator, error) {
	sqlDB, err := d.g.DB()
	if err != nil {
		return nil, err
	}
	fsys, err := fs.Sub(migrations, "migrations/"+string(d.dialect))
	if err != nil {
		return nil, err
	}
	dialect := goose.DialectSQLite3
	var opts []goose.ProviderOption
	if d.dialect == Postgres {
		dialect = goose.DialectPostgres
		locker, err := lock.NewPostgresSessionLocker()
		if err != nil {
			return nil, err
		}
		opts = append(opts, goose.WithSessionLocker(locker))
	}
	if log != nil {
		opts = append(opts, goose.WithSlog(log.With("component", "migrate")))
	}
	p, err := goose.NewProvider(dialect, sqlDB, fsys, opts...)
	if err != nil {
		return nil, fmt.Errorf("migrations: %w", err)
	}
	return &Migrator{p: p}, nil
}

// Up applies every pending migration and returns the version reached.
func (m *Migrator) Up(ctx context.Context) (int64, error) {
	if _, err := m.p.Up(ctx); err != nil {
		return 0, fmt.Errorf("migrate up: %w", err)
	}
	return m.Version(ctx)
}

// DownTo rolls back every migration above version (0 rolls back all).
func (m *Migrator) DownTo(ctx context.Context, version int64) (int64, error) {
	if _, err := m.p.DownTo(ctx, version); err != nil {
		return 0, fmt.Errorf("migrate down to %d: %w", version, err)
	}
	return m.Version(ctx)
}

// Version is the newest applied migration (0 when none is).
func (m *Migrator) Version(ctx context.Context) (int64, error) {
	v, err := m.p.GetDBVersion(ctx)
	if err != nil {
		return 0, fmt.Errorf("migration version: %w", err)
	}
	return v, nil
}

// Latest is the newest migration embedded in this binary.
func (m *Migrator) Latest() int64 {
	src := m.p.ListSources()
	if len(src) == 0 {
		return 0
	}
	return src[len(src)-1].Version
}

// Migrate applies every pending migration of d's dialect.
func Migrate(ctx context.Context, d *DB, log *slog.Logger) (int64, error) {
	m, err := NewMigrator(d, log)
	if err != nil {
		return 0, err
	}
	return m.Up(ctx)
}
