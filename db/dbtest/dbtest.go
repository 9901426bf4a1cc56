// Package dbtest gives each test its own migrated database on every engine
// under test: a SQLite file in the test's temp dir, and, when
// REBOUND_TEST_POSTGRES_URL is set, a fresh schema on that Postgres server.
// With REBOUND_TEST_REQUIRE_POSTGRES=1 a missing Postgres fails the test
// instead of skipping it.
package dbtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"testing"

	"github.com/rebound-returns/rebound/db"
)

// Engine is one database engine a test runs against.
type Engine struct {
	Name string
	// URL makes a new, empty database for t and returns its URL.
	URL func(t testing.TB) string
}

// Engines lists SQLite, plus Postgres when it is configured.
func Engines(t testing.TB) []Engine {
	engines := []Engine{{Name: "sqlite", URL: sqliteURL}}
	if base := os.Getenv("REBOUND_TEST_POSTGRES_URL"); base != "" {
		engines = append(engines, Engine{Name: "postgres", URL: func(t testing.TB) string { return postgresURL(t, base) }})
	} else if os.Getenv("REBOUND_TEST_REQUIRE_POSTGRES") == "1" {
		t.Fatal("REBOUND_TEST_REQUIRE_POSTGRES=1 but REBOUND_TEST_POSTGRES_URL is not set")
	}
	return engines
}

// Each runs fn as a subtest on every engine, with a freshly migrated DB.
func Each(t *testing.T, fn func(t *testing.T, d *db.DB)) {
	for _, e := range Engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			fn(t, Open(t, e))
		})
	}
}

// Open returns a migrated database of engine e that is closed (and, on
// Postgres, dropped) when t ends.
func Open(t testing.TB, e Engine) *db.DB {
	t.Helper()
	d, _ := OpenURL(t, e)
	return d
}

// OpenURL is Open that also answers the database's URL, for a process
// the test starts.
func OpenURL(t testing.TB, e Engine) (*db.DB, string) {
	t.Helper()
	url := e.URL(t)
	d, err := db.Open(url, db.DefaultPool, nil)
	if err != nil {
		t.Fatalf("open %s: %v", e.Name, err)
	}
	t.Cleanup(func() { _ = d.Close() })
	if _, err := db.Migrate(context.Background(), d, nil); err != nil {
		t.Fatalf("migrate %s: %v", e.Name, err)
	}
	return d, url
}

func sqliteURL(t testing.TB) string {
	return "sqlite:" + filepath.Join(t.TempDir(), "rebound.db")
}

// postgresURL creates a schema of its own for t and returns base with its
// search_path set to it. The schema is dropped when t ends.
func postgresURL(t testing.TB, base string) string {
	t.Helper()
	var b [6]byte
	_, _ = rand.Read(b[:])
	schema := "t_" + hex.EncodeToString(b[:])
	admin, err := db.Open(base, db.Pool{MaxOpen: 1, MaxIdle: 1}, nil)
	if err != nil {
		t.Fatalf("postgres: %v", err)
	}
	ctx := context.Background()
	if err := admin.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		_ = admin.Close()
		t.Fatalf("postgres: create schema (is REBOUND_TEST_POSTGRES_URL right?): %v", err)
	}
	t.Cleanup(func() {
		_ = admin.Exec(context.Background(), "DROP SCHEMA "+schema+" CASCADE")
		_ = admin.Close()
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("REBOUND_TEST_POSTGRES_URL: %v", err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

// LatestVersion is the newest migration embedded for engine e.
func LatestVersion(t testing.TB, e Engine) int64 {
	t.Helper()
	d, err := db.Open(e.URL(t), db.DefaultPool, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	m, err := db.NewMigrator(d, nil)
	if err != nil {
		t.Fatal(err)
	}
	return m.Latest()
}
