package devstack

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"go.temporal.io/api/serviceerror"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/server/common/config"
	"go.temporal.io/server/common/log"
	pgplugin "go.temporal.io/server/common/persistence/sql/sqlplugin/postgresql"
	"go.temporal.io/server/tools/common/schema"
	sqltool "go.temporal.io/server/tools/sql"
	"google.golang.org/protobuf/types/known/durationpb"
)

// The production shape: a Temporal server as its own process, persisted in
// PostgreSQL (the server's postgres12 plugin), its schema created by the
// server module's own SQL tool code, the same code temporal-sql-tool runs.
// Nothing here is embedded in Rebound's api or worker: `rebound temporal`
// runs it.

// Schema names inside the server module's embedded schema assets.
const (
	postgresSchema           = "postgresql/v12/temporal"
	postgresVisibilitySchema = "postgresql/v12/visibility"
)

// PostgresOptions configure a Temporal server on PostgreSQL.
type PostgresOptions struct {
	// DatabaseURL names the server, user and database of the main store:
	// postgres://user[:password]@host:port/temporal?sslmode=disable.
	DatabaseURL string
	// VisibilityDatabase is the database of the visibility store on the
	// same server; default "<main database>_visibility".
	VisibilityDatabase string
	// HistoryShards is fixed for the life of the store; default 4.
	HistoryShards int32
	// Host and Port of the frontend; default 127.0.0.1:7233. The other
	// services listen on fixed ports next to it (history +1, matching +2,
	// worker +6; membership 300 below each), so that a restarted server
	// finds the cluster members it recorded where it left them.
	Host string
	Port int
	// BindOnIP is the address the services listen on when it is not Host:
	// 0.0.0.0 in a container, whose Host (what the services tell each
	// other) is then 127.0.0.1.
	BindOnIP string
	// Namespaces registered after start when missing; DefaultNamespace when
	// empty. Retention: NamespaceRetention (default 3 days).
	Namespaces         []string
	NamespaceRetention time.Duration
	Logger             *slog.Logger
	LogLevel           slog.Level
}

func (o *PostgresOptions) defaults() error {
	if o.Host == "" {
		o.Host = "127.0.0.1"
	}
	if o.Port == 0 {
		o.Port = 7233
	}
	if o.BindOnIP == "" {
		o.BindOnIP = o.Host
	}
	if o.Port < 400 || o.Port > 65535-6 {
		return fmt.Errorf("temporal: frontend port %d leaves no room for the other services", o.Port)
	}
	if o.HistoryShards == 0 {
		o.HistoryShards = 4
	}
	if len(o.Namespaces) == 0 {
		o.Namespaces = []string{DefaultNamespace}
	}
	if o.NamespaceRetention == 0 {
		o.NamespaceRetention = 72 * time.Hour
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return nil
}

// postgresStores describes the main and visibility stores of the URL.
func postgresStores(rawURL, visibilityDB string) (main, visibility *config.SQL, err error) {
	u, err := url.Parse(rawURL)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") || u.Host == "" {
		return nil, nil, errors.New("temporal: the database URL is not postgres://user@host:port/database")
	}
	name := strings.Trim(u.Path, "/")
	if name == "" {
		return nil, nil, errors.New("temporal: the database URL names no database")
	}
	host, port := u.Hostname(), u.Port()
	if port == "" {
		port = "5432"
	}
	pass, _ := u.User.Password()
	attrs := map[string]string{}
	for k, v := range u.Query() {
		if len(v) > 0 {
			attrs[k] = v[0]
		}
	}
	store := func(db string) *config.SQL {
		return &config.SQL{
			PluginName:        pgplugin.PluginName,
			ConnectProtocol:   "tcp",
			ConnectAddr:       net.JoinHostPort(host, port),
			User:              u.User.Username(),
			Password:          pass,
			DatabaseName:      db,
			ConnectAttributes: attrs,
			// The history service alone runs a transaction per task; the
			// pool is kept warm so that a busy server does not reconnect.
			MaxConns:        20,
			MaxIdleConns:    20,
			MaxConnLifetime: time.Hour,
		}
	}
	if visibilityDB == "" {
		visibilityDB = name + "_visibility"
	}
	return store(name), store(visibilityDB), nil
}

// SetupPostgresSchema creates the main and visibility databases when they
// are missing and brings their schemas to the versions this server module
// ships, as `temporal-sql-tool create-database`, `setup-schema -v 0.0` and
// `update-schema --schema-name postgresql/v12/...` do. Run again it changes
// nothing, and after a server upgrade it applies the new versions.
func SetupPostgresSchema(databaseURL, visibilityDB string, logger *slog.Logger) error {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	main, vis, err := postgresStores(databaseURL, visibilityDB)
	if err != nil {
		return err
	}
	tl := newServerLogger(logger, slog.LevelWarn, new(atomic.Bool))
	for _, s := range []struct {
		store  *config.SQL
		schema string
	}{{main, postgresSchema}, {vis, postgresVisibilitySchema}} {
		if err := setupOne(s.store, s.schema, tl); err != nil {
			return err
		}
		logger.Info("temporal schema ready", "database", s.store.DatabaseName, "schema", s.schema)
	}
	return nil
}

