package loadgen

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"
)

// The floor is a workflow of the shape of one online return — as many
// activities over parent and child, regular and local, updates, signals and
// one child — whose activities do nothing: what the Temporal server and SDK
// cost a return before Rebound does anything. The counts follow
// ReturnWorkflow and RefundWorkflow as an online return runs them
// (workflows/; counted from the history of one run by the lifecycle load,
// which a cli test holds them to): 13 regular and local activities in the
// parent, the rest in the child, the verify and inspection updates, the
// carrier's delivered signal and the gateway's result signal. A return's
// store steps (its transitions, the policy, the refund's records) are local
// activities since workflows.VersionLocalSteps; its messages, label and
// gateway call are regular. Change them with the workflows.
type floorStep struct{ regular, local int }

var (
	floorBeforeVerify = floorStep{regular: 1}           // code sent
	floorInVerify     = floorStep{local: 3}             // submitted, policy, approved
	floorAfterVerify  = floorStep{regular: 2, local: 1} // label, message; awaiting shipment
	floorOnCarrier    = floorStep{regular: 1, local: 2} // message; in transit, received
	floorInInspect    = floorStep{local: 2}             // refund prepared, inspected
	floorAfterChild   = floorStep{regular: 2, local: 2} // messages; refunded, awaiting settlement
	floorChildBefore  = floorStep{regular: 1, local: 2} // freeze check, earlier attempts; refund sent
	floorChildAfter   = floorStep{local: 1}             // refund finished

	floorSteps = []floorStep{floorBeforeVerify, floorInVerify, floorAfterVerify, floorOnCarrier, floorInInspect,
		floorAfterChild, floorChildBefore, floorChildAfter}
)

const (
	floorWorkflow      = "LoadgenFloorReturn"
	floorChildWorkflow = "LoadgenFloorRefund"
	floorActivity      = "LoadgenFloorNothing"
	floorUpdateVerify  = "verify"
	floorUpdateInspect = "inspect"
	floorSignalCarrier = "carrier"
	floorSignalGateway = "gateway"
)

// FloorShape is what one floor workflow does, for the report.
type FloorShape struct {
	// Activities are regular activities (scheduled through the server),
	// LocalActivities those the workflow's worker runs itself.
	Activities      int `json:"activities"`
	LocalActivities int `json:"local_activities"`
	Updates         int `json:"updates"`
	Signals         int `json:"signals"`
	Children        int `json:"children"`
}

// Floor runs floor workflows against a Temporal server with a worker of
// its own on a task queue of its own.
type Floor struct {
	HostPort    string
	Namespace   string
	Workflows   int
	Concurrency int
}

// FloorReport is what the floor measured.
type FloorReport struct {
	Workflows int            `json:"workflows"`
	Completed int            `json:"completed"`
	Seconds   float64        `json:"seconds"`
	PerSecond float64        `json:"workflows_per_second"`
	EndToEnd  Summary        `json:"end_to_end"`
	Shape     FloorShape     `json:"shape"`
	TaskQueue string         `json:"task_queue"`
	Errors    map[string]int `json:"errors,omitempty"`
}

func nothing(context.Context) error { return nil }

func floorOptions(ctx workflow.Context) workflow.Context {
	return workflow.WithActivityOptions(ctx, workflow.ActivityOptions{StartToCloseTimeout: time.Minute,
		RetryPolicy: &temporal.RetryPolicy{MaximumAttempts: 3}})
}

func floorActivities(ctx workflow.Context, st floorStep) error {
	for range st.regular {
		if err := workflow.ExecuteActivity(ctx, floorActivity).Get(ctx, nil); err != nil {
			return err
		}
	}
	lctx := workflow.WithLocalActivityOptions(ctx, workflow.LocalActivityOptions{StartToCloseTimeout: time.Minute,
		RetryPolicy: &temporal.RetryPolicy{MaximumAttempts: 3}})
	for range st.local {
		if err := workflow.ExecuteLocalActivity(lctx, floorActivity).Get(ctx, nil); err != nil {
			return err
		}
	}
	return nil
}

// floorShape is what one floor workflow does.
func floorShape() FloorShape {
	sh := FloorShape{Updates: 2, Signals: 2, Children: 1}
	for _, st := range floorSteps {
		sh.Activities += st.regular
		sh.LocalActivities += st.local
	}
	return sh
}

// floorReturn is the parent: activities, the verify update, the carrier's
// signal, the inspection update and the refund child, as a return.
func floorReturn(ctx workflow.Context) error {
	ctx = floorOptions(ctx)
	verified, inspected := false, false
	if err := workflow.SetUpdateHandler(ctx, floorUpdateVerify, func(ctx workflow.Context) error {
		if err := floorActivities(floorOptions(ctx), floorInVerify); err != nil {
			return err
		}
		verified = true
		return nil
	}); err != nil {
		return err
	}
	if err := workflow.SetUpdateHandler(ctx, floorUpdateInspect, func(ctx workflow.Context) error {
		if err := floorActivities(floorOptions(ctx), floorInInspect); err != nil {
			return err
		}
		inspected = true
		return nil
	}); err != nil {
		return err
	}
	if err := floorActivities(ctx, floorBeforeVerify); err != nil {
		return err
	}
	if err := workflow.Await(ctx, func() bool { return verified }); err != nil {
		return err
	}
	if err := floorActivities(ctx, floorAfterVerify); err != nil {
		return err
	}
	workflow.GetSignalChannel(ctx, floorSignalCarrier).Receive(ctx, nil)
	if err := floorActivities(ctx, floorOnCarrier); err != nil {
		return err
	}
	if err := workflow.Await(ctx, func() bool { return inspected }); err != nil {
		return err
	}
	cctx := workflow.WithChildOptions(ctx, workflow.ChildWorkflowOptions{WorkflowID: floorChildID(workflow.GetInfo(ctx).WorkflowExecution.ID)})
	if err := workflow.ExecuteChildWorkflow(cctx, floorChildWorkflow).Get(ctx, nil); err != nil {
		return err
	}
	return floorActivities(ctx, floorAfterChild)
}

