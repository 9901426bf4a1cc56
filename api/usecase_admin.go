package api

import (
	"context"

	"github.com/rebound-returns/rebound/app/admin"
)

// adminService builds onboarding and the merchant's administration over
// the API's database and the delivery workflow.
func (s *server) adminService() *admin.Service {
	return admin.New(admin.Deps{Store: admin.DB{DB: s.deps.DB}, Onboarding: admin.DB{DB: s.deps.DB}, Delivery: outboxDelivery{s},
		Dev: s.deps.Dev, Now: s.now})
}

// outboxDelivery starts the workflow that delivers queued outbox messages.
type outboxDelivery struct{ s *server }

func (d outboxDelivery) Deliver(ctx context.Context, outboxIDs []string) (admin.Run, error) {
	return d.s.deliver(ctx, outboxIDs)
}
