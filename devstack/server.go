// Package devstack runs a Temporal server inside the Rebound process: for
// `rebound dev`, persisted in a SQLite file so that workflows survive a
// restart, and for tests, in memory with one server per test package. It is
// the only non-test package that imports go.temporal.io/server.
package devstack

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"go.temporal.io/server/common/cluster"
	"go.temporal.io/server/common/config"
	"go.temporal.io/server/common/dynamicconfig"
	"go.temporal.io/server/common/log"
	"go.temporal.io/server/common/metrics"
	sqliteplugin "go.temporal.io/server/common/persistence/sql/sqlplugin/sqlite"
	"go.temporal.io/server/schema/sqlite"
	"go.temporal.io/server/temporal"
)

// DefaultNamespace is the namespace created before the server starts.
const DefaultNamespace = "default"

// Options configure an embedded server.
type Options struct {
	// DataDir holds the SQLite file of the server's state. Empty means an
	// in-memory store that is gone when the server stops (tests).
	DataDir string
	// Host is the address the frontend listens on; default 127.0.0.1.
	Host string
	// Port of the frontend gRPC service; 0 picks a free port. The server's
	// internal services (history, matching, worker) always take free ports.
	Port int
	// Namespaces to create before start; DefaultNamespace when empty.
	Namespaces []string
	// Logger receives the server's own log lines at LogLevel and above.
	Logger   *slog.Logger
	LogLevel slog.Level
}

// Server is a running embedded Temporal server.
type Server struct {
	srv      temporal.Server
	quiet    *atomic.Bool
	hostPort string
	dbFile   string
}

// HostPort is the frontend address clients dial.
func (s *Server) HostPort() string { return s.hostPort }

// DatabaseFile is the SQLite file holding the server's state ("" in memory).
func (s *Server) DatabaseFile() string { return s.dbFile }

