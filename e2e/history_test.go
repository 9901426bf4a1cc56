package e2e_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/rebound-returns/rebound/contract"
	"go.temporal.io/api/history/v1"
	"go.temporal.io/sdk/client"
	"google.golang.org/protobuf/encoding/protojson"
)

// recordHistory writes a return's history as name.json into the directory
// REBOUND_RECORD_HISTORY names (the workflows package's testdata), so that
// its replay test guards later changes to the workflow.
func recordHistory(t *testing.T, s *stack, returnID, name string) {
	recordWorkflow(t, s, contract.ReturnWorkflowID(returnID), name)
}

// recording is the directory REBOUND_RECORD_HISTORY names; empty (the
// default) records nothing. Record into an empty directory and copy only
// the new files into workflows/testdata: the histories there of older
// versions are what the replay test holds the code to, and a run would
// overwrite them with the current version's.
func recording() string { return os.Getenv("REBOUND_RECORD_HISTORY") }

// recordDelivery writes the history of the DeliverWorkflow that sent the
// newest outbox message to recipient (the API starts it as deliver/<first
// message id> and does not answer the id).
func recordDelivery(t *testing.T, s *stack, recipient, name string) {
	if recording() == "" {
		return
	}
	ms, err := s.db.Outbox.OutboxTo(context.Background(), recipient, 1)
	if err != nil || len(ms) != 1 {
		t.Fatalf("no outbox message to %s to record the delivery of: %v", recipient, err)
	}
	recordWorkflow(t, s, "deliver/"+ms[0].ID, name)
}

// recordLastScheduled writes the history of the run the schedule started
// last (the schedule appends the time to the workflow id).
func recordLastScheduled(t *testing.T, s *stack, h client.ScheduleHandle, name string) {
	if recording() == "" {
		return
	}
	d, err := h.Describe(context.Background())
	if err != nil || len(d.Info.RecentActions) == 0 {
		t.Fatalf("no run of schedule %s to record: %v", h.GetID(), err)
	}
	recordWorkflow(t, s, d.Info.RecentActions[len(d.Info.RecentActions)-1].StartWorkflowResult.WorkflowID, name)
}

// recordWorkflow writes one workflow's history as name.json.
func recordWorkflow(t *testing.T, s *stack, workflowID, name string) {
	dir := recording()
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