func setupOne(store *config.SQL, schemaName string, tl log.Logger) error {
	// create-database connects to the server's "postgres" database.
	admin := *store
	if err := sqltool.DoCreateDatabase(&admin, "postgres", tl); err != nil && !alreadyExists(err) {
		return fmt.Errorf("temporal: create database %s: %w", store.DatabaseName, err)
	}
	conn, err := sqltool.NewConnection(store, tl)
	if err != nil {
		return fmt.Errorf("temporal: connect to %s: %w", store.DatabaseName, err)
	}
	defer conn.Close()
	// Setting the initial version is skipped when the store is past it.
	if err := schema.NewSetupSchemaTask(conn, &schema.SetupConfig{InitialVersion: "0.0"}, tl).Run(); err != nil {
		return fmt.Errorf("temporal: set up schema versioning in %s: %w", store.DatabaseName, err)
	}
	if err := schema.NewUpdateSchemaTask(conn, &schema.UpdateConfig{SchemaName: schemaName}, tl).Run(); err != nil {
		return fmt.Errorf("temporal: update schema of %s: %w", store.DatabaseName, err)
	}
	return nil
}

// alreadyExists is Postgres' duplicate_database (42P04).
func alreadyExists(err error) bool {
	return strings.Contains(err.Error(), "42P04") || strings.Contains(err.Error(), "already exists")
}

// StartPostgres starts a Temporal server on a PostgreSQL store whose schema
// SetupPostgresSchema has created, registers the namespaces that are
// missing, and returns once the frontend answers.
func StartPostgres(ctx context.Context, opts PostgresOptions) (*Server, error) {
	if err := opts.defaults(); err != nil {
		return nil, err
	}
	main, vis, err := postgresStores(opts.DatabaseURL, opts.VisibilityDatabase)
	if err != nil {
		return nil, err
	}
	cfg := postgresConfig(opts, main, vis)
	quiet := new(atomic.Bool)
	srv, err := startServer(cfg, newServerLogger(opts.Logger, opts.LogLevel, quiet))
	if err != nil {
		return nil, err
	}
	s := &Server{srv: srv, quiet: quiet, hostPort: net.JoinHostPort(opts.Host, strconv.Itoa(opts.Port))}
	if err := waitListening(ctx, s.hostPort); err != nil {
		_ = s.Stop()
		return nil, err
	}
	if err := registerNamespaces(ctx, s.hostPort, opts.Namespaces, opts.NamespaceRetention, opts.Logger); err != nil {
		_ = s.Stop()
		return nil, err
	}
	return s, nil
}

func postgresConfig(opts PostgresOptions, main, vis *config.SQL) *config.Config {
	frontend := net.JoinHostPort(opts.Host, strconv.Itoa(opts.Port))
	services := map[string]config.Service{}
	for name, offset := range map[string]int{"frontend": 0, "history": 1, "matching": 2, "worker": 6} {
		services[name] = config.Service{RPC: config.RPC{
			GRPCPort: opts.Port + offset, MembershipPort: opts.Port - 300 + offset, BindOnIP: opts.BindOnIP,
		}}
	}
	return clusterConfig(opts.Host, frontend, services, config.Persistence{
		DefaultStore:     "default",
		VisibilityStore:  "visibility",
		NumHistoryShards: opts.HistoryShards,
		DataStores: map[string]config.DataStore{
			"default":    {SQL: main},
			"visibility": {SQL: vis},
		},
	})
}

// registerNamespaces registers each namespace that is missing. Right after
// start the frontend may still answer Unavailable while its services find
// each other, so registration is retried for a while.
func registerNamespaces(ctx context.Context, hostPort string, names []string, retention time.Duration, logger *slog.Logger) error {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	nc, err := client.NewNamespaceClient(client.Options{HostPort: hostPort, Logger: sdkQuiet{}})
	if err != nil {
		return fmt.Errorf("temporal: namespace client: %w", err)
	}
	defer nc.Close()
	for _, name := range names {
		for {
			err := nc.Register(ctx, &workflowservice.RegisterNamespaceRequest{
				Namespace:                        name,
				WorkflowExecutionRetentionPeriod: durationpb.New(retention),
			})
			var exists *serviceerror.NamespaceAlreadyExists
			if err == nil || errors.As(err, &exists) {
				if err == nil {
					logger.Info("temporal namespace registered", "namespace", name)
				}
				break
			}
			select {
			case <-ctx.Done():
				return fmt.Errorf("temporal: register namespace %s: %w", name, err)
			case <-time.After(time.Second):
			}
		}
	}
	return nil
}

// sdkQuiet drops the SDK client's own log lines (its retries while the
// frontend warms up).
type sdkQuiet struct{}

func (sdkQuiet) Debug(string, ...any) {}
func (sdkQuiet) Info(string, ...any)  {}
func (sdkQuiet) Warn(string, ...any)  {}
func (sdkQuiet) Error(string, ...any) {}
