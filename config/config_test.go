package config_test

import (
	"errors"
	"log/slog"
	"path/filepath"
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
		c, err := config.Load(mode, env(production...))
		if err != nil || c.LogFormat != "json" {
			t.Errorf("%s: %+v, %v", mode, c, err)
		}
	}
}

var production = []string{
	"REBOUND_DATABASE_URL", "postgres://u:p@db:5432/rebound",
	"REBOUND_OTP_SECRET", "0123456789abcdef0123456789abcdef",
	"REBOUND_PUBLIC_URL", "https://returns.example.com",
	"REBOUND_SMTP_ADDR", "mail:25",
	"REBOUND_GATEWAY_URL", "https://gateway.example.com",
	"REBOUND_GATEWAY_API_KEY", "key",
	"REBOUND_ACQUIRER_ADDR", "acquirer:8583",
}

func TestEachCommandNamesWhatItCannotRunWithout(t *testing.T) {
	t.Parallel()
	tests := []struct {
		mode    config.Mode
		drop    string
		missing string
	}{
		{config.ModeAPI, "REBOUND_OTP_SECRET", "REBOUND_OTP_SECRET"},
		{config.ModeWorker, "REBOUND_SMTP_ADDR", "REBOUND_SMTP_ADDR"},
		{config.ModeWorker, "REBOUND_GATEWAY_URL", "REBOUND_GATEWAY_URL"},
		{config.ModeWorker, "REBOUND_PUBLIC_URL", "REBOUND_PUBLIC_URL"},
		{config.ModeWorker, "REBOUND_ACQUIRER_ADDR", "REBOUND_ACQUIRER_ADDR"},
	}
	for _, tc := range tests {
		var kv []string
		for i := 0; i < len(production); i += 2 {
			if production[i] != tc.drop {
				kv = append(kv, production[i], production[i+1])
			}
		}
		_, err := config.Load(tc.mode, env(kv...))
		var ce *config.Error
		if !errors.As(err, &ce) || ce.Var != tc.missing {
			t.Errorf("%s without %s: %v", tc.mode, tc.drop, err)
		}
	}
	short := append([]string{}, production...)
	short[3] = "too short"
	if _, err := config.Load(config.ModeAPI, env(short...)); err == nil || !strings.Contains(err.Error(), "at least 32") {
		t.Errorf("a short OTP secret: %v", err)
	}
	c, err := config.Load(config.ModeDev, env())
	if err != nil || c.OTPSecret == "" || c.CarrierSecret == "" || c.GatewayAPIKey == "" {
		t.Errorf("dev does not run out of the box: %+v, %v", c, err)
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
		{[]string{"REBOUND_PUBLIC_URL", "ftp://x"}, "REBOUND_PUBLIC_URL", "http"},
		{[]string{"REBOUND_GATEWAY_SETTLE_DELAY", "-1s"}, "REBOUND_GATEWAY_SETTLE_DELAY", "between"},
		{[]string{"REBOUND_TRUSTED_PROXIES", "10.0.0.0/8, proxy"}, "REBOUND_TRUSTED_PROXIES", "CIDR"},
		{[]string{"REBOUND_ACQUIRER_TLS", "maybe"}, "REBOUND_ACQUIRER_TLS", "true or false"},
		{[]string{"REBOUND_ACQUIRER_TIMEOUT", "50s"}, "REBOUND_CARD_SEND_TIMEOUT", "longer than"},
		{[]string{"REBOUND_SETTLEMENT_PICKUP", "daily at seven"}, "REBOUND_SETTLEMENT_PICKUP", "cron spec"},
		{[]string{"REBOUND_SETTLEMENT_PICKUP", "0 25 * * *"}, "REBOUND_SETTLEMENT_PICKUP", "cron spec"},
		{[]string{"REBOUND_SETTLEMENT_PICKUP", "CRON_TZ=Nowhere/Land 0 7 * * *"}, "REBOUND_SETTLEMENT_PICKUP", "cron spec"},
		{[]string{"REBOUND_HISTORY_KEYS", "k1:aHVudGVyMg=="}, "REBOUND_HISTORY_KEYS", "32 bytes"}, // "hunter2", too short
		{[]string{"REBOUND_HISTORY_KEYS", "hunter2"}, "REBOUND_HISTORY_KEYS", "id:base64"},
		{[]string{"REBOUND_GATEWAY_KEYS", "acme:hunter2"}, "REBOUND_GATEWAY_KEYS", "pair 1 must be account=key"},
		{[]string{"REBOUND_GATEWAY_KEYS", "acme=hunter2,shoes="}, "REBOUND_GATEWAY_KEYS", "pair 2 must be account=key"},
		{[]string{"REBOUND_GATEWAY_KEYS", "=hunter2"}, "REBOUND_GATEWAY_KEYS", "pair 1 must be account=key"},
		{[]string{"REBOUND_GATEWAY_KEYS", "acme=hunter2,acme=hunter3"}, "REBOUND_GATEWAY_KEYS", "pair 2 names an account a second time"},
		{[]string{"REBOUND_GATEWAY_KEYS", "../acme=hunter2"}, "REBOUND_GATEWAY_KEYS", "without spaces or slashes"},
		{[]string{"REBOUND_ACQUIRER_EXTERNAL", "maybe"}, "REBOUND_ACQUIRER_EXTERNAL", "true or false"},
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
		if strings.Contains(msg, "hunter2") || strings.Contains(msg, "aHVudGVyMg") {
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

func TestSettlementPickup(t *testing.T) {
	t.Parallel()
	c, err := config.Load(config.ModeDev, env("REBOUND_DATA_DIR", "/tmp/x"))
	if err != nil || c.SettlementDir != filepath.Join("/tmp/x", "settlements") || c.SettlementPickup != "0 7 * * *" {
		t.Fatalf("dev picks up under its data dir at 07:00: %q %q, %v", c.SettlementDir, c.SettlementPickup, err)
	}
	c, err = config.Load(config.ModeWorker, env(production...))
	if err != nil || c.SettlementDir != "" {
		t.Fatalf("production picks up nothing unless told: %q, %v", c.SettlementDir, err)
	}
	for _, spec := range []string{"30 6 * * 1-5", "@daily", "CRON_TZ=Europe/Stockholm 0 7 * * *"} {
		c, err = config.Load(config.ModeWorker, env(append([]string{"REBOUND_SETTLEMENT_DIR", "/srv/settlements", "REBOUND_SETTLEMENT_PICKUP", spec}, production...)...))
		if err != nil || c.SettlementDir != "/srv/settlements" || c.SettlementPickup != spec {
			t.Errorf("%q: %+v, %v", spec, c, err)
		}
	}
}

// Each merchant has its own gateway account and key; dev knows the demo's.
func TestGatewayKeysByAccount(t *testing.T) {
	t.Parallel()
	c, err := config.Load(config.ModeDev, env())
	if err != nil || len(c.GatewayKeys) != 1 || c.GatewayKeys["demo"] == "" || c.GatewayKeys["demo"] == c.GatewayAPIKey {
		t.Fatalf("dev knows the demo merchant's account and its own key: %v, %v", c.GatewayKeys, err)
	}
	c, err = config.Load(config.ModeWorker, env(production...))
	if err != nil || c.GatewayKeys != nil {
		t.Fatalf("production knows no account unless told: %v, %v", c.GatewayKeys, err)
	}
	c, err = config.Load(config.ModeWorker, env(append([]string{"REBOUND_GATEWAY_KEYS", " acme=sk_live_1, shoes = sk_live_2=x "}, production...)...))
	if err != nil || len(c.GatewayKeys) != 2 || c.GatewayKeys["acme"] != "sk_live_1" || c.GatewayKeys["shoes"] != "sk_live_2=x" {
		t.Fatalf("keys %v, %v", c.GatewayKeys, err)
	}
}

// `rebound dev` reaches an external acquirer only when told to.
func TestAcquirerExternal(t *testing.T) {
	t.Parallel()
	c, err := config.Load(config.ModeDev, env())
	if err != nil || c.AcquirerExternal || c.AcquirerAddr != "127.0.0.1:8583" {
		t.Fatalf("dev starts its simulator by default: %v %q, %v", c.AcquirerExternal, c.AcquirerAddr, err)
	}
	c, err = config.Load(config.ModeDev, env("REBOUND_ACQUIRER_EXTERNAL", "true", "REBOUND_ACQUIRER_ADDR", "acquirer.test:9583"))
	if err != nil || !c.AcquirerExternal || c.AcquirerAddr != "acquirer.test:9583" {
		t.Fatalf("external acquirer: %v %q, %v", c.AcquirerExternal, c.AcquirerAddr, err)
	}
}
