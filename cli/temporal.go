package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"time"

	"go.temporal.io/sdk/client"

	"github.com/rebound-returns/rebound/devstack"
	"github.com/rebound-returns/rebound/logging"
)

// temporalCommand runs the Temporal server of the production shape as its
// own process on PostgreSQL, built from the same server module `rebound dev`
// embeds, so that dev, the one-machine topology and docker-compose run one
// server version.
func temporalCommand() *command {
	o := &temporalOptions{}
	return &command{
		name: "temporal",
		summary: "a Temporal server on PostgreSQL: `temporal setup-schema` creates or updates its databases with the server's " +
			"own SQL tool; `temporal serve` runs it; `temporal health` exits 0 when a frontend serves",
		extra: o.flags,
		run: func(ctx context.Context, env *Env, args []string) error {
			if len(args) != 1 {
				return errors.New("usage: rebound temporal [flags] setup-schema|serve|health")
			}
			return o.run(ctx, env, args[0])
		},
	}
}

type temporalOptions struct {
	database, visibility, host, bind, address string
	port                                      int
	shards                                    int
	logFormat, logLevel                       string
	waitDB                                    time.Duration
}

func (o *temporalOptions) flags(fs *flag.FlagSet) {
	fs.StringVar(&o.database, "database", "postgres://postgres@127.0.0.1:5432/temporal?sslmode=disable",
		"the server's main store (its visibility store is another database on the same server)")
	fs.StringVar(&o.visibility, "visibility-database", "", "visibility database (default: the main one's name + _visibility)")
	fs.StringVar(&o.host, "host", "127.0.0.1", "address the services listen on and advertise")
	fs.StringVar(&o.bind, "bind", "", "address to listen on when it is not --host (0.0.0.0 in a container)")
	fs.IntVar(&o.port, "port", 7233, "frontend gRPC port (history +1, matching +2, worker +6, membership 300 below each)")
	fs.IntVar(&o.shards, "shards", 4, "history shards; fixed for the life of the store")
	fs.StringVar(&o.address, "address", "127.0.0.1:7233", "frontend the health action asks")
	fs.StringVar(&o.logFormat, "log-format", "json", "text or json")
	fs.StringVar(&o.logLevel, "log-level", "warn", "the server's log level: debug, info, warn or error")
	fs.DurationVar(&o.waitDB, "wait", time.Minute, "how long setup-schema waits for the database server to accept connections")
}

func (o *temporalOptions) run(ctx context.Context, env *Env, action string) error {
	var level slog.Level
	if err := level.UnmarshalText([]byte(o.logLevel)); err != nil {
		return fmt.Errorf("--log-level: %w", err)
	}
	log := logging.New(env.Stderr, o.logFormat, min(level, slog.LevelInfo))
	switch action {
	case "setup-schema":
		// The database server may still be starting (compose, the topology
		// script); the tool's own connection fails at once, so retry.
		deadline := time.Now().Add(o.waitDB)
		for {
			err := devstack.SetupPostgresSchema(o.database, o.visibility, log)
			if err == nil || time.Now().After(deadline) {
				return err
			}
			log.Warn("temporal schema: database not ready, retrying", "err", err)
			select {
			case <-ctx.Done():
				return err
			case <-time.After(2 * time.Second):
			}
		}
	case "serve":
		srv, err := devstack.StartPostgres(ctx, devstack.PostgresOptions{
			DatabaseURL: o.database, VisibilityDatabase: o.visibility, HistoryShards: int32(o.shards),
			Host: o.host, BindOnIP: o.bind, Port: o.port, Logger: log, LogLevel: level,
		})
		if err != nil {
			return err
		}
		log.Info("temporal server serving", "frontend", srv.HostPort(), "namespace", devstack.DefaultNamespace)
		<-ctx.Done()
		log.Info("temporal server stopping")
		return srv.Stop()
	case "health":
		ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		c, err := client.DialContext(ctx, client.Options{HostPort: o.address, Logger: sdkSilent{}})
		if err != nil {
			return err
		}
		defer c.Close()
		_, err = c.CheckHealth(ctx, &client.CheckHealthRequest{})
		return err
	}
	return fmt.Errorf("temporal: no %q: setup-schema, serve or health", action)
}

// sdkSilent drops the SDK's log lines: a health probe prints only its answer.
type sdkSilent struct{}

func (sdkSilent) Debug(string, ...any) {}
func (sdkSilent) Info(string, ...any)  {}
func (sdkSilent) Warn(string, ...any)  {}
func (sdkSilent) Error(string, ...any) {}
