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
	return ensureSchedule(ctx, c, contract.SettlementPickupScheduleID, cron, pickupCatchup, &client.ScheduleWorkflowAction{
		ID:                       contract.SettlementPickupWorkflowID,
		Workflow:                 workflows.SettlementPickupWorkflow,
		Args:                     []any{contract.PickupInput{}},
		TaskQueue:                contract.TaskQueue,
		WorkflowExecutionTimeout: pickupTimeout,
	})
}

// EnsureCreditExpirySchedule creates (or brings up to date) the Temporal
// Schedule that runs CreditExpiryWorkflow daily at contract.CreditExpiryCron,
// as EnsurePickupSchedule does the pickup's: a run missed while Temporal
// was down runs within a day, a run never overlaps the last.
func EnsureCreditExpirySchedule(ctx context.Context, c client.Client) error {
	return ensureSchedule(ctx, c, contract.CreditExpiryScheduleID, contract.CreditExpiryCron, pickupCatchup, &client.ScheduleWorkflowAction{
		ID:                       contract.CreditExpiryWorkflowID,
		Workflow:                 workflows.CreditExpiryWorkflow,
		Args:                     []any{contract.CreditExpiryInput{}},
		TaskQueue:                contract.TaskQueue,
		WorkflowExecutionTimeout: pickupTimeout,
	})
}

// ensureSchedule creates the schedule id, or gives the existing one this
// spec, action and policy, leaving whether it is paused as it was.
func ensureSchedule(ctx context.Context, c client.Client, id, cron string, catchup time.Duration, action *client.ScheduleWorkflowAction) error {
	spec := client.ScheduleSpec{CronExpressions: []string{cron}}
	sc := c.ScheduleClient()
	_, err := sc.Create(ctx, client.ScheduleOptions{
		ID:            id,
		Spec:          spec,
		Action:        action,
		Overlap:       enumspb.SCHEDULE_OVERLAP_POLICY_SKIP,
		CatchupWindow: catchup,
	})
	switch {
	case err == nil:
		return nil
	case !errors.Is(err, temporal.ErrScheduleAlreadyRunning):
		return fmt.Errorf("create schedule %s: %w", id, err)
	}
	err = sc.GetHandle(ctx, id).Update(ctx, client.ScheduleUpdateOptions{
		DoUpdate: func(in client.ScheduleUpdateInput) (*client.ScheduleUpdate, error) {
			s := in.Description.Schedule
			s.Spec = &spec
			s.Action = action
			s.Policy = &client.SchedulePolicies{Overlap: enumspb.SCHEDULE_OVERLAP_POLICY_SKIP, CatchupWindow: catchup}
			return &client.ScheduleUpdate{Schedule: &s}, nil
		},
	})
	if err != nil {
		return fmt.Errorf("update schedule %s: %w", id, err)
	}
	return nil
}
