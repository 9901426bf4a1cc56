// Package config reads Rebound's configuration from REBOUND_ environment
// variables, applies safe defaults and validates every value, so that a bad
// setting stops the program at start with one line naming the variable.
package config

import (
	"fmt"
	"log/slog"
	"net"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/rebound-returns/rebound/db"
)

// Mode is the subcommand being configured; defaults differ between them.
type Mode string

const (
	ModeDev     Mode = "dev"
	ModeAPI     Mode = "api"
	ModeWorker  Mode = "worker"
	ModeMigrate Mode = "migrate"
)

// Config is everything Rebound reads from its environment.
type Config struct {
	Mode Mode

	LogLevel  slog.Level
	LogFormat string // "text" or "json"

	HTTPAddr              string
	HTTPReadHeaderTimeout time.Duration
	HTTPIdleTimeout       time.Duration
	HTTPRequestTimeout    time.Duration
	ShutdownTimeout       time.Duration

	DatabaseURL       string
	DBMaxOpenConns    int
	DBMaxIdleConns    int
	DBConnMaxLifetime time.Duration

	TemporalAddress   string
	TemporalNamespace string
	TemporalLogLevel  slog.Level
	DataDir           string

	WorkerStopTimeout time.Duration
}

// Error names the variable whose value is wrong. Its message is one line and
// never repeats the value, which may hold a password.
type Error struct {
	Var     string
	Problem string
}

func (e *Error) Error() string { return e.Var + ": " + e.Problem }

// Load reads the configuration for mode through lookup (os.LookupEnv in
// production). It returns the first problem found, in the order of Vars.
func Load(mode Mode, lookup func(string) (string, bool)) (*Config, error) {
	r := reader{lookup: lookup}
	c := &Config{Mode: mode}

	c.LogLevel = r.level("REBOUND_LOG_LEVEL", slog.LevelInfo)
	defaultFormat := "json"
	if mode == ModeDev {
		defaultFormat = "text"
	}
	c.LogFormat = r.oneOf("REBOUND_LOG_FORMAT", defaultFormat, "text", "json")

	c.HTTPAddr = r.hostPort("REBOUND_HTTP_ADDR", ":8080")
	c.HTTPReadHeaderTimeout = r.duration("REBOUND_HTTP_READ_HEADER_TIMEOUT", 5*time.Second, time.Second, 5*time.Minute)
	c.HTTPIdleTimeout = r.duration("REBOUND_HTTP_IDLE_TIMEOUT", 120*time.Second, time.Second, time.Hour)
	c.HTTPRequestTimeout = r.duration("REBOUND_HTTP_REQUEST_TIMEOUT", 30*time.Second, time.Second, 10*time.Minute)
	c.ShutdownTimeout = r.duration("REBOUND_SHUTDOWN_TIMEOUT", 8*time.Second, time.Second, 10*time.Second)

	c.DataDir = r.str("REBOUND_DATA_DIR", ".rebound")
	defaultDB := ""
	if mode == ModeDev {
		defaultDB = "sqlite:" + filepath.ToSlash(filepath.Join(c.DataDir, "rebound.db"))
	}
	c.DatabaseURL = r.databaseURL("REBOUND_DATABASE_URL", defaultDB)
	c.DBMaxOpenConns = r.integer("REBOUND_DB_MAX_OPEN_CONNS", 20, 1, 1000)
	c.DBMaxIdleConns = r.integer("REBOUND_DB_MAX_IDLE_CONNS", 5, 0, 1000)
	c.DBConnMaxLifetime = r.duration("REBOUND_DB_CONN_MAX_LIFETIME", 30*time.Minute, time.Second, 24*time.Hour)

	c.TemporalAddress = r.hostPort("REBOUND_TEMPORAL_ADDRESS", "127.0.0.1:7233")
	c.TemporalNamespace = r.str("REBOUND_TEMPORAL_NAMESPACE", "default")
	c.TemporalLogLevel = r.level("REBOUND_TEMPORAL_LOG_LEVEL", slog.LevelWarn)
	c.WorkerStopTimeout = r.duration("REBOUND_WORKER_STOP_TIMEOUT", 5*time.Second, 0, 9*time.Second)

	if r.err != nil {
		return nil, r.err
	}
	if c.DBMaxIdleConns > c.DBMaxOpenConns {
		return nil, &Error{"REBOUND_DB_MAX_IDLE_CONNS", "must not exceed REBOUND_DB_MAX_OPEN_CONNS"}
	}
	return c, nil
}

// reader collects the first error so that Load reads as a list of fields.
type reader struct {
	lookup func(string) (string, bool)
	err    error
}

func (r *reader) raw(name string) (string, bool) {
	v, ok := r.lookup(name)
	v = strings.TrimSpace(v)
	return v, ok && v != ""
}

func (r *reader) fail(name, problem string) {
	if r.err == nil {
		r.err = &Error{Var: name, Problem: problem}
	}
}

func (r *reader) str(name, def string) string {
	if v, ok := r.raw(name); ok {
		return v
	}
	return def
}

func (r *reader) oneOf(name, def string, allowed ...string) string {
	v, ok := r.raw(name)
	if !ok {
		return def
	}
	for _, a := range allowed {
		if strings.EqualFold(v, a) {
			return a
		}
	}
	r.fail(name, "must be one of "+strings.Join(allowed, ", "))
	return def
}

func (r *reader) level(name string, def slog.Level) slog.Level {
	v, ok := r.raw(name)
	if !ok {
		return def
	}
	var l slog.Level
	if err := l.UnmarshalText([]byte(v)); err != nil {
		r.fail(name, "must be debug, info, warn or error")
		return def
	}
	return l
}

func (r *reader) integer(name string, def, lo, hi int) int {
	v, ok := r.raw(name)
	if !ok {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < lo || n > hi {
		r.fail(name, fmt.Sprintf("must be a whole number from %d to %d", lo, hi))
		return def
	}
	return n
}

func (r *reader) duration(name string, def, lo, hi time.Duration) time.Duration {
	v, ok := r.raw(name)
	if !ok {
		return def
	}
	d, err := time.ParseDuration(v)
	if err != nil {
		r.fail(name, "must be a duration such as 30s or 5m")
		return def
	}
	if d < lo || d > hi {
		r.fail(name, fmt.Sprintf("must be between %s and %s", lo, hi))
		return def
	}
	return d
}

func (r *reader) hostPort(name, def string) string {
	v, ok := r.raw(name)
	if !ok {
		return def
	}
	if err := CheckHostPort(v); err != nil {
		r.fail(name, err.Error())
		return def
	}
	return v
}

// CheckHostPort accepts host:port or :port with a port from 0 to 65535.
func CheckHostPort(v string) error {
	_, port, err := net.SplitHostPort(v)
	if err != nil {
		return fmt.Errorf("must be host:port or :port")
	}
	if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		return fmt.Errorf("port must be a number from 0 to 65535")
	}
	return nil
}

func (r *reader) databaseURL(name, def string) string {
	v, ok := r.raw(name)
	if !ok {
		if def == "" {
			r.fail(name, "is required: postgres://user:pass@host:5432/db or sqlite:path/to/file.db")
		}
		return def
	}
	if _, err := db.ParseURL(v); err != nil {
		r.fail(name, err.Error())
		return def
	}
	return v
}
