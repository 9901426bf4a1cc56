package worker

import (
	"context"
	"errors"
	"fmt"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/rebound-returns/rebound/contract"
	"github.com/rebound-returns/rebound/workflows"
)

// pickupTimeout bounds one pickup, so that a stuck one cannot skip the
// next day's (the schedule skips a run while the last one goes on).
const pickupTimeout = 20 * time.Hour

// pickupCatchup is how late a pickup missed while Temporal was down still
// runs.
const pickupCatchup = 24 * time.Hour

// EnsurePickupSchedule creates the Temporal Schedule that runs
// SettlementPickupWorkflow on the task queue at the times of the cron spec
// (UTC unless it starts with CRON_TZ=), skipping a run while the last one
// goes on; when it exists, it gets this spec and action. Whether it is
// paused is left as it was, so that an operator's pause survives restarts.
func EnsurePickupSchedule(ctx context.Context, c client.Client, cron string) error {
	spec := client.ScheduleSpec{CronExpressions: []string{cron}}
	action := &client.ScheduleWorkflowAction{
		ID:                       contract.SettlementPickupWorkflowID,
		Workflow:                 workflows.SettlementPickupWorkflow,
		Args:                     []any{contract.PickupInput{}},
		TaskQueue:                contract.TaskQueue,
		WorkflowExecutionTimeout: pickupTimeout,
	}
	sc := c.ScheduleClient()
	_, err := sc.Create(ctx, client.ScheduleOptions{
		ID:            contract.SettlementPickupScheduleID,
		Spec:          spec,
		Action:        action,
		Overlap:       enumspb.SCHEDULE_OVERLAP_POLICY_SKIP,
		CatchupWindow: pickupCatchup,
	})
	switch {
	case err == nil:
		return nil
	case !errors.Is(err, temporal.ErrScheduleAlreadyRunning):
		return fmt.Errorf("create schedule %s: %w", contract.SettlementPickupScheduleID, err)
	}
	err = sc.GetHandle(ctx, contract.SettlementPickupScheduleID).Update(ctx, client.ScheduleUpdateOptions{
		DoUpdate: func(in client.ScheduleUpdateInput) (*client.ScheduleUpdate, error) {
			s := in.Description.Schedule
			s.Spec = &spec
			s.Action = action
			s.Policy = &client.SchedulePolicies{Overlap: enumspb.SCHEDULE_OVERLAP_POLICY_SKIP, CatchupWindow: pickupCatchup}
			return &client.ScheduleUpdate{Schedule: &s}, nil
		},
	})
	if err != nil {
		return fmt.Errorf("update schedule %s: %w", contract.SettlementPickupScheduleID, err)
	}
	return nil
}
