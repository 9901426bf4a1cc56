package cli_test

import (
	"bytes"
	"context"
	"database/sql"
	"io"
	"math/rand/v2"
	"net"
	"net/url"
	"os"
	"strconv"
	"strings"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib"

	"github.com/rebound-returns/rebound/cli"
	"github.com/rebound-returns/rebound/devstack"
)

func TestTemporalCommandRefusesUnknownActions(t *testing.T) {
	t.Parallel()
	var stdout, stderr bytes.Buffer
	if code := cli.Main([]string{"temporal", "--help"}, &stdout, &stderr, lookup(nil)); code != 0 || !strings.Contains(stdout.String(), "-database string") {
		t.Errorf("temporal --help: exit %d, %q", code, stdout.String())
	}
	for _, args := range [][]string{{"temporal"}, {"temporal", "sideways"}, {"temporal", "serve", "extra"}} {
		stderr.Reset()
		if code := cli.Main(args, io.Discard, &stderr, lookup(nil)); code != 1 || !strings.Contains(stderr.String(), "setup-schema") {
			t.Errorf("%v: exit %d, %q", args, code, stderr.String())
		}
	}
}

// The production Temporal server on Postgres: its schema made by the server
// module's SQL tool, twice (the second run changes nothing), then the server
// serving the default namespace. Needs REBOUND_TEST_POSTGRES_URL (its server,
// not its database, is used).
func TestTemporalOnPostgresSetsUpTwiceAndServes(t *testing.T) {
	base := os.Getenv("REBOUND_TEST_POSTGRES_URL")
	if base == "" {
		t.Skip("REBOUND_TEST_POSTGRES_URL is not set")
	}
	t.Parallel()
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	name := "temporal_cli_" + strconv.FormatUint(rand.Uint64(), 36)
	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatal(err)
	}
	// A cleanup, not a defer: it runs after the server has stopped.
	t.Cleanup(func() {
		for _, db := range []string{name, name + "_visibility"} {
			if _, err := admin.Exec(`DROP DATABASE IF EXISTS "` + db + `" WITH (FORCE)`); err != nil {
				t.Errorf("drop %s: %v", db, err)
			}
		}
		admin.Close()
	})
	u.Path = "/" + name
	dbURL := u.String()
	for try := 1; try <= 2; try++ {
		var stderr bytes.Buffer
		if code := cli.Main([]string{"temporal", "--database", dbURL, "--log-format", "text", "setup-schema"}, io.Discard, &stderr, lookup(nil)); code != 0 {
			t.Fatalf("setup-schema, run %d: exit %d: %s", try, code, stderr.String())
		}
		if !strings.Contains(stderr.String(), name+"_visibility") {
			t.Errorf("setup-schema, run %d, names no visibility database: %s", try, stderr.String())
		}
	}
	var version string
	conn, err := sql.Open("pgx", dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if err := conn.QueryRow(`SELECT curr_version FROM schema_version`).Scan(&version); err != nil || version == "" || version == "0.0" {
		t.Fatalf("schema version %q: %v", version, err)
	}

	port := portBlock(t)
	srv, err := devstack.StartPostgres(context.Background(), devstack.PostgresOptions{DatabaseURL: dbURL, Port: port})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Stop()
	var stderr bytes.Buffer
	if code := cli.Main([]string{"temporal", "--address", srv.HostPort(), "health"}, io.Discard, &stderr, lookup(nil)); code != 0 {
		t.Errorf("health of %s: exit %d: %s", srv.HostPort(), code, stderr.String())
	}
}

// portBlock finds a frontend port whose neighbours (history +1, matching +2,
// worker +6, membership 300 below each) are free too.
func portBlock(t *testing.T) int {
	t.Helper()
	for range 50 {
		p := 21000 + rand.IntN(9000)
		free := true
		for _, q := range []int{p, p + 1, p + 2, p + 6, p - 300, p - 299, p - 298, p - 294} {
			l, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(q))
			if err != nil {
				free = false
				break
			}
			l.Close()
		}
		if free {
			return p
		}
	}
	t.Fatal("no free block of ports")
	return 0
}
