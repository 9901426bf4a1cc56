package e2e_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"go.temporal.io/api/history/v1"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/rebound-returns/rebound/workflows"
)

// recordHistory writes a return's history as name.json into the directory
// REBOUND_RECORD_HISTORY names (the workflows package's testdata), so that
// its replay test guards later changes to the workflow.
func recordHistory(t *testing.T, s *stack, returnID, name string) {
	recordWorkflow(t, s, workflows.ReturnWorkflowID(returnID), name)
}

// recordWorkflow writes one workflow's history as name.json.
func recordWorkflow(t *testing.T, s *stack, workflowID, name string) {
	dir := os.Getenv("REBOUND_RECORD_HISTORY")
	if dir == "" {
		return
	}
	path := filepath.Join(dir, name+".json")
	it := s.temporal.GetWorkflowHistory(context.Background(), workflowID, "", false, 0)
	h := &history.History{}
	for it.HasNext() {
		ev, err := it.Next()
		if err != nil {
			t.Fatal(err)
		}
		h.Events = append(h.Events, ev)
	}
	b, err := protojson.MarshalOptions{Indent: "  "}.Marshal(h)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("history of %s written to %s", workflowID, path)
}
