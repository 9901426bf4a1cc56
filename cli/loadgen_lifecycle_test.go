package cli_test

import (
	"bytes"
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"

	"github.com/rebound-returns/rebound/cli"
	"github.com/rebound-returns/rebound/contract"
	"github.com/rebound-returns/rebound/db"
	"github.com/rebound-returns/rebound/loadgen"
)

// `rebound loadgen lifecycle` drives online and card returns through a
// running `rebound dev` to awaiting_settlement, with the floor beside it,
// and its report says each was refunded exactly once on the simulators;
// `rebound loadgen reads` then measures the three reads on both sides.
func TestLoadgenLifecycleAndReadsAgainstDev(t *testing.T) {
	dir := t.TempDir()
	var httpAddr, temporalAddr, gatewayAddr, adminAddr string
	var p *proc
	for try := 0; ; try++ {
		httpAddr, temporalAddr, gatewayAddr, adminAddr = freeAddr(t), freeAddr(t), freeAddr(t), freeAddr(t)
		vars := map[string]string{"REBOUND_TEMPORAL_ADDRESS": temporalAddr, "REBOUND_GATEWAY_ADDR": gatewayAddr,
			"REBOUND_ACQUIRER_ADDR": freeAddr(t), "REBOUND_ACQUIRER_ADMIN_ADDR": adminAddr,
			// The load's shoppers each come from an address of their own.
			"REBOUND_TRUSTED_PROXIES": "127.0.0.1", "REBOUND_GATEWAY_SETTLE_DELAY": "200ms"}
		p = start(t, dir, vars, "dev", "--http-addr", httpAddr, "--data-dir", filepath.Join(dir, "state"))
		if started(p, "http://"+httpAddr) || try == 2 {
			break
		}
	}
	waitReady(t, p, "http://"+httpAddr, ready)
	api := "--api=http://" + httpAddr

	var stdout, stderr bytes.Buffer
	// Two API addresses (the same process twice here) are called in turn.
	args := []string{"loadgen", "lifecycle", api, "--api", "http://" + httpAddr, "--gateway-url", "http://" + gatewayAddr,
		"--acquirer-admin-url", "http://" + adminAddr, "--returns", "5", "--concurrency", "3", "--mix", "online=3,card=2",
		"--step-timeout", "60s", "--floor", "--temporal-address", temporalAddr, "--floor-workflows", "3", "--json"}
	if code := cli.Main(args, &stdout, &stderr, lookup(nil)); code != 0 {
		t.Fatalf("lifecycle: exit %d: %s\n%s", code, stderr.String(), stdout.String())
	}
	var rep loadgen.LifecycleReport
	if err := json.Unmarshal(stdout.Bytes(), &rep); err != nil {
		t.Fatalf("report %q: %v", stdout.String(), err)
	}
	c := rep.Check
	if !c.OK || c.AtEnd != 5 || len(c.NotAtEnd) != 0 {
		t.Fatalf("check %+v", c)
	}
	if rep.ByKind[loadgen.KindOnline] != 3 || rep.ByKind[loadgen.KindCard] != 2 {
		t.Fatalf("kinds %v, want online 3, card 2", rep.ByKind)
	}
	// Each card refund once in the acquirer's ledger, each online one once
	// in the gateway's report, for Rebound's amount.
	if !c.Acquirer.Checked || c.Acquirer.Once != 2 || !c.Gateway.Checked || c.Gateway.Once != 3 {
		t.Fatalf("books: acquirer %+v, gateway %+v", c.Acquirer, c.Gateway)
	}
	for _, route := range []string{"POST /v1/orders", "POST /v1/returns", "POST /v1/returns/{id}/verify",
		"POST /v1/carrier/events", "POST /v1/merchant/returns/{id}/inspection", "POST /v1/merchant/returns/{id}/in-store-refund"} {
		if s := rep.Calls[route]; s.Count == 0 || s.P99 < s.P50 {
			t.Errorf("call %s: %+v", route, s)
		}
	}
	for _, step := range []string{"awaiting_shipment", "awaiting_dropoff", "awaiting_inspection", "refund_pending"} {
		if rep.Steps[step].Count == 0 {
			t.Errorf("no time in %s: %v", step, rep.Steps)
		}
	}
	if len(rep.APIs) != 2 || rep.PerSecond <= 0 || rep.EndToEnd.Count != 5 {
		t.Errorf("APIs %v, throughput %v, end to end %+v", rep.APIs, rep.PerSecond, rep.EndToEnd)
	}
	f := rep.Floor
	if f == nil || f.Completed != 3 || f.Shape.Activities+f.Shape.LocalActivities != 20 || f.Shape.Updates != 2 || f.Shape.Signals != 2 ||
		f.Shape.Children != 1 || rep.FloorRatio <= 0 {
		t.Fatalf("floor %+v, ratio %v", f, rep.FloorRatio)
	}

	// The floor has the shape of an online return as the workflows run it.
	if got := returnShape(t, temporalAddr, filepath.Join(dir, "state", "rebound.db")); got != f.Shape {
		t.Errorf("an online return's history has %+v; the floor %+v: change the floor with the workflows", got, f.Shape)
	}

	// `rebound pickup` runs the settlement pick-up now, through the worker's
	// schedule (the README's way, without the temporal CLI).
	pickups := func() int {
		c, err := client.Dial(client.Options{HostPort: temporalAddr, Logger: quietLogger()})
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		d, err := c.ScheduleClient().GetHandle(context.Background(), contract.SettlementPickupScheduleID).Describe(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		return int(d.Info.NumActions)
	}
	before := pickups()
	stdout.Reset()
	stderr.Reset()
	if code := cli.Main([]string{"pickup", "--temporal-address", temporalAddr}, &stdout, &stderr, lookup(nil)); code != 0 ||
		!strings.Contains(stdout.String(), "settlement pick-up started") {
		t.Fatalf("pickup: exit %d: %s %s", code, stdout.String(), stderr.String())
	}
	// The schedule takes the trigger in its own time.
	deadline := time.Now().Add(15 * time.Second)
	for pickups() != before+1 && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
	}
	if after := pickups(); after != before+1 {
		t.Errorf("the schedule ran %d times after pickup, %d before", after, before)
	}

	stdout.Reset()
	stderr.Reset()
	args = []string{"loadgen", "reads", api, "--database-url", "sqlite:" + filepath.Join(dir, "state", "rebound.db"),
		"--concurrency", "4", "--duration", "300ms", "--seed-returns", "1", "--json"}
	if code := cli.Main(args, &stdout, &stderr, lookup(nil)); code != 0 {
		t.Fatalf("reads: exit %d: %s\n%s", code, stderr.String(), stdout.String())
	}
	var reads loadgen.ReadsReport
	if err := json.Unmarshal(stdout.Bytes(), &reads); err != nil {
		t.Fatalf("report %q: %v", stdout.String(), err)
	}
	var names []string
	for _, r := range reads.Reads {
		names = append(names, r.Read)
		if r.API.Requests == 0 || r.Bare.Requests == 0 || r.API.Errors != 0 || r.Bare.Errors != 0 || r.Ratio <= 0 {
			t.Errorf("%s: %+v", r.Read, r)
		}
	}
	if got := strings.Join(names, ", "); got != "GET /v1/returns/{id}, GET /v1/merchant/returns, GET /v1/finance/refunds" {
		t.Fatalf("reads %s", got)
	}
}

