package db_test

import (
	"context"
	"net/url"
	"os"
	"testing"

	"github.com/rebound-returns/rebound/db"
)

// TLS to Postgres is asked for in the database URL (sslmode=require, or
// verify-full with sslrootcert to check the server's certificate); the
// connection then runs encrypted.
func TestPostgresOverTLS(t *testing.T) {
	raw := os.Getenv("REBOUND_TEST_POSTGRES_URL")
	if raw == "" {
		if os.Getenv("REBOUND_TEST_REQUIRE_POSTGRES") == "1" {
			t.Fatal("REBOUND_TEST_POSTGRES_URL is not set")
		}
		t.Skip("no Postgres (REBOUND_TEST_POSTGRES_URL)")
	}
	t.Parallel()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("sslmode", "require")
	u.RawQuery = q.Encode()
	d, err := db.Open(u.String(), db.DefaultPool, nil)
	if err != nil {
		t.Fatalf("open with sslmode=require: %v", err)
	}
	defer d.Close()
	var encrypted bool
	if err := d.Raw(context.Background(), "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()", &encrypted); err != nil {
		t.Fatal(err)
	}
	if !encrypted {
		t.Fatal("the connection is not encrypted")
	}
	// Without TLS, the same query says so: the check can tell.
	q.Set("sslmode", "disable")
	u.RawQuery = q.Encode()
	plain, err := db.Open(u.String(), db.DefaultPool, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer plain.Close()
	if err := plain.Raw(context.Background(), "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()", &encrypted); err != nil || encrypted {
		t.Fatalf("plain connection reported ssl=%v (%v)", encrypted, err)
	}
}
