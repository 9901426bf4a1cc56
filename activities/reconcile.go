package activities

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/client"

	"github.com/rebound-returns/rebound/contract"
	"github.com/rebound-returns/rebound/db"
	"github.com/rebound-returns/rebound/returns"
)

// Signaller is the part of the Temporal client that tells returns they
// were settled, or that a refund waiting on finance was paid after all.
type Signaller interface {
	SignalWorkflow(ctx context.Context, workflowID, runID, signalName string, arg any) error
	UpdateWorkflow(ctx context.Context, options client.UpdateWorkflowOptions) (client.WorkflowUpdateHandle, error)
}

// Settlement are the activities of settlement files: picking them up from
// the settlement folder, reconciling them, and telling the returns they
// settled.
type Settlement struct {
	Base
	// Signal tells returns they were settled.
	Signal Signaller
	// SettlementDir is the settlement folder files are picked up from
	// (see package dropfolder); "" picks up nothing.
	SettlementDir string
}

// MatchSettlement reconciles a file set-wise in the database and counts
// what it found: matched rows, unexpected ones, amount mismatches, and
// refunds missing at the acquirer although their overdue window (the
// merchant's policy) has passed. Running it again changes nothing.
func (a *Settlement) MatchSettlement(ctx context.Context, fileID string) (ReconcileResult, error) {
	f, err := a.DB.Settlement.SettlementFileByID(ctx, fileID)
	if err != nil {
		return ReconcileResult{}, err
	}
	if err := a.DB.Settlement.SetSettlementFile(ctx, f.ID, map[string]any{"status": db.FileReconciling}); err != nil {
		return ReconcileResult{}, err
	}
	if err := a.DB.Settlement.MatchSettlementFile(ctx, f); err != nil {
		return ReconcileResult{}, err
	}
	m, err := a.DB.Merchants.MerchantByID(ctx, f.MerchantID)
	if err != nil {
		return ReconcileResult{}, err
	}
	policy, err := returns.ParsePolicy(m.Policy)
	if err != nil {
		return ReconcileResult{}, err
	}
	last, err := time.Parse("2006-01-02", f.LastDay)
	if err != nil {
		last = a.now()
	}
	lastDue := last.Add(-policy.SettlementOverdue.D()).Format("2006-01-02")
	if _, err := a.DB.Settlement.RecordMissing(ctx, f, lastDue); err != nil {
		return ReconcileResult{}, err
	}
	if err := a.settleDoubts(ctx, f, lastDue); err != nil {
		return ReconcileResult{}, err
	}
	counts, err := a.DB.Settlement.CountResults(ctx, f.ID)
	if err != nil {
		return ReconcileResult{}, err
	}
	missing, err := a.DB.Settlement.CountFindings(ctx, f.ID)
	if err != nil {
		return ReconcileResult{}, err
	}
	res := ReconcileResult{Matched: counts[db.ResultMatched], AlreadyMatched: counts[db.ResultAlreadyMatched], Unexpected: counts[db.ResultUnexpected],
		AmountMismatch: counts[db.ResultAmountMismatch], Ignored: f.Ignored, Missing: missing}
	err = a.DB.Settlement.SetSettlementFile(ctx, f.ID, map[string]any{"matched": res.Matched, "already_matched": res.AlreadyMatched,
		"unexpected": res.Unexpected, "amount_mismatch": res.AmountMismatch, "ignored": res.Ignored, "missing": res.Missing})
	return res, err
}

// settleDoubts ends the attempts in doubt the file has evidence of (paid:
// it holds them; never received: an escalated one it does not hold past
// the overdue window), closes their work items, and tells a return waiting
// on finance whose refund the file shows paid that it was: the return
// records that attempt as its refund and goes on to settlement.
func (a *Settlement) settleDoubts(ctx context.Context, f *db.SettlementFile, lastDue string) error {
	moved, err := a.DB.Settlement.SettleDoubts(ctx, f, lastDue, a.now())
	if err != nil {
		return err
	}
	for _, att := range moved {
		if _, err := a.DB.Finance.ResolveWorkItemsOf(ctx, att.ID, "", "settled_by_file", "the settlement file "+f.Filename+" settled it", "reconciliation"); err != nil {
			return err
		}
	}
	ids, err := a.DB.Settlement.PaidButFailed(ctx, f.ID)
	if err != nil {
		return err
	}
	for _, id := range ids {
		h, err := a.Signal.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{WorkflowID: contract.ReturnWorkflowID(id),
			UpdateName: contract.UpdateRefundResolution, WaitForStage: client.WorkflowUpdateStageCompleted,
			Args: []any{contract.RefundResolutionRequest{Action: contract.ResolveRetry,
				Note:  "the settlement file " + f.Filename + " shows the refund paid",
				Actor: returns.Actor{Kind: returns.ActorSystem, Name: "reconciliation"}}}})
		if err == nil {
			err = h.Get(ctx, nil)
		}
		var nf *serviceerror.NotFound
		if err != nil && !errors.As(err, &nf) {
			return fmt.Errorf("return %s: %w", id, err)
		}
	}
	return nil
}

// settlePage is how many returns one page signals.
const settlePage = 500

// SettleReturns signals every return a file settled, page by page. It
// heartbeats the last return signalled, so a retry after a crash resumes
// from there; a signal repeated to a return changes nothing.
func (a *Settlement) SettleReturns(ctx context.Context, in SettlePage) (int, error) {
	after := in.After
	if activity.HasHeartbeatDetails(ctx) {
		var last string
		if err := activity.GetHeartbeatDetails(ctx, &last); err == nil && last > after {
			after = last
		}
	}
	signalled := 0
	for {
		ids, err := a.DB.Settlement.MatchedReturns(ctx, in.FileID, after, settlePage)
		if err != nil {
			return signalled, err
		}
		for _, id := range ids {
			err := a.Signal.SignalWorkflow(ctx, contract.ReturnWorkflowID(id), "", contract.SignalSettled, nil)
			var nf *serviceerror.NotFound
			if err != nil && !errors.As(err, &nf) { // an ended return needs nothing
				return signalled, err
			}
			signalled++
		}
		if len(ids) == 0 {
			return signalled, nil
		}
		after = ids[len(ids)-1]
		activity.RecordHeartbeat(ctx, after)
	}
}

// FinishReconciliation files work items for the discrepancies and marks
// the file reconciled.
func (a *Settlement) FinishReconciliation(ctx context.Context, fileID string) error {
	f, err := a.DB.Settlement.SettlementFileByID(ctx, fileID)
	if err != nil {
		return err
	}
	if err := a.DB.Settlement.OpenSettlementWorkItems(ctx, f); err != nil {
		return err
	}
	return a.DB.Settlement.SetSettlementFile(ctx, f.ID, map[string]any{"status": db.FileReconciled, "reconciled_at": a.now()})
}