// returnShape counts the activities, updates, signals and children in the
// histories of an online return of the load and of its refund.
func returnShape(t *testing.T, temporalAddr, dbFile string) loadgen.FloorShape {
	t.Helper()
	d, err := db.Open("sqlite:"+dbFile, db.DefaultPool, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	var ids []string
	if err := d.Raw(context.Background(), `SELECT r.id FROM returns r JOIN orders o ON o.id = r.order_id
		WHERE r.channel = 'online' AND o.order_number LIKE 'LG-%' LIMIT 1`, &ids); err != nil || len(ids) == 0 {
		t.Fatalf("no online return of the load: %v", err)
	}
	c, err := client.Dial(client.Options{HostPort: temporalAddr, Logger: quietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	var shape loadgen.FloorShape
	for _, id := range []string{contract.ReturnWorkflowID(ids[0]), contract.RefundWorkflowID(ids[0], 1)} {
		it := c.GetWorkflowHistory(context.Background(), id, "", false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
		for it.HasNext() {
			e, err := it.Next()
			if err != nil {
				t.Fatal(err)
			}
			switch e.GetEventType() {
			case enumspb.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
				shape.Activities++
			case enumspb.EVENT_TYPE_MARKER_RECORDED:
				if e.GetMarkerRecordedEventAttributes().GetMarkerName() == "LocalActivity" {
					shape.LocalActivities++
				}
			case enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED:
				shape.Updates++
			case enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED:
				shape.Signals++
			case enumspb.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED:
				shape.Children++
			}
		}
	}
	return shape
}
