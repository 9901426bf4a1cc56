package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"

	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"

	"github.com/rebound-returns/rebound/contract"
)

// pickupCommand runs the settlement pick-up now, as its schedule would:
// what the README once sent to the temporal CLI, which Rebound's
// machines need not have.
func pickupCommand() *command {
	var addr, namespace *string
	return &command{
		name: "pickup",
		summary: "run the settlement pick-up now: trigger the worker's " + contract.SettlementPickupScheduleID +
			" schedule (it imports the settlement folder's waiting files and reconciles them)",
		extra: func(fs *flag.FlagSet) {
			addr = fs.String("temporal-address", "127.0.0.1:7233", "the Temporal frontend (REBOUND_TEMPORAL_ADDRESS)")
			namespace = fs.String("namespace", "default", "the Temporal namespace (REBOUND_TEMPORAL_NAMESPACE)")
		},
		run: func(ctx context.Context, env *Env, _ []string) error {
			return triggerPickup(ctx, env, *addr, *namespace)
		},
	}
}

func triggerPickup(ctx context.Context, env *Env, addr, namespace string) error {
	c, err := client.DialContext(ctx, client.Options{HostPort: addr, Namespace: namespace, Logger: sdkSilent{}})
	if err != nil {
		return fmt.Errorf("temporal at %s: %w", addr, err)
	}
	defer c.Close()
	h := c.ScheduleClient().GetHandle(ctx, contract.SettlementPickupScheduleID)
	err = h.Trigger(ctx, client.ScheduleTriggerOptions{})
	var nf *serviceerror.NotFound
	if errors.As(err, &nf) {
		return fmt.Errorf("no %s schedule on %s: a worker with a settlement folder (REBOUND_SETTLEMENT_DIR) keeps it",
			contract.SettlementPickupScheduleID, addr)
	}
	if err != nil {
		return fmt.Errorf("trigger %s: %w", contract.SettlementPickupScheduleID, err)
	}
	fmt.Fprintf(env.Stdout, "settlement pick-up started (schedule %s); its runs are the workflows %s-<time>\n",
		contract.SettlementPickupScheduleID, contract.SettlementPickupWorkflowID)
	return nil
}
