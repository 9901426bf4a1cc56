package cli

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/rebound-returns/rebound/config"
	"github.com/rebound-returns/rebound/db"
)

func migrateCommand() *command {
	return &command{
		name:    "migrate",
		summary: "apply the database migrations: `migrate` or `migrate up` applies all, `migrate down N` rolls back to version N, `migrate status` prints the version",
		mode:    config.ModeMigrate,
		flags:   []flagVar{{"database-url", "REBOUND_DATABASE_URL", "database URL"}},
		run:     runMigrate,
	}
}

func runMigrate(ctx context.Context, env *Env, args []string) error {
	log := newLogger(env)
	d, err := openDB(env.Config, log)
	if err != nil {
		return err
	}
	defer d.Close()
	m, err := db.NewMigrator(d, log)
	if err != nil {
		return err
	}
	action := "up"
	if len(args) > 0 {
		action = args[0]
	}
	var v int64
	switch {
	case action == "up" && len(args) <= 1:
		v, err = m.Up(ctx)
	case action == "down" && len(args) == 2:
		to, perr := strconv.ParseInt(args[1], 10, 64)
		if perr != nil || to < 0 {
			return fmt.Errorf("migrate down: version %q is not a whole number", args[1])
		}
		v, err = m.DownTo(ctx, to)
	case action == "status" && len(args) == 1:
		v, err = m.Version(ctx)
	default:
		return fmt.Errorf("usage: rebound migrate [up | down VERSION | status]")
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "database schema at version %d of %d (%s)\n", v, m.Latest(), d.Dialect())
	return nil
}

// healthcheckCommand probes a URL, for container health checks in images
// that have no curl.
func healthcheckCommand() *command {
	var target *string
	return &command{
		name:    "healthcheck",
		summary: "exit 0 when a URL answers 200 (for container health checks)",
		extra: func(fs *flag.FlagSet) {
			target = fs.String("url", "http://127.0.0.1:8080/readyz", "URL to probe")
		},
		run: func(ctx context.Context, env *Env, _ []string) error {
			return probe(ctx, *target)
		},
	}
}

func probe(ctx context.Context, target string) error {
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		return fmt.Errorf("%s answered %d: %s", target, resp.StatusCode, body)
	}
	return nil
}
