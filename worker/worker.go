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
	w.RegisterActivity(acts)
}

// Run starts the worker, retrying while Temporal is unreachable, and stops
// it when ctx ends.
func Run(ctx context.Context, c client.Client, deps Deps) error {
	log := deps.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	backoff := 500 * time.Millisecond
	for {
		w := New(c, deps)
		err := w.Start()
		if err == nil {
			log.Info("worker polling", "task_queue", workflows.TaskQueue)
			<-ctx.Done()
			w.Stop()
			log.Info("worker stopped")
			return nil
		}
		log.Warn("worker could not start; retrying", "err", err, "in", backoff)
		select {
		case <-ctx.Done():
			return nil
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
