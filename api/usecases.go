package api

import (
	"context"

	"github.com/rebound-returns/rebound/app/counter"
	"github.com/rebound-returns/rebound/db"
	"github.com/rebound-returns/rebound/workflows"
)

// The use cases (app/…) are built here from what the API holds: the store
// (*db.DB satisfies their Store interfaces) and small adapters over the
// Temporal client, the password pool and the admins' mail. The handlers
// call them through the interfaces on server.

// counterService builds the counter procedure over the API's store,
// password pool and Temporal client.
func (s *server) counterService() *counter.Service {
	return counter.New(counter.Deps{Store: s.deps.DB, Passwords: staffPasswords{s}, Workflow: returnUpdates{s}, Admins: adminMail{s},
		Log: s.log, Now: s.now, PasswordLimit: maxLoginFailures})
}

// staffPasswords checks staff passwords for the use cases through the
// API's lock-out and hashing pool.
type staffPasswords struct{ s *server }

func (p staffPasswords) Try(ctx context.Context, u *db.StaffUser, password string) (bool, db.Try, error) {
	return p.s.tryPassword(ctx, u, password)
}

func (p staffPasswords) Burn(ctx context.Context, password string) error {
	return p.s.deps.Passwords.Burn(ctx, password)
}

// returnUpdates sends the use cases' updates to a return's workflow.
type returnUpdates struct{ s *server }

func (u returnUpdates) CounterRefund(ctx context.Context, returnID string, req workflows.CounterRefundRequest) error {
	var res workflows.ActionResult
	return u.s.update(ctx, returnID, workflows.UpdateCounterRefund, req, &res)
}

func (u returnUpdates) RefundApproval(ctx context.Context, returnID string, req workflows.RefundApprovalRequest) error {
	var res workflows.ActionResult
	return u.s.update(ctx, returnID, workflows.UpdateRefundApproval, req, &res)
}

func (u returnUpdates) RefundResolution(ctx context.Context, returnID string, req workflows.RefundResolutionRequest) error {
	var res workflows.ActionResult
	return u.s.update(ctx, returnID, workflows.UpdateRefundResolution, req, &res)
}

// adminMail tells a merchant's admins through the outbox.
type adminMail struct{ s *server }

func (a adminMail) Tell(ctx context.Context, merchantID, subject, text string) {
	a.s.tellAdmins(ctx, merchantID, subject, text)
}