// Start creates the schema and namespaces when they are missing and starts
// the server. It returns once the frontend accepts connections.
func Start(ctx context.Context, opts Options) (*Server, error) {
	if opts.Host == "" {
		opts.Host = "127.0.0.1"
	}
	if len(opts.Namespaces) == 0 {
		opts.Namespaces = []string{DefaultNamespace}
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	frontendPort := opts.Port
	if frontendPort == 0 {
		p, err := freePort(opts.Host)
		if err != nil {
			return nil, err
		}
		frontendPort = p
	}
	store, dbFile, err := sqliteStore(opts.DataDir)
	if err != nil {
		return nil, err
	}
	cfg, err := serverConfig(opts.Host, frontendPort, store)
	if err != nil {
		return nil, err
	}
	if dbFile != "" {
		if _, statErr := os.Stat(dbFile); errors.Is(statErr, os.ErrNotExist) {
			if err := sqlite.SetupSchema(store); err != nil {
				return nil, fmt.Errorf("temporal: set up schema in %s: %w", dbFile, err)
			}
		}
	}
	var namespaces []*sqlite.NamespaceConfig
	for _, ns := range opts.Namespaces {
		nc, err := sqlite.NewNamespaceConfig(cfg.ClusterMetadata.CurrentClusterName, ns, false, nil)
		if err != nil {
			return nil, fmt.Errorf("temporal: namespace %s: %w", ns, err)
		}
		namespaces = append(namespaces, nc)
	}
	if err := sqlite.CreateNamespaces(store, namespaces...); err != nil {
		return nil, fmt.Errorf("temporal: create namespaces: %w", err)
	}
	if dbFile != "" {
		if err := forgetMembers(ctx, dbFile); err != nil {
			return nil, err
		}
	}

	quiet := new(atomic.Bool)
	// A free port can still be taken by another process between the check
	// and the server's bind: the server then panics, and a new set of ports
	// is tried (the frontend's too unless it was asked for).
	var srv temporal.Server
	for try := 1; ; try++ {
		srv, err = startServer(cfg, newServerLogger(opts.Logger, opts.LogLevel, quiet))
		if err == nil {
			break
		}
		if !errors.Is(err, errPortTaken) || try == startTries {
			return nil, err
		}
		opts.Logger.Warn("temporal: a port was taken as the server started; trying other ports", "try", try)
		if opts.Port == 0 {
			if frontendPort, err = freePort(opts.Host); err != nil {
				return nil, err
			}
		}
		if cfg, err = serverConfig(opts.Host, frontendPort, store); err != nil {
			return nil, err
		}
	}
	s := &Server{srv: srv, quiet: quiet, hostPort: net.JoinHostPort(opts.Host, strconv.Itoa(frontendPort)), dbFile: dbFile}
	if err := waitListening(ctx, s.hostPort); err != nil {
		_ = srv.Stop()
		return nil, err
	}
	return s, nil
}

// Stop shuts the server down, without the noise its services make about
// each other going away.
func (s *Server) Stop() error {
	s.quiet.Store(true)
	return s.srv.Stop()
}

// sqliteStore describes the server's SQLite store: a WAL file under dataDir,
// or a private in-memory database when dataDir is empty.
func sqliteStore(dataDir string) (*config.SQL, string, error) {
	store := &config.SQL{PluginName: sqliteplugin.PluginName, ConnectAttributes: map[string]string{}}
	if dataDir == "" {
		store.ConnectAttributes["mode"] = "memory"
		store.ConnectAttributes["cache"] = "shared"
		store.DatabaseName = "rebound-" + strconv.FormatUint(rand.Uint64(), 36)
		return store, "", nil
	}
	if err := os.MkdirAll(dataDir, 0o750); err != nil {
		return nil, "", fmt.Errorf("temporal: data dir: %w", err)
	}
	dbFile := filepath.Join(dataDir, "temporal.db")
	store.DatabaseName = dbFile
	store.ConnectAttributes["mode"] = "rwc"
	store.ConnectAttributes["journal_mode"] = "wal"
	store.ConnectAttributes["synchronous"] = "normal"
	store.ConnectAttributes["busy_timeout"] = "10000"
	// One connection: with several, SQLite answers the server's concurrent
	// read-then-write transactions with SQLITE_BUSY_SNAPSHOT, which no busy
	// timeout can wait out.
	store.MaxConns = 1
	store.MaxIdleConns = 1
	return store, dbFile, nil
}

func serverConfig(host string, frontendPort int, store *config.SQL) (*config.Config, error) {
	frontend := net.JoinHostPort(host, strconv.Itoa(frontendPort))
	services := map[string]config.Service{}
	for _, name := range []string{"frontend", "history", "matching", "worker"} {
		grpcPort := frontendPort
		if name != "frontend" {
			p, err := freePort(host)
			if err != nil {
				return nil, err
			}
			grpcPort = p
		}
		membershipPort, err := freePort(host)
		if err != nil {
			return nil, err
		}
		services[name] = config.Service{RPC: config.RPC{GRPCPort: grpcPort, MembershipPort: membershipPort, BindOnIP: host}}
	}
	return clusterConfig(host, frontend, services, config.Persistence{
		DefaultStore:     sqliteplugin.PluginName,
		VisibilityStore:  sqliteplugin.PluginName,
		NumHistoryShards: 1,
		DataStores:       map[string]config.DataStore{sqliteplugin.PluginName: {SQL: store}},
	}), nil
}

// clusterConfig is a one-cluster server's configuration, the same for the
// embedded server and the one on Postgres but for its stores and ports:
// no archival, no cross-cluster redirection.
func clusterConfig(host, frontend string, services map[string]config.Service, stores config.Persistence) *config.Config {
	const clusterName = "active"
	return &config.Config{
		Global: config.Global{
			Membership: config.Membership{MaxJoinDuration: 30 * time.Second, BroadcastAddress: host},
		},
		Persistence: stores,
		ClusterMetadata: &cluster.Config{
			FailoverVersionIncrement: 10,
			MasterClusterName:        clusterName,
			CurrentClusterName:       clusterName,
			ClusterInformation: map[string]cluster.ClusterInformation{
				clusterName: {Enabled: true, InitialFailoverVersion: 1, RPCAddress: frontend},
			},
		},
		DCRedirectionPolicy: config.DCRedirectionPolicy{Policy: "noop"},
		Services:            services,
		Archival: config.Archival{
			History:    config.HistoryArchival{State: "disabled"},
			Visibility: config.VisibilityArchival{State: "disabled"},
		},
		NamespaceDefaults: config.NamespaceDefaults{Archival: config.ArchivalNamespaceDefaults{
			History:    config.HistoryArchivalNamespaceDefaults{State: "disabled"},
			Visibility: config.VisibilityArchivalNamespaceDefaults{State: "disabled"},
		}},
		PublicClient: config.PublicClient{HostPort: frontend},
	}
}

// startTries is how many sets of ports Start tries.
const startTries = 3

// errPortTaken is a port the server was to listen on taken by then.
var errPortTaken = errors.New("temporal: a port the server was to listen on was taken")

// startServer creates and starts a server. The server reports a port it
// cannot bind through its logger's Fatal, which panics; that panic is
// turned into errPortTaken.
func startServer(cfg *config.Config, logger log.Logger) (srv temporal.Server, err error) {
	defer func() {
		if r := recover(); r != nil {
			if msg, ok := r.(string); ok && strings.Contains(msg, "listener") {
				err = fmt.Errorf("%w (%s)", errPortTaken, msg)
				return
			}
			panic(r)
		}
	}()
	srv, err = temporal.NewServer(
		temporal.WithConfig(cfg),
		temporal.ForServices(temporal.DefaultServices),
		temporal.WithLogger(logger),
		temporal.WithCustomMetricsHandler(metrics.NoopMetricsHandler),
		temporal.WithDynamicConfigClient(dynamicconfig.StaticClient{
			// Tests register search attributes and read them back at once.
			dynamicconfig.ForceSearchAttributesCacheRefreshOnRead.Key(): []dynamicconfig.ConstrainedValue{{Value: true}},
		}),
	)
	if err != nil {
		return nil, fmt.Errorf("temporal: new server: %w", err)
	}
	if err := srv.Start(); err != nil {
		return nil, fmt.Errorf("temporal: start: %w", err)
	}
	return srv, nil
}

// Ports are picked below the kernel's ephemeral range (32768 and up on
// Linux, 49152 and up elsewhere): a port from that range, free when checked,
// is soon the local end of some outgoing connection of this process or
// another, and the server's bind then fails.
const (
	portLow  = 20000
	portHigh = 32000
)

// freePort picks a port that is free now on host.
func freePort(host string) (int, error) {
	for range 100 {
		p := portLow + rand.IntN(portHigh-portLow)
		l, err := net.Listen("tcp", net.JoinHostPort(host, strconv.Itoa(p)))
		if err != nil {
			continue
		}
		l.Close()
		return p, nil
	}
	l, err := net.Listen("tcp", net.JoinHostPort(host, "0"))
	if err != nil {
		return 0, fmt.Errorf("temporal: find a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func waitListening(ctx context.Context, hostPort string) error {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	var d net.Dialer
	for {
		c, err := d.DialContext(ctx, "tcp", hostPort)
		if err == nil {
			return c.Close()
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("temporal: frontend %s not listening: %w", hostPort, err)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// forgetMembers deletes the cluster members a previous run recorded. Its
// services listened on other ports, and a new server would otherwise spend
// half a minute trying to reach them before it serves ("Not enough hosts").
// The file belongs to this one process, so nobody else is a member.
func forgetMembers(ctx context.Context, dbFile string) error {
	conn, err := sql.Open("sqlite", "file:"+dbFile+"?_pragma=busy_timeout(10000)")
	if err != nil {
		return fmt.Errorf("temporal: open %s: %w", dbFile, err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, "DELETE FROM cluster_membership"); err != nil {
		return fmt.Errorf("temporal: forget previous cluster members: %w", err)
	}
	return nil
}
