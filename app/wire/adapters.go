package wire

import (
	"context"

	"github.com/rebound-returns/rebound/activities"
	"github.com/rebound-returns/rebound/app/outbox"
	"github.com/rebound-returns/rebound/app/session"
	"github.com/rebound-returns/rebound/auth"
	"github.com/rebound-returns/rebound/db"
)

// staffPasswords checks a supervisor's password for the counter under the
// staff's lock-out, in the hashing pool.
type staffPasswords struct {
	sessions *session.Service
	pool     *auth.Pool
}

func (p staffPasswords) Try(ctx context.Context, u *db.StaffUser, password string) (bool, db.Try, error) {
	return p.sessions.TryPassword(ctx, u, password)
}

func (p staffPasswords) Burn(ctx context.Context, password string) error {
	return p.pool.Burn(ctx, password)
}

// hashPool is the *auth.Pool as session.Pool.
type hashPool struct{ *auth.Pool }

func (p hashPool) Hold(ctx context.Context) (session.Slot, error) {
	slot, err := p.Pool.Hold(ctx)
	if err != nil {
		return nil, err
	}
	return slot, nil
}

// adminMail tells a merchant's admins through the outbox.
type adminMail struct{ mail *outbox.Service }

func (a adminMail) Tell(ctx context.Context, merchantID, subject, text string) {
	a.mail.TellAdmins(ctx, merchantID, subject, text)
}

// simLabels renders labels of the simulated carrier.
type simLabels struct{ db *db.DB }

func (l simLabels) Label(ctx context.Context, r *db.Return) ([]byte, error) {
	return activities.Label(ctx, l.db, r, "rebound-sim")
}
