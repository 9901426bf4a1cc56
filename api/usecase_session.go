package api

import (
	"context"

	"github.com/gin-gonic/gin"

	"github.com/rebound-returns/rebound/app/freeze"
	"github.com/rebound-returns/rebound/app/session"
	"github.com/rebound-returns/rebound/auth"
	"github.com/rebound-returns/rebound/db"
	"github.com/rebound-returns/rebound/workflows"
)

// The sessions and freezes use cases, built over the API's store, password
// pool, Temporal client and the admins' mail; and the audit log, which the
// handlers write with the request's origin.

// sessionService builds the staff sessions over the API's store and
// password pool.
func (s *server) sessionService() *session.Service {
	return session.New(session.Deps{Store: s.deps.DB, Pool: hashPool{s.deps.Passwords}, Log: s.log, Now: s.now})
}

// freezeService builds the refund freezes over the API's store, Temporal
// client and the admins' mail.
func (s *server) freezeService() *freeze.Service {
	return freeze.New(freeze.Deps{Store: s.deps.DB, Workflow: freezeSignals{s}, Admins: adminMail{s}, Log: s.log, Now: s.now})
}

// tryPassword checks a member's password under the lock-out, in the
// hashing pool (session.Service.TryPassword); the counter's supervisor
// check goes through it (staffPasswords).
func (s *server) tryPassword(ctx context.Context, u *db.StaffUser, password string) (ok bool, try db.Try, err error) {
	return s.sessionService().TryPassword(ctx, u, password)
}

// hashPool is the API's *auth.Pool as session.Pool.
type hashPool struct{ *auth.Pool }

func (p hashPool) Hold(ctx context.Context) (session.Slot, error) {
	slot, err := p.Pool.Hold(ctx)
	if err != nil {
		return nil, err
	}
	return slot, nil
}

// freezeSignals wakes refunds' workflows waiting on a lifted freeze.
type freezeSignals struct{ s *server }

func (f freezeSignals) FreezeLifted(ctx context.Context, workflowID string) error {
	return f.s.deps.Temporal.SignalWorkflow(ctx, workflowID, "", workflows.SignalFreezeLifted, nil)
}

// audit appends a row to the audit log; a failure to write it is logged,
// never shown to the caller.
func (s *server) audit(c *gin.Context, p *principal, action, resourceType, resourceID, outcome string, detail map[string]any) {
	e := &db.AuditEntry{Action: action, ResourceType: resourceType, ResourceID: resourceID, Outcome: outcome,
		Origin: c.ClientIP(), RequestID: c.GetString(requestIDKey), At: s.now()}
	if p != nil {
		e.Actor, e.ActorRole = p.Username, p.Role
		if p.MerchantID != "" {
			m := p.MerchantID
			e.MerchantID = &m
		}
	}
	if detail != nil {
		if j, err := db.ToJSON(detail); err == nil {
			e.Detail = j
		}
	}
	if err := s.deps.DB.AppendAudit(c.Request.Context(), e); err != nil {
		s.log.ErrorContext(c.Request.Context(), "audit entry not written", "action", action, "err", err)
	}
}
