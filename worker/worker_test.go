package worker_test

import (
	"context"
	"errors"
	"testing"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	taskqueuepb "go.temporal.io/api/taskqueue/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/rebound-returns/rebound/contract"
	"github.com/rebound-returns/rebound/worker"
)

// pollers is a Temporal client that knows which queues and kinds of task
// are polled; nothing else of it is called.
type pollers struct {
	client.Client
	polled map[string][]enumspb.TaskQueueType
}

func (p pollers) DescribeTaskQueue(_ context.Context, queue string, kind enumspb.TaskQueueType) (*workflowservice.DescribeTaskQueueResponse, error) {
	resp := &workflowservice.DescribeTaskQueueResponse{}
	for _, k := range p.polled[queue] {
		if k == kind {
			resp.Pollers = append(resp.Pollers, &taskqueuepb.PollerInfo{LastAccessTime: timestamppb.New(time.Now())})
		}
	}
	return resp, nil
}

func TestReadinessWantsBothQueuesPolled(t *testing.T) {
	both := []enumspb.TaskQueueType{enumspb.TASK_QUEUE_TYPE_WORKFLOW, enumspb.TASK_QUEUE_TYPE_ACTIVITY}
	activity := []enumspb.TaskQueueType{enumspb.TASK_QUEUE_TYPE_ACTIVITY}
	for _, tc := range []struct {
		name   string
		polled map[string][]enumspb.TaskQueueType
		want   string // "" when ready
	}{
		{"both polled", map[string][]enumspb.TaskQueueType{contract.TaskQueue: both, contract.CardTaskQueue: activity}, ""},
		{"no card worker", map[string][]enumspb.TaskQueueType{contract.TaskQueue: both}, "no worker is polling task queue cards"},
		{"no worker", nil, "no worker is polling task queue returns"},
		{"returns without activities", map[string][]enumspb.TaskQueueType{contract.TaskQueue: {enumspb.TASK_QUEUE_TYPE_WORKFLOW},
			contract.CardTaskQueue: activity}, "no worker is polling task queue returns"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := worker.CheckPolling(context.Background(), pollers{polled: tc.polled})
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("not ready: %v", err)
			case tc.want != "" && (err == nil || err.Error() != tc.want || !errors.Is(err, worker.ErrNoPoller)):
				t.Fatalf("got %v; want %q, an ErrNoPoller", err, tc.want)
			}
		})
	}
}
