package workflows_test

import (
	"path/filepath"
	"testing"

	sdklog "go.temporal.io/sdk/log"
	"go.temporal.io/sdk/worker"

	"log/slog"

	"github.com/rebound-returns/rebound/workflows"
)

// Histories recorded from real runs (e2e, REBOUND_RECORD_HISTORY) must
// replay against the current code: a change that breaks them needs
// workflow.GetVersion.
func TestReplayRecordedHistories(t *testing.T) {
	files, err := filepath.Glob("testdata/*.json")
	if err != nil || len(files) == 0 {
		t.Fatalf("no recorded histories in testdata (%v)", err)
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			r := worker.NewWorkflowReplayer()
			r.RegisterWorkflow(workflows.ReturnWorkflow)
			r.RegisterWorkflow(workflows.RefundWorkflow)
			if err := r.ReplayWorkflowHistoryFromJSONFile(sdklog.NewStructuredLogger(slog.New(slog.DiscardHandler)), f); err != nil {
				t.Fatalf("%s does not replay: %v", f, err)
			}
		})
	}
}
