package workflows_test

import (
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"slices"
	"strings"
	"testing"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/client"
	sdklog "go.temporal.io/sdk/log"
	sdkworker "go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/rebound-returns/rebound/activities"
	"github.com/rebound-returns/rebound/worker"
)

// Histories recorded from real runs (e2e, REBOUND_RECORD_HISTORY) must
// replay against the current code: a change that breaks them needs
// workflow.GetVersion. The replayer gets the workflows worker.Register
// puts on the real worker, so a workflow added there is replayed too, and
// the test fails until a history of it is recorded.
func TestReplayRecordedHistories(t *testing.T) {
	files, err := filepath.Glob("testdata/*.json")
	if err != nil || len(files) == 0 {
		t.Fatalf("no recorded histories in testdata (%v)", err)
	}
	registered := (&replayRegistry{}).register().names
	if len(registered) == 0 {
		t.Fatal("worker.Register registers no workflow")
	}
	recorded := map[string][]string{} // workflow type → history files
	for _, f := range files {
		typ := workflowTypeOf(t, f)
		recorded[typ] = append(recorded[typ], filepath.Base(f))
		t.Run(filepath.Base(f), func(t *testing.T) {
			if !slices.Contains(registered, typ) {
				t.Fatalf("%s is a history of %s, which the worker no longer registers", f, typ)
			}
			r := (&replayRegistry{replayer: sdkworker.NewWorkflowReplayer()}).register().replayer
			if err := r.ReplayWorkflowHistoryFromJSONFile(sdklog.NewStructuredLogger(slog.New(slog.DiscardHandler)), f); err != nil {
				t.Fatalf("%s does not replay: %v", f, err)
			}
		})
	}
	for _, name := range registered {
		if len(recorded[name]) == 0 {
			t.Errorf("no recorded history of %s in testdata: record one from an e2e test that runs it (recordWorkflow, REBOUND_RECORD_HISTORY)", name)
		}
	}
	t.Logf("histories per workflow: %v", recorded)
}

// workflowTypeOf reads the workflow type from a history's first event.
func workflowTypeOf(t *testing.T, file string) string {
	t.Helper()
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	h, err := client.HistoryFromJSON(f, client.HistoryJSONOptions{})
	if err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	ev := h.GetEvents()
	if len(ev) == 0 || ev[0].GetWorkflowExecutionStartedEventAttributes() == nil {
		t.Fatalf("%s does not start with WorkflowExecutionStarted", file)
	}
	return ev[0].GetWorkflowExecutionStartedEventAttributes().GetWorkflowType().GetName()
}

// replayRegistry stands in for the worker in worker.Register: it passes
// the workflows on to its replayer (when it has one), keeps their type
// names and drops the activities, which a replay does not run. The nil
// Registry it embeds gives it the rest of the interface (Nexus services),
// which Register does not use.
type replayRegistry struct {
	sdkworker.Registry
	replayer sdkworker.WorkflowReplayer
	names    []string
}

func (r *replayRegistry) register() *replayRegistry {
	worker.Register(r, activities.Set{})
	return r
}

func (r *replayRegistry) RegisterWorkflow(w any) {
	r.RegisterWorkflowWithOptions(w, workflow.RegisterOptions{})
}

func (r *replayRegistry) RegisterWorkflowWithOptions(w any, o workflow.RegisterOptions) {
	name := o.Name
	if name == "" {
		// The SDK names a workflow function by its name without the package.
		name = runtime.FuncForPC(reflect.ValueOf(w).Pointer()).Name()
		name = strings.TrimSuffix(name[strings.LastIndex(name, ".")+1:], "-fm")
	}
	r.names = append(r.names, name)
	if r.replayer != nil {
		r.replayer.RegisterWorkflowWithOptions(w, o)
	}
}

func (r *replayRegistry) RegisterDynamicWorkflow(any, workflow.DynamicRegisterOptions) {
	panic("worker.Register registers a dynamic workflow: the replay test cannot tell which histories it needs")
}

func (r *replayRegistry) RegisterActivity(any)                                         {}
func (r *replayRegistry) RegisterActivityWithOptions(any, activity.RegisterOptions)    {}
func (r *replayRegistry) RegisterDynamicActivity(any, activity.DynamicRegisterOptions) {}
