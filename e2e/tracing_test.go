package e2e_test

import (
	"context"
	"encoding/hex"
	"io"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	"google.golang.org/protobuf/proto"

	"github.com/rebound-returns/rebound/tracing"
)

// collector is an OTLP/HTTP trace receiver in the test process.
type collector struct {
	mu    sync.Mutex
	spans []span
}

type span struct {
	trace, id, parent, name, service string
}

func (c *collector) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	var req coltracepb.ExportTraceServiceRequest
	if err != nil || r.URL.Path != "/v1/traces" || proto.Unmarshal(body, &req) != nil {
		http.Error(w, "bad export", http.StatusBadRequest)
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, rs := range req.GetResourceSpans() {
		service := ""
		for _, a := range rs.GetResource().GetAttributes() {
			if a.GetKey() == "service.name" {
				service = a.GetValue().GetStringValue()
			}
		}
		for _, ss := range rs.GetScopeSpans() {
			for _, sp := range ss.GetSpans() {
				c.spans = append(c.spans, span{trace: hex.EncodeToString(sp.GetTraceId()), id: hex.EncodeToString(sp.GetSpanId()),
					parent: hex.EncodeToString(sp.GetParentSpanId()), name: sp.GetName(), service: service})
			}
		}
	}
	w.Header().Set("Content-Type", "application/x-protobuf")
	_, _ = w.Write(nil)
}

// trace answers the spans of the trace holding a span named name.
func (c *collector) traceOf(name string) []span {
	c.mu.Lock()
	defer c.mu.Unlock()
	id := ""
	for _, s := range c.spans {
		if s.name == name {
			id = s.trace
		}
	}
	var out []span
	for _, s := range c.spans {
		if s.trace == id && id != "" {
			out = append(out, s)
		}
	}
	return out
}

func TestOneTraceSpansTheAPICallTheWorkflowTaskAndTheActivities(t *testing.T) {
	col := &collector{}
	srv := httptest.NewServer(col)
	defer srv.Close()
	tr, err := tracing.New(context.Background(), srv.URL, "rebound-e2e")
	if err != nil {
		t.Fatal(err)
	}
	s := newStackOpts(t, lastEngine(t), stackOptions{tracing: tr})

	s.must(s.call("POST", "/v1/orders", order("T-1", "online"), "X-API-Key", demoAPIKey), 201)
	id := s.must(s.call("POST", "/v1/returns", map[string]any{
		"merchant": "demo", "order_number": "T-1", "contact": "pat@example.com", "method": "ship",
		"lines": []map[string]any{{"line_id": "L1", "quantity": 1, "reason": "too_small"}},
	}), 201).json()["id"].(string)
	token := s.must(s.call("POST", "/v1/returns/"+id+"/verify", map[string]string{"code": s.code("pat@example.com")}), 200).json()["token"].(string)
	// The workflow's own span ends with the workflow: the shopper cancels.
	s.must(s.call("POST", "/v1/returns/"+id+"/cancel", map[string]string{"reason": "changed my mind"}, bearer(token)...), 200)

	want := []string{"POST /v1/returns", "StartWorkflow:ReturnWorkflow", "RunWorkflow:ReturnWorkflow",
		"StartActivity:SendCode", "RunActivity:SendCode"}
	var got []span
	deadline := time.Now().Add(30 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		_ = tr.Flush(ctx)
		cancel()
		got = col.traceOf("POST /v1/returns")
		names := map[string]bool{}
		for _, sp := range got {
			names[sp.name] = true
		}
		missing := 0
		for _, w := range want {
			if !names[w] {
				missing++
			}
		}
		if missing == 0 {
			break
		}
		if time.Now().After(deadline) {
			var ns []string
			for n := range names {
				ns = append(ns, n)
			}
			sort.Strings(ns)
			t.Fatalf("the return's trace holds %v; want every one of %v", ns, want)
		}
		time.Sleep(200 * time.Millisecond)
	}
	// One trace, one tree: every span but the API call's has its parent in it.
	ids := map[string]bool{}
	for _, sp := range got {
		ids[sp.id] = true
	}
	for _, sp := range got {
		if sp.name == "POST /v1/returns" {
			if sp.parent != "" && sp.parent != strings.Repeat("0", 16) {
				t.Errorf("the API span has a parent %s", sp.parent)
			}
			continue
		}
		if !ids[sp.parent] {
			t.Errorf("span %s hangs off %s, outside the trace", sp.name, sp.parent)
		}
	}
	// The verification is a trace of its own, from its API call through
	// the workflow's update to the activity that records the step.
	verify := col.traceOf("POST /v1/returns/:id/verify")
	vnames := map[string]bool{}
	for _, sp := range verify {
		vnames[sp.name] = true
	}
	if !vnames["RunActivity:RecordTransition"] || !vnames["HandleUpdate:verify"] {
		t.Errorf("the verification's trace: %v", vnames)
	}
	// The log lines written while handling it carry its trace id.
	if !strings.Contains(s.logs.String(), `"trace_id":"`+got[0].trace+`"`) {
		t.Errorf("no log line carries trace %s", got[0].trace)
	}
}
