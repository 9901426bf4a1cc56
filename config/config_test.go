package config_test

import (
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/rebound-returns/rebound/config"
)

func env(kv ...string) func(string) (string, bool) {
	m := map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

func TestDevDefaults(t *testing.T) {
	t.Parallel()
	c, err := config.Load(config.ModeDev, env())
	if err != nil {
		t.Fatal(err)
	}
	if c.LogFormat != "text" || c.LogLevel != slog.LevelInfo || c.HTTPAddr != ":8080" ||
		c.TemporalAddress != "127.0.0.1:7233" || c.TemporalNamespace != "default" ||
		c.DatabaseURL != "sqlite:.rebound/rebound.db" || c.ShutdownTimeout != 8*time.Second {
		t.Fatalf("dev defaults = %+v", c)
	}
	c, err = config.Load(config.ModeDev, env("REBOUND_DATA_DIR", "/tmp/x"))
	if err != nil || c.DatabaseURL != "sqlite:/tmp/x/rebound.db" {
		t.Fatalf("default database follows the data dir: %q, %v", c.DatabaseURL, err)
	}
}

func TestProductionModesNeedADatabaseAndLogJSON(t *testing.T) {
	t.Parallel()
	for _, mode := range []config.Mode{config.ModeAPI, config.ModeWorker, config.ModeMigrate} {
		_, err := config.Load(mode, env())
		var ce *config.Error
		if !errors.As(err, &ce) || ce.Var != "REBOUND_DATABASE_URL" {
			t.Errorf("%s without a database: err = %v", mode, err)
		}
		c, err := config.Load(mode, env("REBOUND_DATABASE_URL", "postgres://u:p@db:5432/rebound"))
		if err != nil || c.LogFormat != "json" {
			t.Errorf("%s: %+v, %v", mode, c, err)
		}
	}
}

func TestBadValuesNameTheVariable(t *testing.T) {
	t.Parallel()
	tests := []struct {
		kv      []string
		varName string
		problem string
	}{
		{[]string{"REBOUND_DATABASE_URL", "nonsense"}, "REBOUND_DATABASE_URL", "not a database URL"},
		{[]string{"REBOUND_DATABASE_URL", "postgres://admin:hunter2@db"}, "REBOUND_DATABASE_URL", "names no database"},
		{[]string{"REBOUND_LOG_LEVEL", "loud"}, "REBOUND_LOG_LEVEL", "debug, info, warn or error"},
		{[]string{"REBOUND_LOG_FORMAT", "xml"}, "REBOUND_LOG_FORMAT", "text, json"},
		{[]string{"REBOUND_HTTP_ADDR", "8080"}, "REBOUND_HTTP_ADDR", "host:port"},
		{[]string{"REBOUND_HTTP_ADDR", ":99999"}, "REBOUND_HTTP_ADDR", "0 to 65535"},
		{[]string{"REBOUND_SHUTDOWN_TIMEOUT", "30s"}, "REBOUND_SHUTDOWN_TIMEOUT", "between 1s and 10s"},
		{[]string{"REBOUND_HTTP_IDLE_TIMEOUT", "soon"}, "REBOUND_HTTP_IDLE_TIMEOUT", "duration"},
		{[]string{"REBOUND_DB_MAX_OPEN_CONNS", "-1"}, "REBOUND_DB_MAX_OPEN_CONNS", "whole number"},
		{[]string{"REBOUND_DB_MAX_OPEN_CONNS", "2", "REBOUND_DB_MAX_IDLE_CONNS", "5"}, "REBOUND_DB_MAX_IDLE_CONNS", "must not exceed"},
		{[]string{"REBOUND_TEMPORAL_ADDRESS", "temporal"}, "REBOUND_TEMPORAL_ADDRESS", "host:port"},
	}
	for _, tc := range tests {
		_, err := config.Load(config.ModeDev, env(tc.kv...))
		var ce *config.Error
		if !errors.As(err, &ce) || ce.Var != tc.varName || !strings.Contains(ce.Problem, tc.problem) {
			t.Errorf("%v: err = %v; want %s: …%s…", tc.kv, err, tc.varName, tc.problem)
			continue
		}
		msg := err.Error()
		if strings.Contains(msg, "\n") || !strings.HasPrefix(msg, tc.varName+": ") {
			t.Errorf("%v: message %q is not one line naming the variable", tc.kv, msg)
		}
		if strings.Contains(msg, "hunter2") {
			t.Errorf("%v: message echoes a password: %q", tc.kv, msg)
		}
	}
}

func TestEveryVariableIsDocumentedOnce(t *testing.T) {
	t.Parallel()
	seen := map[string]bool{}
	for _, v := range config.Vars {
		if !strings.HasPrefix(v.Name, "REBOUND_") || v.Doc == "" || seen[v.Name] {
			t.Errorf("bad or repeated entry %+v", v)
		}
		seen[v.Name] = true
	}
	// Load must read only documented variables.
	read := map[string]bool{}
	_, _ = config.Load(config.ModeDev, func(k string) (string, bool) { read[k] = true; return "", false })
	for k := range read {
		if !seen[k] {
			t.Errorf("Load reads %s, which config.Vars does not document", k)
		}
	}
	for k := range seen {
		if !read[k] {
			t.Errorf("config.Vars documents %s, which Load never reads", k)
		}
	}
}
