// Package worker runs Rebound's Temporal worker: it registers the workflows
// and activities on their task queue, and tells readiness whether a worker
// is polling that queue.
package worker

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	sdkworker "go.temporal.io/sdk/worker"

	"github.com/rebound-returns/rebound/activities"
	"github.com/rebound-returns/rebound/workflows"
)

// Deps are what the workflows' activities need.
type Deps struct {
	Activities *activities.Activities
	Logger     *slog.Logger
	// StopTimeout is how long running activities get to finish on stop.
	StopTimeout time.Duration
	// PickupCron is when the settlement folder is picked up (a cron spec):
	// with it and the activities' SettlementDir, Run ensures the daily
	// schedule.
	PickupCron string
}

// New builds a worker on workflows.TaskQueue with everything registered.
func New(c client.Client, deps Deps) sdkworker.Worker {
	w := sdkworker.New(c, workflows.TaskQueue, sdkworker.Options{
		WorkerStopTimeout: deps.StopTimeout,
	})
	Register(w, deps.Activities)
	return w
}

// Register puts every workflow and the activities on a worker.
func Register(w sdkworker.Registry, acts *activities.Activities) {
	w.RegisterWorkflow(workflows.ReturnWorkflow)
	w.RegisterWorkflow(workflows.RefundWorkflow)
	w.RegisterWorkflow(workflows.DeliverWorkflow)
	w.RegisterWorkflow(workflows.ReconciliationWorkflow)
	w.RegisterWorkflow(workflows.SettlementPickupWorkflow)
	w.RegisterWorkflow(workflows.OrderLookupWorkflow)
	w.RegisterActivity(acts)
}

// Run starts the worker, retrying while Temporal is unreachable, then
// ensures the settlement pickup schedule when there is a settlement folder,
// and stops the worker when ctx ends.
func Run(ctx context.Context, c client.Client, deps Deps) error {
	log := deps.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	var w sdkworker.Worker
	retry(ctx, log, "worker could not start", func() error {
		w = New(c, deps)
		return w.Start()
	})
	if ctx.Err() != nil {
		return nil
	}
	log.Info("worker polling", "task_queue", workflows.TaskQueue)
	if deps.Activities != nil && deps.Activities.SettlementDir != "" && deps.PickupCron != "" {
		retry(ctx, log, "settlement pickup schedule not ensured", func() error {
			return EnsurePickupSchedule(ctx, c, deps.PickupCron)
		})
		if ctx.Err() == nil {
			log.Info("settlement pickup scheduled", "schedule", workflows.SettlementPickupScheduleID,
				"cron", deps.PickupCron, "folder", deps.Activities.SettlementDir)
		}
	}
	<-ctx.Done()
	w.Stop()
	log.Info("worker stopped")
	return nil
}

// retry calls fn until it succeeds or ctx ends, backing off from half a
// second to ten.
func retry(ctx context.Context, log *slog.Logger, what string, fn func() error) {
	backoff := 500 * time.Millisecond
	for {
		err := fn()
		if err == nil {
			return
		}
		log.Warn(what+"; retrying", "err", err, "in", backoff)
		select {
		case <-ctx.Done():
			return
		case <-time.After(backoff):
		}
		backoff = min(backoff*2, 10*time.Second)
	}
}

// pollerFreshness is how recently a poller must have polled to count as
// alive. A healthy worker polls again as soon as a long poll (at most about a
// minute) returns, so a worker that stopped disappears from readiness within
// this time.
const pollerFreshness = 90 * time.Second

// ErrNoPoller means no worker has polled the task queue recently.
var ErrNoPoller = errors.New("no worker is polling task queue " + workflows.TaskQueue)

// CheckPolling asks Temporal whether a worker polls the task queue for
// workflow tasks and for activity tasks.
func CheckPolling(ctx context.Context, c client.Client) error {
	for _, kind := range []enumspb.TaskQueueType{enumspb.TASK_QUEUE_TYPE_WORKFLOW, enumspb.TASK_QUEUE_TYPE_ACTIVITY} {
		resp, err := c.DescribeTaskQueue(ctx, workflows.TaskQueue, kind)
		if err != nil {
			return fmt.Errorf("describe task queue: %w", err)
		}
		fresh := false
		for _, p := range resp.GetPollers() {
			if time.Since(p.GetLastAccessTime().AsTime()) < pollerFreshness {
				fresh = true
				break
			}
		}
		if !fresh {
			return ErrNoPoller
		}
	}
	return nil
}
