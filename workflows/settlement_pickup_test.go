package workflows_test

import (
	"errors"
	"log/slog"
	"slices"
	"testing"

	"github.com/stretchr/testify/mock"
	"go.temporal.io/sdk/converter"
	sdklog "go.temporal.io/sdk/log"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"

	"github.com/rebound-returns/rebound/activities"
	"github.com/rebound-returns/rebound/contract"
	"github.com/rebound-returns/rebound/workflows"
)

// acts names the activities the pickup calls; they are mocked here (the
// activities' own tests run them on real files and databases).
var acts activities.Set

func pickupEnv(t *testing.T) *testsuite.TestWorkflowEnvironment {
	t.Helper()
	var suite testsuite.WorkflowTestSuite
	suite.SetLogger(sdklog.NewStructuredLogger(slog.New(slog.DiscardHandler)))
	env := suite.NewTestWorkflowEnvironment()
	env.RegisterWorkflow(workflows.SettlementPickupWorkflow)
	env.RegisterWorkflow(workflows.ReconciliationWorkflow)
	return env
}

func TestPickupImportsEachFileAndReconcilesTheNewOnes(t *testing.T) {
	env := pickupEnv(t)
	newFile := activities.DroppedFile{Folder: "123456789012345", Name: "settlement-123456789012345-20261126-01.csv"}
	again := activities.DroppedFile{Folder: "123456789012345", Name: "settlement-copy.csv"}
	report := activities.DroppedFile{Folder: "demo", Name: "gateway-report-demo-2026-11-25.csv"}
	sameAsNew := activities.DroppedFile{Folder: "demo", Name: "gateway-report-demo-2026-11-25.2.csv"}
	junk := activities.DroppedFile{Folder: "demo", Name: "notes.txt"}
	gone := activities.DroppedFile{Folder: "nobody", Name: "x.csv"}
	env.OnActivity(acts.Settlement.ListDroppedFiles, mock.Anything).
		Return([]activities.DroppedFile{newFile, again, report, sameAsNew, junk, gone}, nil).Once()
	env.OnActivity(acts.Settlement.ImportDroppedFile, mock.Anything, newFile).
		Return(activities.PickedFile{FileID: "file-1", Reconcile: true}, nil).Once()
	// Content imported and reconciled before: nothing to start.
	env.OnActivity(acts.Settlement.ImportDroppedFile, mock.Anything, again).
		Return(activities.PickedFile{FileID: "file-0", Duplicate: true}, nil).Once()
	// A first try fails (the database restarting, say); the retry imports it.
	env.OnActivity(acts.Settlement.ImportDroppedFile, mock.Anything, report).
		Return(activities.PickedFile{}, errors.New("connection reset")).Once()
	env.OnActivity(acts.Settlement.ImportDroppedFile, mock.Anything, report).
		Return(activities.PickedFile{FileID: "file-2", Reconcile: true}, nil).Once()
	// The same content as file-2, whose reconciliation has just started.
	env.OnActivity(acts.Settlement.ImportDroppedFile, mock.Anything, sameAsNew).
		Return(activities.PickedFile{FileID: "file-2", Duplicate: true, Reconcile: true}, nil).Once()
	env.OnActivity(acts.Settlement.ImportDroppedFile, mock.Anything, junk).
		Return(activities.PickedFile{Refused: true, Why: "the first line is neither header"}, nil).Once()
	env.OnActivity(acts.Settlement.ImportDroppedFile, mock.Anything, gone).
		Return(activities.PickedFile{}, temporal.NewNonRetryableApplicationError("gone", activities.ErrFileGone, nil)).Once()

	// The reconciliations outlive the pickup; here they never finish.
	env.OnWorkflow(workflows.ReconciliationWorkflow, mock.Anything, contract.ReconcileInput{FileID: "file-1"}).
		Return(activities.ReconcileResult{}, nil).Once()
	env.OnWorkflow(workflows.ReconciliationWorkflow, mock.Anything, contract.ReconcileInput{FileID: "file-2"}).
		Return(activities.ReconcileResult{}, nil).Once()
	var children []string
	env.SetOnChildWorkflowStartedListener(func(info *workflow.Info, _ workflow.Context, _ converter.EncodedValues) {
		children = append(children, info.WorkflowExecution.ID)
	})

	env.ExecuteWorkflow(workflows.SettlementPickupWorkflow, contract.PickupInput{})
	if !env.IsWorkflowCompleted() || env.GetWorkflowError() != nil {
		t.Fatalf("pickup did not complete: %v", env.GetWorkflowError())
	}
	var res contract.PickupResult
	if err := env.GetWorkflowResult(&res); err != nil {
		t.Fatal(err)
	}
	if res.Imported != 2 || res.Duplicates != 2 || res.Refused != 1 || res.Failed != 1 {
		t.Errorf("counts = %+v, want 2 imported, 2 duplicates, 1 refused, 1 failed", res)
	}
	if !slices.Equal(res.Reconciling, []string{"file-1", "file-2"}) {
		t.Errorf("reconciling %v, want file-1 and file-2 once each", res.Reconciling)
	}
	if !slices.Equal(children, []string{contract.ReconcileWorkflowID("file-1"), contract.ReconcileWorkflowID("file-2")}) {
		t.Errorf("children started %v, want the reconciliations of file-1 and file-2 under their upload ids", children)
	}
	env.AssertExpectations(t)
}

func TestPickupOfAnEmptyFolderDoesNothing(t *testing.T) {
	env := pickupEnv(t)
	env.OnActivity(acts.Settlement.ListDroppedFiles, mock.Anything).Return([]activities.DroppedFile{}, nil).Once()
	env.ExecuteWorkflow(workflows.SettlementPickupWorkflow, contract.PickupInput{})
	var res contract.PickupResult
	if err := env.GetWorkflowResult(&res); err != nil {
		t.Fatal(err)
	}
	if res.Imported+res.Duplicates+res.Refused+res.Failed != 0 || len(res.Reconciling) != 0 {
		t.Errorf("empty folder: %+v", res)
	}
	env.AssertExpectations(t)
}
