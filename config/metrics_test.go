package config

import (
	"strings"
	"testing"
)

func TestMetricsTokenIsReadAndMustBeLongEnough(t *testing.T) {
	t.Parallel()
	env := func(kv map[string]string) func(string) (string, bool) {
		return func(k string) (string, bool) { v, ok := kv[k]; return v, ok }
	}
	c, err := Load(ModeDev, env(map[string]string{"REBOUND_METRICS_TOKEN": "a-long-enough-metrics-token"}))
	if err != nil || c.MetricsToken != "a-long-enough-metrics-token" {
		t.Fatalf("token: %q, %v", c.MetricsToken, err)
	}
	if _, err := Load(ModeDev, env(map[string]string{"REBOUND_METRICS_TOKEN": "short"})); err == nil || !strings.Contains(err.Error(), "REBOUND_METRICS_TOKEN") {
		t.Fatalf("a short token: %v", err)
	}
	if c, err := Load(ModeDev, env(nil)); err != nil || c.MetricsToken != "" {
		t.Fatalf("no token: %q, %v", c.MetricsToken, err)
	}
}
