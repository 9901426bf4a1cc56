package config

import (
	"strings"
	"testing"
)

func TestDebugAddrIsOffByDefaultAndLoopbackUnlessAllowed(t *testing.T) {
	t.Parallel()
	env := func(kv map[string]string) func(string) (string, bool) {
		return func(k string) (string, bool) { v, ok := kv[k]; return v, ok }
	}
	for _, mode := range []Mode{ModeDev, ModeAPI} {
		c, err := Load(mode, env(map[string]string{"REBOUND_DATABASE_URL": "sqlite:x.db", "REBOUND_OTP_SECRET": strings.Repeat("s", 32)}))
		if err != nil || c.DebugAddr != "" || c.DebugAllowRemote {
			t.Fatalf("%s default: %q %v, %v", mode, c.DebugAddr, c.DebugAllowRemote, err)
		}
	}
	for _, addr := range []string{"127.0.0.1:6060", "localhost:6060", "[::1]:6060", "127.0.0.2:0"} {
		c, err := Load(ModeDev, env(map[string]string{"REBOUND_DEBUG_ADDR": addr}))
		if err != nil || c.DebugAddr != addr {
			t.Errorf("%s: %v", addr, err)
		}
	}
	for _, addr := range []string{":6060", "0.0.0.0:6060", "[::]:6060", "10.0.0.5:6060", "debug.internal:6060"} {
		_, err := Load(ModeDev, env(map[string]string{"REBOUND_DEBUG_ADDR": addr}))
		if err == nil || !strings.HasPrefix(err.Error(), "REBOUND_DEBUG_ADDR: must be a loopback address") {
			t.Errorf("%s: want refused, got %v", addr, err)
		}
		c, err := Load(ModeDev, env(map[string]string{"REBOUND_DEBUG_ADDR": addr, "REBOUND_DEBUG_ALLOW_REMOTE": "true"}))
		if err != nil || c.DebugAddr != addr || !c.DebugAllowRemote {
			t.Errorf("%s allowed: %v", addr, err)
		}
	}
	if _, err := Load(ModeDev, env(map[string]string{"REBOUND_DEBUG_ADDR": "6060"})); err == nil || !strings.Contains(err.Error(), "REBOUND_DEBUG_ADDR") {
		t.Errorf("no port: %v", err)
	}
}

func TestDBIdleConnsDefaultToThePoolSize(t *testing.T) {
	t.Parallel()
	env := func(kv map[string]string) func(string) (string, bool) {
		return func(k string) (string, bool) { v, ok := kv[k]; return v, ok }
	}
	c, err := Load(ModeDev, env(nil))
	if err != nil || c.DBMaxOpenConns != 20 || c.DBMaxIdleConns != 20 {
		t.Fatalf("defaults: open %d idle %d, %v", c.DBMaxOpenConns, c.DBMaxIdleConns, err)
	}
	c, err = Load(ModeDev, env(map[string]string{"REBOUND_DB_MAX_OPEN_CONNS": "40"}))
	if err != nil || c.DBMaxIdleConns != 40 {
		t.Fatalf("idle follows open: %d, %v", c.DBMaxIdleConns, err)
	}
	c, err = Load(ModeDev, env(map[string]string{"REBOUND_DB_MAX_OPEN_CONNS": "40", "REBOUND_DB_MAX_IDLE_CONNS": "4"}))
	if err != nil || c.DBMaxIdleConns != 4 {
		t.Fatalf("idle set: %d, %v", c.DBMaxIdleConns, err)
	}
}
