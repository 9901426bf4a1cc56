package e2e_test

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"

	"github.com/rebound-returns/rebound/activities"
	"github.com/rebound-returns/rebound/contract"
	"github.com/rebound-returns/rebound/db"
	"github.com/rebound-returns/rebound/dropfolder"
	"github.com/rebound-returns/rebound/worker"
)

// scheduleOf waits for the schedule to exist and describes it.
func (s *stack) scheduleOf(h client.ScheduleHandle) *client.ScheduleDescription {
	s.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		d, err := h.Describe(context.Background())
		if err == nil {
			return d
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("schedule %s never created: %v", h.GetID(), err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// pickupNow triggers the pickup schedule and answers what the run it
// started did.
func (s *stack) pickupNow(h client.ScheduleHandle) contract.PickupResult {
	s.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	before, err := h.Describe(ctx)
	if err != nil {
		s.t.Fatal(err)
	}
	if err := h.Trigger(ctx, client.ScheduleTriggerOptions{}); err != nil {
		s.t.Fatal(err)
	}
	for {
		d, err := h.Describe(ctx)
		if err != nil {
			s.t.Fatal(err)
		}
		if d.Info.NumActions > before.Info.NumActions && len(d.Info.RecentActions) > 0 {
			run := d.Info.RecentActions[len(d.Info.RecentActions)-1].StartWorkflowResult
			var res contract.PickupResult
			if err := s.temporal.GetWorkflow(ctx, run.WorkflowID, run.FirstExecutionRunID).Get(ctx, &res); err != nil {
				s.t.Fatalf("pickup %s: %v", run.WorkflowID, err)
			}
			return res
		}
		select {
		case <-ctx.Done():
			s.t.Fatal("the triggered pickup never started")
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// The acquirer drops its file at the cut-off; the daily schedule, triggered
// by hand here, imports it, reconciles it and the refunds' returns close.
// The same content dropped again changes nothing.
func TestScheduledPickupImportsAndReconcilesDroppedFiles(t *testing.T) {
	s := newStack(t, lastEngine(t))
	ctx := context.Background()
	h := s.temporal.ScheduleClient().GetHandle(ctx, contract.SettlementPickupScheduleID)

	// A worker with a settlement folder creates the schedule as it starts.
	// (It runs before any return exists, and stops before one does.)
	wctx, stop := context.WithCancel(ctx)
	ran := make(chan error, 1)
	go func() {
		ran <- worker.Run(wctx, s.temporal, worker.Deps{PickupCron: "0 7 * * *", StopTimeout: time.Second,
			Activities: activities.New(activities.Deps{DB: s.db, Signal: s.temporal, SettlementDir: s.settlements})})
	}()
	desc := s.scheduleOf(h)
	stop()
	if err := <-ran; err != nil {
		t.Fatal(err)
	}
	if next := desc.Info.NextActionTimes; len(next) == 0 || next[0].UTC().Hour() != 7 || next[0].UTC().Minute() != 0 {
		t.Fatalf("next pickups %v, want 07:00 UTC", next)
	}
	if desc.Schedule.Policy.Overlap != enumspb.SCHEDULE_OVERLAP_POLICY_SKIP {
		t.Errorf("overlap policy %s, want skip", desc.Schedule.Policy.Overlap)
	}
	// Another start with another spec updates it.
	if err := worker.EnsurePickupSchedule(ctx, s.temporal, "30 5 * * *"); err != nil {
		t.Fatalf("ensuring an existing schedule: %v", err)
	}
	desc, err := h.Describe(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if next := desc.Info.NextActionTimes; len(next) == 0 || next[0].UTC().Hour() != 5 || next[0].UTC().Minute() != 30 {
		t.Fatalf("next pickups %v, want 05:30 UTC", next)
	}

	cards := s.cardReturns(2)
	s.counterRefunds(cards)
	s.waitRefundsSettled(cards, 2*time.Minute)
	s.acquirer.CutOff()
	mid := s.seed.AcquirerMerchantID
	waiting, err := dropfolder.List(s.settlements)
	if err != nil || len(waiting) != 1 || waiting[0].Folder != mid {
		t.Fatalf("the acquirer dropped %v, %v; want one file in folder %s", waiting, err, mid)
	}
	dropped := waiting[0]

	res := s.pickupNow(h)
	if res.Imported != 1 || res.Duplicates != 0 || res.Refused != 0 || res.Failed != 0 || len(res.Reconciling) != 1 {
		t.Fatalf("first pickup: %+v", res)
	}
	fileID := res.Reconciling[0]
	var rec activities.ReconcileResult
	rctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	if err := s.temporal.GetWorkflow(rctx, contract.ReconcileWorkflowID(fileID), "").Get(rctx, &rec); err != nil {
		t.Fatalf("reconciliation of %s: %v", fileID, err)
	}
	recordLastScheduled(t, s, h, "settlement_pickup_v4")
	recordWorkflow(t, s, contract.ReconcileWorkflowID(fileID), "reconcile_picked_up_v4")
	if rec.Matched != 2 || rec.Unexpected != 0 || rec.AmountMismatch != 0 {
		t.Fatalf("reconciliation %+v, want both refunds matched", rec)
	}
	f, err := s.db.Settlement.SettlementFileByID(ctx, fileID)
	if err != nil || f.Status != db.FileReconciled || f.Source != db.SourceAcquirer || f.Filename != dropped.Name {
		t.Fatalf("file %+v, %v", f, err)
	}
	imported := filepath.Join(s.settlements, mid, dropfolder.Imported, dropped.Name)
	if _, err := os.Stat(imported); err != nil {
		t.Fatalf("not moved to imported/: %v", err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for _, c := range cards {
		for {
			r, err := s.db.Returns.ReturnByID(ctx, c.returnID)
			if err != nil {
				t.Fatal(err)
			}
			if r.Status == "closed" {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("return %s is %s, want closed", c.returnID, r.Status)
			}
			time.Sleep(200 * time.Millisecond)
		}
	}

	// The same content dropped again: moved out of the way, nothing else.
	content, err := os.ReadFile(imported)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := dropfolder.Write(s.settlements, mid, "resent.csv", func(w io.Writer) error { _, err := w.Write(content); return err }); err != nil {
		t.Fatal(err)
	}
	again := s.pickupNow(h)
	if again.Imported != 0 || again.Duplicates != 1 || again.Refused != 0 || len(again.Reconciling) != 0 {
		t.Fatalf("second pickup: %+v, want one duplicate and nothing started", again)
	}
	if left, err := dropfolder.List(s.settlements); err != nil || len(left) != 0 {
		t.Fatalf("still waiting: %v, %v", left, err)
	}
	if f2, err := s.db.Settlement.SettlementFileByID(ctx, fileID); err != nil || f2.Matched != 2 || f2.Status != db.FileReconciled {
		t.Fatalf("the duplicate changed the file: %+v, %v", f2, err)
	}
}