// floorRefund is the child: a refund sent, its result heard by signal.
func floorRefund(ctx workflow.Context) error {
	ctx = floorOptions(ctx)
	if err := floorActivities(ctx, floorChildBefore); err != nil {
		return err
	}
	workflow.GetSignalChannel(ctx, floorSignalGateway).Receive(ctx, nil)
	return floorActivities(ctx, floorChildAfter)
}

func floorChildID(parent string) string { return parent + "/refund" }

// Run starts a worker on a task queue of the floor's own and drives
// f.Workflows floor workflows, f.Concurrency at a time, as the API drives
// returns: start, update, signal, update, and the child's signal once it
// waits for it.
func (f Floor) Run(ctx context.Context) (FloorReport, error) {
	if f.Namespace == "" {
		f.Namespace = "default"
	}
	f.Workflows = max(f.Workflows, 1)
	f.Concurrency = max(f.Concurrency, 1)
	c, err := client.Dial(client.Options{HostPort: f.HostPort, Namespace: f.Namespace, Logger: quietLogger{}})
	if err != nil {
		return FloorReport{}, fmt.Errorf("floor: temporal at %s: %w", f.HostPort, err)
	}
	defer c.Close()
	queue := fmt.Sprintf("rebound-loadgen-floor-%d", time.Now().UnixNano())
	w := worker.New(c, queue, worker.Options{})
	w.RegisterWorkflowWithOptions(floorReturn, workflow.RegisterOptions{Name: floorWorkflow})
	w.RegisterWorkflowWithOptions(floorRefund, workflow.RegisterOptions{Name: floorChildWorkflow})
	w.RegisterActivityWithOptions(nothing, activityName(floorActivity))
	if err := w.Start(); err != nil {
		return FloorReport{}, err
	}
	defer w.Stop()

	rec := newRecorder()
	var completed atomic.Int64
	next := make(chan int)
	var wg sync.WaitGroup
	start := time.Now()
	for range min(f.Concurrency, f.Workflows) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				began := time.Now()
				if err := floorOne(ctx, c, queue, fmt.Sprintf("%s-%d", queue, i)); err != nil {
					rec.fail(floorErrKind(err))
					continue
				}
				rec.add("end_to_end", time.Since(began))
				completed.Add(1)
			}
		}()
	}
	for i := range f.Workflows {
		select {
		case next <- i:
		case <-ctx.Done():
		}
	}
	close(next)
	wg.Wait()
	elapsed := time.Since(start)
	rep := FloorReport{Workflows: f.Workflows, Completed: int(completed.Load()), Seconds: elapsed.Seconds(),
		PerSecond: float64(completed.Load()) / elapsed.Seconds(), EndToEnd: rec.summaries()["end_to_end"], TaskQueue: queue,
		Shape:  floorShape(),
		Errors: rec.errorCounts()}
	if len(rep.Errors) == 0 {
		rep.Errors = nil
	}
	return rep, ctx.Err()
}

func floorErrKind(err error) string {
	var nf *serviceerror.NotFound
	if errors.As(err, &nf) {
		return "not found"
	}
	return firstLine(err.Error())
}

// floorOne drives one floor workflow to its end.
func floorOne(ctx context.Context, c client.Client, queue, id string) error {
	run, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: id, TaskQueue: queue}, floorWorkflow)
	if err != nil {
		return err
	}
	update := func(name string) error {
		h, err := c.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{WorkflowID: id, UpdateName: name,
			WaitForStage: client.WorkflowUpdateStageCompleted})
		if err != nil {
			return err
		}
		return h.Get(ctx, nil)
	}
	if err := update(floorUpdateVerify); err != nil {
		return err
	}
	if err := c.SignalWorkflow(ctx, id, "", floorSignalCarrier, nil); err != nil {
		return err
	}
	if err := update(floorUpdateInspect); err != nil {
		return err
	}
	// The gateway's webhook signals the refund once it exists; until the
	// parent has started it, the signal finds nothing and is sent again.
	for {
		err := c.SignalWorkflow(ctx, floorChildID(id), "", floorSignalGateway, nil)
		var nf *serviceerror.NotFound
		if err == nil {
			break
		}
		if !errors.As(err, &nf) {
			return err
		}
		if err := sleep(ctx, 5*time.Millisecond); err != nil {
			return err
		}
	}
	return run.Get(ctx, nil)
}
