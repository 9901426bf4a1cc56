package debugserver_test

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/rebound-returns/rebound/debugserver"
)

func TestDebugServerServesProfilesAndMetrics(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	addr, err := debugserver.Start(ctx, "127.0.0.1:0", nil, debugserver.Source{Name: "db", Read: func() any {
		return map[string]int{"OpenConnections": 3}
	}})
	if err != nil {
		t.Fatal(err)
	}
	get := func(path string) (int, string) {
		t.Helper()
		res, err := http.Get("http://" + addr + path)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(b)
	}

	if code, body := get("/debug/pprof/"); code != 200 || !strings.Contains(body, "goroutine") {
		t.Fatalf("pprof index: %d %.200s", code, body)
	}
	if code, body := get("/debug/pprof/goroutine?debug=1"); code != 200 || !strings.Contains(body, "goroutine profile") {
		t.Fatalf("goroutine profile: %d %.200s", code, body)
	}
	if code, _ := get("/debug/pprof/heap"); code != 200 {
		t.Fatalf("heap profile: %d", code)
	}
	if code, body := get("/debug/pprof/cmdline"); code != 404 {
		t.Fatalf("the command line, which may hold a password, is served: %d %.200s", code, body)
	}
	code, body := get("/debug/metrics")
	if code != 200 {
		t.Fatalf("metrics: %d %s", code, body)
	}
	var m struct {
		Runtime map[string]json.RawMessage `json:"runtime"`
		DB      map[string]int             `json:"db"`
	}
	if err := json.Unmarshal([]byte(body), &m); err != nil {
		t.Fatalf("metrics are not JSON: %v", err)
	}
	if string(m.Runtime["/sched/goroutines:goroutines"]) == "" || m.DB["OpenConnections"] != 3 {
		t.Fatalf("metrics: goroutines %s, db %v", m.Runtime["/sched/goroutines:goroutines"], m.DB)
	}
	var pauses debugserver.Histogram
	if err := json.Unmarshal(m.Runtime["/sched/pauses/total/gc:seconds"], &pauses); err != nil {
		t.Fatalf("gc pauses histogram: %v", err)
	}

	// The server stops with its context.
	cancel()
	deadline := time.Now().Add(3 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
		if err != nil {
			break
		}
		_ = c.Close()
		if time.Now().After(deadline) {
			t.Fatal("debug server still listening after its context ended")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestDebugServerOffWithoutAddressAndFailsWhenPortTaken(t *testing.T) {
	if addr, err := debugserver.Start(context.Background(), "", nil); addr != "" || err != nil {
		t.Fatalf("no address: %q, %v", addr, err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if _, err := debugserver.Start(context.Background(), l.Addr().String(), nil); err == nil || !strings.Contains(err.Error(), "REBOUND_DEBUG_ADDR") {
		t.Fatalf("taken port: %v", err)
	}
}
