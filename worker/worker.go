// Package worker runs Rebound's Temporal workers: one on the returns task
// queue with the workflows and every activity, one on the card task queue
// with the card activities that talk to the acquirer, each with slots of
// its own; and it tells readiness whether both queues are polled.
package worker

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	sdkworker "go.temporal.io/sdk/worker"

	"github.com/rebound-returns/rebound/activities"
	"github.com/rebound-returns/rebound/contract"
	"github.com/rebound-returns/rebound/workflows"
)

// Deps are what the workflows' activities need.
type Deps struct {
	Activities activities.Set
	Logger     *slog.Logger
	// StopTimeout is how long running activities get to finish on stop.
	StopTimeout time.Duration
	// CardActivities is how many card activities run at once on the card
	// task queue (DefaultCardActivities when 0): a slow acquirer holds at
	// most these slots, never the returns worker's.
	CardActivities int
	// PickupCron is when the settlement folder is picked up (a cron spec):
	// with it and the activities' SettlementDir, Run ensures the daily
	// schedule.
	PickupCron string
}

// DefaultCardActivities is how many card activities run at once when
// Deps.CardActivities is not set.
const DefaultCardActivities = 100

// Workers are one process's workers: Returns on workflows.TaskQueue,
// Cards on workflows.CardTaskQueue.
type Workers struct {
	Returns, Cards sdkworker.Worker
}

// New builds the workers with everything registered.
func New(c client.Client, deps Deps) *Workers {
	returns := sdkworker.New(c, contract.TaskQueue, sdkworker.Options{
		WorkerStopTimeout: deps.StopTimeout,
	})
	Register(returns, deps.Activities)
	size := deps.CardActivities
	if size <= 0 {
		size = DefaultCardActivities
	}
	cards := sdkworker.New(c, contract.CardTaskQueue, sdkworker.Options{
		WorkerStopTimeout:                  deps.StopTimeout,
		MaxConcurrentActivityExecutionSize: size,
	})
	if deps.Activities.Cards != nil {
		cards.RegisterActivity(deps.Activities.Cards)
	}
	return &Workers{Returns: returns, Cards: cards}
}

// Start starts both workers, or neither.
func (w *Workers) Start() error {
	if err := w.Returns.Start(); err != nil {
		return err
	}
	if err := w.Cards.Start(); err != nil {
		w.Returns.Stop()
		return err
	}
	return nil
}

// Stop stops both workers at once, so that running activities get the
// stop timeout once, not once per worker.
func (w *Workers) Stop() {
	var wg sync.WaitGroup
	wg.Go(w.Cards.Stop)
	w.Returns.Stop()
	wg.Wait()
}

// Register puts every workflow and every activity on a worker. The card
// activities stay registered here although the workflows now schedule
// those that talk to the acquirer on workflows.CardTaskQueue: tasks that
// running workflows queued here before still find a worker.
func Register(w sdkworker.Registry, acts activities.Set) {
	w.RegisterWorkflow(workflows.ReturnWorkflow)
	w.RegisterWorkflow(workflows.RefundWorkflow)
	w.RegisterWorkflow(workflows.DeliverWorkflow)
	w.RegisterWorkflow(workflows.ReconciliationWorkflow)
	w.RegisterWorkflow(workflows.SettlementPickupWorkflow)
	w.RegisterWorkflow(workflows.CreditExpiryWorkflow)
	w.RegisterWorkflow(workflows.OrderLookupWorkflow)
	for _, part := range acts.Parts() {
		w.RegisterActivity(part)
	}
}

// Run starts the workers, retrying while Temporal is unreachable, then
// ensures the settlement pickup schedule when there is a settlement folder
// and the store credit expiry schedule, and stops the workers when ctx
// ends.
func Run(ctx context.Context, c client.Client, deps Deps) error {
	log := deps.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	var w *Workers
	retry(ctx, log, "worker could not start", func() error {
		w = New(c, deps)
		return w.Start()
	})
	if ctx.Err() != nil {
		return nil
	}
	log.Info("worker polling", "task_queue", contract.TaskQueue, "card_task_queue", contract.CardTaskQueue)
	if st := deps.Activities.Settlement; st != nil && st.SettlementDir != "" && deps.PickupCron != "" {
		retry(ctx, log, "settlement pickup schedule not ensured", func() error {
			return EnsurePickupSchedule(ctx, c, deps.PickupCron)
		})
		if ctx.Err() == nil {
			log.Info("settlement pickup scheduled", "schedule", contract.SettlementPickupScheduleID,
				"cron", deps.PickupCron, "folder", st.SettlementDir)
		}
	}
	if deps.Activities.Store != nil {
		retry(ctx, log, "store credit expiry schedule not ensured", func() error {
			return EnsureCreditExpirySchedule(ctx, c)
		})
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

// ErrNoPoller means no worker has polled the returns task queue recently;
// errors.Is finds it in a NoPollerError of the card task queue too.
var ErrNoPoller = errors.New("no worker is polling task queue " + contract.TaskQueue)

// NoPollerError names a task queue no worker has polled recently.
type NoPollerError struct{ TaskQueue string }

func (e NoPollerError) Error() string { return "no worker is polling task queue " + e.TaskQueue }

// Is makes every NoPollerError an ErrNoPoller.
func (e NoPollerError) Is(target error) bool { return target == ErrNoPoller }

// polled are the task queues readiness asks about, with the kinds of task
// polled there: the returns queue for workflows and activities, the card
// queue for activities.
var polled = []struct {
	queue string
	kinds []enumspb.TaskQueueType
}{
	{contract.TaskQueue, []enumspb.TaskQueueType{enumspb.TASK_QUEUE_TYPE_WORKFLOW, enumspb.TASK_QUEUE_TYPE_ACTIVITY}},
	{contract.CardTaskQueue, []enumspb.TaskQueueType{enumspb.TASK_QUEUE_TYPE_ACTIVITY}},
}

// CheckPolling asks Temporal whether workers poll both task queues: the
// returns queue for workflow and activity tasks, the card queue for
// activity tasks. The returns queue down answers ErrNoPoller itself (its
// words are what readiness has always shown).
func CheckPolling(ctx context.Context, c client.Client) error {
	for _, q := range polled {
		for _, kind := range q.kinds {
			resp, err := c.DescribeTaskQueue(ctx, q.queue, kind)
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
			switch {
			case fresh:
			case q.queue == contract.TaskQueue:
				return ErrNoPoller
			default:
				return NoPollerError{TaskQueue: q.queue}
			}
		}
	}
	return nil
}
