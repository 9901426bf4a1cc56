package wire

import (
	"context"
	"reflect"

	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
)

// fakeTemporal records what the adapters ask of Temporal and answers
// with the errors it is given.
type fakeTemporal struct {
	starts   []client.StartWorkflowOptions
	started  []any
	updates  []client.UpdateWorkflowOptions
	signals  []string
	describe []string

	startErr, updateErr, getErr, signalErr, describeErr, runErr error
	// result is what a completed update answers.
	result any
}

func (f *fakeTemporal) ExecuteWorkflow(_ context.Context, o client.StartWorkflowOptions, _ any, args ...any) (client.WorkflowRun, error) {
	f.starts = append(f.starts, o)
	f.started = append(f.started, args[0])
	if f.startErr != nil {
		return nil, f.startErr
	}
	return fakeRun{err: f.runErr}, nil
}

func (f *fakeTemporal) UpdateWorkflow(_ context.Context, o client.UpdateWorkflowOptions) (client.WorkflowUpdateHandle, error) {
	f.updates = append(f.updates, o)
	if f.updateErr != nil {
		return nil, f.updateErr
	}
	return fakeHandle{err: f.getErr, result: f.result}, nil
}

func (f *fakeTemporal) SignalWorkflow(_ context.Context, workflowID, _ string, signal string, _ any) error {
	f.signals = append(f.signals, workflowID+" "+signal)
	return f.signalErr
}

func (f *fakeTemporal) DescribeWorkflowExecution(_ context.Context, workflowID, _ string) (*workflowservice.DescribeWorkflowExecutionResponse, error) {
	f.describe = append(f.describe, workflowID)
	if f.describeErr != nil {
		return nil, f.describeErr
	}
	return &workflowservice.DescribeWorkflowExecutionResponse{}, nil
}

type fakeHandle struct {
	client.WorkflowUpdateHandle
	err    error
	result any
}

func (h fakeHandle) Get(_ context.Context, v any) error {
	if h.err != nil {
		return h.err
	}
	if h.result != nil && v != nil {
		reflect.ValueOf(v).Elem().Set(reflect.ValueOf(h.result))
	}
	return nil
}

type fakeRun struct {
	client.WorkflowRun
	err error
}

func (r fakeRun) Get(context.Context, any) error { return r.err }
